#!/usr/bin/env python3
"""Crash safety under SIGKILL.

Copies the demo project into a temporary projects folder, then over and over: starts
`multiverseg serve`, drives accepts of varied masks and context edits (include/exclude/remove)
through the HTTP API as the page does, downloads export.zip and runs `multiverseg export` (to a
folder and to a zip), and SIGKILLs the server (and any running export) at a random moment. After
each kill it checks the raw files (every mask, history file and manifest is a complete version
this script sent, never torn or empty), restarts the app and checks that it comes up cleanly,
that every acknowledged request survived, that each context entry matches its saved mask, that
an interrupted CLI export left nothing or something complete, and that temporary files are
cleaned or ignored.

    python3 Tests/Hardening/crash_test.py --binary .build/debug/multiverseg --kills 150

Exit status 0 only when nothing was torn or lost.
"""

import argparse
import copy
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "PythonSupport"))
from pngtools import chunk, png_size  # noqa: E402
from storage_harness import (DEMO, HTTPFailure, MaskReader, StoreServer, TornFile, accept_body, http,  # noqa: E402
                             mask_key, random_mask, rng_from, temp_files)

PROJECT = "fetal-head-demo"
LABEL = "head"



def with_text_chunk(png, text):
    """The PNG with a tEXt chunk after IHDR: the same pixels in different bytes, since the app
    refuses a file identical to an image already in the project."""
    end_of_ihdr = 8 + 8 + 13 + 4
    return png[:end_of_ihdr] + chunk(b"tEXt", b"Comment\0" + text.encode("latin-1")) + png[end_of_ihdr:]

class ImageState:
    """What the script knows is committed for one image, plus the one request in flight."""

    def __init__(self):
        self.mask = None          # content key of masks/head/<id>.png
        self.entry = None         # {"version", "included", "annotator"} or None
        self.history = {}         # version -> content key
        self.inflight = None      # ("accept", key, annotator) | ("include", bool) | ("remove",)

    def snapshot(self):
        return (self.mask, copy.deepcopy(self.entry), dict(self.history))

    def applied(self, op):
        """The state after `op`, by the store's rules: the replaced (or removed) mask is kept in
        history under its version; a new accept takes the next version after every earlier one."""
        mask, entry, history = self.snapshot()
        if op[0] == "accept":
            base = max([entry["version"] if entry else 0] + list(history))
            if entry and mask is not None:
                history[entry["version"]] = mask
            entry = {"version": base + 1, "included": True, "annotator": op[2]}
            mask = op[1]
        elif op[0] == "include":
            entry = dict(entry, included=op[1])
        elif op[0] == "remove":
            if mask is not None:
                history[entry["version"]] = mask
            entry = None
        return mask, entry, history


class Figures:
    def __init__(self):
        self.kills = 0
        self.restarts_ok = 0
        self.accepts_sent = 0
        self.accepts_acked = 0
        self.accepts_inflight = 0
        self.inflight_applied = 0
        self.edits_sent = 0
        self.edits_acked = 0
        self.http_exports_ok = 0
        self.http_exports_interrupted = 0
        self.cli_exports_ok = 0
        self.cli_exports_interrupted = 0
        self.cli_interrupted_absent = 0
        self.cli_interrupted_complete = 0
        self.files_checked = 0
        self.torn = 0
        self.lost = 0
        self.temp_seen = 0
        self.temp_after_restart = 0
        self.kills_with_temp = 0
        self.kills_with_staged = 0
        self.rolled_forward = 0
        self.startup_kills = 0
        self.uploads_sent = 0
        self.uploads_acked = 0
        self.discarded = 0
        self.failures = []

    def fail(self, message):
        self.failures.append(message)
        if len(self.failures) <= 30:
            print("FAIL: " + message, flush=True)


