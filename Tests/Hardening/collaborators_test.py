#!/usr/bin/env python3
"""Collaborators on one shared project folder.

Two `multiverseg serve` processes (A and B, different ports) on the same projects folder accept
masks concurrently for many images, some images from both sides at once. Meanwhile a third party
edits the folder: `multiverseg import` adds images, a script toggles context entries and adds
labels following the store's rules (under the project's flock, atomic rename), and an outsider
drops foreign files into it. Then it checks that nothing was lost (every acknowledged accept is
in the final state or in history, the last writer's version wins, versions per image are
1..N without gaps or duplicates and follow real-time order), that the manifests are consistent,
and that each side sees the other's work (the other server's GET of context and detail shows it,
and its SSE `context` event fires).

    python3 Tests/Hardening/collaborators_test.py --binary .build/debug/multiverseg --seconds 40

Exit status 0 only when nothing was lost and both sides agree.
"""

import argparse
import fcntl
from http.client import HTTPConnection, HTTPException
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "PythonSupport"))
from pngtools import png_size  # noqa: E402
from storage_harness import (DEMO, HTTPFailure, MaskReader, StoreServer, TornFile, accept_body, http,  # noqa: E402
                             mask_key, random_mask, rng_from, temp_files)

PROJECT = "fetal-head-demo"
LABEL = "head"


class Events:
    """An SSE subscription: counts `context` events and remembers when each arrived."""

    def __init__(self, base, session):
        parts = urllib.parse.urlparse(base)
        self.connection = HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.connection.request("GET", "/api/projects/%s/labels/%s/events?session=%s" % (PROJECT, LABEL, session))
        self.response = self.connection.getresponse()
        if self.response.status != 200:
            raise RuntimeError("events answered %d" % self.response.status)
        self.context_times = []
        self.hello = threading.Event()
        self.closed = False
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        event = None
        try:
            while not self.closed:
                line = self.response.readline()
                if not line:
                    return
                line = line.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line == "":
                    event = None
                elif line.startswith("data:"):
                    if event == "hello":
                        self.hello.set()
                    elif event == "context":
                        self.context_times.append(time.time())
        except (OSError, ValueError, AttributeError, HTTPException):
            return

    def close(self):
        self.closed = True
        try:
            self.connection.sock.shutdown(2)
        except OSError:
            pass
        self.connection.close()


