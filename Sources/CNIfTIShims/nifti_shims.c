#include "CNIfTIShims.h"

#include <math.h>
#include <nifti2_io.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

struct mvs_nifti { nifti_image *image; };

static uint32_t swap32(uint32_t v) { return __builtin_bswap32(v); }
static uint64_t swap64(uint64_t v) { return __builtin_bswap64(v); }

/* libnifti2 2.1.0 trusts a NIfTI-2 header's dim[0]: nifti_convert_n2hdr2nim copies dim[1..dim[0]]
   into an array of 8 on the stack, so a file whose dim[0] is, say, 2^32 + 3 writes far past it
   (found by FuzzVolumes: a stack overflow). The header is checked here first, read through zlib
   (plain and gzipped files alike): its size field names NIfTI-1 (348) or NIfTI-2 (540) in one
   byte order, and dim[0] in that byte order must be 1...7 while in the other it must not be
   (libnifti guesses the byte order from dim[0] too, so the two guesses cannot differ). */
static int header_is_sane(const char *path) {
    gzFile file = gzopen(path, "rb");
    if (!file) return 0;
    unsigned char bytes[540];
    int got = gzread(file, bytes, sizeof(bytes));
    gzclose(file);
    if (got < 348) return 0;
    uint32_t size;
    memcpy(&size, bytes, 4);
    int swapped = size != 348 && size != 540;
    if (swapped) size = swap32(size);
    if (size == 348) {
        int16_t dim0;
        memcpy(&dim0, bytes + 40, 2);
        int16_t other = (int16_t)__builtin_bswap16((uint16_t)dim0);
        int16_t native = swapped ? other : dim0, foreign = swapped ? dim0 : other;
        return native >= 1 && native <= 7 && !(foreign >= 1 && foreign <= 7);
    }
    if (size == 540 && got == 540) {
        uint64_t raw;
        memcpy(&raw, bytes + 16, 8);
        int64_t native = (int64_t)(swapped ? swap64(raw) : raw), foreign = (int64_t)(swapped ? raw : swap64(raw));
        /* libnifti also looks at dim[0] as a 16-bit value when guessing the byte order. */
        int16_t low = (int16_t)(raw & 0xFFFF), lowSwapped = (int16_t)__builtin_bswap16((uint16_t)low);
        return native >= 1 && native <= 7 && !(foreign >= 1 && foreign <= 7)
            && (swapped ? !(low >= 1 && low <= 7) : !(lowSwapped >= 1 && lowSwapped <= 7));
    }
    return 0;
}

mvs_nifti_status mvs_nifti_open(const char *path, mvs_nifti **out, mvs_nifti_header *header) {
    if (!path || !out || !header) return MVS_NIFTI_BAD_ARGUMENT;
    *out = NULL;
    if (!header_is_sane(path)) return MVS_NIFTI_UNREADABLE_HEADER;
    // Level 0: the library still prints its errors to stderr, but no chatter on success.
    nifti_set_debug_level(0);
    nifti_image *image = nifti_image_read(path, 0);
    if (!image) return MVS_NIFTI_UNREADABLE_HEADER;
    mvs_nifti *handle = malloc(sizeof(mvs_nifti));
    if (!handle) { nifti_image_free(image); return MVS_NIFTI_BAD_ARGUMENT; }
    handle->image = image;
    memset(header, 0, sizeof(*header));
    // nifti_type says NIFTI-1 for single NIfTI-2 files too; the header reader reports the version.
    int version = 1;
    void *raw_header = nifti_read_header(path, &version, 1);
    free(raw_header);
    header->nifti_version = version == 2 ? 2 : 1;
    for (int i = 0; i < 8; i++) { header->dim[i] = image->dim[i]; header->pixdim[i] = image->pixdim[i]; }
    header->datatype = image->datatype;
    header->bytes_per_voxel = image->nbyper;
    header->voxel_count = image->nvox;
    header->scl_slope = image->scl_slope;
    header->scl_inter = image->scl_inter;
    header->qform_code = image->qform_code;
    header->sform_code = image->sform_code;
    for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) {
        header->qto_xyz[r * 4 + c] = image->qto_xyz.m[r][c];
        header->sto_xyz[r * 4 + c] = image->sto_xyz.m[r][c];
    }
    header->xyz_units = image->xyz_units;
    memcpy(header->descrip, image->descrip, sizeof(header->descrip));
    header->descrip[sizeof(header->descrip) - 1] = 0;
    *out = handle;
    return MVS_NIFTI_OK;
}

