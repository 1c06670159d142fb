#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora into OUT/<target>/ from the test fixtures and small generated files.

Usage: Fuzz/make_seeds.py OUT    (run from anywhere; nothing it writes is committed)
"""
import base64, io, os, struct, sys, zipfile, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "InferenceTests", "Fixtures")
MAX_SEED = 64 * 1024


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, colour, depth, samples, interlace=0, palette=None, trns=None, extra=()):
    """A PNG of `samples` (row-major ints, `channels` per pixel), any colour type, depth and interlace."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]

    def scanlines(xs, ys):
        out = b""
        for y in ys:
            bits = []
            for x in xs:
                for c in range(channels):
                    bits.append(samples[(y * width + x) * channels + c])
            row = bytearray()
            if depth >= 8:
                for v in bits:
                    row += v.to_bytes(depth // 8, "big")
            else:
                acc, n = 0, 0
                for v in bits:
                    acc = (acc << depth) | v
                    n += depth
                    if n == 8:
                        row.append(acc); acc, n = 0, 0
                if n:
                    row.append(acc << (8 - n))
            # Odd rows use the Sub filter, so the unfiltering code has seeds too.
            if y % 2 and depth >= 8:
                out += b"\x01" + sub_filter(bytes(row), channels * depth // 8)
            else:
                out += b"\x00" + bytes(row)
        return out

    if interlace:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        raw = b""
        for x0, y0, dx, dy in passes:
            xs, ys = range(x0, width, dx), range(y0, height, dy)
            if len(xs) and len(ys):
                raw += scanlines(xs, ys)
    else:
        raw = scanlines(range(width), range(height))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace))
    for kind, data in extra:
        out += chunk(kind, data)
    if palette is not None:
        out += chunk(b"PLTE", bytes(palette))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    out += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    return out


def sub_filter(row, bpp):
    return bytes((row[i] - (row[i - bpp] if i >= bpp else 0)) & 0xFF for i in range(len(row)))


def png_seeds():
    seeds = {}
    w, h = 7, 5
    for colour, depths in [(0, [1, 2, 4, 8, 16]), (2, [8, 16]), (3, [1, 2, 4, 8]), (4, [8, 16]), (6, [8, 16])]:
        channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
        for depth in depths:
            top = (1 << depth) - 1
            samples = [(i * 37) % (top + 1) for i in range(w * h * channels)]
            palette = [(i * 53) % 256 for i in range(3 * (1 << depth))] if colour == 3 else None
            trns = bytes([0, 128]) if colour == 3 else None
            for interlace in (0, 1):
                seeds[f"c{colour}_d{depth}_i{interlace}.png"] = png(w, h, colour, depth, samples, interlace, palette, trns)
    seeds["one_pixel.png"] = png(1, 1, 0, 8, [255])
    seeds["grey16_trns_gamma.png"] = png(3, 2, 0, 16, [0, 1000, 65535, 7, 8, 9], trns=b"\x03\xe8",
                                         extra=[(b"gAMA", struct.pack(">I", 45455)), (b"sBIT", b"\x0c")])
    seeds["rgb_text.png"] = png(2, 2, 2, 8, list(range(12)),
                                extra=[(b"tEXt", b"Comment\x00fuzz"), (b"pHYs", struct.pack(">IIB", 2835, 2835, 1)),
                                       (b"zTXt", b"k\x00\x00" + zlib.compress(b"compressed text"))])
    # The 40 x 30 mask the API tests accept (left half foreground).
    seeds["mask_40x30.png"] = mask_png()
    return seeds


def mask_png():
    return png(40, 30, 0, 8, [255 if i % 40 < 20 else 0 for i in range(40 * 30)])


