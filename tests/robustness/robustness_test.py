#!/usr/bin/env python3
"""Robustness: the real server, fed malformed, oversized, hostile and slow input.

After every case the same server must still answer a normal request correctly.
Usage: robustness_test.py /path/to/healthimaging-local [unittest args]
"""
import os
import re
import socket
import sys
import time
import unittest

from server_process import (DATASTORE, JOB, JOB_PATH, Reader, Server, binary_path, exchange, get,
                            request_bytes)

BINARY = None
READ_TIMEOUT_S = 1.0
# No error message may quote more than a bounded slice of what the client sent.
MAX_ERROR_BODY = 2048
# name -> status, read from the error table itself so the test follows it.
ERROR_STATUS = {m[0]: int(m[1]) for m in re.findall(
    r'\{error_code::\w+, "(\w+)", (\d+)',
    open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "api", "api_error.cpp")).read())}
inputs_tried = 0


class RobustnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(BINARY, "--read-timeout", f"{int(READ_TIMEOUT_S * 1000)}ms", "--body-limit", "65536",
                            "--log-level", "warn")

    @classmethod
    def tearDownClass(cls):
        rc = cls.server.stop()
        assert rc == 0, f"server exit code {rc}: {''.join(cls.server.log)[-2000:]}"

    def tearDown(self):
        self.assert_healthy()

    # -- helpers -----------------------------------------------------------------------------
    def assert_healthy(self):
        self.assertTrue(self.server.alive(), "the server died: " + "".join(self.server.log)[-2000:])
        r = get(self.server, JOB_PATH)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["jobProperties"]["jobId"], JOB)

    def assert_error(self, r, status, error_type=None):
        global inputs_tried
        inputs_tried += 1
        self.assertEqual(r.status, status, r)
        name = r.header("x-amzn-ErrorType")
        self.assertIn(name, ERROR_STATUS, r)
        self.assertEqual(ERROR_STATUS[name], status, r)
        if error_type:
            self.assertEqual(name, error_type, r)
        self.assertEqual(r.header("content-type"), "application/json")
        self.assertTrue(r.header("x-amzn-RequestId"))
        self.assertLessEqual(len(r.body), MAX_ERROR_BODY, r)
        body = r.json()
        self.assertIsInstance(body.get("message"), str, r)
        return body["message"]

    def raw_error(self, raw, status, error_type=None, closes=True, shut_write=False):
        responses, closed = exchange(self.server, raw, shut_write=shut_write)
        self.assertGreaterEqual(len(responses), 1, f"no answer to {raw[:80]!r}")
        message = self.assert_error(responses[0], status, error_type)
        if closes:
            self.assertTrue(closed, f"connection left open after {raw[:80]!r}")
        return message

    # -- malformed HTTP ----------------------------------------------------------------------
    def test_malformed_request_lines(self):
        for raw in [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET  / HTTP/1.1\r\n\r\n",
                    b"GET / HTTP/1.1 extra\r\n\r\n", b"\x00\x01\x02\x03\r\n\r\n", b"GET /\x7f HTTP/1.1\r\n\r\n",
                    b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", b"GET / HTTP/1.1\r\n: empty-name\r\n\r\n",
                    b"GET /a b HTTP/1.1\r\n\r\n", b"\r\n\r\n\r\n\r\n", b"GET / HTTP/1.1\nHost: x\n\n"]:
            with self.subTest(raw=raw):
                self.raw_error(raw, 400, "BadRequestException")

    def test_invalid_methods(self):
        for method in [b"G(T", b"GE\"T", b"G\x80T", b"{}"]:
            with self.subTest(method=method):
                self.raw_error(method + b" " + JOB_PATH.encode() + b" HTTP/1.1\r\n\r\n", 400, "BadRequestException")
        # A well-formed but unknown method is an unknown operation, and is not echoed whole.
        for method in ["BREW", "PROPFIND", "X" * 8000]:
            with self.subTest(method=method[:20]):
                responses, _ = exchange(self.server, request_bytes(method, JOB_PATH, {"Connection": "close"}))
                message = self.assert_error(responses[0], 404, "UnknownOperationException")
                self.assertLess(len(message), 1024)

    def test_absurd_header_counts_and_sizes(self):
        many = "".join(f"X-H{i}: v\r\n" for i in range(5000)).encode()
        self.raw_error(b"GET " + JOB_PATH.encode() + b" HTTP/1.1\r\n" + many + b"\r\n", 431,
                       "RequestHeaderFieldsTooLargeException")
        huge = b"X-Big: " + b"a" * 100_000 + b"\r\n"
        self.raw_error(b"GET " + JOB_PATH.encode() + b" HTTP/1.1\r\n" + huge + b"\r\n", 431,
                       "RequestHeaderFieldsTooLargeException")
        long_target = b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n"
        self.raw_error(long_target, 431, "RequestHeaderFieldsTooLargeException")

    def test_bodies_over_the_limit(self):
        # Refused from the declared length, before the body is read.
        self.raw_error(request_bytes("POST", JOB_PATH, {"Content-Length": "1000000000"}), 413,
                       None)
        self.raw_error(request_bytes("GET", JOB_PATH, body=b"x" * 70_000), 413, None)
        chunks = b"".join(b"8000\r\n" + b"y" * 0x8000 + b"\r\n" for _ in range(3)) + b"0\r\n\r\n"
        self.raw_error(request_bytes("POST", JOB_PATH, {"Transfer-Encoding": "chunked"}) + chunks, 413,
                       None)

    def test_bad_chunked_encoding(self):
        for chunks in [b"zz\r\nhello\r\n0\r\n\r\n", b"ffffffffffffffffffffff\r\n", b"5\r\nhelloXX0\r\n\r\n",
                       b"-1\r\n\r\n", b"5;\x01\r\nhello\r\n0\r\n\r\n", b"0\r\nBad Trailer\r\n\r\n"]:
            with self.subTest(chunks=chunks):
                self.raw_error(request_bytes("POST", JOB_PATH, {"Transfer-Encoding": "chunked"}) + chunks, 400,
                               "BadRequestException")
        self.raw_error(request_bytes("POST", JOB_PATH, {"Content-Length": "abc"}), 400, "BadRequestException")
        self.raw_error(request_bytes("POST", JOB_PATH, {"Content-Length": "5", "content-length": "6"}), 400,
                       "BadRequestException")

    # -- hostile ids -------------------------------------------------------------------------
    def test_invalid_utf8_control_characters_and_quotes_in_ids(self):
        hostile = ["%ff%fe%fd", "%c3%28", "%ed%a0%80", "%00", "%01%02%1b%7f", "%22%27%5c", "%22%7d%2c%22x%22%3a%22",
                   "%e2%80%ae", "a" * 5000, "%41" * 3000, "%c3%a9", "%F0%9F%92%A9" * 40]
        for bad in hostile:
            for target in [f"/getDICOMImportJob/datastore/{bad}/job/{JOB}",
                           f"/getDICOMImportJob/datastore/{DATASTORE}/job/{bad}"]:
                with self.subTest(target=target[:80]):
                    message = self.assert_error(get(self.server, target), 400, "ValidationException")
                    self.assertIn("failed to satisfy constraint", message)
        # Raw (unencoded) control characters, quotes and bytes >= 0x80 in the target are not HTTP.
        for raw in [b"\"'", b"\x01", b"\xff\xfe", b"\x1b[31m"]:
            with self.subTest(raw=raw):
                self.raw_error(b"GET /getDICOMImportJob/datastore/" + raw + b"/job/x HTTP/1.1\r\n\r\n", 400)

    def test_percent_sequences(self):
        base = f"/getDICOMImportJob/datastore/{DATASTORE}/job/"
        for label in ["%", "%4", "%zz", "abc%", "abc%2", "%2F", "a%2Fb", "%2f%2e%2e", "%00", "a%00b", "%%32%46"]:
            with self.subTest(label=label):
                # Decoding happens after splitting: '%2F' stays inside its label, so the route
                # still matches and the value fails validation; it never becomes a path.
                message = self.assert_error(get(self.server, base + label), 400, "ValidationException")
                self.assertIn("jobId", message)
        # Literal segments are decoded too, as AWS's front end does.
        self.assertEqual(get(self.server, base.replace("datastore/", "data%73tore/") + JOB).status, 200)
        r = get(self.server, f"/getDICOMImportJob/datastore/{DATASTORE}/job/%35f1e2d3c4b5a69788796a5b4c3d2e1f0")
        self.assertEqual(r.status, 200, r)

    # -- connection handling -----------------------------------------------------------------
    def test_pipelining(self):
        raw = (request_bytes("GET", JOB_PATH) + request_bytes("GET", "/nope") +
               request_bytes("GET", f"/getDICOMImportJob/datastore/{DATASTORE}/job/BAD") +
               request_bytes("GET", "/_emulator/health", {"Connection": "close"}))
        responses, closed = exchange(self.server, raw)
        self.assertEqual([r.status for r in responses], [200, 404, 400, 200])
        self.assertEqual(responses[0].json()["jobProperties"]["jobId"], JOB)
        self.assertTrue(closed)
        # A malformed request in the middle of a pipeline: answered in order, then closed.
        raw = request_bytes("GET", JOB_PATH) + b"BROKEN LINE\r\n\r\n" + request_bytes("GET", JOB_PATH)
        responses, closed = exchange(self.server, raw)
        self.assertEqual([r.status for r in responses], [200, 400])
        self.assertTrue(closed)

    def test_half_closed_sockets(self):
        # The client closes its sending side after a full request: it still gets its answer.
        responses, closed = exchange(self.server, request_bytes("GET", JOB_PATH), shut_write=True)
        self.assertEqual([r.status for r in responses], [200])
        self.assertTrue(closed)
        # ... after half a request: the server gives up on it and closes, at once.
        start = time.monotonic()
        responses, closed = exchange(self.server, b"GET " + JOB_PATH.encode() + b" HTTP/1.1\r\nHo", shut_write=True)
        self.assertTrue(closed)
        self.assertLess(time.monotonic() - start, READ_TIMEOUT_S)
        self.assertLessEqual(len(responses), 1)
        if responses:
            self.assert_error(responses[0], 400, "BadRequestException")
        # ... with nothing sent at all.
        responses, closed = exchange(self.server, b"", shut_write=True)
        self.assertEqual(responses, [])
        self.assertTrue(closed)

    def test_slowloris_is_closed_after_the_read_timeout(self):
        raw = request_bytes("GET", JOB_PATH)
        with self.server.connect() as s:
            start = time.monotonic()
            closed_at = None
            for byte in raw:
                try:
                    s.sendall(bytes([byte]))
                except (BrokenPipeError, ConnectionResetError):
                    closed_at = time.monotonic()
                    break
                s.settimeout(0.25)
                try:
                    if s.recv(4096) == b"":
                        closed_at = time.monotonic()
                        break
                except socket.timeout:
                    pass
                except ConnectionResetError:
                    closed_at = time.monotonic()
                    break
            self.assertIsNotNone(closed_at, "a client sending one byte every 250 ms was never closed")
            self.assertLess(closed_at - start, READ_TIMEOUT_S + 1.5)
            self.assertGreaterEqual(closed_at - start, READ_TIMEOUT_S * 0.9)

    def test_idle_keep_alive_connections_are_closed(self):
        with self.server.connect() as s:
            s.sendall(request_bytes("GET", JOB_PATH))
            reader = Reader(s)
            self.assertEqual(reader.read_response().status, 200)
            start = time.monotonic()
            s.settimeout(READ_TIMEOUT_S + 3)
            self.assertTrue(reader.closed_by_peer())
            waited = time.monotonic() - start
            self.assertLess(waited, READ_TIMEOUT_S + 1.5)
        with self.server.connect() as s:  # connected, never sends a byte
            start = time.monotonic()
            s.settimeout(READ_TIMEOUT_S + 3)
            self.assertTrue(Reader(s).closed_by_peer())
            self.assertLess(time.monotonic() - start, READ_TIMEOUT_S + 1.5)

    def test_many_abrupt_disconnects(self):
        # Clients that vanish at every point of an exchange (RST via SO_LINGER 0).
        raw = request_bytes("GET", JOB_PATH)
        for cut in range(0, len(raw) + 1, 7):
            s = self.server.connect()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.sendall(raw[:cut])
            s.close()


