#!/usr/bin/env python3
"""Load test of the prediction API: many labeling pages predicting at once on loopback.

Starts `multiverseg serve --projects TMP --port 0` on a temporary copy of the demo project (with
the shipped weights and a few accepted masks, so predictions condition on a context set), then
opens SESSIONS page sessions as Public/js/label does: each subscribes to the label's event stream
(GET .../labels/head/events?session=ID) and CONCURRENCY workers POST predict requests with growing
seq numbers and random clicks, boxes and scribbles, several of a session at once.

Measured and printed: requests sent, 202s, errors, prediction/superseded/failed events,
p50/p95/p99 of submit -> prediction latency, p50/p99 of GET /api/health during the load, the
server's RSS over time (start, peak, first/second-half peak, end), threads and open fds before,
during and after (once the sessions have closed).

Fails (exit 1) when: a request is not answered by exactly one of prediction / superseded /
failed; a session sees a prediction for seq n after one for seq m > n (latest wins); any request
or health check errs; health p99 exceeds --health-p99-ms; the RSS peak exceeds --rss-limit-mb
or grows from the first half of the run to the second by more than --rss-growth-mb; threads or
fds stay above their pre-load level once the sessions are closed.

Usage (Python 3 stdlib only; build first with `swift build`):
    python3 Tests/Hardening/load_test.py                      # CI default: 30 s of load, 60-90 s in all
    python3 Tests/Hardening/load_test.py --seconds 300 --sessions 64 --concurrency 32
    python3 Tests/Hardening/load_test.py --binary .build/release/multiverseg

The default binary is .build/debug/multiverseg (what `swift build` makes), whose network is
about 50x slower than a release build's: its latency figures are queueing behind slow
predictions. Quote latencies from a release build (`swift build -c release`). The app serves at
most 160 event streams (App.Configuration.maxEventStreams); keep --sessions below that.
"""

import argparse
import base64
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "PythonSupport"))
from pngtools import grey_png, png_size  # noqa: E402
from server import REPO, Server  # noqa: E402

DEMO = os.path.join(REPO, "Projects", "fetal-head-demo")
PROJECT = "fetal-head-demo"
LABEL = "head"


# ---------------------------------------------------------------- small helpers

def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def proc_status(pid):
    """(RSS in MiB, threads, open fds) of a process, from /proc."""
    rss, threads = 0.0, 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, threads, fds


def serve(binary, projects, threads):
    """`multiverseg serve` with the shipped weights on `projects`, once it is ready."""
    try:
        return Server.started(binary, ["--projects", projects, "--port", "0", "--threads", str(threads),
                                       "--weights", os.path.join(REPO, "Weights", "default.safetensors"),
                                       "--public-dir", os.path.join(REPO, "Public"),
                                       "--templates-dir", os.path.join(REPO, "Templates")], timeout=120)
    except RuntimeError as error:
        raise SystemExit(str(error))


# ---------------------------------------------------------------- one page session