class CrashTest:
    def __init__(self, args):
        self.args = args
        self.rng = rng_from(args.seed)
        self.work = tempfile.mkdtemp(prefix="multiverseg-crash-")
        self.projects = os.path.join(self.work, "projects")
        self.folder = os.path.join(self.projects, PROJECT)
        self.exports = os.path.join(self.work, "exports")
        os.makedirs(self.exports)
        shutil.copytree(DEMO, self.folder)
        with open(os.path.join(self.folder, "project.json"), "rb") as handle:
            self.project_json = handle.read()
        self.images = sorted(name[:-4] for name in os.listdir(os.path.join(self.folder, "images"))
                             if name.endswith(".png"))
        self.sizes = {}
        for image in self.images:
            with open(os.path.join(self.folder, "images", image + ".png"), "rb") as handle:
                self.sizes[image] = png_size(handle.read(32))
        self.masks = {}  # (w, h) -> [(key, bits)]
        for size in set(self.sizes.values()):
            pool = {}
            while len(pool) < 40:
                bits = random_mask(self.rng, *size)
                pool[mask_key(bits)] = bits
            self.masks[size] = list(pool.items())
        self.state = {image: ImageState() for image in self.images}
        self.sent = {image: set() for image in self.images}   # every content key sent per image
        self.lock = threading.Lock()
        self.reader = MaskReader()
        self.figures = Figures()
        self.request_id = 0
        self.reused_export_required = None  # required images of the last complete export to "reused"
        self.labels = json.loads(self.project_json)["labels"]   # committed labels
        self.label_inflight = None
        self.uploads = {}             # committed uploaded image id -> bytes
        self.upload_inflight = None   # (id, bytes)
        self.upload_sources = [os.path.join(self.folder, "images", i + ".png") for i in self.images]

    # MARK: Work while the server runs

    def worker(self, base, images, rng, stop):
        while not stop.is_set():
            image = rng.choice(images)
            state = self.state[image]
            choice = rng.random()
            with self.lock:
                if choice < 0.75 or state.entry is None:
                    w, h = self.sizes[image]
                    key, bits = rng.choice([m for m in self.masks[(w, h)] if m[0] != state.mask])
                    self.request_id += 1
                    annotator = "req%d" % self.request_id
                    op = ("accept", key, annotator)
                    self.sent[image].add(key)
                    self.figures.accepts_sent += 1
                elif choice < 0.93:
                    op = ("include", not state.entry["included"])
                    self.figures.edits_sent += 1
                else:
                    op = ("remove",)
                    self.figures.edits_sent += 1
                state.inflight = op
            path = "/api/projects/%s/labels/%s" % (PROJECT, LABEL)
            try:
                if op[0] == "accept":
                    answer = self.call(base, "POST", path + "/images/%s/accept" % image,
                                       accept_body(bits, w, h, op[2], rng.randint(0, 9)))
                elif op[0] == "include":
                    answer = self.call(base, "PATCH", path + "/context/%s" % image, {"included": op[1]})
                else:
                    answer = self.call(base, "DELETE", path + "/context/%s" % image)
            except OSError:
                return  # the kill: the request stays in flight, resolved after the restart
            except HTTPFailure as failure:
                with self.lock:
                    self.figures.fail("%s %s answered %s" % (op[0], image, failure))
                    state.inflight = None
                return
            with self.lock:
                mask, entry, history = state.applied(op)
                if op[0] == "accept":
                    self.figures.accepts_acked += 1
                    if answer.get("version") != entry["version"]:
                        self.figures.fail("accept of %s answered version %s, expected %s"
                                          % (image, answer.get("version"), entry["version"]))
                else:
                    self.figures.edits_acked += 1
                state.mask, state.entry, state.history = mask, entry, history
                state.inflight = None

    def project_editor(self, base, rng, stop):
        """Adds labels (project.json) and uploads images (images/), as the page's buttons do."""
        while not stop.is_set():
            time.sleep(rng.uniform(0.005, 0.04))
            try:
                if rng.random() < 0.3 and len(self.labels) < 40:
                    name = "extra%d" % len(self.labels)
                    self.label_inflight = name
                    self.figures.edits_sent += 1
                    http(base, "POST", "/api/projects/%s/labels" % PROJECT, {"label": name}, timeout=15)
                    self.labels.append(name)
                    self.label_inflight = None
                    self.figures.edits_acked += 1
                else:
                    name = "up%d" % (len(self.uploads) + 1)
                    with open(rng.choice(self.upload_sources), "rb") as handle:
                        data = with_text_chunk(handle.read(), name)
                    self.upload_inflight = (name, data)
                    self.figures.uploads_sent += 1
                    answer = http(base, "POST", "/api/projects/%s/images?name=%s.png" % (PROJECT, name),
                                  timeout=15, data=data)
                    if answer.get("id") != name:
                        self.figures.fail("upload %s was stored as %s" % (name, answer))
                    self.uploads[name] = data
                    self.upload_inflight = None
                    self.figures.uploads_acked += 1
            except OSError:
                return
            except HTTPFailure as failure:
                self.figures.fail("project edit answered %s" % failure)
                return

    def check_project_files(self, settle):
        """project.json holds the acknowledged labels, plus at most the one in flight; uploaded
        images are whole. With `settle`, the outcome of the requests in flight is adopted."""
        self.figures.files_checked += 1
        with open(os.path.join(self.folder, "project.json"), "rb") as handle:
            data = handle.read()
        try:
            labels = json.loads(data)["labels"]
        except (ValueError, KeyError) as error:
            self.figures.torn += 1
            self.figures.fail("project.json is torn (%d bytes): %s" % (len(data), error))
            return
        allowed = [self.labels] + ([self.labels + [self.label_inflight]] if self.label_inflight else [])
        if labels not in allowed:
            self.figures.lost += 1
            self.figures.fail("project.json has labels %s, expected %s" % (labels, " or ".join(map(str, allowed))))
        found = {n[:-4] for n in os.listdir(os.path.join(self.folder, "images"))
                 if n.endswith(".png") and not n.startswith(".")} - set(self.images)
        expected = dict(self.uploads)
        if self.upload_inflight and self.upload_inflight[0] in found:
            expected[self.upload_inflight[0]] = self.upload_inflight[1]
        if found != set(expected):
            self.figures.lost += 1
            self.figures.fail("uploaded images on disk %s, expected %s" % (sorted(found), sorted(expected)))
        for name in found & set(expected):
            self.figures.files_checked += 1
            with open(os.path.join(self.folder, "images", name + ".png"), "rb") as handle:
                if handle.read() != expected[name]:
                    self.figures.torn += 1
                    self.figures.fail("uploaded image %s is not what was sent" % name)
        if settle:
            if labels in allowed:
                self.labels = labels
            if self.upload_inflight and self.upload_inflight[0] in found:
                self.uploads[self.upload_inflight[0]] = self.upload_inflight[1]
            self.label_inflight = None
            self.upload_inflight = None

    def call(self, base, method, path, body=None):
        return http(base, method, path, body, timeout=15)

    def http_exporter(self, base, stop):
        while not stop.is_set():
            with self.lock:
                required = {i for i, s in self.state.items() if s.mask is not None}
            try:
                data = http(base, "GET", "/api/projects/%s/labels/%s/export.zip" % (PROJECT, LABEL),
                            timeout=15, raw=True)
            except OSError:
                self.figures.http_exports_interrupted += 1
                return
            except HTTPFailure as failure:
                # A label without any accepted mask is a 404 that says so (no empty zip).
                if not (failure.status == 404 and not required and "nothing to export" in failure.body):
                    self.figures.fail("export.zip answered %s" % failure)
                return
            path = os.path.join(self.work, "download.zip")
            with open(path, "wb") as handle:
                handle.write(data)
            problem = self.check_zip(path, required)
            if problem:
                self.figures.fail("export.zip: " + problem)
            self.figures.http_exports_ok += 1
            time.sleep(0.02)

    def start_cli_export(self, round_number):
        kind = self.rng.choice(["folder", "zip", "reused"])
        if kind == "zip":
            output = os.path.join(self.exports, "round%d.zip" % round_number)
        elif kind == "folder":
            output = os.path.join(self.exports, "round%d" % round_number)
        else:
            output = os.path.join(self.exports, "reused")
        with self.lock:
            required = {i for i, s in self.state.items() if s.mask is not None}
        args = [self.args.binary, "export", "--projects", self.projects, "--project", PROJECT,
                "--label", LABEL, "-o", output] + (["--zip"] if kind == "zip" else [])
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return {"kind": kind, "output": output, "required": required, "process": process}

    # MARK: Checks

    def check_zip(self, path, required):
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
                if bad:
                    return "bad CRC in %s" % bad
                names = set(archive.namelist())
                for name in names:
                    problem = self.check_mask_bytes(name[:-4], archive.read(name))
                    if problem:
                        return "%s: %s" % (name, problem)
        except zipfile.BadZipFile as error:
            return "not a complete zip (%s)" % error
        images = {name[:-4] for name in names}
        if not required <= images:
            return "missing masks %s" % sorted(required - images)
        return None

    def check_mask_bytes(self, image, data):
        self.figures.files_checked += 1
        if image not in self.sent:
            return "unknown image"
        try:
            key = self.reader.key_of_bytes(data) if data else None
        except TornFile as error:
            return "torn (%s)" % error
        if key is None:
            return "empty file"
        if key not in self.sent[image]:
            return "a mask this script never sent"
        return None

    def check_folder_export(self, output, required):
        images = set()
        for name in os.listdir(output):
            if not name.endswith(".png"):
                return "unexpected file %s" % name
            with open(os.path.join(output, name), "rb") as handle:
                problem = self.check_mask_bytes(name[:-4], handle.read())
            if problem:
                return "%s: %s" % (name, problem)
            images.add(name[:-4])
        if not required <= images:
            return "incomplete: missing %s" % sorted(required - images)
        return None

    def check_export(self, export, interrupted):
        output, process = export["output"], export["process"]
        status = process.returncode
        log = process.stdout.read().decode(errors="replace") if process.stdout else ""
        if not interrupted and status != 0:
            self.figures.fail("export to %s failed (%s): %s" % (output, status, log.strip()[:300]))
            return
        exists = os.path.exists(output)
        required = export["required"]
        if export["kind"] == "reused" and (interrupted or status != 0):
            required = self.reused_export_required or set()
        if not exists:
            if not interrupted:
                self.figures.fail("export to %s reported success but wrote nothing" % output)
            else:
                self.figures.cli_interrupted_absent += 1
            return
        if export["kind"] == "zip":
            problem = self.check_zip(output, required)
        else:
            problem = self.check_folder_export(output, required)
        if problem:
            self.figures.torn += 1
            self.figures.fail("%sexport %s: %s" % ("interrupted " if interrupted else "", output, problem))
        elif interrupted:
            self.figures.cli_interrupted_complete += 1
        if export["kind"] == "reused" and not interrupted:
            self.reused_export_required = export["required"]

    def read_mask(self, path, image):
        """Content key of a mask/history file, counting torn files as failures."""
        self.figures.files_checked += 1
        try:
            key = self.reader.key_of_file(path)
        except TornFile as error:
            self.figures.torn += 1
            self.figures.fail("torn file %s: %s" % (os.path.relpath(path, self.folder), error))
            return None
        if key not in self.sent.get(image, ()):
            self.figures.torn += 1
            self.figures.fail("%s holds a mask this script never sent" % os.path.relpath(path, self.folder))
            return None
        return key

    def read_context(self):
        path = os.path.join(self.folder, "context", LABEL + ".json")
        if not os.path.exists(path):
            return {}
        self.figures.files_checked += 1
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            manifest = json.loads(data)
            entries = manifest["entries"]
            ids = [entry["id"] for entry in entries]
        except (ValueError, KeyError, TypeError) as error:
            self.figures.torn += 1
            self.figures.fail("context/%s.json is torn (%d bytes): %s" % (LABEL, len(data), error))
            return None
        if len(set(ids)) != len(ids):
            self.figures.fail("context/%s.json has duplicate entries" % LABEL)
        return {entry["id"]: entry for entry in entries}

    def observe(self):
        """The state on disk now: raw-checked masks, history and the context manifest."""
        masks, histories = {}, {image: {} for image in self.images}
        mask_folder = os.path.join(self.folder, "masks", LABEL)
        for name in sorted(os.listdir(mask_folder)) if os.path.isdir(mask_folder) else []:
            if name.startswith("."):
                continue
            masks[name[:-4]] = self.read_mask(os.path.join(mask_folder, name), name[:-4])
        history_folder = os.path.join(self.folder, "history", LABEL)
        for image in os.listdir(history_folder) if os.path.isdir(history_folder) else []:
            for name in os.listdir(os.path.join(history_folder, image)):
                if name.startswith("."):
                    continue
                histories.setdefault(image, {})[int(name[:-4])] = self.read_mask(
                    os.path.join(history_folder, image, name), image)
        return masks, histories, self.read_context()

    def reconcile(self, masks, histories, context):
        """After the restart: each image must be in its acknowledged state, or in the state its one
        in-flight request would have made; anything else is a lost or torn write."""
        if context is None:
            return
        for image in self.images:
            state = self.state[image]
            entry = context.get(image)
            observed_entry = None if entry is None else {
                "version": entry["version"], "included": entry["included"], "annotator": entry["annotator"]}
            observed = (masks.get(image), observed_entry, histories.get(image, {}))
            candidates = [("old", state.snapshot())]
            if state.inflight is not None:
                candidates.append(("new", state.applied(state.inflight)))
            match = None
            for name, (mask, expected_entry, history) in candidates:
                if observed[0] != mask or observed[1] != expected_entry:
                    continue
                extra = {k: v for k, v in observed[2].items() if history.get(k) != v}
                # An accept or remove cut short before its commit may already have kept the current
                # mask in history under its own version: that is the same content, not a change.
                current = expected_entry["version"] if expected_entry else None
                if all(k not in history and k == current and v == mask for k, v in extra.items()) and \
                        set(history) <= set(observed[2]):
                    match = name
                    break
            if match is None:
                self.figures.lost += 1
                self.figures.fail(
                    "%s: disk has mask=%s entry=%s history=%s; expected %s (in flight: %s)"
                    % (image, observed[0], observed[1], sorted(observed[2].items()),
                       " or ".join("%s=%s" % (n, c) for n, c in candidates), state.inflight and state.inflight[0]))
                # Adopt what is there so one failure is reported once.
                state.mask, state.entry, state.history = observed[0], observed[1], dict(observed[2])
            else:
                if match == "new":
                    self.figures.inflight_applied += 1
                    state.mask, state.entry, state.history = state.applied(state.inflight)
                state.history.update(observed[2])
            if state.inflight is not None and state.inflight[0] == "accept":
                self.figures.accepts_inflight += 1
            state.inflight = None

    def check_app(self, server):
        base = server.url
        health = http(base, "GET", "/api/health")
        if health.get("status") != "ok":
            raise RuntimeError("health is %s" % health)
        listed = http(base, "GET", "/api/projects")["projects"]
        mine = [p for p in listed if p["id"] == PROJECT]
        all_images = sorted(self.images + list(self.uploads))
        if not mine or mine[0]["imageCount"] != len(all_images):
            raise RuntimeError("the project does not list right: %s" % listed)
        detail = http(base, "GET", "/api/projects/" + PROJECT)
        if [image["id"] for image in detail["images"]] != all_images:
            raise RuntimeError("the project's images are %s" % [i["id"] for i in detail["images"]])
        if detail["labels"] != self.labels:
            raise RuntimeError("the project's labels are %s, expected %s" % (detail["labels"], self.labels))
        for image in detail["images"]:
            if image["id"] in self.uploads:
                continue
            state = self.state[image["id"]]
            label = image["labels"][LABEL]
            expected = (state.mask is not None, state.entry is not None,
                        state.entry["version"] if state.entry else None)
            shown = (label["accepted"], label["inContext"], label.get("version"))
            if state.mask is not None and state.entry is None and label.get("version") in state.history:
                # An accepted image removed from the context set still shows its removed entry's version.
                shown = shown[:2] + (None,)
            if shown != expected:
                raise RuntimeError("%s shows %s, expected %s" % (image["id"], label, expected))
        context = http(base, "GET", "/api/projects/%s/labels/%s/context" % (PROJECT, LABEL))
        ids = [entry["id"] for entry in context["entries"]]
        if sorted(ids) != sorted(i for i, s in self.state.items() if s.entry):
            raise RuntimeError("GET context lists %s" % ids)
        if server.warnings():
            raise RuntimeError("warnings at start: %s" % server.warnings())

    def unexpected_files(self):
        """Files outside the project layout (temporary files are counted apart)."""
        odd = []
        for root, dirs, files in os.walk(self.folder):
            rel = os.path.relpath(root, self.folder)
            for name in files:
                path = os.path.join(rel, name)
                if name.startswith(".") and name.endswith(".tmp"):
                    continue
                parts = path.split(os.sep)
                if parts[0] == "." and parts[1] in ("project.json", "SOURCE.md", ".multiverseg.lock"):
                    continue
                if parts[0] in ("images", "masks", "history", "context") and not name.startswith("."):
                    continue
                odd.append(path)
        return odd

    # MARK: The loop

    def run(self):
        figures = self.figures
        started = time.time()
        server = StoreServer(self.args.binary, self.projects, os.path.join(self.work, "serve.log"), self.args.model)
        server.wait_ready()
        self.check_app(server)
        round_number = 0
        left_before = set()
        while figures.kills < self.args.kills:
            if self.args.max_seconds and time.time() - started > self.args.max_seconds:
                print("time budget reached after %d kills" % figures.kills)
                break
            round_number += 1
            stop = threading.Event()
            threads = []
            for t in range(3):
                images = self.images[t::3]
                thread = threading.Thread(target=self.worker,
                                          args=(server.url, images, rng_from(self.rng.random()), stop))
                thread.start()
                threads.append(thread)
            if self.rng.random() < 0.4:
                thread = threading.Thread(target=self.http_exporter, args=(server.url, stop))
                thread.start()
                threads.append(thread)
            if self.rng.random() < 0.4:
                thread = threading.Thread(target=self.project_editor,
                                          args=(server.url, rng_from(self.rng.random()), stop))
                thread.start()
                threads.append(thread)
            window = self.rng.choice([0.03, 0.1, 0.25, 0.5])
            delay = self.rng.uniform(0.002, window)
            export = None
            export_at = self.rng.uniform(0, delay) if self.rng.random() < 0.5 else None
            t0 = time.time()
            if export_at is not None:
                time.sleep(export_at)
                export = self.start_cli_export(round_number)
                if self.rng.random() < 0.3:
                    # Kill the export alone, mid-write, while the server goes on.
                    time.sleep(self.rng.uniform(0, 0.08))
                    self.finish_export(export, kill=True)
                    export = None
            time.sleep(max(0, delay - (time.time() - t0)))
            server.kill()
            figures.kills += 1
            stop.set()
            for thread in threads:
                thread.join()
            if export is not None:
                self.finish_export(export, kill=True)

            temps = set(temp_files(self.folder)) - left_before
            figures.temp_seen += len(temps)
            figures.kills_with_temp += bool(temps)
            pending = os.path.join(self.folder, ".pending")
            figures.kills_with_staged += bool(os.path.isdir(pending) and any(
                files for _, _, files in os.walk(pending)))
            raw = self.observe()  # raw files must be whole even before any recovery runs
            self.check_project_files(settle=False)
            if self.rng.random() < 0.15:
                # Kill it again while it starts up, in the middle of its own recovery.
                early = StoreServer(self.args.binary, self.projects, os.path.join(self.work, "serve.log"), self.args.model)
                time.sleep(self.rng.uniform(0, 0.04))
                early.kill()
                figures.kills += 1
                figures.startup_kills += 1
                self.observe()

            server = StoreServer(self.args.binary, self.projects, os.path.join(self.work, "serve.log"), self.args.model)
            try:
                server.wait_ready()
            except RuntimeError as error:
                figures.fail("restart %d: %s" % (figures.kills, error))
                break
            for line in server.output().splitlines():
                match = re.match(r"recovered project .*: (\d+) accept\(s\) completed, (\d+) discarded", line)
                if match:
                    figures.rolled_forward += int(match.group(1))
                    figures.discarded += int(match.group(2))
            masks, histories, context = self.observe()
            self.reconcile(masks, histories, context)
            self.check_project_files(settle=True)
            try:
                self.check_app(server)
                figures.restarts_ok += 1
            except (RuntimeError, OSError, HTTPFailure, KeyError) as error:
                figures.fail("after kill %d: %s" % (figures.kills, error))
            left = temp_files(self.folder)
            figures.temp_after_restart += len(left)
            left_before = set(left)
            odd = self.unexpected_files()
            if odd:
                figures.fail("after kill %d: files outside the layout: %s" % (figures.kills, odd[:5]))
            del raw
            if figures.kills % 25 == 0:
                print("%d kills, %d accepts acknowledged, %d failures, %.0fs"
                      % (figures.kills, figures.accepts_acked, len(figures.failures), time.time() - started),
                      flush=True)
            if len(figures.failures) > 200:
                break
        server.stop()
        return time.time() - started

    def finish_export(self, export, kill):
        process = export["process"]
        interrupted = False
        if kill and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            interrupted = True
        process.wait()
        if process.returncode == -signal.SIGKILL:
            interrupted = True
        if interrupted:
            self.figures.cli_exports_interrupted += 1
        else:
            self.figures.cli_exports_ok += 1
        self.check_export(export, interrupted)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the built multiverseg executable")
    parser.add_argument("--kills", type=int, default=200, help="how many times to SIGKILL the server")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=0, help="stop early after this long (0: no limit)")
    parser.add_argument("--model", action="store_true", help="serve with the model (prefetches run too)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    test = CrashTest(args)
    print("crash test: %d kills, seed %d, folder %s" % (args.kills, args.seed, test.work), flush=True)
    try:
        elapsed = test.run()
    finally:
        if not args.keep:
            shutil.rmtree(test.work, ignore_errors=True)
    f = test.figures
    print()
    print("== crash test summary ==")
    print("kills (SIGKILL of serve)          %d in %.0f s" % (f.kills, elapsed))
    print("restarts OK                       %d" % f.restarts_ok)
    print("accepts sent / acknowledged       %d / %d" % (f.accepts_sent, f.accepts_acked))
    print("accepts cut by a kill (applied)   %d (%d requests of all kinds applied)" % (f.accepts_inflight, f.inflight_applied))
    print("acknowledged accepts durable      %d (lost: %d)" % (f.accepts_acked - f.lost, f.lost))
    print("context/label edits sent / acked  %d / %d" % (f.edits_sent, f.edits_acked))
    print("image uploads sent / acknowledged %d / %d" % (f.uploads_sent, f.uploads_acked))
    print("kills during start-up recovery    %d" % f.startup_kills)
    print("export.zip downloads OK / cut     %d / %d" % (f.http_exports_ok, f.http_exports_interrupted))
    print("CLI exports OK / killed           %d / %d (killed: %d absent, %d complete)"
          % (f.cli_exports_ok, f.cli_exports_interrupted, f.cli_interrupted_absent, f.cli_interrupted_complete))
    print("kills that left temp files        %d (%d files; %d left after restart)"
          % (f.kills_with_temp, f.temp_seen, f.temp_after_restart))
    print("kills that left a staged accept   %d (at restart: %d completed, %d discarded)"
          % (f.kills_with_staged, f.rolled_forward, f.discarded))
    print("files checked                     %d" % f.files_checked)
    print("torn files                        %d" % f.torn)
    print("lost or inconsistent              %d" % f.lost)
    print("failures                          %d" % len(f.failures))
    ok = not f.failures and f.torn == 0 and f.lost == 0 and f.restarts_ok == f.kills - f.startup_kills
    print("RESULT: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
