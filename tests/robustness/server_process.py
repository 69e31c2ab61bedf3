"""Starts the real healthimaging-local binary on an ephemeral port and speaks raw HTTP to it.

Shared by the robustness, load, shutdown and durability tests. Python standard library only.
"""
import json
import os
import re
import socket
import subprocess
import threading
import time

DATASTORE = "b3d1c5e2a4f6078e9d0c1b2a3f4e5d6c"
JOB = "5f1e2d3c4b5a69788796a5b4c3d2e1f0"
JOB_PATH = f"/getDICOMImportJob/datastore/{DATASTORE}/job/{JOB}"


def binary_path(argv_path=None):
    path = argv_path or os.environ.get("HIL_BINARY")
    if not path:
        raise SystemExit("give the healthimaging-local binary as the first argument or in HIL_BINARY")
    return path


class Server:
    """A running server; `port` is the real port it printed. Stderr is kept in `log`."""

    def __init__(self, binary, *args, env=None, wait=True, preexec_fn=None):
        self.proc = subprocess.Popen([binary, "--port", "0", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                                     preexec_fn=preexec_fn)
        self.log = []
        self.port = None
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        if wait:
            self.wait_listening()

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.log.append(line.decode("utf-8", "replace"))

    def wait_listening(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"server exited before listening (rc={self.proc.wait()}): {''.join(self.log)}")
            m = re.search(rb"listening on http://[^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                threading.Thread(target=self.proc.stdout.read, daemon=True).start()
                return
        raise RuntimeError("server did not print its listening line in time")

    def connect(self, timeout=10):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def stop(self, sig=None, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig or 15)
        return self.proc.wait(timeout=timeout)

    def alive(self):
        return self.proc.poll() is None


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

    def json(self):
        # strict: the body must be valid UTF-8 and valid JSON
        return json.loads(self.body.decode("utf-8", "strict"))

    def __repr__(self):
        return f"<{self.status} {self.header('x-amzn-ErrorType')} {self.body[:200]!r}>"


class Reader:
    """Reads HTTP/1.1 responses (Content-Length framed, as the server always sends) off a socket."""

    def __init__(self, sock):
        self.sock, self.buf, self.eof = sock, b"", False

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            self.eof = True
        self.buf += chunk
        return bool(chunk)

    def read_response(self):
        """The next response, or None if the server closed the connection first."""
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                if self.buf:
                    raise AssertionError(f"connection closed mid-response: {self.buf[:200]!r}")
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            if not self._fill():
                raise AssertionError("connection closed mid-body")
        body, self.buf = self.buf[:length], self.buf[length:]
        return Response(status, headers, body)

    def closed_by_peer(self):
        """True once the server has closed its side (recv returns EOF or the connection was reset)."""
        try:
            while not self.eof:
                if not self._fill():
                    return True
            return True
        except (ConnectionResetError, BrokenPipeError):
            return True


def request_bytes(method, target, headers=None, body=b"", version="HTTP/1.1"):
    head = f"{method} {target} {version}\r\nHost: 127.0.0.1\r\n"
    for k, v in (headers or {}).items():
        head += f"{k}: {v}\r\n"
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode("latin-1") + b"\r\n" + body


def exchange(server, raw, shut_write=False, timeout=10):
    """Sends raw bytes on a new connection; returns (responses, closed_by_server)."""
    with server.connect(timeout) as s:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        if shut_write:
            s.shutdown(socket.SHUT_WR)
        reader = Reader(s)
        out = []
        try:
            while True:
                r = reader.read_response()
                if r is None:
                    return out, True
                out.append(r)
                if (r.header("connection") or "").lower() == "close":
                    return out, reader.closed_by_peer()
        except (ConnectionResetError, BrokenPipeError):
            return out, True
        except socket.timeout:
            return out, False


def get(server, target, headers=None):
    responses, _ = exchange(server, request_bytes("GET", target, {"Connection": "close", **(headers or {})}))
    assert len(responses) == 1, responses
    return responses[0]
