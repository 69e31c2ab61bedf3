#!/usr/bin/env python3
"""Reads never wait for writes: the real server, read from while a long write runs.

  - a long write: POST /_emulator/fixtures of 200,000 new jobs into a 20,000-job store, while
    three keep-alive readers (GetDICOMImportJob of one job, GetDICOMImportJob of 2,000 distinct
    jobs, GET /_emulator/health) send one request after another; every read that overlaps the
    POST must answer 200 within the bounds below, and afterwards the POST must have answered 200
    with every job loaded, the new jobs and the old ones there;
  - a locked database: the server on --db FILE, this process holds BEGIN IMMEDIATE plus a write on
    FILE for 2 s (python sqlite3, another process than the server's); the same reads must answer
    within the bounds, and a CreateDatastore sent during the lock must either succeed (once the
    lock is gone) or answer a proper AWS error (status and x-amzn-ErrorType from the error table,
    a JSON message), within the busy timeout plus a margin: no hang, no dropped connection. Once
    the lock is gone a write must succeed.

Bounds: the issue asks for every read within 50 ms. On a loaded 2-core CI machine (other suites,
builds, and this test's own Python threads and GIL beside the server) one read can be delayed by
scheduling alone, so the test requires p99 <= 50 ms per reader and max <= 250 ms: a read that
waited behind the write (hundreds of ms to seconds) fails either way.
Usage: contention_test.py /path/to/healthimaging-local [unittest args]
"""
import http.client
import json
import math
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import unittest
import uuid

from server_process import Server, binary_path

BINARY = None
P99_BOUND_MS = 50
MAX_BOUND_MS = 250
STORE_JOBS = 20_000
POST_JOBS = 200_000
LOCK_HOLD_S = 2.0
BUSY_TIMEOUT_S = 5.0  # store_options::busy_timeout_millis (store/store.hpp)
OLD_DS = "c0de0000000000000000000000000001"
NEW_DS = "c0de0000000000000000000000000002"
ERROR_STATUS = {m[0]: int(m[1]) for m in re.findall(
    r'\{error_code::\w+, "(\w+)", (\d+)',
    open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "api", "api_error.cpp")).read())}


def document(ds, jobs, prefix):
    """A fixture document of one datastore and `jobs` jobs, written as text (fast for 200,000)."""
    head = ('{"datastores":[{"datastoreId":"%s","datastoreName":"contention-%s","datastoreStatus":"ACTIVE"}],'
            '"jobs":[' % (ds, prefix))
    job = ('{"jobId":"%s","datastoreId":"' + ds + '","jobName":"contention","jobStatus":"COMPLETED",'
           '"dataAccessRoleArn":"arn:aws:iam::123456789012:role/ImportRole","inputS3Uri":"s3://contention-in/x/",'
           '"outputS3Uri":"s3://contention-out/x/","submittedAt":1764000000.5,"endedAt":1764000100}')
    return (head + ",".join(job % job_id(prefix, i) for i in range(jobs)) + "]}").encode()


def job_id(prefix, i):
    return f"{prefix}{i:031x}"


def job_path(ds, prefix, i):
    return f"/getDICOMImportJob/datastore/{ds}/job/{job_id(prefix, i)}"


class Reader(threading.Thread):
    def __init__(self, port, name, paths):
        super().__init__(daemon=True)
        self.port, self.name, self.paths = port, name, paths
        self.samples = []  # (start, end, status or the exception's text)
        self.stopping = threading.Event()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        i = 0
        while not self.stopping.is_set():
            t = time.monotonic()
            try:
                conn.request("GET", self.paths[i % len(self.paths)])
                r = conn.getresponse()
                r.read()
                self.samples.append((t, time.monotonic(), r.status))
            except (OSError, http.client.HTTPException) as e:
                self.samples.append((t, time.monotonic(), f"{type(e).__name__}: {e}"))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            i += 1
        conn.close()


def start_readers(port, paths):
    readers = [Reader(port, "GetDICOMImportJob, one job", paths[:1]),
               Reader(port, f"GetDICOMImportJob, {len(paths)} jobs", paths),
               Reader(port, "health", ["/_emulator/health"])]
    for r in readers:
        r.start()
    return readers


def stop_readers(readers):
    for r in readers:
        r.stopping.set()
    for r in readers:
        r.join(timeout=60)


