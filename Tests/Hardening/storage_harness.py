"""Shared helpers of the hardening scripts (Python 3 stdlib only): random masks and their
identity, strict reading of the app's mask files, HTTP calls and `multiverseg serve` on a
projects folder. PNG bytes and the server process come from Tests/PythonSupport, which every
Python harness shares."""

import base64
import hashlib
import json
import os
import random
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "PythonSupport"))
from pngtools import PNGError, grey_png, mask_bits  # noqa: E402
from server import REPO, Server  # noqa: E402

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


class MaskReader:
    """Decodes mask files, caching by content so rereading an unchanged folder costs a hash."""

    def __init__(self):
        self.cache = {}

    def key_of_bytes(self, data):
        digest = hashlib.sha1(data).digest()
        if digest not in self.cache:
            try:
                bits, _, _ = mask_bits(data)
                self.cache[digest] = mask_key(bits)
            except PNGError as error:
                self.cache[digest] = TornFile(str(error))
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
    request = urllib.request.Request(base.rstrip("/") + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
            if raw:
                return payload
            return json.loads(payload) if payload else None
    except urllib.error.HTTPError as error:
        raise HTTPFailure(error.code, error.read().decode(errors="replace"))


def accept_body(bits, width, height, annotator, interactions):
    return {"maskPNG": base64.b64encode(grey_png(width, height, bytes(255 if v else 0 for v in bits))).decode(),
            "annotator": annotator, "interactions": interactions}


# MARK: The server


class StoreServer(Server):
    """`multiverseg serve` on the projects folder `projects` and a free port, its output copied to
    `log_path`; without weights unless `model` (then the shipped weights on one thread)."""

    def __init__(self, binary, projects, log_path, model=False):
        args = ["--projects", projects, "--port", "0"]
        if model:
            args += ["--threads", "1"]
        else:
            args += ["--weights", os.path.join(projects, ".no-weights.safetensors")]
        super().__init__(binary, args, log_path=log_path, new_session=True)
        self.model = model

    def warnings(self):
        """Warning lines other than the expected one about running without a model."""
        return [line for line in self.output().splitlines()
                if line.startswith("warning:") and not (not self.model and "predictions are off" in line)]


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