class Session:
    """One labeling page: an event stream and the requests it has sent."""

    def __init__(self, server, name):
        self.server = server
        self.name = name
        self.lock = threading.Lock()
        self.seq = 0
        self.sent = {}        # seq -> submit time, for requests answered 202
        self.answers = {}     # seq -> list of event names answering it
        self.predicted = []   # seqs of prediction events, in arrival order
        self.latencies = []   # seconds, submit -> prediction
        self.compute = []     # the server's own latencyMs of predictions it computed (not cached)
        self.cached = 0
        self.opened = threading.Event()
        self.stream_error = None
        self.sock = None
        self.thread = threading.Thread(target=self._listen, daemon=True)

    def start(self):
        self.thread.start()
        if not self.opened.wait(30):
            raise SystemExit(f"session {self.name}: the event stream did not open ({self.stream_error})")

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def _listen(self):
        try:
            self.sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=120)
            path = f"/api/projects/{PROJECT}/labels/{LABEL}/events?session={self.name}"
            self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.server.port}\r\n"
                              "Accept: text/event-stream\r\n\r\n".encode())
            reader = self.sock.makefile("rb")
            status = reader.readline()
            if b" 200 " not in status:
                raise RuntimeError(f"event stream answered {status!r}")
            chunked = False
            while True:
                line = reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower():
                    chunked = True
            self._parse(self._body(reader, chunked))
        except (OSError, RuntimeError, ValueError) as error:
            if not self.closing:
                self.stream_error = f"{type(error).__name__}: {error}"
        finally:
            self.opened.set()

    closing = False

    @staticmethod
    def _body(reader, chunked):
        """Yields body lines, undoing chunked transfer encoding."""
        pending = b""
        while True:
            if chunked:
                size_line = reader.readline()
                if not size_line:
                    return
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    return
                data = reader.read(size)
                reader.readline()
            else:
                data = reader.read1(65536)
                if not data:
                    return
            pending += data
            *lines, pending = pending.split(b"\n")
            yield from lines

    def _parse(self, lines):
        event, data = "message", []
        for raw in lines:
            line = raw.decode("utf-8").rstrip("\r")
            if line == "":
                if data:
                    self._event(event, "\n".join(data))
                event, data = "message", []
            elif line.startswith(":"):
                continue
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))

    def _event(self, name, data):
        now = time.monotonic()
        if name == "hello":
            self.opened.set()
            return
        if name not in ("prediction", "superseded", "failed"):
            return
        answer = json.loads(data)
        seq = answer["seq"]
        with self.lock:
            if name == "prediction":
                if answer.get("cached"):
                    self.cached += 1
                else:
                    self.compute.append(answer.get("latencyMs", 0) / 1000)
            self.answers.setdefault(seq, []).append(name)
            if name == "prediction":
                self.predicted.append(seq)
                if seq in self.sent:
                    self.latencies.append((now - self.sent[seq], bool(answer.get("cached"))))

    def close(self):
        self.closing = True
        if self.sock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()


def random_interactions(rng, width, height):
    """A page's request body: a few clicks, maybe a box, maybe a scribble; sometimes none."""
    def point():
        return rng.uniform(0, width - 1), rng.uniform(0, height - 1)

    kind = rng.random()
    body = {"clicks": [], "boxes": [], "scribbles": [], "usePrevious": rng.random() < 0.5}
    if kind < 0.15:
        body["usePrevious"] = False  # an image opened: the in-context prediction (often cached)
        return body
    for _ in range(rng.randint(1, 4)):
        x, y = point()
        body["clicks"].append({"x": x, "y": y, "positive": rng.random() < 0.7})
    if rng.random() < 0.4:
        (x0, y0), (x1, y1) = point(), point()
        body["boxes"].append({"x0": x0, "y0": y0, "x1": x1, "y1": y1})
    if rng.random() < 0.4:
        x, y = point()
        points = [[min(max(x + 3 * i, 0), width - 1), min(max(y + rng.uniform(-2, 2), 0), height - 1)]
                  for i in range(rng.randint(2, 40))]
        body["scribbles"].append({"points": points, "positive": rng.random() < 0.5})
    return body


# ---------------------------------------------------------------- the run

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=None, help="multiverseg executable (default: .build/debug, else release)")
    parser.add_argument("--seconds", type=float, default=30, help="length of the load phase")
    parser.add_argument("--sessions", type=int, default=16, help="page sessions (event streams) open at once")
    parser.add_argument("--concurrency", type=int, default=8, help="predict requests in flight at once")
    parser.add_argument("--threads", type=int, default=2, help="the server's network threads")
    parser.add_argument("--rss-limit-mb", type=float, default=1024)
    parser.add_argument("--rss-growth-mb", type=float, default=64,
                        help="allowed growth of the RSS peak from the first half of the load to the second")
    parser.add_argument("--health-p99-ms", type=float, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    binary = args.binary
    if binary is None:
        for candidate in (".build/debug/multiverseg", ".build/release/multiverseg"):
            if os.path.exists(os.path.join(REPO, candidate)):
                binary = os.path.join(REPO, candidate)
                break
    if binary is None or not os.path.exists(binary):
        raise SystemExit("no multiverseg binary: run `swift build` first or pass --binary PATH")
    args.binary = binary

    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="multiverseg-load-")
    projects = os.path.join(workdir, "Projects")
    shutil.copytree(DEMO, os.path.join(projects, PROJECT))
    server = serve(binary, projects, args.threads)
    failures = []
    try:
        run(server, args, rng, failures)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        print("\nFAILED:")
        for failure in failures:
            print("  - " + failure)
        sys.exit(1)
    print("\nload test passed")


