#!/usr/bin/env python3
"""The DICOM half of issue 12's round trip, checked by an independent reader (nibabel): DICOM
series whose files are in shuffled order are imported with `multiverseg import FOLDER`, masks
with distinct, asymmetric shapes are accepted on some slices through the HTTP API (`serve`), the
label volumes are exported with `multiverseg export --format nifti` (one label, and --multiclass),
and nibabel must read back the geometry this test derives on its own from the DICOM headers:

- the affine (LPS turned into RAS: x and y negate) from ImageOrientationPatient, PixelSpacing,
  the ImagePositionPatient of the first slice along the normal, and the slice step from the
  positions, within 1e-4; dims; voxel sizes;
- each accepted mask at the voxel slice of its DICOM instance, found by position along the
  normal (never by file name or InstanceNumber), with voxel (i, j) = pixel (column i, row j) of
  that instance, so a flipped or transposed slice fails.

Two series: a small oblique CT written here with the standard library (15 and 10 degree tilts,
non-square pixels, file names shuffled, InstanceNumber running against the position, position 4
missing), and the committed fixture Tests/VolumesTests/Fixtures/dicom_series (shuffled names,
position 3 missing, one file RLE Lossless, with an MR series beside it). A gap in the positions
is kept as a slice: the volume keeps the series' step, the gap slice is filled with the series'
lowest value (the import says which in the sidecar's note), and the exported label volume is 0
there. The test reads the headers and pixels with its own small DICOM reader (explicit VR little
endian, and RLE Lossless pixel data), not with the app's code.

Each mask is "stored value above a threshold" of its own slice PNG, and the expected label slice
is the same threshold of the DICOM instance's own pixels, so the test never re-implements the
import's slice layout.

Usage: python3 Tests/VolumesTests/dicom_roundtrip_test.py [path/to/multiverseg]
Prints "N passed, M failed"; exits 1 on a failure.
"""
import base64, json, math, os, random, re, shutil, struct, subprocess, sys, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Tests", "PythonSupport"))
from pngtools import grey_png, read_png  # noqa: E402
from checks import Checks  # noqa: E402
from server import Server  # noqa: E402

import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402

FIXTURE = os.path.join(ROOT, "Tests", "VolumesTests", "Fixtures", "dicom_series")
EXPLICIT_LE, RLE_LOSSLESS = "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.5"
LONG_VRS = {b"OB", b"OW", b"OF", b"OD", b"OL", b"SQ", b"UT", b"UN", b"UC", b"UR"}

CHECKS = Checks()
check = CHECKS.check


# --- a small DICOM writer (explicit VR little endian) ---------------------------------------

def element(group, number, vr, value):
    if isinstance(value, str):
        value = value.encode("ascii")
    if len(value) % 2:
        value += b"\0" if vr in (b"UI", b"OB") else b" "
    head = struct.pack("<HH", group, number) + vr
    if vr in LONG_VRS:
        return head + b"\0\0" + struct.pack("<I", len(value)) + value
    return head + struct.pack("<H", len(value)) + value


def ds(*numbers):
    """DICOM decimal strings (at most 16 characters each), backslash-separated."""
    return "\\".join(("%.10g" % n)[:16] for n in numbers)


