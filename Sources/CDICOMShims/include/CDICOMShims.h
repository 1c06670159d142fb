#pragma once
// A C API over DCMTK (Debian libdcmtk-dev, C++), the only code that sees its headers. DCMTK reports
// errors as OFCondition objects and may throw C++ exceptions, neither of which may cross into
// Swift: every call is made here and comes back as a status code plus DCMTK's message.
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MVS_DICOM_OK = 0,
    MVS_DICOM_UNREADABLE = 1,     // not DICOM, truncated, or DCMTK could not parse it (message says why)
    MVS_DICOM_NO_IMAGE = 2,       // no pixel data (a report, a structured document)
    MVS_DICOM_UNSUPPORTED = 3,    // colour, multi-frame or a bit depth other than 8/16 (message says which)
    MVS_DICOM_BAD_ARGUMENT = 4
} mvs_dicom_status;

/// The attributes of one DICOM image that slicing needs; nothing that identifies the patient.
typedef struct {
    char series_uid[72];
    char modality[20];
    int rows;
    int columns;
    int frames;
    int samples_per_pixel;
    int bits_allocated;
    int pixel_representation;    // 1: signed
    double pixel_spacing[2];     // row spacing (between rows), column spacing (between columns)
    int has_pixel_spacing;
    double position[3];          // ImagePositionPatient (LPS, mm): centre of the first pixel
    int has_position;
    double orientation[6];       // ImageOrientationPatient: row direction, then column direction
    int has_orientation;
    double slice_thickness;
    double rescale_slope;        // 1 when absent
    double rescale_intercept;    // 0 when absent
} mvs_dicom_info;

/// Reads the attributes of the file at `path` (the pixel data is not decoded).
mvs_dicom_status mvs_dicom_read_info(const char *path, mvs_dicom_info *info, char *message, size_t message_size);

/// Decodes the single frame of `path` (any transfer syntax DCMTK decodes: uncompressed, RLE, JPEG,
/// JPEG-LS) into `count` = rows * columns floats, row by row, RescaleSlope/Intercept applied.
mvs_dicom_status mvs_dicom_read_pixels(const char *path, float *out, size_t count, char *message, size_t message_size);

#ifdef __cplusplus
}
#endif
