#!/usr/bin/env python3
"""NIfTI and DICOM fixtures for the Swift volume tests (Tests/VolumesTests).

    pip install nibabel pydicom numpy
    python3 Training/make_volume_fixtures.py   # writes Tests/VolumesTests/Fixtures/*.nii[.gz]
    python3 Training/make_volume_fixtures.py --large /tmp/ct512.nii.gz   # also a 512 x 512 x 200 CT (not committed)

Every voxel value is a formula of its index (documented per file below and in the tests), so the
Swift tests compute what they expect instead of storing it. Files are written with nibabel
(https://nipy.org/nibabel, MIT licence) and pydicom (https://pydicom.github.io, MIT licence), with
fixed UIDs and file names; gzip output is made deterministic (mtime 0) so a re-run
gives identical bytes. The hostile files are real headers edited to lie.
"""
import argparse
import gzip
import io
import os

import nibabel as nib
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "VolumesTests", "Fixtures")


def ramp(shape, scale=(1, 20, 400), start=-1024):
    i, j, k = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    return start + scale[0] * i + scale[1] * j + scale[2] * k


def raw_bytes(image):
    buffer = io.BytesIO()
    file_map = image.make_file_map({"image": buffer, "header": buffer})
    image.to_file_map(file_map)
    return buffer.getvalue()


def write(name, data):
    path = os.path.join(OUT, name)
    if name.endswith(".gz"):
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
            gz.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
    print(f"{name}: {len(data)} bytes before compression")


def large_ct(path):
    """512 x 512 x 200 int16 CT for timing the import: air (-1000 HU) around an elliptic body of
    soft tissue (40 HU) with a bone ring (700 HU) and a ramp along z, 0.7 x 0.7 x 1.5 mm, LPS-like
    affine as scanners' NIfTI conversions write it."""
    x, y = np.meshgrid(np.arange(512) - 256, np.arange(512) - 256, indexing="ij")
    r = (x / 200.0) ** 2 + (y / 150.0) ** 2
    plane = np.where(r < 1, 40, -1000).astype(np.int16)
    plane[(r > 0.85) & (r < 1)] = 700
    volume = np.repeat(plane[:, :, None], 200, axis=2) + (np.arange(200, dtype=np.int16) // 10)[None, None, :]
    affine = np.array([[-0.7, 0, 0, 179], [0, -0.7, 0, 179], [0, 0, 1.5, -300], [0, 0, 0, 1]])
    image = nib.Nifti1Image(volume.astype(np.int16), affine)
    image.set_sform(affine, code=1)
    image.set_qform(affine, code=1)
    nib.save(image, path)
    print(f"{path}: 512 x 512 x 200 int16")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--large", metavar="PATH", help="also write a 512 x 512 x 200 CT to PATH (for timing)")
    arguments = parser.parse_args()
    if arguments.large:
        large_ct(arguments.large)
    os.makedirs(OUT, exist_ok=True)

    # 1. CT-like: int16, value = -1024 + i + 20 j + 400 k, RAS, spacing 0.8 x 0.7 x 2.5, sform and
    #    qform set (code 1, scanner), gzipped NIfTI-1. Axial acquisition.
    shape = (20, 16, 6)
    affine = np.array([[0.8, 0, 0, -10], [0, 0.7, 0, -20], [0, 0, 2.5, 30], [0, 0, 0, 1]])
    ct = nib.Nifti1Image(ramp(shape).astype(np.int16), affine)
    ct.set_sform(affine, code=1)
    ct.set_qform(affine, code=1)
    write("ct_ras_int16.nii.gz", raw_bytes(ct))

    # 2. LPS, uint16 stored, scl_slope 0.5, scl_inter -100: value = 0.5 * (i + 12 j + 120 k) - 100;
    #    qform only (sform code 0), uncompressed NIfTI-1.
    shape = (12, 10, 8)
    affine = np.array([[-1.5, 0, 0, 90], [0, -1.5, 0, 120], [0, 0, 2.0, -40], [0, 0, 0, 1]])
    stored = ramp(shape, scale=(1, 12, 120), start=0).astype(np.uint16)
    lps = nib.Nifti1Image(stored, affine)
    lps.set_sform(None, code=0)
    lps.set_qform(affine, code=1)
    lps.header.set_slope_inter(0.5, -100)
    write("lps_scaled_uint16.nii", raw_bytes(lps))

    # 3. NIfTI-2, float32, value = 0.25 i - 0.5 j + 3 k, oblique (20 degrees about x) with the
    #    voxel axes permuted so that k runs along y: a coronal acquisition. sform code 2 (aligned).
    shape = (9, 7, 5)
    angle = np.deg2rad(20)
    rotation = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    permutation = np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0]])  # i -> x, j -> z, k -> y
    affine = np.eye(4)
    affine[:3, :3] = rotation @ permutation @ np.diag([0.9, 1.1, 3.0])
    affine[:3, 3] = [5, -6, 7]
    values = (0.25 * ramp(shape, (1, 0, 0), 0) - 0.5 * ramp(shape, (0, 1, 0), 0) + 3 * ramp(shape, (0, 0, 1), 0))
    oblique = nib.Nifti2Image(values.astype(np.float32), affine)
    oblique.set_sform(affine, code=2)
    oblique.set_qform(affine, code=2)
    write("oblique_coronal_float32.nii", raw_bytes(oblique))

    # 4. 4D: 4 x 3 x 2 x 3 uint8, value = i + 4 j + 12 k + 100 t; the import takes t = 0.
    data4d = np.zeros((4, 3, 2, 3), dtype=np.uint8)
    for t in range(3):
        data4d[..., t] = ramp((4, 3, 2), (1, 4, 12), 100 * t)
    write("four_d_uint8.nii", raw_bytes(nib.Nifti1Image(data4d, np.eye(4))))

    # Hostile files, from the CT's uncompressed bytes.
    good = raw_bytes(ct)
    write("hostile_truncated_header.nii", good[:200])
    # The header says 200 x 160 x 60 but only the original 20 x 16 x 6 voxels follow.
    lying = nib.Nifti1Image(ramp((20, 16, 6)).astype(np.int16), np.eye(4))
    lying_bytes = bytearray(raw_bytes(lying))
    lying_bytes[40:56] = np.array([3, 200, 160, 60, 1, 1, 1, 1], dtype="<i2").tobytes()
    write("hostile_lying_dims.nii", bytes(lying_bytes))
    huge = bytearray(good[:352])
    huge[40:56] = np.array([3, 30000, 30000, 30000, 1, 1, 1, 1], dtype="<i2").tobytes()
    write("hostile_huge_nifti1.nii.gz", bytes(huge))
    # NIfTI-2 holds 64-bit dims: 60000^3 voxels of int16 (432 TB) declared in a 540-byte header.
    huge2 = nib.Nifti2Image(np.zeros((2, 2, 2), dtype=np.int16), np.eye(4))
    huge2_bytes = bytearray(raw_bytes(huge2))
    huge2_bytes[16:80] = np.array([3, 60000, 60000, 60000, 1, 1, 1, 1], dtype="<i8").tobytes()
    write("hostile_60000_cubed_nifti2.nii", bytes(huge2_bytes[:544]))
    write("hostile_not_nifti.nii", b"This is a text file renamed to .nii, not a volume.\n" * 8)
    dicom_fixtures()