def run(server, args, rng, failures):
    started = time.monotonic()
    images = sorted(name[:-4] for name in os.listdir(os.path.join(DEMO, "images")) if name.endswith(".png"))
    sizes = {}
    for image in images:
        with open(os.path.join(DEMO, "images", image + ".png"), "rb") as f:
            sizes[image] = png_size(f.read(24))

    # A context set of three accepted masks (ellipses near the centre, like a fetal head).
    for image in images[:3]:
        width, height = sizes[image]
        mask = grey_png(width, height, [255 if ((x - width / 2) / (width / 3)) ** 2
                                        + ((y - height / 2) / (height / 4)) ** 2 <= 1 else 0
                                        for y in range(height) for x in range(width)])
        body = json.dumps({"maskPNG": base64.b64encode(mask).decode(), "annotator": "load", "interactions": 1})
        status, text = server.request("POST", f"/api/projects/{PROJECT}/labels/{LABEL}/images/{image}/accept", body)
        if status != 200:
            raise SystemExit(f"accept {image}: {status} {text[:200]!r}")
    targets = images[3:]
    time.sleep(1)  # let the prefetch the accepts started settle before the baseline
    rss0, threads0, fds0 = proc_status(server.pid)

    # Sampling: RSS/threads/fds and the health endpoint, all through the run.
    samples = []  # (time, rss, threads, fds)
    health = []   # seconds
    health_errors = []
    stop_sampling = threading.Event()

    def sample():
        while not stop_sampling.is_set():
            try:
                samples.append((time.monotonic(), *proc_status(server.pid)))
            except OSError:
                pass
            stop_sampling.wait(0.25)

    def probe_health():
        while not stop_sampling.is_set():
            t0 = time.monotonic()
            try:
                status, body = server.request("GET", "/api/health", timeout=10)
                if status != 200 or json.loads(body).get("status") != "ok":
                    health_errors.append(f"health answered {status}")
            except (OSError, http.client.HTTPException, ValueError) as error:
                health_errors.append(f"health: {type(error).__name__}: {error}")
            health.append(time.monotonic() - t0)
            stop_sampling.wait(0.2)

    samplers = [threading.Thread(target=sample, daemon=True), threading.Thread(target=probe_health, daemon=True)]
    for thread in samplers:
        thread.start()

    sessions = [Session(server, f"load-{n:03d}") for n in range(args.sessions)]
    for session in sessions:
        session.start()
    opened_at = time.monotonic()
    _, threads_open, fds_open = proc_status(server.pid)

    counters = {"sent": 0, "accepted": 0, "errors": 0}
    errors = []
    counter_lock = threading.Lock()
    load_end = time.monotonic() + args.seconds

    def worker(worker_rng):
        connection = None
        while time.monotonic() < load_end:
            session = worker_rng.choice(sessions)
            image = worker_rng.choice(targets)
            width, height = sizes[image]
            body = random_interactions(worker_rng, width, height)
            seq = session.next_seq()
            body.update(session=session.name, seq=seq)
            path = f"/api/projects/{PROJECT}/labels/{LABEL}/images/{image}/predict"
            t0 = time.monotonic()
            with session.lock:
                session.sent[seq] = t0  # before the POST: the answer may beat the 202
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                text = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as error:
                status, text = None, f"{type(error).__name__}: {error}".encode()
                connection.close()
                connection = None
            with counter_lock:
                counters["sent"] += 1
                if status == 202:
                    counters["accepted"] += 1
                else:
                    counters["errors"] += 1
                    if len(errors) < 10:
                        errors.append(f"{status}: {text[:200]!r}")
            if status != 202:
                with session.lock:
                    session.sent.pop(seq, None)
            # A person clicks every few hundred ms; a worker stands for a few of them.
            time.sleep(worker_rng.uniform(0, 0.1))
        if connection:
            connection.close()

    workers = [threading.Thread(target=worker, args=(random.Random(rng.random()),), daemon=True)
               for _ in range(args.concurrency)]
    for thread in workers:
        thread.start()
    time.sleep(min(5, args.seconds / 2))
    _, threads_load, fds_load = proc_status(server.pid)
    for thread in workers:
        thread.join()
    load_seconds = time.monotonic() - opened_at

    # Drain: at most one request per session is pending (latest wins), so this takes about
    # sessions x one prediction (a debug build predicts in about 1.5 s on 2 busy cores).
    drain_deadline = time.monotonic() + max(60, 5 * args.sessions)
    def unanswered():
        return sum(1 for s in sessions for seq in list(s.sent) if seq not in s.answers)
    while unanswered() and time.monotonic() < drain_deadline:
        time.sleep(0.2)
    drain_seconds = time.monotonic() - opened_at - load_seconds

    for session in sessions:
        session.close()
    # Closed pages must give back their connection threads and sockets.
    settle_deadline = time.monotonic() + 30
    while time.monotonic() < settle_deadline:
        _, threads_after, fds_after = proc_status(server.pid)
        if threads_after <= threads0 + 2 and fds_after <= fds0 + 2:
            break
        time.sleep(0.5)
    settle_seconds = 30 - max(0.0, settle_deadline - time.monotonic())
    stop_sampling.set()
    for thread in samplers:
        thread.join()
    rss_end, threads_after, fds_after = proc_status(server.pid)

    # ------------------------------------------------------------ checks
    answered = {"prediction": 0, "superseded": 0, "failed": 0}
    latencies, computed_latencies, compute, cached = [], [], [], 0
    missing, duplicated, out_of_order, stray = 0, 0, 0, 0
    for session in sessions:
        if session.stream_error:
            failures.append(f"session {session.name}: event stream broke: {session.stream_error}")
        for seq, names in session.answers.items():
            for name in names:
                answered[name] += 1
            if len(names) > 1:
                duplicated += 1
            if seq not in session.sent:
                stray += 1
        missing += sum(1 for seq in session.sent if seq not in session.answers)
        highest = 0
        for seq in session.predicted:
            if seq < highest:
                out_of_order += 1
            highest = max(highest, seq)
        latencies += [latency for latency, _ in session.latencies]
        computed_latencies += [latency for latency, from_cache in session.latencies if not from_cache]
        compute += session.compute
        cached += session.cached

    load_samples = [s for s in samples if opened_at <= s[0] <= opened_at + load_seconds]
    half = opened_at + load_seconds / 2
    first_half = [s[1] for s in load_samples if s[0] < half] or [rss0]
    second_half = [s[1] for s in load_samples if s[0] >= half] or [rss0]
    rss_peak = max([s[1] for s in samples] or [rss0])

    ms = lambda seconds: seconds * 1000
    print("\n=== load test: prediction API ===")
    print(f"server: {os.path.relpath(args.binary, REPO)}, {args.threads} network thread(s); "
          f"{args.sessions} sessions, {args.concurrency} requests in flight, {load_seconds:.1f} s load, "
          f"{drain_seconds:.1f} s drain")
    print(f"requests: sent {counters['sent']}, 202 {counters['accepted']}, errors {counters['errors']}"
          f" ({counters['sent'] / load_seconds:.1f} req/s)")
    print(f"answers: prediction {answered['prediction']}, superseded {answered['superseded']}, "
          f"failed {answered['failed']}; missing {missing}, duplicated {duplicated}, stray {stray}, "
          f"out of order {out_of_order}")
    print(f"submit -> prediction (ms): p50 {ms(percentile(latencies, 50)):.0f}, "
          f"p95 {ms(percentile(latencies, 95)):.0f}, p99 {ms(percentile(latencies, 99)):.0f}, "
          f"max {ms(max(latencies, default=float('nan'))):.0f} (n={len(latencies)})")
    # Answers from the cache (an image's in-context prediction) are fast; the computed ones show
    # what a click costs under this load.
    print(f"  of which computed (not cached) (ms): p50 {ms(percentile(computed_latencies, 50)):.0f}, "
          f"p95 {ms(percentile(computed_latencies, 95)):.0f}, p99 {ms(percentile(computed_latencies, 99)):.0f} "
          f"(n={len(computed_latencies)})")
    print(f"server compute per prediction (ms): p50 {ms(percentile(compute, 50)):.0f}, "
          f"p99 {ms(percentile(compute, 99)):.0f} (n={len(compute)}; {cached} answered from the cache)")
    print(f"GET /api/health during load (ms): p50 {ms(percentile(health, 50)):.1f}, "
          f"p99 {ms(percentile(health, 99)):.1f}, max {ms(max(health, default=float('nan'))):.1f} "
          f"(n={len(health)}, errors {len(health_errors)})")
    print(f"RSS (MiB): start {rss0:.0f}, peak {rss_peak:.0f}, first-half peak {max(first_half):.0f}, "
          f"second-half peak {max(second_half):.0f}, end {rss_end:.0f} (limit {args.rss_limit_mb:.0f})")
    print(f"threads: before {threads0}, sessions open {threads_open}, under load {threads_load}, "
          f"after close {threads_after} ({settle_seconds:.1f} s to settle)")
    print(f"fds: before {fds0}, sessions open {fds_open}, under load {fds_load}, after close {fds_after}")
    print(f"total time {time.monotonic() - started:.1f} s")

    if counters["errors"]:
        failures.append(f"{counters['errors']} predict requests failed, e.g. {errors[:3]}")
    if counters["accepted"] == 0:
        failures.append("no predict request was accepted")
    if missing or duplicated or stray:
        failures.append(f"requests must be answered exactly once: {missing} missing, {duplicated} answered twice, "
                        f"{stray} answers to requests never accepted")
    if out_of_order:
        failures.append(f"latest wins broken: {out_of_order} predictions arrived after a newer one")
    if answered["prediction"] == 0:
        failures.append("no prediction arrived")
    if answered["failed"]:
        failures.append(f"{answered['failed']} predictions failed on the server")
    if health_errors:
        failures.append(f"health checks failed during load: {health_errors[:3]}")
    if percentile(health, 99) * 1000 > args.health_p99_ms:
        failures.append(f"health p99 {percentile(health, 99) * 1000:.0f} ms > {args.health_p99_ms:.0f} ms")
    if rss_peak > args.rss_limit_mb:
        failures.append(f"RSS peak {rss_peak:.0f} MiB > limit {args.rss_limit_mb:.0f} MiB")
    if max(second_half) > max(first_half) + args.rss_growth_mb:
        failures.append(f"RSS keeps growing: second-half peak {max(second_half):.0f} MiB vs first-half "
                        f"{max(first_half):.0f} MiB (allowed +{args.rss_growth_mb:.0f})")
    if threads_after > threads0 + 2:
        failures.append(f"threads leak: {threads_after} after the sessions closed, {threads0} before")
    if fds_after > fds0 + 2:
        failures.append(f"fds leak: {fds_after} after the sessions closed, {fds0} before")
    if server.process.poll() is not None:
        failures.append(f"the server exited with {server.process.returncode}")


if __name__ == "__main__":
    main()
