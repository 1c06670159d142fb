#!/usr/bin/env python3
"""The NIfTI round trip of issue 12, checked by an independent reader (nibabel):
a volume with an oblique, flipped geometry and different qform and sform is imported with
`multiverseg import`, masks are accepted on some slices through the HTTP API (`serve`), the label
volumes are exported with `multiverseg export --format nifti` (one label, and --multiclass), and
nibabel must read back the source's dims, affine, qform and sform with their codes, and exactly
the voxels the accepted masks cover.

Each mask is "stored value above a threshold" of its own slice PNG, so the expected label volume
is simply `source > threshold` on the accepted slices: the test never re-implements the slice
layout it checks.

Usage: python3 Tests/VolumesTests/nifti_roundtrip_test.py [path/to/multiverseg]
Prints "N passed, M failed"; exits 1 on a failure.
"""
import base64, json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "Tests", "PythonSupport"))
from pngtools import grey_png, read_png  # noqa: E402
from checks import Checks  # noqa: E402
from server import Server  # noqa: E402

import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402

CHECKS = Checks()
check = CHECKS.check


def source_volume(path):
    """int16, 22 x 18 x 9, slope 1: HU-like values; qform (code 1) and sform (code 2) differ."""
    i, j, k = np.meshgrid(np.arange(22), np.arange(18), np.arange(9), indexing="ij")
    data = (-1000 + 40 * i + 25 * j + 60 * k + ((i * 7 + j * 3) % 11)).astype(np.int16)
    angle = np.deg2rad(12)
    rotation = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.diag([-0.7, 0.8, 2.5])  # x flipped: an LPS-like first axis
    affine[:3, 3] = [110.5, -95.25, 30.0]
    image = nib.Nifti1Image(data, affine)
    image.set_qform(affine, code=1)
    sform = affine.copy()
    sform[:3, 3] += [0.5, -0.25, 1.0]  # another frame, as registration tools write
    image.set_sform(sform, code=2)
    image.header.set_xyzt_units("mm", "sec")
    nib.save(image, path)
    return nib.load(path)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug", "multiverseg")
    work = tempfile.mkdtemp(prefix="mvs-nifti-rt-")
    server = None
    try:
        projects = os.path.join(work, "Projects")
        os.makedirs(projects)
        source = source_volume(os.path.join(work, "oblique_ct.nii.gz"))
        run = lambda *args: subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout
        print(run("import", os.path.join(work, "oblique_ct.nii.gz"), "--create", "Round trip", "--label", "organ",
                  "--label", "vessel", "--projects", projects).strip())
        project = [name for name in os.listdir(projects) if os.path.isdir(os.path.join(projects, name))][0]
        folder = os.path.join(projects, project)
        sidecar = json.load(open(os.path.join(folder, "volumes", "oblique_ct.json")))
        axis = sidecar["sliceAxis"]
        scale, offset = sidecar["intensity"]["scale"], sidecar["intensity"]["offset"]
        check(sidecar["intensity"]["lossless"] and scale == 1, "int16 slices are stored losslessly")

        server = Server.started(binary, ["--projects", projects, "--port", "0",
                                         "--weights", os.path.join(projects, ".none.safetensors")])
        thresholds = {"organ": -300, "vessel": 100}
        accepted = {"organ": [1, 4, 8], "vessel": [4, 6]}
        slices = {entry["index"]: entry["image"] for entry in sidecar["slices"]}
        for label, indices in accepted.items():
            for index in indices:
                png = open(os.path.join(folder, "images", slices[index] + ".png"), "rb").read()
                width, height, depth, _, rows = read_png(png)
                stored_threshold = (thresholds[label] - offset) / scale
                bits = bytes(255 if pixel[0] > stored_threshold else 0 for row in rows for pixel in row)
                body = json.dumps({"maskPNG": base64.b64encode(grey_png(width, height, bits)).decode(),
                                   "annotator": "rt", "interactions": 1})
                status, answer = server.request("POST", "/api/projects/%s/labels/%s/images/%s/accept" % (project, label, slices[index]), body)
                check(status == 200 and depth == 16, "accept %s on slice %d (%s)" % (label, index, answer[:80].decode()))
        server.stop()
        server = None

        out = os.path.join(work, "out")
        print(run("export", "--format", "nifti", "--project", project, "--label", "organ", "-o", out, "--projects", projects).strip())
        print(run("export", "--format", "nifti", "--project", project, "--multiclass", "-o", out, "--projects", projects).strip())
        source_data = np.asarray(source.dataobj)

        def expected(label):
            mask = np.zeros(source.shape, dtype=np.uint8)
            for index in accepted[label]:
                where = [slice(None)] * 3
                where[axis] = index
                mask[tuple(where)] = source_data[tuple(where)] > thresholds[label]
            return mask

        for name in ("oblique_ct_organ.nii.gz", "oblique_ct_labels.nii.gz"):
            result = nib.load(os.path.join(out, name))
            check(result.shape == source.shape, "%s: dims %s" % (name, result.shape))
            check(np.allclose(result.affine, source.affine, atol=1e-4), "%s: affine equals the source's" % name)
            for kind in ("qform", "sform"):
                got, got_code = getattr(result, "get_" + kind)(coded=True)
                want, want_code = getattr(source, "get_" + kind)(coded=True)
                check(int(got_code) == int(want_code) and np.allclose(got, want, atol=1e-4),
                      "%s: %s and its code (%d) equal the source's" % (name, kind, int(want_code)))
            check(np.allclose(result.header.get_zooms(), source.header.get_zooms(), atol=1e-5), "%s: voxel sizes" % name)
            check(result.get_data_dtype() == np.uint8, "%s: uint8" % name)
        organ = np.asarray(nib.load(os.path.join(out, "oblique_ct_organ.nii.gz")).dataobj)
        check(organ.sum() > 0 and np.array_equal(organ, expected("organ")), "organ voxels equal the accepted masks (%d voxels)" % organ.sum())
        both = np.asarray(nib.load(os.path.join(out, "oblique_ct_labels.nii.gz")).dataobj)
        want = expected("organ")
        want[expected("vessel") == 1] = 2
        check(np.array_equal(both, want) and set(np.unique(both)) == {0, 1, 2}, "multiclass voxels: organ 1, vessel 2 (vessel wins)")
    finally:
        if server:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return CHECKS.summary()


if __name__ == "__main__":
    sys.exit(main())