def request(port, method, path, body=None, timeout=60):
    """(status, headers, body) on a new connection, or (None, None, the exception's text)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    except (OSError, http.client.HTTPException) as e:
        return None, None, f"{type(e).__name__}: {e}"
    finally:
        c.close()


class ContentionTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hil-contention-")
        self.server = None

    def tearDown(self):
        try:
            if self.server:
                self.assertTrue(self.server.alive(), "the server died: " + "".join(self.server.log)[-2000:])
                self.assertEqual(self.server.stop(), 0)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, *args, jobs):
        fixture = os.path.join(self.tmp, "store.json")
        with open(fixture, "wb") as f:
            f.write(document(OLD_DS, jobs, "0"))
        self.server = Server(BINARY, "--fixtures", fixture, "--log-level", "warn", *args)
        return [job_path(OLD_DS, "0", i) for i in range(0, jobs, max(1, jobs // 2000))][:2000]

    def assert_reads_in_bounds(self, readers, w0, w1, what):
        for r in readers:
            rows = [(end - start, status) for start, end, status in r.samples if end >= w0 and start <= w1]
            bad = [status for _, status in rows if status != 200]
            self.assertFalse(bad, f"{what}, {r.name}: reads that did not answer 200: {bad[:5]}")
            self.assertGreaterEqual(len(rows), 5, f"{what}, {r.name}: only {len(rows)} reads in the window")
            lat = sorted(d * 1000 for d, _ in rows)
            p99, top = lat[math.ceil(0.99 * len(lat)) - 1], lat[-1]
            print(f"  {what}, {r.name}: {len(lat)} reads, p50 {lat[len(lat) // 2]:.1f} ms, p99 {p99:.1f} ms, "
                  f"max {top:.1f} ms", file=sys.stderr)
            with self.subTest(what=what, reader=r.name):
                self.assertLessEqual(p99, P99_BOUND_MS, f"{what}, {r.name}: p99 {p99:.1f} ms")
                self.assertLessEqual(top, MAX_BOUND_MS, f"{what}, {r.name}: max {top:.1f} ms")

    def assert_write_answered(self, status, headers, body, took, bound, what):
        self.assertIsNotNone(status, f"{what}: no answer ({body})")
        self.assertLessEqual(took, bound, f"{what}: answered after {took:.2f} s")
        if status == 200:
            return
        name = headers.get("x-amzn-errortype")
        self.assertIn(name, ERROR_STATUS, f"{what}: {status} {headers} {body[:300]!r}")
        self.assertEqual(ERROR_STATUS[name], status, f"{what}: {status} {name}")
        self.assertIsInstance(json.loads(body.decode("utf-8")).get("message"), str, f"{what}: {body[:300]!r}")

    def test_reads_during_a_long_write(self):
        paths = self.start("--body-limit", str(256 << 20), jobs=STORE_JOBS)
        body = document(NEW_DS, POST_JOBS, "a")
        readers = start_readers(self.server.port, paths)
        try:
            time.sleep(0.3)
            w0 = time.monotonic()
            status, _, answer = request(self.server.port, "POST", "/_emulator/fixtures", body, timeout=300)
            w1 = time.monotonic()
        finally:
            stop_readers(readers)
        print(f"  the POST of {POST_JOBS:,} jobs answered {status} in {w1 - w0:.2f} s", file=sys.stderr)
        self.assertEqual(status, 200, answer)
        self.assertEqual(json.loads(answer)["loaded"]["jobs"], POST_JOBS)
        for path in (job_path(NEW_DS, "a", 0), job_path(NEW_DS, "a", POST_JOBS // 2),
                     job_path(NEW_DS, "a", POST_JOBS - 1), paths[0], paths[-1]):
            self.assertEqual(request(self.server.port, "GET", path)[0], 200, path)
        _, _, health = request(self.server.port, "GET", "/_emulator/health")
        self.assertEqual(json.loads(health)["jobs"], STORE_JOBS + POST_JOBS)
        self.assert_reads_in_bounds(readers, w0, w1, "during the long write")

    def test_reads_and_a_write_while_the_db_is_locked(self):
        db = os.path.join(self.tmp, "data.db")
        paths = self.start("--db", db, jobs=2000)
        readers = start_readers(self.server.port, paths)
        during = {}

        def write():
            t = time.monotonic()
            status, headers, body = request(self.server.port, "POST", "/datastore", json.dumps(
                {"datastoreName": "during-the-lock", "clientToken": str(uuid.uuid4())}).encode(), timeout=30)
            during.update(status=status, headers=headers, body=body, took=time.monotonic() - t)

        holder = sqlite3.connect(db, isolation_level=None, timeout=5)
        writer = None
        try:
            time.sleep(0.3)
            holder.execute("BEGIN IMMEDIATE")
            holder.execute("CREATE TABLE contention_probe(x)")
            holder.execute("INSERT INTO contention_probe VALUES (1)")
            w0 = time.monotonic()
            time.sleep(0.3)
            writer = threading.Thread(target=write, daemon=True)
            writer.start()
            time.sleep(max(0.0, w0 + LOCK_HOLD_S - time.monotonic()))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
            released = time.monotonic()
            writer_bound = BUSY_TIMEOUT_S + 2.0
            if writer:
                writer.join(timeout=writer_bound + 30)
            w1 = max(released, w0 + 0.3 + during.get("took", 0))
            time.sleep(0.2)
            stop_readers(readers)
        print(f"  the write during the lock: {during.get('status')} after {during.get('took', float('nan')):.2f} s "
              f"(the lock was held {released - w0:.2f} s)", file=sys.stderr)
        self.assertTrue(during, "the write during the lock never answered")
        self.assert_write_answered(during["status"], during["headers"], during["body"], during["took"],
                                   writer_bound, "CreateDatastore during the lock")
        status, _, body = request(self.server.port, "POST", "/datastore", json.dumps(
            {"datastoreName": "after-the-lock", "clientToken": str(uuid.uuid4())}).encode())
        self.assertEqual(status, 200, body)
        self.assert_reads_in_bounds(readers, w0, w1, "while the db was locked")


if __name__ == "__main__":
    BINARY = binary_path(sys.argv[1] if len(sys.argv) > 1 else None)
    program = unittest.main(argv=[sys.argv[0], *sys.argv[2:]], exit=False, verbosity=2)
    sys.exit(0 if program.result.wasSuccessful() else 1)
