"""A stand-in for the Swift server's labeling API (Docs/api.md), for developing and checking the
page before (or without) the real one. Its "predictions" are plain geometry — discs around
positive clicks, filled boxes, thick scribbles, minus the negative ones, and a centred disc once
the context is not empty — so the page's plumbing (SSE, newest-wins, accept, context, export) can
be exercised. It is never used by the product; the end-to-end test runs against
`multiverseg serve` unless told `--fake`.

Usage: python3 fake_api.py --projects COPY_OF_Projects --public Public --port 0
"""

import argparse
import base64
import io
import json
import math
import os
import queue
import random
import re
import shutil
import sys
import threading
import time
import zipfile
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngtools import luminance_rows, read_png, write_grey_png  # noqa: E402

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class Fail(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class Store:
    def __init__(self, root):
        self.root = root
        self.lock = threading.Lock()
        self.sizes = {}

    def project_dir(self, project):
        if not ID.match(project) or not os.path.isfile(os.path.join(self.root, project, "project.json")):
            raise Fail(404, f"no project {project}")
        return os.path.join(self.root, project)

    def meta(self, project):
        with open(os.path.join(self.project_dir(project), "project.json")) as f:
            return json.load(f)

    def images(self, project):
        folder = os.path.join(self.project_dir(project), "images")
        return sorted(name[:-4] for name in os.listdir(folder) if name.endswith(".png")) if os.path.isdir(folder) else []

    def image_path(self, project, image):
        path = os.path.join(self.project_dir(project), "images", image + ".png")
        if not ID.match(image) or not os.path.isfile(path):
            raise Fail(404, f"no image {image} in {project}")
        return path

    def size(self, project, image):
        path = self.image_path(project, image)
        if path not in self.sizes:
            with open(path, "rb") as f:
                width, height, depth, colour, _ = read_png(f.read())
            self.sizes[path] = (width, height, depth, {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}[colour])
        return self.sizes[path]

    def context_path(self, project, label):
        return os.path.join(self.project_dir(project), "context", label + ".json")

    def context(self, project, label):
        path = self.context_path(project, label)
        if not os.path.isfile(path):
            return []
        with open(path) as f:
            return json.load(f)["entries"]

    def save_context(self, project, label, entries):
        path = self.context_path(project, label)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w") as f:
            json.dump({"entries": entries}, f, indent=1)
        os.replace(path + ".tmp", path)

    def label_check(self, project, label):
        if label not in self.meta(project)["labels"]:
            raise Fail(404, f"no label {label} in {project}")

    def mask_path(self, project, label, image):
        return os.path.join(self.project_dir(project), "masks", label, image + ".png")


def fake_mask(width, height, body, context_size):
    """0/1 rows: the plain geometry described in the module docstring."""
    size = max(width, height)
    mask = [[0] * width for _ in range(height)]

    def disc(cx, cy, r, value):
        for y in range(max(0, int(cy - r)), min(height, int(cy + r) + 1)):
            for x in range(max(0, int(cx - r)), min(width, int(cx + r) + 1)):
                if (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r:
                    mask[y][x] = value

    prompts = body.get("clicks") or body.get("boxes") or body.get("scribbles")
    if not prompts and context_size > 0:
        disc(width / 2, height / 2, 0.22 * size, 1)
    for box in body.get("boxes", []):
        for y in range(int(box["y0"]), min(height, int(box["y1"]) + 1)):
            for x in range(int(box["x0"]), min(width, int(box["x1"]) + 1)):
                mask[y][x] = 1
    for scribble in body.get("scribbles", []):
        for x, y in scribble["points"]:
            disc(x, y, 0.05 * size, 1 if scribble["positive"] else 0)
    for click in body.get("clicks", []):
        disc(click["x"], click["y"], 0.12 * size, 1 if click["positive"] else 0)
    return mask


class Sessions:
    """Per session: an event queue and the newest pending predict (latest wins)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.queues = {}
        self.pending = {}
        self.listeners = []

    def queue_for(self, session):
        with self.lock:
            q = self.queues.setdefault(session, queue.Queue())
            if q not in self.listeners:
                self.listeners.append(q)
            return q

    def send(self, session, event, data):
        self.queue_for(session).put((event, data))

    def broadcast(self, event, data):
        with self.lock:
            listeners = list(self.listeners)
        for q in listeners:
            q.put((event, data))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store: Store
    sessions: Sessions
    public: str

    def log_message(self, *args):
        pass

    def reply(self, status, body=None, content_type="application/json", headers=()):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def body_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            raise Fail(400, "malformed JSON body")

    def handle_any(self):
        url = urlparse(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            if parts[:1] == ["api"]:
                self.api(parts[1:], query)
            else:
                self.static(url.path)
        except Fail as fail:
            self.reply(fail.status, {"error": fail.message, "status": fail.status})
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PATCH = do_DELETE = do_HEAD = handle_any

    def static(self, path):
        relative = path.lstrip("/") or "index.html"
        if ".." in relative.split("/"):
            raise Fail(400, "invalid path")
        full = os.path.join(self.public, relative)
        if not os.path.isfile(full):
            raise Fail(404, "not found")
        types = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml"}
        with open(full, "rb") as f:
            self.reply(200, f.read(), types.get(os.path.splitext(full)[1], "application/octet-stream"))

    def project_detail(self, project):
        meta = self.store.meta(project)
        images = []
        for image in self.store.images(project):
            width, height, depth, channels = self.store.size(project, image)
            labels = {}
            for label in meta["labels"]:
                entry = next((e for e in self.store.context(project, label) if e["id"] == image), None)
                labels[label] = {"accepted": os.path.isfile(self.store.mask_path(project, label, image)),
                                 "interactions": entry["interactions"] if entry else None,
                                 "annotator": entry["annotator"] if entry else None}
            images.append({"id": image, "width": width, "height": height, "bitDepth": depth, "channels": channels, "labels": labels})
        return {"id": project, "name": meta["name"], "labels": meta["labels"], "description": meta.get("description", ""), "images": images}

    def api(self, parts, query):
        store, method = self.store, self.command
        if parts == ["health"]:
            return self.reply(200, {"status": "ok", "version": "fake", "model": {"name": "fake geometry", "available": True},
                                    "projects": len(self.list_projects())})
        if parts == ["projects"] and method == "GET":
            return self.reply(200, {"projects": self.list_projects()})
        if parts == ["projects"] and method == "POST":
            body = self.body_json()
            name = (body or {}).get("name", "").strip()
            labels = (body or {}).get("labels") or []
            if not name:
                raise Fail(400, "a project needs a name")
            pid = re.sub(r"[^A-Za-z0-9._-]+", "-", name.lower()).strip("-.") or "project"
            if os.path.exists(os.path.join(store.root, pid)):
                raise Fail(409, f"project {pid} exists already")
            os.makedirs(os.path.join(store.root, pid, "images"))
            with open(os.path.join(store.root, pid, "project.json"), "w") as f:
                json.dump({"schema": 1, "name": name, "labels": labels, "created": now()}, f)
            return self.reply(201, {"id": pid, "name": name, "labels": labels, "imageCount": 0})
        if len(parts) < 2 or parts[0] != "projects":
            raise Fail(404, f"no API endpoint {method} {self.path}")
        project = parts[1]
        store.project_dir(project)
        rest = parts[2:]
        if rest == [] and method == "GET":
            return self.reply(200, self.project_detail(project))
        if rest == ["labels"] and method == "POST":
            label = (self.body_json() or {}).get("label", "")
            if not ID.match(label):
                raise Fail(400, "label names use letters, digits, . _ -")
            meta = store.meta(project)
            if label in meta["labels"]:
                raise Fail(409, f"label {label} exists already")
            meta["labels"].append(label)
            with open(os.path.join(store.project_dir(project), "project.json"), "w") as f:
                json.dump(meta, f)
            return self.reply(201, self.project_detail(project))
        if rest == ["images"] and method == "POST":
            name = os.path.splitext(query.get("name", ""))[0]
            name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "image"
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                read_png(data)
            except Exception as error:
                raise Fail(400, f"not a readable PNG: {error}")
            with open(os.path.join(store.project_dir(project), "images", name + ".png"), "wb") as f:
                f.write(data)
            return self.reply(201, {"id": name})
        if len(rest) == 2 and rest[0] == "images" and rest[1].endswith(".png"):
            with open(store.image_path(project, rest[1][:-4]), "rb") as f:
                return self.reply(200, f.read(), "image/png")
        if len(rest) == 3 and rest[0] == "images" and rest[2] == "raw":
            with open(store.image_path(project, rest[1]), "rb") as f:
                width, height, max_value, rows = luminance_rows(f.read())
            data = b"".join(v.to_bytes(2, "little") for row in rows for v in row)
            return self.reply(200, data, "application/octet-stream",
                              [("X-Width", str(width)), ("X-Height", str(height)), ("X-Max-Value", str(max_value))])
        if len(rest) < 2 or rest[0] != "labels":
            raise Fail(404, f"no API endpoint {method} {self.path}")
        label = rest[1]
        store.label_check(project, label)
        rest = rest[2:]
        if rest == ["events"]:
            return self.events(query.get("session", ""))
        if rest == ["context"]:
            return self.reply(200, {"entries": store.context(project, label)})
        if len(rest) == 2 and rest[0] == "context":
            entries = store.context(project, label)
            entry = next((e for e in entries if e["id"] == rest[1]), None)
            if entry is None:
                raise Fail(404, f"{rest[1]} is not in the context of {label}")
            if method == "PATCH":
                entry["included"] = bool((self.body_json() or {}).get("included", True))
                store.save_context(project, label, entries)
                self.sessions.broadcast("context", {"label": label, "contextSize": len(entries)})
                return self.reply(200, entry)
            if method == "DELETE":
                store.save_context(project, label, [e for e in entries if e["id"] != rest[1]])
                self.sessions.broadcast("context", {"label": label, "contextSize": len(entries) - 1})
                return self.reply(204)
        if rest == ["next"]:
            todo = [i for i in store.images(project) if not os.path.isfile(store.mask_path(project, label, i))]
            order, after = query.get("order", "listed"), query.get("after")
            if not todo:
                return self.reply(200, {"id": None})
            if order == "random":
                return self.reply(200, {"id": random.choice([i for i in todo if i != after] or todo)})
            later = [i for i in todo if after is None or i > after]
            return self.reply(200, {"id": (later or todo)[0]})
        if rest == ["export.zip"]:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as z:
                for image in store.images(project):
                    path = store.mask_path(project, label, image)
                    if os.path.isfile(path):
                        z.write(path, image + ".png")
            return self.reply(200, buffer.getvalue(), "application/zip",
                              [("Content-Disposition", f'attachment; filename="{project}-{label}-masks.zip"')])
        if len(rest) == 3 and rest[0] == "images":
            image = rest[1]
            width, height, _, _ = store.size(project, image)
            if rest[2] == "predict" and method == "POST":
                return self.predict(project, label, image, width, height, self.body_json() or {})
            if rest[2] == "mask.png":
                path = store.mask_path(project, label, image)
                if not os.path.isfile(path):
                    raise Fail(404, f"no accepted mask for {image}")
                with open(path, "rb") as f:
                    return self.reply(200, f.read(), "image/png")
            if rest[2] == "accept" and method == "POST":
                body = self.body_json() or {}
                try:
                    data = base64.b64decode(body["maskPNG"], validate=True)
                    mw, mh, _, _ = luminance_rows(data)[:4]
                except Exception as error:
                    raise Fail(400, f"maskPNG is not a base64 PNG: {error}")
                if (mw, mh) != (width, height):
                    raise Fail(400, f"mask is {mw}x{mh}, the image {width}x{height}")
                path = store.mask_path(project, label, image)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(data)
                entries = [e for e in store.context(project, label) if e["id"] != image]
                version = 1
                entries.append({"id": image, "annotator": body.get("annotator"), "acceptedAt": now(),
                                "interactions": body.get("interactions"), "included": True, "version": version})
                store.save_context(project, label, entries)
                self.sessions.broadcast("context", {"label": label, "contextSize": len(entries)})
                return self.reply(200, {"contextSize": len(entries), "version": version})
        raise Fail(404, f"no API endpoint {method} {self.path}")

    def list_projects(self):
        out = []
        for name in sorted(os.listdir(self.store.root)):
            if os.path.isfile(os.path.join(self.store.root, name, "project.json")):
                meta = self.store.meta(name)
                out.append({"id": name, "name": meta["name"], "labels": meta["labels"], "imageCount": len(self.store.images(name))})
        return out

    def predict(self, project, label, image, width, height, body):
        session, seq = body.get("session"), body.get("seq")
        if not isinstance(session, str) or not isinstance(seq, int):
            raise Fail(400, "predict needs a session (string) and a seq (integer)")
        for click in body.get("clicks", []):
            if not (0 <= click["x"] <= width and 0 <= click["y"] <= height):
                raise Fail(400, f"click ({click['x']}, {click['y']}) is outside the {width}x{height} image")
        sessions = self.sessions
        with sessions.lock:
            older = sessions.pending.get(session)
            sessions.pending[session] = seq
        if older is not None:
            sessions.send(session, "superseded", {"image": image, "seq": older})
        context = [e for e in self.store.context(project, label) if e.get("included", True)]

        def work():
            start = time.time()
            time.sleep(0.05)
            with sessions.lock:
                if sessions.pending.get(session) != seq:
                    return
                del sessions.pending[session]
            rows = fake_mask(width, height, body, len(context))
            png = write_grey_png(width, height, bytes(255 * v for row in rows for v in row))
            sessions.send(session, "prediction", {"image": image, "seq": seq, "latencyMs": round((time.time() - start) * 1000, 1),
                                                  "contextSize": len(context), "maskPNG": base64.b64encode(png).decode(),
                                                  "uncertainty": 0.1})

        threading.Thread(target=work, daemon=True).start()
        return self.reply(202, {"seq": seq})

    def events(self, session):
        q = self.sessions.queue_for(session)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.write(b": connected\n\n")
        self.wfile.flush()
        while True:
            try:
                event, data = q.get(timeout=15)
                self.wfile.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
            except queue.Empty:
                self.wfile.write(b": keep-alive\n\n")
            self.wfile.flush()


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", required=True)
    parser.add_argument("--public", default=os.path.join(os.path.dirname(__file__), "..", "..", "Public"))
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    Handler.store = Store(args.projects)
    Handler.sessions = Sessions()
    Handler.public = os.path.abspath(args.public)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"Open http://127.0.0.1:{server.server_address[1]}/ (fake API)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