def dicom_fixtures():
    """dicom_series/: a CT series of 16 x 12 x 6 positions with position 3 missing (5 files), under
    shuffled names, signed int16 stored = i + 16 j + 200 k, RescaleIntercept -1024 (so HU = stored -
    1024), pixel spacing 0.6 (rows) x 0.8 (columns), axial LPS, z = -50 + 2.5 k, one file RLE Lossless;
    plus an MR series of 8 x 8 x 2 (uint16, value = 7 + i + 8 j + 64 k, coronal: rows along -z).
    dicom_hostile/: a DICOM file without pixel data, and a truncated one."""
    import random

    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, RLELossless

    def image(path, series_uid, instance, modality, pixels, position, orientation, spacing, signed, intercept, rle=False):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2" if modality == "CT" else "1.2.840.10008.5.1.4.1.1.4"
        meta.MediaStorageSOPInstanceUID = f"{series_uid}.{instance}"
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1471.1"
        ds.SeriesInstanceUID = series_uid
        ds.Modality = modality
        ds.InstanceNumber = instance
        ds.ImagePositionPatient = [float(v) for v in position]
        ds.ImageOrientationPatient = [float(v) for v in orientation]
        ds.PixelSpacing = [float(v) for v in spacing]
        ds.SliceThickness = 2.5
        ds.Rows, ds.Columns = pixels.shape
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 1 if signed else 0
        ds.RescaleSlope = 1
        ds.RescaleIntercept = intercept
        ds.PixelData = pixels.astype(np.int16 if signed else np.uint16).tobytes()
        if rle:
            ds.compress(RLELossless, generate_instance_uid=False)
        ds.save_as(path, enforce_file_format=True)

    series = os.path.join(OUT, "dicom_series")
    hostile = os.path.join(OUT, "dicom_hostile")
    for folder in (series, hostile):
        os.makedirs(folder, exist_ok=True)
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
    names = random.Random(12).sample(range(16**6), 7)
    ct_uid = "1.2.826.0.1.3680043.10.1471.2"
    j, i = np.meshgrid(np.arange(12), np.arange(16), indexing="ij")  # rows (j) x columns (i)
    for slot, k in enumerate([0, 1, 2, 4, 5]):
        image(os.path.join(series, f"{names[slot]:06x}"), ct_uid, k + 1, "CT", i + 16 * j + 200 * k,
              [-4.0, -3.0, -50 + 2.5 * k], [1, 0, 0, 0, 1, 0], [0.6, 0.8], True, -1024, rle=(k == 4))
    mr_uid = "1.2.826.0.1.3680043.10.1471.3"
    j, i = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    for k in range(2):
        image(os.path.join(series, f"{names[5 + k]:06x}.dcm"), mr_uid, k + 1, "MR", 7 + i + 8 * j + 64 * k,
              [0.0, 10.0 + 1.5 * k, 20.0], [1, 0, 0, 0, 0, -1], [1.0, 1.0], False, 0)
    # A report-like DICOM file: valid, but no image.
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.88.11"
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.10.1471.4.1"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    report = FileDataset("report", {}, file_meta=meta, preamble=b"\0" * 128)
    report.SOPClassUID = meta.MediaStorageSOPClassUID
    report.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    report.SeriesInstanceUID = "1.2.826.0.1.3680043.10.1471.4"
    report.Modality = "SR"
    report.save_as(os.path.join(hostile, "report.dcm"), enforce_file_format=True)
    with open(os.path.join(series, f"{names[0]:06x}"), "rb") as f:
        whole = f.read()
    with open(os.path.join(hostile, "truncated.dcm"), "wb") as f:
        f.write(whole[: len(whole) - 200])
    print(f"dicom_series: {len(os.listdir(series))} files; dicom_hostile: {len(os.listdir(hostile))} files")


if __name__ == "__main__":
    main()
