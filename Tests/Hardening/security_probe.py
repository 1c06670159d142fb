#!/usr/bin/env python3
"""Probes the real `multiverseg serve` binary the way a hostile web page or network peer would.

Starts the binary twice on port 0 over a temporary projects folder (with a secret file next to it
and a symbolic link planted in a project): once on loopback (no token), once on 0.0.0.0 (with the
random token it prints). Sends raw HTTP over a socket, so Host, Origin and the request target are
exactly what an attacker could send, and prints a table: probe, expected, got. Exits 1 on any
mismatch, 2 when the servers cannot be started.

Policy checked (see Tests/Hardening/SECURITY.md): foreign Host refused on loopback (DNS rebinding),
foreign Origin / Sec-Fetch-Site refused on the API and on state changes (CSRF), no CORS grants,
token required off loopback (header or cookie), no path out of the projects folder, upload and
pixel limits, and no error body naming a folder of this machine.

Usage: Tests/Hardening/security_probe.py --binary .build/debug/multiverseg [--budget SECONDS]
Stdlib only; takes a few seconds.
"""
import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "PythonSupport"))
from pngtools import grey_png  # noqa: E402
from server import REPO, Server  # noqa: E402


def png(width, height, value=200, declared=None):
    """An 8-bit grey PNG; `declared` rewrites the header's size (a pixel bomb) without more data."""
    return grey_png(width, height, bytes([value]) * (width * height), declared)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def _read_until_closed(sock):
    """Everything the server sends until it closes the connection (or resets it, or goes quiet)."""
    data = b""
    while True:
        try:
            part = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not part:
            break
        data += part
    return data


def raw_request(port, head, timeout=10):
    """Sends `head` (bytes) as it is, for requests no well-behaved client sends; reads the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        data = _read_until_closed(sock)
    return parse_response(data)


def request(port, method, target, headers=None, body=b"", host=None, declared_length=None, timeout=10):
    """One raw HTTP/1.1 request (Connection: close); the target is sent exactly as given."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        head = f"{method} {target} HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\nConnection: close\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        if body or declared_length is not None:
            head += f"Content-Length: {declared_length if declared_length is not None else len(body)}\r\n"
        sock.sendall(head.encode("latin-1") + b"\r\n")
        try:
            sock.sendall(body)
        except OSError:
            pass  # the server may answer (413) and close before the whole body is sent
        data = _read_until_closed(sock)
    return parse_response(data)


def parse_response(data):
    """The status, headers (lowercased names) and body (de-chunked) of a raw HTTP answer."""
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or len(lines[0].split()) < 2:
        return Response(0, {}, data)
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    if headers.get("transfer-encoding", "").lower() == "chunked":
        out, index = b"", 0
        while True:
            end = rest.find(b"\r\n", index)
            if end < 0:
                break
            size = int(rest[index:end].split(b";")[0] or b"0", 16)
            if size == 0:
                break
            out += rest[end + 2:end + 2 + size]
            index = end + 2 + size + 2
        rest = out
    return Response(status, headers, rest)


def serve(binary, workdir, extra, deadline):
    """`multiverseg serve` in `workdir` without weights or a preset token, with small limits, once
    it printed its address (and token) or the time budget ran out."""
    return Server.started(
        binary, ["--port", "0", "--projects", os.path.join(workdir, "Projects"),
                 "--public-dir", os.path.join(REPO, "Public"), "--templates-dir", os.path.join(REPO, "Templates"),
                 "--weights", os.path.join(workdir, "Weights", "missing.safetensors"), "--max-upload-mb", "1",
                 "--max-image-pixels", "1000000"] + extra,
        timeout=max(1, deadline - time.time()), cwd=workdir, env={**os.environ, "MULTIVERSEG_TOKEN": ""})


class Probes:
    def __init__(self, private_paths, secrets):
        self.rows = []
        self.private_paths = private_paths
        self.secrets = secrets
        self.responses = []

    def check(self, name, expected, response, extra_ok=True, detail=""):
        """`expected` is a status or a set of statuses; `extra_ok` any further condition."""
        allowed = expected if isinstance(expected, (set, frozenset)) else {expected}
        self.responses.append((name, response))
        leaked = [s for s in self.secrets if s in response.body]
        ok = response.status in allowed and extra_ok and not leaked
        got = str(response.status) + (f" {detail}" if detail else "") + (" LEAKED SECRET" if leaked else "")
        want = "/".join(str(s) for s in sorted(allowed))
        self.rows.append((name, want, got, ok))
        return response

    def finish_leak_checks(self):
        """Every error body (and /api/health) names no folder of this machine; no answer grants CORS."""
        leaks = [(n, p) for n, r in self.responses for p in self.private_paths
                 if (r.status >= 400 or "health" in n) and p.encode() in r.body]
        self.rows.append(("error bodies name no folder of this machine", "none",
                          ", ".join(f"{n}: {p}" for n, p in leaks[:3]) or "none", not leaks))
        cors = [n for n, r in self.responses if "access-control-allow-origin" in r.headers]
        self.rows.append(("no Access-Control-Allow-Origin anywhere", "none", ", ".join(cors[:3]) or "none", not cors))
        framing = [n for n, r in self.responses if r.status and r.headers.get("x-frame-options") != "DENY"]
        self.rows.append(("X-Frame-Options: DENY on every answer", "all", ", ".join(framing[:3]) or "all", not framing))


