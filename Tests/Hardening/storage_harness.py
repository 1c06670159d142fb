"""Shared helpers of the hardening scripts (Python 3 stdlib only): masks as PNG bytes, a strict
PNG reader for the app's 8-bit grey masks, HTTP calls and a `multiverseg serve` process."""

import base64
import hashlib
import json
import os
import random
import signal
import struct
import subprocess
import time
import urllib.error
import urllib.request
import zlib

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEMO = os.path.join(REPO, "Projects", "fetal-head-demo")


class TornFile(Exception):
    """A file that is not a complete, valid version (bad CRC, truncated, undecodable)."""


# MARK: Masks


def random_mask(rng, width, height):
    """A random filled ellipse plus a few rectangles: 0/1 bytes, row-major."""
    cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
    rx, ry = rng.uniform(0.05, 0.4) * width, rng.uniform(0.05, 0.4) * height
    rows = []
    for y in range(height):
        row = bytearray(width)
        dy = (y + 0.5 - cy) / ry
        if dy * dy < 1:
            half = rx * (1 - dy * dy) ** 0.5
            x0, x1 = max(0, int(cx - half)), min(width, int(cx + half) + 1)
            row[x0:x1] = b"\x01" * (x1 - x0)
        rows.append(row)
    for _ in range(rng.randint(0, 3)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        w, h = rng.randint(1, width // 4), rng.randint(1, height // 4)
        for y in range(y0, min(height, y0 + h)):
            rows[y][x0:min(width, x0 + w)] = b"\x01" * (min(width, x0 + w) - x0)
    return bytes(b"".join(rows))


def mask_key(bits):
    """Identity of a mask's content, independent of how its PNG was encoded."""
    return hashlib.sha1(bits).hexdigest()[:16]


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def grey_png_from_rows(width, height, raw, declared=None):
    """An 8-bit grey PNG of filtered rows `raw` (a 0 filter byte before each row); `declared`
    writes another size into the header (a pixel bomb) without more data."""
    w, h = declared or (width, height)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b""))


def grey_png(width, height, pixel, declared=None):
    """An 8-bit grey PNG whose pixel (x, y) is pixel(x, y)."""
    raw = b"".join(b"\x00" + bytes(pixel(x, y) for x in range(width)) for y in range(height))
    return grey_png_from_rows(width, height, raw, declared)


def encode_mask_png(bits, width, height):
    raw = b"".join(b"\x00" + bytes(255 if v else 0 for v in bits[y * width:(y + 1) * width]) for y in range(height))
    return grey_png_from_rows(width, height, raw)


def png_size(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise TornFile("not a PNG")
    return struct.unpack(">II", data[16:24])


def decode_mask_png(data):
    """Strictly decodes an 8-bit grey (or grey+alpha / RGB) PNG to 0/1 bytes; raises TornFile on any
    truncation, bad CRC or bad zlib stream."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise TornFile("bad PNG signature (%d bytes)" % len(data))
    pos, idat, header, ended = 8, [], None, False
    while pos < len(data):
        if pos + 8 > len(data):
            raise TornFile("truncated chunk header")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4:
            raise TornFile("truncated %r chunk" % kind)
        if struct.unpack(">I", crc)[0] != zlib.crc32(kind + body) & 0xFFFFFFFF:
            raise TornFile("bad CRC in %r" % kind)
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            ended = True
            break
        pos += 12 + length
    if header is None or not ended:
        raise TornFile("missing IHDR or IEND")
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise TornFile("unexpected PNG format depth=%d colour=%d" % (depth, colour))
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as error:
        raise TornFile("bad zlib stream: %s" % error)
    stride = width * channels
    if len(raw) != height * (stride + 1):
        raise TornFile("pixel data has %d bytes, expected %d" % (len(raw), height * (stride + 1)))
    previous = bytearray(stride)
    out = bytearray()
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            raise TornFile("bad filter type %d" % kind)
        out += bytes(1 if line[i] > 127 else 0 for i in range(0, stride, channels))
        previous = line
    return bytes(out), width, height


class MaskReader:
    """Decodes mask files, caching by content so rereading an unchanged folder costs a hash."""

    def __init__(self):
        self.cache = {}

    def key_of_bytes(self, data):
        digest = hashlib.sha1(data).digest()
        if digest not in self.cache:
            try:
                bits, _, _ = decode_mask_png(data)
                self.cache[digest] = mask_key(bits)
            except TornFile as error:
                self.cache[digest] = error
        result = self.cache[digest]
        if isinstance(result, TornFile):
            raise result
        return result

    def key_of_file(self, path):
        with open(path, "rb") as handle:
            data = handle.read()
        if not data:
            raise TornFile("empty file")
        return self.key_of_bytes(data)


# MARK: HTTP


class HTTPFailure(Exception):
    def __init__(self, status, body):
        super().__init__("HTTP %s: %s" % (status, body[:200]))
        self.status = status
        self.body = body


def http(base, method, path, body=None, timeout=10, raw=False, data=None):
    """One request with a JSON `body` (or raw bytes `data`); returns parsed JSON (or bytes when
    raw). Raises HTTPFailure on 4xx/5xx and OSError (URLError) when the connection breaks."""
    headers = {}
    if data is not None:
        headers["Content-Type"] = "application/octet-stream"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
            if raw:
                return payload
            return json.loads(payload) if payload else None
    except urllib.error.HTTPError as error:
        raise HTTPFailure(error.code, error.read().decode(errors="replace"))


def accept_body(bits, width, height, annotator, interactions):
    return {"maskPNG": base64.b64encode(encode_mask_png(bits, width, height)).decode(),
            "annotator": annotator, "interactions": interactions}


# MARK: The server


class Server:
    """`multiverseg serve` on a free port; `url` once it printed it."""

    def __init__(self, binary, projects, log_path, model=False):
        self.log_path = log_path
        args = [binary, "serve", "--projects", projects, "--port", "0"]
        if model:
            args += ["--threads", "1"]
        else:
            args += ["--weights", os.path.join(projects, ".no-weights.safetensors")]
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, cwd=REPO,
                                        start_new_session=True)
        self.url = None
        self.model = model

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.output()
            for line in text.splitlines():
                if line.startswith("Open http"):
                    self.url = line.split()[1].rstrip("/")
                    return self.url
            if self.process.poll() is not None:
                raise RuntimeError("serve exited with %s: %s" % (self.process.returncode, text[-2000:]))
            time.sleep(0.005)
        raise RuntimeError("serve printed no URL within %ds: %s" % (timeout, self.output()[-2000:]))

    def output(self):
        with open(self.log_path, "rb") as handle:
            return handle.read().decode(errors="replace")

    def warnings(self):
        """Warning lines other than the expected one about running without a model."""
        return [line for line in self.output().splitlines()
                if line.startswith("warning:") and not (not self.model and "predictions are off" in line)]

    def kill(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.log.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


def temp_files(folder):
    """Hidden temporary files left by an interrupted atomic write (`.name.pid.rand.tmp`)."""
    found = []
    for root, dirs, files in os.walk(folder):
        for name in files + dirs:
            if name.startswith(".") and name.endswith(".tmp"):
                found.append(os.path.join(root, name))
    return found


def rng_from(seed):
    return random.Random(seed)