def json_seeds():
    mask = base64.b64encode(mask_png()).decode()
    tiny = base64.b64encode(png(1, 1, 0, 8, [255])).decode()
    base = "/api/projects/cells/labels/nucleus"
    lines = {
        "create_project": 'POST /api/projects\n{"name":"Cells 2","labels":["nucleus","membrane"],"description":"fuzz"}',
        "list_projects": "GET /api/projects\n",
        "project_detail": "GET /api/projects/cells\n",
        "add_label": 'POST /api/projects/cells/labels\n{"label":"membrane"}',
        "predict_clicks": f'POST {base}/images/a/predict\n{{"session":"s1","seq":7,"clicks":[{{"x":12,"y":8,"positive":true}},{{"x":30,"y":20,"positive":false}}]}}',
        "predict_all": f'POST {base}/images/a/predict\n{{"session":"s1","seq":8,"clicks":[{{"x":1,"y":2}}],"boxes":[{{"x0":1,"y0":2,"x1":20,"y1":25}}],"scribbles":[{{"points":[[1,1],[5,9],[39,29]],"positive":false,"width":3}}],"usePrevious":true}}',
        "accept": f'POST {base}/images/a/accept\n{{"maskPNG":"{mask}","annotator":"ana","interactions":4}}',
        "accept_wrong_size": f'POST {base}/images/b/accept\n{{"maskPNG":"{tiny}"}}',
        "context": f"GET {base}/context\n",
        "context_patch": f'PATCH {base}/context/a\n{{"included":false}}',
        "context_delete": f"DELETE {base}/context/a\n",
        "next": f"GET {base}/next?order=listed&after=a\n",
        "next_uncertain": f"GET {base}/next?order=uncertain\n",
        "mask_png": f"GET {base}/images/a/mask.png\n",
        "export": f"GET {base}/export.zip\n",
        "image_png": "GET /api/projects/cells/images/a.png\n",
        "image_raw": "GET /api/projects/cells/images/a/raw\n",
        "health": "GET /api/health\n",
        "static": "GET /index.html\n",
        "static_escape": "GET /../secret.txt\n",
        "upload": "POST /api/projects/cells/images?name=scan%20(1).png\n" ,
    }
    seeds = {k: v.encode() for k, v in lines.items()}
    seeds["upload"] += png(3, 2, 0, 8, [1, 2, 3, 4, 5, 6])
    return seeds


def fixture_files(*folders, suffix):
    for folder in folders:
        path = os.path.join(FIXTURES, folder)
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            if name.endswith(suffix) and os.path.getsize(full) <= MAX_SEED:
                with open(full, "rb") as f:
                    yield f"{folder}_{name}", f.read()


def checkpoint_seeds():
    seeds = {}
    for name, data in fixture_files("pt", "importer", suffix=".pt"):
        seeds["whole_" + name] = b"\x00" + data
        seeds["zip_" + name] = b"\x02" + data
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for entry in archive.namelist():
                    if entry.endswith("data.pkl"):
                        seeds["pickle_" + name] = b"\x01" + archive.read(entry)
        except zipfile.BadZipFile:
            seeds["pickle_" + name] = b"\x01" + data  # the legacy format is a bare pickle stream
    # A deflated archive, so the inflater has seeds beyond the fixtures.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        archive.writestr("archive/byteorder", b"little")
        archive.writestr("archive/data/0", bytes(range(256)) * 4)
    seeds["zip_deflated_small"] = b"\x02" + buffer.getvalue()
    return seeds


def safetensors_seeds():
    seeds = dict(fixture_files("golden", "importer", "pt", suffix=".safetensors"))
    header = b'{"__metadata__":{"format":"multiverseg-weights","format_version":"1"},"b":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"a":{"dtype":"BF16","shape":[1,2],"data_offsets":[4,8]}}'
    seeds["small_f16_bf16"] = struct.pack("<Q", len(header)) + header + bytes(range(8))
    return seeds


def volume_seeds():
    """The volume fixtures (NIfTI-1/2, gzip, 4D, hostile headers, DICOM files) as they are."""
    seeds = {}
    folder = os.path.join(ROOT, "Tests", "VolumesTests", "Fixtures")
    for root, _, names in os.walk(folder):
        for name in sorted(names):
            full = os.path.join(root, name)
            if os.path.getsize(full) <= MAX_SEED:
                with open(full, "rb") as f:
                    seeds[os.path.relpath(full, folder).replace(os.sep, "_")] = f.read()
    return seeds


def main():
    out = sys.argv[1]
    for target, seeds in [("png", png_seeds()), ("json", json_seeds()),
                          ("pt", checkpoint_seeds()), ("safetensors", safetensors_seeds()),
                          ("volumes", volume_seeds())]:
        folder = os.path.join(out, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seeds)} seeds, {sum(map(len, seeds.values()))} bytes")


if __name__ == "__main__":
    main()