mvs_nifti_status mvs_nifti_load(mvs_nifti *handle) {
    if (!handle) return MVS_NIFTI_BAD_ARGUMENT;
    return nifti_image_load(handle->image) == 0 ? MVS_NIFTI_OK : MVS_NIFTI_READ_FAILED;
}

#define MVS_COPY(type) { const type *in = (const type *)data; for (size_t i = 0; i < count; i++) out[i] = (float)in[i]; } break

mvs_nifti_status mvs_nifti_copy_floats(const mvs_nifti *handle, float *out, size_t count) {
    if (!handle || !out || !handle->image->data || count > (size_t)handle->image->nvox) return MVS_NIFTI_BAD_ARGUMENT;
    const void *data = handle->image->data;
    switch (handle->image->datatype) {
    case DT_UINT8: MVS_COPY(uint8_t);
    case DT_INT8: MVS_COPY(int8_t);
    case DT_INT16: MVS_COPY(int16_t);
    case DT_UINT16: MVS_COPY(uint16_t);
    case DT_INT32: MVS_COPY(int32_t);
    case DT_UINT32: MVS_COPY(uint32_t);
    case DT_INT64: MVS_COPY(int64_t);
    case DT_UINT64: MVS_COPY(uint64_t);
    case DT_FLOAT32: MVS_COPY(float);
    case DT_FLOAT64: MVS_COPY(double);
    default: return MVS_NIFTI_UNSUPPORTED_TYPE;
    }
    double slope = handle->image->scl_slope, inter = handle->image->scl_inter;
    if (slope != 0 && isfinite(slope) && isfinite(inter) && !(slope == 1 && inter == 0)) {
        for (size_t i = 0; i < count; i++) out[i] = (float)(slope * out[i] + inter);
    }
    return MVS_NIFTI_OK;
}

void mvs_nifti_close(mvs_nifti *handle) {
    if (!handle) return;
    nifti_image_free(handle->image);
    free(handle);
}

mvs_nifti_status mvs_nifti_write_uint8(const char *path, const mvs_nifti_geometry *geometry,
                                       const uint8_t *voxels, size_t count) {
    if (!path || !geometry || !voxels) return MVS_NIFTI_BAD_ARGUMENT;
    int64_t dims[8] = {3, geometry->dim[0], geometry->dim[1], geometry->dim[2], 1, 1, 1, 1};
    for (int i = 1; i <= 3; i++) if (dims[i] < 1) return MVS_NIFTI_BAD_ARGUMENT;
    if ((int64_t)count != dims[1] * dims[2] * dims[3]) return MVS_NIFTI_BAD_ARGUMENT;
    nifti_set_debug_level(0);
    nifti_image *image = nifti_make_new_nim(dims, DT_UINT8, 0);
    if (!image) return MVS_NIFTI_BAD_ARGUMENT;
    image->nifti_type = NIFTI_FTYPE_NIFTI1_1;
    for (int i = 0; i < 3; i++) image->pixdim[i + 1] = geometry->pixdim[i];
    image->dx = geometry->pixdim[0];
    image->dy = geometry->pixdim[1];
    image->dz = geometry->pixdim[2];
    image->xyz_units = geometry->xyz_units;
    image->qform_code = geometry->qform_code;
    image->sform_code = geometry->sform_code;
    for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) {
        image->qto_xyz.m[r][c] = geometry->qto_xyz[r * 4 + c];
        image->sto_xyz.m[r][c] = geometry->sto_xyz[r * 4 + c];
    }
    if (geometry->qform_code > 0) {
        // The header stores the qform as a quaternion plus offsets and qfac, not as a matrix.
        double dx, dy, dz;
        nifti_dmat44_to_quatern(image->qto_xyz, &image->quatern_b, &image->quatern_c, &image->quatern_d,
                                &image->qoffset_x, &image->qoffset_y, &image->qoffset_z, &dx, &dy, &dz, &image->qfac);
    }
    image->scl_slope = 1;
    image->scl_inter = 0;
    image->cal_min = 0;
    image->cal_max = 0;
    if (nifti_set_filenames(image, path, 0, 1) != 0) { nifti_image_free(image); return MVS_NIFTI_BAD_ARGUMENT; }
    image->data = malloc(count);
    if (!image->data) { nifti_image_free(image); return MVS_NIFTI_BAD_ARGUMENT; }
    memcpy(image->data, voxels, count);
    nifti_image_write(image);
    nifti_image_free(image);
    return MVS_NIFTI_OK;
}
