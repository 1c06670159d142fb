"""`multiverseg serve` as a child process, for the Python test harnesses: started on the command
line a harness gives, its output collected (and copied to a log file when asked), its address
parsed from the line it prints ("Open http://127.0.0.1:PORT/?token=… in your browser").

    server = Server.started(".build/debug/multiverseg", ["--port", "0", "--projects", folder])
    try:
        status, body = server.request("GET", "/api/health")
    finally:
        server.stop()
"""

import http.client
import os
import re
import signal
import subprocess
import threading

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ADDRESS = re.compile(r"^Open http://([0-9.]+):(\d+)/(?:\?token=([0-9a-f]+))?")


class Server:
    """One `serve` process. `url` ("http://HOST:PORT/"), `port` and `token` are set once it has
    printed its address (`wait_ready`); `lines` is its output so far, stdout and stderr together."""

    def __init__(self, binary, args, cwd=REPO, env=None, log_path=None, new_session=False):
        self.process = subprocess.Popen([binary, "serve"] + list(args), stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                        start_new_session=new_session)
        self.lines = []
        self.url = self.port = self.token = None
        self._ended = False
        self._changed = threading.Condition()
        # Read all the time, so the server never blocks on a full pipe.
        self._reader = threading.Thread(target=self._read, args=(log_path,), daemon=True)
        self._reader.start()

    def _read(self, log_path):
        log = open(log_path, "w") if log_path else None
        try:
            for raw in self.process.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if log:
                    log.write(line + "\n")
                    log.flush()
                with self._changed:
                    self.lines.append(line)
                    match = ADDRESS.match(line)
                    if match and self.url is None:
                        self.url = "http://%s:%s/" % (match.group(1), match.group(2))
                        self.port = int(match.group(2))
                        self.token = match.group(3)
                    self._changed.notify_all()
        finally:
            if log:
                log.close()
            with self._changed:
                self._ended = True
                self._changed.notify_all()

    @classmethod
    def started(cls, binary, args, timeout=60, **options):
        """A server that has printed its address; stopped again, and RuntimeError raised, when it
        does not within `timeout` seconds. `options` are those of the initialiser."""
        server = cls(binary, args, **options)
        try:
            server.wait_ready(timeout)
        except RuntimeError:
            server.stop()
            raise
        return server

    @property
    def pid(self):
        return self.process.pid

    def wait_ready(self, timeout=60):
        """Waits until the server printed its address and returns `url`; raises RuntimeError with
        its last output when it exits or stays silent for `timeout` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self.url is not None or self._ended, timeout)
            if self.url is not None:
                return self.url
        code = self.process.poll()
        why = "exited with %s" % code if code is not None else "printed no address within %ds" % timeout
        raise RuntimeError("serve %s:\n%s" % (why, "\n".join(self.lines[-20:])))

    def output(self):
        """Everything the server printed so far, one string."""
        with self._changed:
            return "\n".join(self.lines)

    def request(self, method, path, body=None, timeout=30):
        """One request on loopback, a JSON `body` when given; returns (status, body bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def kill(self):
        """SIGKILL, as a crash would."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._reader.join(10)

    def stop(self, timeout=20):
        """SIGTERM, then SIGKILL if it has not exited after `timeout` seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process.wait()
        self._reader.join(10)