class Collaborators:
    def __init__(self, args):
        self.args = args
        self.rng = rng_from(args.seed)
        self.work = tempfile.mkdtemp(prefix="multiverseg-collab-")
        self.projects = os.path.join(self.work, "projects")
        self.folder = os.path.join(self.projects, PROJECT)
        shutil.copytree(DEMO, self.folder)
        self.images = sorted(n[:-4] for n in os.listdir(os.path.join(self.folder, "images")) if n.endswith(".png"))
        self.sizes = {}
        for image in self.images:
            with open(os.path.join(self.folder, "images", image + ".png"), "rb") as handle:
                self.sizes[image] = png_size(handle.read(32))
        self.pool = {}
        for size in set(self.sizes.values()):
            masks = {}
            while len(masks) < 30:
                bits = random_mask(self.rng, *size)
                masks[mask_key(bits)] = bits
            self.pool[size] = list(masks.items())
        self.lock = threading.Lock()
        self.acks = []          # (side, image, key, annotator, version, sent_at, acked_at)
        self.failures = []
        self.counts = {"accepts_sent": 0, "toggles": 0, "labels_added": 0, "imports": 0, "images_imported": 0,
                       "foreign_files": 0, "reads": 0}
        self.request_id = 0
        self.stop = threading.Event()
        self.reader = MaskReader()

    def fail(self, message):
        with self.lock:
            self.failures.append(message)
            if len(self.failures) <= 30:
                print("FAIL: " + message, flush=True)

    # MARK: The two apps

    def acceptor(self, side, base, images, rng):
        while not self.stop.is_set():
            image = rng.choice(images)
            size = self.sizes[image]
            key, bits = rng.choice(self.pool[size])
            with self.lock:
                self.request_id += 1
                annotator = "%s%d" % (side, self.request_id)
                self.counts["accepts_sent"] += 1
            sent = time.time()
            try:
                answer = http(base, "POST", "/api/projects/%s/labels/%s/images/%s/accept" % (PROJECT, LABEL, image),
                              accept_body(bits, size[0], size[1], annotator, 1), timeout=30)
            except (OSError, HTTPFailure) as error:
                self.fail("%s: accept of %s failed: %s" % (side, image, error))
                continue
            with self.lock:
                self.acks.append((side, image, key, annotator, answer["version"], sent, time.time()))
            if rng.random() < 0.2:
                self.read_side(side, base)

    def read_side(self, side, base):
        """The page's reads while others write: they must always answer."""
        try:
            detail = http(base, "GET", "/api/projects/" + PROJECT, timeout=30)
            for label in detail["labels"]:
                http(base, "GET", "/api/projects/%s/labels/%s/context" % (PROJECT, label), timeout=30)
            http(base, "GET", "/api/projects", timeout=30)
            with self.lock:
                self.counts["reads"] += 1
        except (OSError, HTTPFailure) as error:
            self.fail("%s: a read failed while others wrote: %s" % (side, error))

    # MARK: The third party

    def store_editor(self, rng):
        """Edits the folder as another tool following the store's rules would: under the project's
        flock, rewriting manifests by atomic rename."""
        added = 0
        while not self.stop.is_set():
            time.sleep(rng.uniform(0.02, 0.1))
            with open(os.path.join(self.folder, ".multiverseg.lock"), "a+") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    if rng.random() < 0.05 and added < 3:
                        path = os.path.join(self.folder, "project.json")
                        manifest = json.load(open(path))
                        added += 1
                        manifest["labels"].append("collab-%d" % added)
                        self.write_atomically(path, manifest)
                        with self.lock:
                            self.counts["labels_added"] += 1
                        continue
                    path = os.path.join(self.folder, "context", LABEL + ".json")
                    if not os.path.exists(path):
                        continue
                    manifest = json.load(open(path))
                    if not manifest["entries"]:
                        continue
                    entry = rng.choice(manifest["entries"])
                    entry["included"] = not entry["included"]
                    self.write_atomically(path, manifest)
                    with self.lock:
                        self.counts["toggles"] += 1
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def write_atomically(path, value):
        temporary = os.path.join(os.path.dirname(path), ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
        with open(temporary, "w") as handle:
            json.dump(value, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temporary, path)

    def importer(self, rng):
        """`multiverseg import` of a few copies of the demo images, again and again."""
        round_number = 0
        while not self.stop.is_set():
            round_number += 1
            incoming = os.path.join(self.work, "incoming%d" % round_number)
            os.makedirs(incoming)
            for image in rng.sample(self.images, 2):
                shutil.copy(os.path.join(DEMO, "images", image + ".png"),
                            os.path.join(incoming, "new%d_%s.png" % (round_number, image)))
            result = subprocess.run([self.args.binary, "import", incoming, "--project", PROJECT,
                                     "--projects", self.projects], capture_output=True, text=True)
            if result.returncode != 0 or "imported 2 image(s)" not in result.stdout:
                self.fail("import failed (%d): %s %s" % (result.returncode, result.stdout, result.stderr))
            else:
                with self.lock:
                    self.counts["imports"] += 1
                    self.counts["images_imported"] += 2
            time.sleep(rng.uniform(0.2, 0.6))

    def outsider(self, rng):
        """Drops files that are none of the app's business (no lock, no rules)."""
        places = ["notes.txt", ".DS_Store", "images/Thumbs.db", "images/readme.txt", "images/.hidden.png",
                  "masks/%s/notes.txt" % LABEL, "context/%s.json.bak" % LABEL, "context/README",
                  "history/%s/stray.txt" % LABEL, "images/copy of scan.png", "images/foreign.png"]
        while not self.stop.is_set():
            time.sleep(rng.uniform(0.05, 0.3))
            place = rng.choice(places)
            path = os.path.join(self.folder, place)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(os.urandom(rng.randint(0, 300)))
            with self.lock:
                self.counts["foreign_files"] += 1

    # MARK: Seeing each other's work

    def probe(self, writer_name, writer, watcher_name, watcher, events, rng):
        """The writer accepts; the watcher's GET must show it at once, its SSE must announce it."""
        image = rng.choice(self.images)
        size = self.sizes[image]
        key, bits = rng.choice(self.pool[size])
        before = len(events.context_times)
        with self.lock:
            self.counts["accepts_sent"] += 1
        start = time.time()
        answer = http(writer, "POST", "/api/projects/%s/labels/%s/images/%s/accept" % (PROJECT, LABEL, image),
                      accept_body(bits, size[0], size[1], "probe-" + writer_name, 1))
        with self.lock:
            self.acks.append((writer_name, image, key, "probe-" + writer_name, answer["version"], start, time.time()))
        context = http(watcher, "GET", "/api/projects/%s/labels/%s/context" % (PROJECT, LABEL))
        seen = [e for e in context["entries"] if e["id"] == image]
        if not seen or seen[0]["version"] != answer["version"]:
            self.fail("%s's GET context does not show %s's accept of %s v%d" % (watcher_name, writer_name, image, answer["version"]))
        detail = http(watcher, "GET", "/api/projects/" + PROJECT)
        state = [i for i in detail["images"] if i["id"] == image][0]["labels"][LABEL]
        if state.get("version") != answer["version"]:
            self.fail("%s's project detail shows %s v%s, not %s's v%d" % (watcher_name, image, state.get("version"), writer_name, answer["version"]))
        mask = http(watcher, "GET", "/api/projects/%s/labels/%s/images/%s/mask.png" % (PROJECT, LABEL, image), raw=True)
        if self.reader.key_of_bytes(mask) != key:
            self.fail("%s serves another mask for %s than %s accepted" % (watcher_name, image, writer_name))
        deadline = time.time() + 10
        while len(events.context_times) == before and time.time() < deadline:
            time.sleep(0.01)
        if len(events.context_times) == before:
            self.fail("%s's event stream announced no context change after %s's accept" % (watcher_name, writer_name))
            return None
        return events.context_times[before] - start

    # MARK: Final checks

    def check_final(self, servers):
        figures = {}
        context = json.load(open(os.path.join(self.folder, "context", LABEL + ".json")))
        entries = context["entries"]
        ids = [e["id"] for e in entries]
        if len(set(ids)) != len(ids):
            self.fail("duplicate context entries: %s" % ids)
        by_image = {}
        for ack in self.acks:
            by_image.setdefault(ack[1], []).append(ack)
        files = 0
        for image, acks in by_image.items():
            versions = sorted(a[4] for a in acks)
            if versions != list(range(1, len(acks) + 1)):
                self.fail("%s: versions %s are not 1..%d (gap or duplicate)" % (image, versions, len(acks)))
                continue
            # Real-time order: an accept answered before another was sent has the lower version.
            ordered = sorted(acks, key=lambda a: a[4])
            for a in acks:
                for b in acks:
                    if a[6] < b[5] and a[4] >= b[4]:
                        self.fail("%s: %s answered before %s was sent, yet has version %d >= %d"
                                  % (image, a[3], b[3], a[4], b[4]))
            last = ordered[-1]
            entry = [e for e in entries if e["id"] == image]
            if not entry or entry[0]["version"] != last[4] or entry[0]["annotator"] != last[3]:
                self.fail("%s: the manifest has %s, not the last writer %s v%d" % (image, entry, last[3], last[4]))
            try:
                files += 1
                if self.reader.key_of_file(os.path.join(self.folder, "masks", LABEL, image + ".png")) != last[2]:
                    self.fail("%s: the mask on disk is not the last writer's" % image)
                for earlier in ordered[:-1]:
                    files += 1
                    path = os.path.join(self.folder, "history", LABEL, image, "%d.png" % earlier[4])
                    if self.reader.key_of_file(path) != earlier[2]:
                        self.fail("%s: history v%d is not what %s accepted" % (image, earlier[4], earlier[3]))
            except (OSError, TornFile) as error:
                self.fail("%s: %s" % (image, error))
        for entry in entries:
            if not os.path.exists(os.path.join(self.folder, "masks", LABEL, entry["id"] + ".png")):
                self.fail("context entry %s has no mask" % entry["id"])
            if entry["id"] not in by_image:
                self.fail("context entry %s was never accepted" % entry["id"])
        manifest = json.load(open(os.path.join(self.folder, "project.json")))
        expected_images = len(self.images) + self.counts["images_imported"]
        foreign = os.path.exists(os.path.join(self.folder, "images", "foreign.png"))
        for name, base in servers:
            listed = [p for p in http(base, "GET", "/api/projects")["projects"] if p["id"] == PROJECT]
            # The listing counts image files; the outsider's foreign.png is one.
            if not listed or listed[0]["imageCount"] != expected_images + foreign:
                self.fail("%s lists %s, expected %d images" % (name, listed, expected_images + foreign))
            detail = http(base, "GET", "/api/projects/" + PROJECT)
            if len(detail["images"]) != expected_images:
                self.fail("%s's detail shows %d images, expected %d" % (name, len(detail["images"]), expected_images))
            if detail.get("unreadableImages", []) != (["foreign"] if foreign else []):
                self.fail("%s reports unreadable images %s" % (name, detail.get("unreadableImages")))
            if detail["labels"] != manifest["labels"]:
                self.fail("%s shows labels %s, the manifest has %s" % (name, detail["labels"], manifest["labels"]))
            served = http(base, "GET", "/api/projects/%s/labels/%s/context" % (PROJECT, LABEL))
            if served["entries"] != entries:
                self.fail("%s's context differs from the file on disk" % name)
        figures["files_checked"] = files
        figures["images_with_masks"] = len(by_image)
        figures["shared_images_written_by_both"] = sum(1 for acks in by_image.values() if len({a[0][0] for a in acks}) > 1)
        figures["max_version"] = max((a[4] for a in self.acks), default=0)
        figures["labels"] = len(manifest["labels"])
        figures["temp_files_left"] = len(temp_files(self.folder))
        return figures

    def run(self):
        started = time.time()
        a = StoreServer(self.args.binary, self.projects, os.path.join(self.work, "a.log"), self.args.model)
        b = StoreServer(self.args.binary, self.projects, os.path.join(self.work, "b.log"), self.args.model)
        a.wait_ready()
        b.wait_ready()
        events_a = Events(a.url, "watchA")
        events_b = Events(b.url, "watchB")
        for events in (events_a, events_b):
            if not events.hello.wait(10):
                raise RuntimeError("no hello event")
        # Some images only A writes, some only B, the rest both at once.
        only_a, only_b, shared = self.images[0::3], self.images[1::3], self.images[2::3]
        threads = []
        for side, base, mine in (("A", a.url, only_a + shared), ("B", b.url, only_b + shared)):
            for t in range(self.args.threads):
                threads.append(threading.Thread(target=self.acceptor,
                                                args=(side, base, mine, rng_from(self.rng.random()))))
        threads.append(threading.Thread(target=self.store_editor, args=(rng_from(self.rng.random()),)))
        threads.append(threading.Thread(target=self.importer, args=(rng_from(self.rng.random()),)))
        threads.append(threading.Thread(target=self.outsider, args=(rng_from(self.rng.random()),)))
        for thread in threads:
            thread.start()
        time.sleep(self.args.seconds)
        self.stop.set()
        for thread in threads:
            thread.join()
        busy_events = (len(events_a.context_times), len(events_b.context_times))
        # Quiet now: each side's accept must reach the other side's page.
        latencies = {"A->B": [], "B->A": []}
        probe_rng = rng_from(self.rng.random())
        for _ in range(self.args.probes):
            for writer_name, writer, watcher_name, watcher, events in (("A", a.url, "B", b.url, events_b),
                                                                       ("B", b.url, "A", a.url, events_a)):
                latency = self.probe(writer_name, writer, watcher_name, watcher, events, probe_rng)
                if latency is not None:
                    latencies["%s->%s" % (writer_name, watcher_name)].append(latency)
        figures = self.check_final([("A", a.url), ("B", b.url)])
        for server in (a, b):
            if server.process.poll() is not None:
                self.fail("a server died: %s" % server.output()[-500:])
        events_a.close()
        events_b.close()
        a.stop()
        b.stop()
        for name, server in (("A", a), ("B", b)):
            if server.warnings():
                self.fail("%s warned: %s" % (name, server.warnings()))
        figures.update(busy_events=busy_events, latencies=latencies, elapsed=time.time() - started)
        return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="the built multiverseg executable")
    parser.add_argument("--seconds", type=float, default=40, help="how long both sides write at once")
    parser.add_argument("--threads", type=int, default=2, help="accepting threads per side")
    parser.add_argument("--probes", type=int, default=3, help="visibility probes per direction afterwards")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", action="store_true", help="serve with the model")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    test = Collaborators(args)
    print("collaborators test: %.0f s of concurrent writes, seed %d, folder %s" % (args.seconds, args.seed, test.work),
          flush=True)
    try:
        figures = test.run()
    finally:
        if not args.keep:
            shutil.rmtree(test.work, ignore_errors=True)
    c = test.counts
    by_side = {side: sum(1 for a in test.acks if a[0] == side) for side in "AB"}
    print()
    print("== collaborators summary ==")
    print("run time                            %.0f s" % figures["elapsed"])
    print("accepts sent / acknowledged         %d / %d (A %d, B %d)" % (c["accepts_sent"], len(test.acks), by_side["A"], by_side["B"]))
    print("images written / by both sides      %d / %d (highest version %d)"
          % (figures["images_with_masks"], figures["shared_images_written_by_both"], figures["max_version"]))
    print("page reads during writes            %d" % c["reads"])
    print("third party: imports / images       %d / %d" % (c["imports"], c["images_imported"]))
    print("third party: context toggles        %d, labels added %d (now %d labels)" % (c["toggles"], c["labels_added"], figures["labels"]))
    print("outsider's foreign files            %d" % c["foreign_files"])
    print("SSE context events while busy       A %d, B %d" % figures["busy_events"])
    for direction, values in sorted(figures["latencies"].items()):
        text = ", ".join("%.2f" % v for v in values) or "none"
        print("other side's SSE after accept %s  %s s" % (direction, text))
    print("mask/history files checked          %d" % figures["files_checked"])
    print("temporary files left                %d" % figures["temp_files_left"])
    print("lost or inconsistent                %d" % len(test.failures))
    ok = not test.failures
    print("RESULT: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