def write_dicom(path, series_uid, instance, position, orientation, spacing, hu):
    """One CT image: int16 stored = HU + 1024, RescaleIntercept -1024, hu shaped rows x columns."""
    sop_class, sop_instance = "1.2.840.10008.5.1.4.1.1.2", "%s.%d" % (series_uid, instance)
    meta = (element(0x0002, 0x0001, b"OB", b"\0\1") + element(0x0002, 0x0002, b"UI", sop_class)
            + element(0x0002, 0x0003, b"UI", sop_instance) + element(0x0002, 0x0010, b"UI", EXPLICIT_LE)
            + element(0x0002, 0x0012, b"UI", "1.2.826.0.1.3680043.10.1471.99"))
    rows, columns = hu.shape
    us = lambda value: struct.pack("<H", value)
    body = b"".join([
        element(0x0008, 0x0016, b"UI", sop_class), element(0x0008, 0x0018, b"UI", sop_instance),
        element(0x0008, 0x0060, b"CS", "CT"), element(0x0018, 0x0050, b"DS", ds(2.0)),
        element(0x0020, 0x000D, b"UI", "1.2.826.0.1.3680043.10.1471.98"), element(0x0020, 0x000E, b"UI", series_uid),
        element(0x0020, 0x0013, b"IS", str(instance)), element(0x0020, 0x0032, b"DS", ds(*position)),
        element(0x0020, 0x0037, b"DS", ds(*orientation)), element(0x0028, 0x0002, b"US", us(1)),
        element(0x0028, 0x0004, b"CS", "MONOCHROME2"), element(0x0028, 0x0010, b"US", us(rows)),
        element(0x0028, 0x0011, b"US", us(columns)), element(0x0028, 0x0030, b"DS", ds(*spacing)),
        element(0x0028, 0x0100, b"US", us(16)), element(0x0028, 0x0101, b"US", us(16)),
        element(0x0028, 0x0102, b"US", us(15)), element(0x0028, 0x0103, b"US", us(1)),
        element(0x0028, 0x1052, b"DS", ds(-1024)), element(0x0028, 0x1053, b"DS", ds(1)),
        element(0x7FE0, 0x0010, b"OW", (hu + 1024).astype("<i2").tobytes()),
    ])
    with open(path, "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + element(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta))) + meta + body)


# --- a small DICOM reader: the headers this test needs, and the pixels ----------------------

def read_dicom(path):
    """The attributes of one file as {(group, element): bytes}, plus 'pixels' (HU, rows x columns)."""
    data = open(path, "rb").read()
    assert data[128:132] == b"DICM", path
    at, attributes = 132, {}
    while at < len(data):
        group, number = struct.unpack_from("<HH", data, at)
        vr = data[at + 4:at + 6]
        if vr in LONG_VRS:
            length, at = struct.unpack_from("<I", data, at + 8)[0], at + 12
        else:
            length, at = struct.unpack_from("<H", data, at + 6)[0], at + 8
        if (group, number) == (0x7FE0, 0x0010):
            attributes["pixel data"] = data[at:] if length == 0xFFFFFFFF else data[at:at + length]
            break
        assert length != 0xFFFFFFFF, "sequences of undefined length are not used by these series"
        attributes[(group, number)] = data[at:at + length]
        at += length
    text = lambda key: attributes[key].decode("ascii").strip(" \0")
    numbers = lambda key: [float(v) for v in text(key).split("\\")]
    u16 = lambda key: struct.unpack("<H", attributes[key])[0]
    syntax = text((0x0002, 0x0010))
    rows, columns, signed = u16((0x0028, 0x0010)), u16((0x0028, 0x0011)), u16((0x0028, 0x0103)) == 1
    assert u16((0x0028, 0x0100)) == 16 and syntax in (EXPLICIT_LE, RLE_LOSSLESS), (path, syntax)
    raw = attributes["pixel data"]
    if syntax == RLE_LOSSLESS:
        raw = rle_decode(raw, rows * columns)
    stored = np.frombuffer(raw[:2 * rows * columns], dtype="<i2" if signed else "<u2").reshape(rows, columns)
    slope = numbers((0x0028, 0x1053))[0] if (0x0028, 0x1053) in attributes else 1.0
    intercept = numbers((0x0028, 0x1052))[0] if (0x0028, 0x1052) in attributes else 0.0
    return {"file": os.path.basename(path), "series": text((0x0020, 0x000E)), "modality": text((0x0008, 0x0060)),
            "instance": int(text((0x0020, 0x0013))), "position": np.array(numbers((0x0020, 0x0032))),
            "orientation": np.array(numbers((0x0020, 0x0037))), "spacing": numbers((0x0028, 0x0030)),
            "rows": rows, "columns": columns, "pixels": stored * slope + intercept}


def rle_decode(encapsulated, pixels):
    """RLE Lossless (PS3.5 annex G) of one 16-bit frame: items of the encapsulated pixel data
    (the first is the offset table), a 64-byte segment header, PackBits segments of the high
    bytes then the low bytes."""
    at, items = 0, []
    while at + 8 <= len(encapsulated):
        group, number, length = struct.unpack_from("<HHI", encapsulated, at)
        at += 8
        if (group, number) == (0xFFFE, 0xE0DD):
            break
        items.append(encapsulated[at:at + length])
        at += length
    frame = b"".join(items[1:])
    header = struct.unpack_from("<16I", frame, 0)
    assert header[0] == 2, "one 16-bit sample: two segments"
    segments = []
    for n in range(2):
        end = header[n + 2] if n + 1 < header[0] else len(frame)
        source, out, i = frame[header[n + 1]:end], bytearray(), 0
        while i < len(source) and len(out) < pixels:
            control = struct.unpack_from("b", source, i)[0]
            if control >= 0:
                out += source[i + 1:i + 2 + control]
                i += 2 + control
            elif control != -128:
                out += source[i + 1:i + 2] * (1 - control)
                i += 2
            else:
                i += 1
        segments.append(out[:pixels])
    high, low = segments
    return bytes(b for pair in zip(low, high) for b in pair)


# --- the geometry, derived from the headers -------------------------------------------------

def geometry(files):
    """dims, RAS affine, and each file's slot (voxel k) by position along the normal."""
    first = files[0]
    row_direction, column_direction = first["orientation"][:3], first["orientation"][3:]
    normal = np.cross(row_direction, column_direction)
    along = {f["file"]: float(np.dot(f["position"], normal)) for f in files}
    ordered = sorted(files, key=lambda f: along[f["file"]])
    steps = np.diff([along[f["file"]] for f in ordered])
    step = float(steps.min())
    slots = {f["file"]: int(round((along[f["file"]] - along[ordered[0]["file"]]) / step)) for f in ordered}
    row_spacing, column_spacing = first["spacing"]  # PixelSpacing: between rows, between columns
    lps = np.eye(4)
    lps[:3, 0] = row_direction * column_spacing    # voxel i: along a row (the column index)
    lps[:3, 1] = column_direction * row_spacing    # voxel j: down a column (the row index)
    lps[:3, 2] = normal * step
    lps[:3, 3] = ordered[0]["position"]
    affine = np.diag([-1, -1, 1, 1]) @ lps
    dims = (first["columns"], first["rows"], max(slots.values()) + 1)
    return dims, affine, slots, (column_spacing, row_spacing, step)


def oblique_series(folder):
    """28 columns x 20 rows, pixels 0.9 (between columns) x 0.6 (between rows) mm, normal step
    2 mm, positions 0..6 with 4 missing; InstanceNumber falls as the position rises; file names
    shuffled. Background -1000 HU; per position a distinct, asymmetric shape: organ 100 HU,
    vessel 500 HU."""
    tilt, turn = np.deg2rad(15), np.deg2rad(10)
    about_x = np.array([[1, 0, 0], [0, math.cos(tilt), -math.sin(tilt)], [0, math.sin(tilt), math.cos(tilt)]])
    about_z = np.array([[math.cos(turn), -math.sin(turn), 0], [math.sin(turn), math.cos(turn), 0], [0, 0, 1]])
    rotation = about_z @ about_x
    orientation = list(rotation[:, 0]) + list(rotation[:, 1])
    normal = np.cross(rotation[:, 0], rotation[:, 1])
    origin = np.array([-12.5, 30.25, -80.0])
    rows, columns = 20, 28
    r, c = np.meshgrid(np.arange(rows), np.arange(columns), indexing="ij")
    shapes = {
        0: (((r >= 2) & (r < 10) & (c >= 3) & (c < 7)) | ((r >= 8) & (r < 10) & (c >= 3) & (c < 16)), None),  # an L
        1: ((c - 14 > r - 3) & (r >= 3) & (r < 17) & (c < 26), None),  # a triangle, upper right
        3: (None, ((c >= 20) & (c < 22) & (r >= 4) & (r < 16)) | ((r >= 4) & (r < 6) & (c >= 20) & (c < 27))
            | ((r >= 9) & (r < 11) & (c >= 20) & (c < 25))),  # an F
        5: (((r >= 11) & (r < 18) & (c >= 1) & (c < 12)), ((r >= 14) & (r < 17) & (c >= 2) & (c < 7))),  # vessel in organ
        6: (((r - 10) ** 2 + (c - 20) ** 2 < 16) | ((r < 3) & (c < 2)), None),  # a disc and a corner
    }
    names = random.Random(1471).sample(range(16 ** 5), 7)
    uid = "1.2.826.0.1.3680043.10.1471.97"
    for slot in (0, 1, 2, 3, 5, 6):
        hu = np.full((rows, columns), -1000, dtype=np.int32)
        organ, vessel = shapes.get(slot, (None, None))
        if organ is not None:
            hu[organ] = 100
        if vessel is not None:
            hu[vessel] = 500
        write_dicom(os.path.join(folder, "IM%05X" % names[slot]), uid, 7 - slot, origin + normal * 2.0 * slot,
                    orientation, (0.6, 0.9), hu)


# --- the round trip -------------------------------------------------------------------------

def round_trip(binary, work, name, source_folder, accepts, gap, projects_name):
    """Imports `source_folder`, accepts {label: [(InstanceNumber, threshold HU)]} on the CT
    series, exports, and checks every volume of the project against its headers. `gap` is the
    slot missing from the CT series."""
    print("== %s" % name)
    projects = os.path.join(work, projects_name)
    os.makedirs(projects)
    run = lambda *args: subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout
    print(run("import", source_folder, "--create", name, "--label", "organ", "--label", "vessel", "--projects", projects).strip())
    project = [entry for entry in os.listdir(projects) if os.path.isdir(os.path.join(projects, entry))][0]
    folder = os.path.join(projects, project)

    files = [read_dicom(os.path.join(source_folder, entry)) for entry in sorted(os.listdir(source_folder))]
    by_series = {}
    for f in files:
        by_series.setdefault(f["series"], []).append(f)
    # Volumes are named <folder>-series<n> in SeriesInstanceUID order when the folder holds several.
    base = os.path.basename(source_folder)
    volume_of = {uid: base if len(by_series) == 1 else "%s-series%d" % (base, n + 1)
                 for n, uid in enumerate(sorted(by_series))}
    ct_uid = [uid for uid, series in by_series.items() if series[0]["modality"] == "CT"][0]
    ct = by_series[ct_uid]
    dims, _, slots, _ = geometry(ct)
    position_order = [f["file"] for f in sorted(ct, key=lambda f: slots[f["file"]])]
    check(position_order != sorted(position_order), "the CT files' names are not in position order (%s)" % ", ".join(position_order))
    check(gap not in slots.values() and gap < dims[2], "position %d is missing from the CT series (slots %s)" % (gap, sorted(slots.values())))

    sidecar = json.load(open(os.path.join(folder, "volumes", volume_of[ct_uid] + ".json")))
    check(sidecar["sliceAxis"] == 2, "the CT is cut across voxel axis k, the series' normal (sliceAxis %d)" % sidecar["sliceAxis"])
    scale, offset = sidecar["intensity"]["scale"], sidecar["intensity"]["offset"]
    slice_images = {entry["index"]: entry["image"] for entry in sidecar["slices"]}
    check(re.search(r"\b%d\b" % gap, sidecar.get("note") or "") is not None,
          "the sidecar names the missing slice: %s" % sidecar.get("note"))
    _, _, _, _, gap_rows = read_png(open(os.path.join(folder, "images", slice_images[gap] + ".png"), "rb").read())
    lowest = min(float(f["pixels"].min()) for f in ct)
    check({pixel[0] for row in gap_rows for pixel in row} == {round((lowest - offset) / scale)},
          "the gap slice %d is filled with the series' lowest value (%g)" % (gap, lowest))

    server = Server.started(binary, ["--projects", projects, "--port", "0", "--weights", os.path.join(projects, ".none.safetensors")])
    expected = {label: np.zeros(dims, dtype=np.uint8) for label in accepts}
    try:
        for label, entries in accepts.items():
            for instance, threshold in entries:
                dicom = [f for f in ct if f["instance"] == instance][0]
                slot = slots[dicom["file"]]
                png = open(os.path.join(folder, "images", slice_images[slot] + ".png"), "rb").read()
                width, height, depth, _, rows = read_png(png)
                stored_threshold = (threshold - offset) / scale
                bits = bytes(255 if pixel[0] > stored_threshold else 0 for row in rows for pixel in row)
                body = json.dumps({"maskPNG": base64.b64encode(grey_png(width, height, bits)).decode(),
                                   "annotator": "rt", "interactions": 1})
                status, answer = server.request("POST", "/api/projects/%s/labels/%s/images/%s/accept" % (project, label, slice_images[slot]), body)
                check(status == 200 and depth == 16, "accept %s on instance %d (%s, slot %d by position): %s"
                      % (label, instance, dicom["file"], slot, answer[:60].decode()))
                # voxel (i, j) is pixel (row j, column i) of the instance at that position.
                expected[label][:, :, slot] = (dicom["pixels"] > threshold).T
    finally:
        server.stop()
    for label in accepts:
        count = int(expected[label].sum())
        check(0 < count < expected[label].size, "%s: %d voxels expected on %d slice(s)" % (label, count, len(accepts[label])))

    out = os.path.join(work, projects_name + "-out")
    print(run("export", "--format", "nifti", "--project", project, "--label", "organ", "-o", out, "--projects", projects).strip())
    print(run("export", "--format", "nifti", "--project", project, "--multiclass", "-o", out, "--projects", projects).strip())
    for uid, series in sorted(by_series.items()):
        series_dims, series_affine, series_slots, series_zooms = geometry(series)
        for suffix in ("organ", "labels"):
            file = "%s_%s.nii.gz" % (volume_of[uid], suffix)
            result = nib.load(os.path.join(out, file))
            check(result.shape == series_dims, "%s: dims %s, as the %s headers give" % (file, result.shape, series[0]["modality"]))
            for kind, matrix in (("affine", result.affine), ("qform", result.get_qform()), ("sform", result.get_sform())):
                check(np.allclose(matrix, series_affine, atol=1e-4),
                      "%s: %s equals the one derived from the DICOM headers (max error %.2g)" % (file, kind, np.abs(matrix - series_affine).max()))
            check(np.allclose(result.header.get_zooms()[:3], series_zooms, atol=1e-4), "%s: voxel sizes %s" % (file, tuple(round(z, 4) for z in series_zooms)))
            # Each instance's own position and its far corner land where the affine puts them.
            far = np.array([series[0]["columns"] - 1, series[0]["rows"] - 1])
            worst = 0.0
            for f in series:
                row_direction, column_direction = f["orientation"][:3], f["orientation"][3:]
                corner = f["position"] + far[0] * f["spacing"][1] * row_direction + far[1] * f["spacing"][0] * column_direction
                for (i, j), lps in (((0, 0), f["position"]), (tuple(far), corner)):
                    ras = result.affine @ [i, j, series_slots[f["file"]], 1]
                    worst = max(worst, float(np.abs(ras[:3] - lps * [-1, -1, 1]).max()))
            check(worst < 1e-3, "%s: every instance's first and last pixel map to its own position (max error %.2g mm)" % (file, worst))
            check(result.get_data_dtype() == np.uint8, "%s: uint8" % file)
    organ = np.asarray(nib.load(os.path.join(out, volume_of[ct_uid] + "_organ.nii.gz")).dataobj)
    check(np.array_equal(organ, expected["organ"]), "organ voxels equal the accepted masks at their instances' positions (%d voxels)" % organ.sum())
    for f in ct:
        if f["instance"] in [instance for instance, _ in accepts["organ"]]:
            slot = slots[f["file"]]
            want = expected["organ"][:, :, slot]
            flips = [np.array_equal(want, variant) for variant in (want[::-1, :], want[:, ::-1], want[::-1, ::-1])]
            check(not any(flips), "instance %d: its mask differs from its flips, so a flipped slice would fail" % f["instance"])
    check(not organ[:, :, gap].any(), "the gap slice %d holds no label" % gap)
    both = np.asarray(nib.load(os.path.join(out, volume_of[ct_uid] + "_labels.nii.gz")).dataobj)
    want = expected["organ"].copy()
    want[expected["vessel"] == 1] = 2
    check(np.array_equal(both, want) and set(np.unique(both)) == {0, 1, 2}, "multiclass voxels: organ 1, vessel 2 (vessel wins), %d + %d"
          % ((both == 1).sum(), (both == 2).sum()))
    for uid in by_series:
        if uid != ct_uid:
            other = np.asarray(nib.load(os.path.join(out, volume_of[uid] + "_labels.nii.gz")).dataobj)
            check(not other.any(), "%s: no mask was accepted there, so its label volume is all 0" % volume_of[uid])


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "multiverseg")
    work = tempfile.mkdtemp(prefix="mvs-dicom-rt-")
    try:
        generated = os.path.join(work, "oblique_ct")
        os.makedirs(generated)
        oblique_series(generated)
        # InstanceNumber 7 - position: organ on positions 0, 1, 5, 6; vessel on 3 and 5.
        fixture = os.path.join(work, "dicom_series")
        shutil.copytree(FIXTURE, fixture)
        cases = [
            # InstanceNumber 7 - position: organ on positions 0, 1, 5, 6; vessel on 3 and 5.
            ("Oblique DICOM", generated, {"organ": [(7, 0), (6, 0), (2, 0), (1, 0)], "vessel": [(4, 300), (2, 300)]}, 4, "oblique"),
            # Fixture HU = i + 16 j + 200 k - 1024 (k: position); instance k + 1; k = 4 is RLE Lossless.
            ("Fixture DICOM", fixture, {"organ": [(1, -900), (5, -150)], "vessel": [(6, 60)]}, 3, "fixture"),
        ]
        for name, folder, accepts, gap, projects_name in cases:
            try:
                round_trip(binary, work, name, folder, accepts, gap, projects_name)
            except Exception as error:  # a refused import or a missing file: a failure, and the next case still runs
                output = getattr(error, "stdout", None) or ""
                check(False, "%s: %s: %s %s" % (name, type(error).__name__, error, output.strip()[-300:]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return CHECKS.summary()


if __name__ == "__main__":
    sys.exit(main())