class ConnectionLimitTest(unittest.TestCase):
    """--max-connections N: connection N+1 is accepted and closed at once, without an answer."""

    LIMIT = 4

    def check_limit(self, server):
        held = []
        try:
            for _ in range(self.LIMIT):
                s = server.connect()
                s.sendall(request_bytes("GET", JOB_PATH))
                self.assertEqual(Reader(s).read_response().status, 200)  # accepted and counted
                held.append(s)
            start = time.monotonic()
            extra = server.connect()
            extra.settimeout(5)
            try:
                extra.sendall(request_bytes("GET", JOB_PATH))
            except (BrokenPipeError, ConnectionResetError):
                pass
            reader = Reader(extra)
            try:
                self.assertIsNone(reader.read_response())
            except (ConnectionResetError, BrokenPipeError):
                pass
            self.assertLess(time.monotonic() - start, 2, "the refused connection was not closed at once")
            extra.close()
            held.pop().close()  # one slot frees up ...
            deadline = time.monotonic() + 5
            while True:  # ... and is usable once the server has seen the close
                responses, _ = exchange(server, request_bytes("GET", JOB_PATH, {"Connection": "close"}))
                if responses or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual([r.status for r in responses], [200])
        finally:
            for s in held:
                s.close()

    def test_flag(self):
        server = Server(BINARY, "--max-connections", str(self.LIMIT))
        try:
            self.check_limit(server)
            self.assertTrue(any("connection limit reached" in line for line in server.log), server.log)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_environment_variable(self):
        server = Server(BINARY, env={"HIL_MAX_CONNECTIONS": str(self.LIMIT)})
        try:
            self.check_limit(server)
        finally:
            self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    BINARY = binary_path(sys.argv[1] if len(sys.argv) > 1 else None)
    program = unittest.main(argv=[sys.argv[0], *sys.argv[2:]], exit=False, verbosity=2)
    print(f"robustness: {inputs_tried} hostile inputs checked")
    sys.exit(0 if program.result.wasSuccessful() else 1)
