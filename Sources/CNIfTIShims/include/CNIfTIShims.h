#pragma once
// C shims around nifti_clib's nifti2_io (Debian libnifti2-dev). Its header includes <znzlib.h>
// from /usr/include/nifti, a path Swift's module map cannot add without a pkg-config file (the
// package ships none); so only this target sees the library's headers, and Swift sees an opaque
// handle, a plain header struct and status codes.
#include <stddef.h>
#include <stdint.h>

/// Result of a shim call.
typedef enum {
    MVS_NIFTI_OK = 0,
    MVS_NIFTI_UNREADABLE_HEADER = 1, // not NIfTI-1/2, truncated header, or an invalid header field
    MVS_NIFTI_READ_FAILED = 2,       // the voxel data could not be read (file shorter than its dims say)
    MVS_NIFTI_UNSUPPORTED_TYPE = 3,  // complex, RGB or an unknown datatype
    MVS_NIFTI_BAD_ARGUMENT = 4       // programmer error in the caller (sizes)
} mvs_nifti_status;

/// An opened NIfTI file (a `nifti_image *`); release with `mvs_nifti_close`.
typedef struct mvs_nifti mvs_nifti;

/// What the header declares, NIfTI-1 and -2 alike (the library widens NIfTI-1 to NIfTI-2 types).
typedef struct {
    int nifti_version;      // 1 or 2
    int64_t dim[8];         // dim[0] = number of dimensions, dim[1..7] sizes
    double pixdim[8];       // pixdim[1..3] voxel spacing
    int datatype;           // NIfTI DT_* code
    int bytes_per_voxel;
    int64_t voxel_count;    // product of all dims
    double scl_slope;
    double scl_inter;
    int qform_code;
    int sform_code;
    double qto_xyz[16];     // row-major 4x4: voxel (i, j, k, 1) to world (x, y, z, 1)
    double sto_xyz[16];
    int xyz_units;          // NIFTI_UNITS_* code
    char descrip[80];       // NUL-terminated
} mvs_nifti_header;

/// Reads the header only (nothing proportional to the volume is allocated).
mvs_nifti_status mvs_nifti_open(const char *path, mvs_nifti **out, mvs_nifti_header *header);

/// Reads the voxel data into the library's buffer. The caller checks the size first.
mvs_nifti_status mvs_nifti_load(mvs_nifti *image);

/// Converts the first `count` voxels (x fastest, then y, z, …) to float, applying scl_slope /
/// scl_inter when the slope is finite and non-zero (the NIfTI rule). `mvs_nifti_load` first.
mvs_nifti_status mvs_nifti_copy_floats(const mvs_nifti *image, float *out, size_t count);

void mvs_nifti_close(mvs_nifti *image);

/// The geometry a written volume carries (a source's, so the two overlay voxel for voxel).
typedef struct {
    int64_t dim[3];
    double pixdim[3];
    int qform_code;
    int sform_code;
    double qto_xyz[16];     // row-major; used when qform_code > 0 (stored as a quaternion, as NIfTI does)
    double sto_xyz[16];     // row-major; used when sform_code > 0
    int xyz_units;
} mvs_nifti_geometry;

/// Writes a uint8 NIfTI-1 volume (`.nii` or `.nii.gz`, by the name) of `geometry->dim` voxels,
/// x fastest. nifti_image_write reports nothing, so the caller reads the file back to check it.
mvs_nifti_status mvs_nifti_write_uint8(const char *path, const mvs_nifti_geometry *geometry,
                                       const uint8_t *voxels, size_t count);
