#include "CDICOMShims.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <cstdio>
#include <cstring>
#include <mutex>

namespace {

void set_message(char *message, size_t size, const char *text) {
    if (message && size > 0) std::snprintf(message, size, "%s", text ? text : "unknown DCMTK error");
}

// Decoders register once per process; DCMTK's logger would otherwise print to stderr.
void prepare() {
    static std::once_flag once;
    std::call_once(once, [] {
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
        DcmRLEDecoderRegistration::registerCodecs();
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
    });
}

mvs_dicom_status load(const char *path, DcmFileFormat &file, bool withPixels, char *message, size_t size) {
    // Reading stops before the pixel data when only the header is needed.
    OFCondition status = withPixels
        ? file.loadFile(path)
        : file.loadFileUntilTag(path, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect, DCM_PixelData);
    if (status.bad()) { set_message(message, size, status.text()); return MVS_DICOM_UNREADABLE; }
    return MVS_DICOM_OK;
}

double number(DcmDataset *dataset, const DcmTagKey &key, unsigned long position, double fallback, int *found = nullptr) {
    Float64 value = 0;
    if (dataset->findAndGetFloat64(key, value, position).good()) {
        if (found) *found = 1;
        return value;
    }
    if (found) *found = 0;
    return fallback;
}

}  // namespace

extern "C" mvs_dicom_status mvs_dicom_read_info(const char *path, mvs_dicom_info *info, char *message, size_t message_size) {
    if (!path || !info) return MVS_DICOM_BAD_ARGUMENT;
    try {
        prepare();
        std::memset(info, 0, sizeof(*info));
        DcmFileFormat file;
        mvs_dicom_status status = load(path, file, false, message, message_size);
        if (status != MVS_DICOM_OK) return status;
        DcmDataset *dataset = file.getDataset();
        const char *text = nullptr;
        if (dataset->findAndGetString(DCM_SeriesInstanceUID, text).good() && text)
            std::snprintf(info->series_uid, sizeof(info->series_uid), "%s", text);
        text = nullptr;
        if (dataset->findAndGetString(DCM_Modality, text).good() && text)
            std::snprintf(info->modality, sizeof(info->modality), "%s", text);
        Uint16 value = 0;
        info->rows = dataset->findAndGetUint16(DCM_Rows, value).good() ? value : 0;
        info->columns = dataset->findAndGetUint16(DCM_Columns, value).good() ? value : 0;
        info->samples_per_pixel = dataset->findAndGetUint16(DCM_SamplesPerPixel, value).good() ? value : 1;
        info->bits_allocated = dataset->findAndGetUint16(DCM_BitsAllocated, value).good() ? value : 0;
        info->pixel_representation = dataset->findAndGetUint16(DCM_PixelRepresentation, value).good() ? value : 0;
        Sint32 frames = 1;
        info->frames = dataset->findAndGetSint32(DCM_NumberOfFrames, frames).good() ? frames : 1;
        int found = 0, all = 1;
        for (unsigned long i = 0; i < 2; i++) { info->pixel_spacing[i] = number(dataset, DCM_PixelSpacing, i, 1, &found); all &= found; }
        info->has_pixel_spacing = all;
        all = 1;
        for (unsigned long i = 0; i < 3; i++) { info->position[i] = number(dataset, DCM_ImagePositionPatient, i, 0, &found); all &= found; }
        info->has_position = all;
        all = 1;
        for (unsigned long i = 0; i < 6; i++) { info->orientation[i] = number(dataset, DCM_ImageOrientationPatient, i, 0, &found); all &= found; }
        info->has_orientation = all;
        info->slice_thickness = number(dataset, DCM_SliceThickness, 0, 0);
        info->rescale_slope = number(dataset, DCM_RescaleSlope, 0, 1);
        info->rescale_intercept = number(dataset, DCM_RescaleIntercept, 0, 0);
        if (info->rows == 0 || info->columns == 0) {
            set_message(message, message_size, "no Rows/Columns: not an image");
            return MVS_DICOM_NO_IMAGE;
        }
        return MVS_DICOM_OK;
    } catch (...) {
        set_message(message, message_size, "DCMTK raised an exception");
        return MVS_DICOM_UNREADABLE;
    }
}

extern "C" mvs_dicom_status mvs_dicom_read_pixels(const char *path, float *out, size_t count, char *message, size_t message_size) {
    if (!path || !out) return MVS_DICOM_BAD_ARGUMENT;
    try {
        prepare();
        mvs_dicom_info info;
        mvs_dicom_status status = mvs_dicom_read_info(path, &info, message, message_size);
        if (status != MVS_DICOM_OK) return status;
        if ((size_t)info.rows * (size_t)info.columns != count) return MVS_DICOM_BAD_ARGUMENT;
        if (info.samples_per_pixel != 1 || info.frames != 1 || (info.bits_allocated != 8 && info.bits_allocated != 16)) {
            char text[160];
            std::snprintf(text, sizeof(text), "%d sample(s) per pixel, %d frame(s), %d bits allocated; only single-frame grey 8/16-bit images are read",
                          info.samples_per_pixel, info.frames, info.bits_allocated);
            set_message(message, message_size, text);
            return MVS_DICOM_UNSUPPORTED;
        }
        DcmFileFormat file;
        status = load(path, file, true, message, message_size);
        if (status != MVS_DICOM_OK) return status;
        DcmDataset *dataset = file.getDataset();
        // Decompresses RLE / JPEG / JPEG-LS in place; uncompressed data is left as it is.
        OFCondition condition = dataset->chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
        if (condition.bad() || !dataset->canWriteXfer(EXS_LittleEndianExplicit)) {
            set_message(message, message_size, condition.bad() ? condition.text() : "the transfer syntax cannot be decoded");
            return MVS_DICOM_UNSUPPORTED;
        }
        const bool is_signed = info.pixel_representation == 1;
        unsigned long length = 0;
        if (info.bits_allocated == 16) {
            const Uint16 *pixels = nullptr;
            condition = dataset->findAndGetUint16Array(DCM_PixelData, pixels, &length);
            if (condition.bad() || !pixels || length < count) { set_message(message, message_size, "pixel data shorter than Rows x Columns"); return MVS_DICOM_NO_IMAGE; }
            for (size_t i = 0; i < count; i++)
                out[i] = (float)(info.rescale_slope * (is_signed ? (double)(Sint16)pixels[i] : (double)pixels[i]) + info.rescale_intercept);
        } else {
            const Uint8 *pixels = nullptr;
            condition = dataset->findAndGetUint8Array(DCM_PixelData, pixels, &length);
            if (condition.bad() || !pixels || length < count) { set_message(message, message_size, "pixel data shorter than Rows x Columns"); return MVS_DICOM_NO_IMAGE; }
            for (size_t i = 0; i < count; i++)
                out[i] = (float)(info.rescale_slope * (is_signed ? (double)(Sint8)pixels[i] : (double)pixels[i]) + info.rescale_intercept);
        }
        return MVS_DICOM_OK;
    } catch (...) {
        set_message(message, message_size, "DCMTK raised an exception");
        return MVS_DICOM_UNREADABLE;
    }
}