def probe_loopback(p, server, workdir):
    port = server.port
    own = f"http://127.0.0.1:{port}"
    json_headers = {"Content-Type": "application/json"}
    create = json.dumps({"name": "Probe Two", "labels": ["cell"]}).encode()

    p.check("Host 127.0.0.1:PORT", 200, request(port, "GET", "/api/health"))
    p.check("Host localhost:PORT", 200, request(port, "GET", "/api/health", host=f"localhost:{port}"))
    p.check("Host [::1]:PORT", 200, request(port, "GET", "/", host=f"[::1]:{port}"))
    for host in [f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", f"localhost.evil.example:{port}"]:
        p.check(f"foreign Host {host} (API)", 403, request(port, "GET", "/api/projects", host=host))
    p.check("foreign Host (page)", 403, request(port, "GET", "/", host=f"rebind.evil.example:{port}"))
    p.check("foreign Host (POST)", 403, request(port, "POST", "/api/projects", json_headers, create,
                                               host=f"rebind.evil.example:{port}"))
    p.check("no Host header (HTTP/1.0)", 400, raw_request(port, b"GET /api/projects HTTP/1.0\r\n\r\n"))
    p.check("two Host headers", 400, raw_request(
        port, f"GET /api/projects HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\nConnection: close\r\n\r\n".encode()))
    # Slowloris: 300 half-sent request heads held open (more than the server's 256 connections).
    held = []
    try:
        for _ in range(300):
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock.sendall(f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())
                held.append(sock)
            except OSError:
                pass
        p.check("answers while 300 half-sent requests are held (slowloris)", 200, request(port, "GET", "/api/health", timeout=15),
                detail=f"{len(held)} held")
    finally:
        for sock in held:
            sock.close()

    for origin in ["http://evil.example", "null", f"http://localhost:{port + 1}", f"https://127.0.0.1:{port}"]:
        p.check(f"POST Origin {origin}", 403, request(port, "POST", "/api/projects", {**json_headers, "Origin": origin}, create))
    p.check("GET /api Origin http://evil.example", 403,
            request(port, "GET", "/api/projects", {"Origin": "http://evil.example"}))
    pre = request(port, "OPTIONS", "/api/projects", {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    p.check("CORS preflight from evil.example", 403, pre)
    p.check("POST Sec-Fetch-Site: cross-site", 403,
            request(port, "POST", "/api/projects", {**json_headers, "Sec-Fetch-Site": "cross-site"}, create))
    p.check("GET /api Sec-Fetch-Site: cross-site", 403, request(port, "GET", "/api/projects", {"Sec-Fetch-Site": "cross-site"}))
    p.check("GET /api Sec-Fetch-Site: same-site", 403, request(port, "GET", "/api/projects", {"Sec-Fetch-Site": "same-site"}))
    p.check("link from another site to / (navigation)", 200, request(port, "GET", "/", {"Sec-Fetch-Site": "cross-site"}))
    listing = request(port, "GET", "/api/projects").text
    p.check("refused POSTs created nothing", 200, request(port, "GET", "/api/projects"),
            extra_ok="probe-two" not in listing, detail="" if "probe-two" not in listing else "project created!")
    p.check("POST with own Origin", 201,
            request(port, "POST", "/api/projects", {**json_headers, "Origin": own, "Sec-Fetch-Site": "same-origin"}, create))
    p.check("POST without Origin (curl)", 201, request(port, "POST", "/api/projects", json_headers,
                                                     json.dumps({"name": "Probe Three", "labels": []}).encode()))

    traversal = [
        "/../secret.txt", "/%2e%2e/secret.txt", "/%2e%2e%2fsecret.txt", "/..%5csecret.txt", "/%c0%ae%c0%ae/secret.txt",
        "/js/%00/../../secret.txt", "/%252e%252e/secret.txt",
        "/api/projects/..%2f..%2fsecret.txt", "/api/projects/%2e%2e", "/api/projects/probe%5c..%5c..",
        "/api/projects/%ef%bc%8e%ef%bc%8e/images/x.png",
        "/api/projects/probe/images/..%2f..%2f..%2fsecret.png", "/api/projects/probe/images/%2e%2e.png",
        "/api/projects/probe/images/leak.png", "/api/projects/probe/images/leak/raw",
        "/api/projects/probe/labels/..%2f..%2fx/context", "/api/projects/linked", "/api/projects/linked/images/x.png",
    ]
    for target in traversal:
        p.check(f"traversal GET {target}", {400, 403, 404, 405, 422}, request(port, "GET", target))
    p.check("symlink image leaving the project", 403, request(port, "GET", "/api/projects/probe/images/leak.png"))
    up = p.check("upload ?name=../../evil.png", 201,
                 request(port, "POST", "/api/projects/probe/images?name=..%2f..%2f..%2fevil.png", body=png(8, 7)))
    stray = [f for f in ("evil.png", "Projects/evil.png") if os.path.exists(os.path.join(workdir, f))]
    p.rows.append(("upload name stays inside images/", "id evil, no stray file",
                   f"{up.text.strip()} {stray or 'no stray file'}", '"evil"' in up.text and not stray))
    p.check("accept into masks/ linked outside", 403,
            request(port, "POST", "/api/projects/probe/labels/cell/images/a/accept", json_headers,
                     json.dumps({"maskPNG": __import__("base64").b64encode(png(8, 8, 255)).decode()}).encode()))
    outside = [os.path.join(d, f) for d, _, files in os.walk(os.path.join(workdir, "outside-masks")) for f in files]
    p.rows.append(("nothing written through the masks/ link", "empty", str(outside or "empty"), not outside))

    p.check("declared body over --max-upload-mb", 413,
            request(port, "POST", "/api/projects/probe/images?name=big.png", declared_length=2 << 20))
    p.check("sent body over --max-upload-mb", 413,
            request(port, "POST", "/api/projects/probe/images?name=big.png", body=b"\0" * ((1 << 20) + 1)))
    bomb = png(8, 8, declared=(100_000, 100_000))
    p.check(f"pixel bomb ({len(bomb)} bytes, 100000x100000)", 413,
            request(port, "POST", "/api/projects/probe/images?name=bomb.png", body=bomb))
    p.check("image over --max-image-pixels", 413,
            request(port, "POST", "/api/projects/probe/images?name=big.png", body=png(1100, 1000)))
    p.check("not a PNG", 422, request(port, "POST", "/api/projects/probe/images?name=x.png", body=b"GIF89a" + b"\0" * 40))
    p.check("mask pixel bomb", 413,
            request(port, "POST", "/api/projects/probe/labels/cell/images/a/accept", json_headers,
                     json.dumps({"maskPNG": __import__("base64").b64encode(bomb).decode()}).encode()))
    for name, target, method, body in [
        ("404 unknown project", "/api/projects/nope", "GET", b""),
        ("405 method", "/api/projects", "PUT", b""),
        ("409 duplicate label", "/api/projects/probe/labels", "POST", b'{"label": "cell"}'),
        ("400 bad JSON", "/api/projects", "POST", b"{"),
        ("503 no model (weights path)", "/api/projects/probe/labels/cell/images/a/predict", "POST",
         b'{"session": "s", "seq": 1, "clicks": []}'),
        ("200 health (weights problem)", "/api/health", "GET", b""),
    ]:
        expected = int(name.split()[0])
        p.check(name, expected, request(port, method, target, json_headers if body else {}, body))


def probe_token(p, server):
    port, token = server.port, server.token
    p.rows.append(("0.0.0.0 prints a token URL", "48 hex digits", f"{len(token or '')} hex digits",
                   bool(token) and len(token) == 48))
    if not token:
        return
    bearer = {"Authorization": f"Bearer {token}"}
    cookie_name = f"multiverseg_token_{port}"
    for target in ["/api/health", "/", "/js/api.js", "/api/projects/probe/images/a.png"]:
        p.check(f"no token {target}", 401, request(port, "GET", target))
    p.check("no token, POST (body never read)", 401, request(port, "POST", "/api/projects", declared_length=100 << 20))
    p.check("wrong Bearer token", 403, request(port, "GET", "/api/health", {"Authorization": f"Bearer {token[::-1]}"}))
    p.check("truncated Bearer token", 403, request(port, "GET", "/api/health", {"Authorization": f"Bearer {token[:-1]}"}))
    p.check("right Bearer token", 200, request(port, "GET", "/api/health", bearer))
    p.check("wrong ?token=", 403, request(port, "GET", f"/?token={'0' * 48}"))
    opened = request(port, "GET", f"/?token={token}")
    set_cookie = opened.headers.get("set-cookie", "")
    good_cookie = all(a in set_cookie for a in ("HttpOnly", "SameSite=Strict", "Path=/")) and set_cookie.startswith(cookie_name)
    p.check("open /?token= sets cookie, redirects", 303, opened,
            extra_ok=good_cookie and opened.headers.get("location") == "/",
            detail=f"Location {opened.headers.get('location')}, cookie ok={good_cookie}")
    cookie = {"Cookie": f"{cookie_name}={token}"}
    p.check("right cookie, page", 200, request(port, "GET", "/", cookie))
    p.check("right cookie, API", 200, request(port, "GET", "/api/projects", cookie))
    p.check("wrong cookie", 403, request(port, "GET", "/api/projects", {"Cookie": f"{cookie_name}={'f' * 48}"}))
    p.check("cookie of another port", 401, request(port, "GET", "/api/projects", {"Cookie": f"multiverseg_token_1={token}"}))
    p.check("right token, foreign Origin POST", 403,
            request(port, "POST", "/api/projects", {**bearer, "Origin": "http://evil.example"}, b'{"name": "x"}'))
    p.check("right token, traversal", {400, 404}, request(port, "GET", "/%2e%2e/secret.txt", bearer))
    p.check("open redirect //evil.example/?token=", 303, request(port, "GET", f"//evil.example/?token={token}"),
            extra_ok=True)
    location = request(port, "GET", f"//evil.example/?token={token}").headers.get("location", "")
    p.rows.append(("redirect stays on this server", "starts with one /", location,
                   location.startswith("/") and not location.startswith("//")))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(REPO, ".build", "debug", "multiverseg"))
    parser.add_argument("--budget", type=float, default=60, help="seconds allowed for everything (default 60)")
    args = parser.parse_args()
    deadline = time.time() + args.budget
    started = time.time()
    workdir = os.path.realpath(tempfile.mkdtemp(prefix="multiverseg-probe-"))
    servers = []
    try:
        os.makedirs(os.path.join(workdir, "Projects", "probe", "images"))
        with open(os.path.join(workdir, "Projects", "probe", "project.json"), "w") as f:
            json.dump({"schema": 1, "name": "Probe", "labels": ["cell"]}, f)
        with open(os.path.join(workdir, "Projects", "probe", "images", "a.png"), "wb") as f:
            f.write(png(8, 8))
        secret_png = png(9, 9, 123)
        with open(os.path.join(workdir, "secret.png"), "wb") as f:
            f.write(secret_png)
        with open(os.path.join(workdir, "secret.txt"), "w") as f:
            f.write("TOP SECRET 7d1f")
        os.symlink("../../../secret.png", os.path.join(workdir, "Projects", "probe", "images", "leak.png"))
        os.makedirs(os.path.join(workdir, "outside", "images"))
        shutil.copy(os.path.join(workdir, "Projects", "probe", "project.json"), os.path.join(workdir, "outside"))
        shutil.copy(os.path.join(workdir, "secret.png"), os.path.join(workdir, "outside", "images", "x.png"))
        os.symlink("../outside", os.path.join(workdir, "Projects", "linked"))
        os.makedirs(os.path.join(workdir, "outside-masks", "cell"))
        os.symlink("../../outside-masks", os.path.join(workdir, "Projects", "probe", "masks"))

        private = sorted({workdir, tempfile.gettempdir() + "/", os.path.expanduser("~") + "/", REPO + "/", "Weights/"})
        probes = Probes(private, [b"TOP SECRET 7d1f", secret_png])
        try:
            binary = os.path.abspath(args.binary)
            loopback = serve(binary, workdir, [], deadline)
            servers.append(loopback)
            everywhere = serve(binary, workdir, ["--host", "0.0.0.0"], deadline)
            servers.append(everywhere)
        except (RuntimeError, OSError) as error:
            print(f"security_probe: cannot start the server: {error}", file=sys.stderr)
            return 2
        probe_loopback(probes, loopback, workdir)
        probe_token(probes, everywhere)
        probes.finish_leak_checks()
        if time.time() > deadline:
            probes.rows.append(("finished within the budget", f"{args.budget:.0f} s", f"{time.time() - started:.1f} s", False))
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    width = max(len(r[0]) for r in probes.rows)
    print(f"{'probe'.ljust(width)}  {'expected':<22} {'got':<30} result")
    for name, want, got, ok in probes.rows:
        print(f"{name.ljust(width)}  {want:<22} {got[:60]:<30} {'ok' if ok else 'MISMATCH'}")
    failed = [r for r in probes.rows if not r[3]]
    print(f"security_probe: {len(probes.rows) - len(failed)} passed, {len(failed)} failed, "
          f"{len(probes.responses)} requests in {time.time() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
