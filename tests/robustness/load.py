#!/usr/bin/env python3
"""Load, shutdown and soak tests against the real binary (Python standard library, asyncio).

  load.py BINARY load     [--connections 1000] [--seconds 20]
      N concurrent keep-alive connections with mixed traffic: hits, misses, invalid ids,
      unknown paths, the health endpoint, and a fault rule that always throttles one job.
      Passes with zero socket errors and zero answers outside the expected set.
  load.py BINARY shutdown [--connections 200]
      SIGTERM while every connection has a request in flight (a 300 ms delay fault keeps
      them busy) and others keep sending: every request the server read is answered in
      full, then the process exits 0 within the shutdown timeout.
  load.py BINARY soak     [--connections 200] [--seconds 60]
      Mixed traffic for the given time; RSS is sampled every few seconds and must stay
      flat (the last third's peak within 10% + 2 MB of the first third's).
Prints one summary line per test; exit status 0 when it passed.
"""
import argparse
import asyncio
import json
import os
import random
import resource
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import DATASTORE, JOB, Server  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
THROTTLED_JOB = "8c7b6a5948372615c4d3e2f1a0b9c8d7"
SLOW_DATASTORE = "4e8c8e1b5344569f0e4124fb4e446cc8"
SLOW_JOB = "248858975b1782e99b8e2647f25d25e2"

# (weight, target, expected statuses)
MIX = [
    (50, f"/getDICOMImportJob/datastore/{DATASTORE}/job/{JOB}", {200}),
    (15, f"/getDICOMImportJob/datastore/{DATASTORE}/job/0000000000000000000000000000ffff", {404}),
    (10, f"/getDICOMImportJob/datastore/{DATASTORE}/job/NOT-VALID", {400}),
    (5, "/getDICOMImportJob/datastore/short/job/%00%ff", {400}),
    (5, "/no/such/operation", {404}),
    (5, "/_emulator/health", {200}),
    (10, f"/getDICOMImportJob/datastore/{DATASTORE}/job/{THROTTLED_JOB}", {429}),
]


def raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # the server inherits it
    if want < need:
        raise SystemExit(f"need {need} file descriptors, the hard limit is {hard}")


def fixture_files(tmp):
    """The sample data plus a fault that always throttles one job, and the slow scenario."""
    faults = {"faults": [{"operation": "GetDICOMImportJob", "jobId": THROTTLED_JOB,
                          "error": "ThrottlingException", "message": "load test"}]}
    path = os.path.join(tmp, "faults.json")
    with open(path, "w") as f:
        json.dump(faults, f)
    return ["--fixtures", os.path.join(ROOT, "fixtures", "sample.json"), "--fixtures", path]


class Stats:
    def __init__(self):
        self.requests = self.socket_errors = self.unexpected = 0
        self.examples = []

    def bad(self, what):
        if len(self.examples) < 5:
            self.examples.append(what)


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    body = await reader.readexactly(length)
    return status, body


async def client(port, deadline, stats, rng):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as e:
        stats.socket_errors += 1
        stats.bad(f"connect: {e}")
        return
    weights = [m[0] for m in MIX]
    try:
        while time.monotonic() < deadline:
            _, target, expected = rng.choices(MIX, weights)[0]
            writer.write(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            status, body = await read_response(reader)
            stats.requests += 1
            if status not in expected:
                stats.unexpected += 1
                stats.bad(f"{target} -> {status} {body[:100]!r}")
            else:
                json.loads(body)
    except (OSError, asyncio.IncompleteReadError) as e:
        stats.socket_errors += 1
        stats.bad(f"socket: {e!r}")
    finally:
        writer.close()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def run_mixed(port, connections, seconds, pid=None, samples=None):
    stats = Stats()
    deadline = time.monotonic() + seconds
    # Open the connections in batches so the listen backlog never overflows.
    tasks = []
    for i in range(connections):
        tasks.append(asyncio.create_task(client(port, deadline, stats, random.Random(i))))
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    if samples is not None:
        while time.monotonic() < deadline:
            samples.append(rss_kb(pid))
            await asyncio.sleep(min(5, seconds / 12))
    await asyncio.gather(*tasks)
    return stats


def test_load(binary, connections, seconds):
    raise_fd_limit(2 * connections + 200)
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(binary, *fixture_files(tmp), "--log-level", "warn")
        try:
            start = time.monotonic()
            stats = asyncio.run(run_mixed(server.port, connections, seconds))
            took = time.monotonic() - start
        finally:
            rc = server.stop()
    ok = stats.socket_errors == 0 and stats.unexpected == 0 and rc == 0 and stats.requests > 0
    print(f"load: {connections} keep-alive connections for {took:.1f}s: {stats.requests} requests "
          f"({stats.requests / took:.0f}/s), {stats.socket_errors} socket errors, {stats.unexpected} unexpected "
          f"answers, server exit {rc} -> {'PASS' if ok else 'FAIL'} {stats.examples}")
    return ok


def test_soak(binary, connections, seconds):
    raise_fd_limit(2 * connections + 200)
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        # A small journal ring fills in the first seconds, so its (bounded) growth is not
        # mistaken for a leak, nor hides one.
        server = Server(binary, *fixture_files(tmp), "--log-level", "warn", "--journal-size", "1000")
        try:
            stats = asyncio.run(run_mixed(server.port, connections, seconds, server.proc.pid, samples))
        finally:
            rc = server.stop()
    third = max(1, len(samples) // 3)
    early, late = max(samples[:third]), max(samples[-third:])
    flat = late <= early * 1.10 + 2048
    ok = flat and stats.socket_errors == 0 and stats.unexpected == 0 and rc == 0
    print(f"soak: {connections} connections for {seconds}s, {stats.requests} requests, RSS KB samples {samples}: "
          f"first third peak {early}, last third peak {late} -> {'PASS' if ok else 'FAIL'} {stats.examples}")
    return ok


async def shutdown_scenario(server, connections):
    """Returns (answered, dropped_before_answer, partial_answers, unexpected)."""
    slow_target = f"/getDICOMImportJob/datastore/{SLOW_DATASTORE}/job/{SLOW_JOB}"
    conns = []
    for i in range(connections):
        conns.append(await asyncio.open_connection("127.0.0.1", server.port))
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    for _, w in conns:
        w.write(f"GET {slow_target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await w.drain()
    await asyncio.sleep(0.15)  # every request is read and waiting on its delay
    server.proc.send_signal(signal.SIGTERM)
    answered = partial = unexpected = 0
    for r, w in conns:
        try:
            status, _ = await asyncio.wait_for(read_response(r), 10)
            answered += 1
            unexpected += status != 200
            # After the answer the server closes: a graceful stop ends keep-alive.
            rest = await asyncio.wait_for(r.read(), 5)
            partial += bool(rest)
        except asyncio.IncompleteReadError as e:
            partial += bool(e.partial)
        except (OSError, asyncio.TimeoutError):
            partial += 1
        w.close()
    return answered, partial, unexpected


def test_shutdown(binary, connections):
    raise_fd_limit(2 * connections + 200)
    slow = os.path.join(ROOT, "fixtures", "scenarios", "slow-responses.json")
    with tempfile.TemporaryDirectory() as tmp:
        delay = os.path.join(tmp, "slow.json")
        with open(slow) as f:
            doc = json.load(f)
        doc["faults"][0]["delayMs"] = 300
        with open(delay, "w") as f:
            json.dump(doc, f)
        server = Server(binary, "--fixtures", delay, "--log-level", "warn", "--shutdown-timeout", "10s")
        start = time.monotonic()
        answered, partial, unexpected = asyncio.run(shutdown_scenario(server, connections))
        rc = server.proc.wait(timeout=15)
        took = time.monotonic() - start
    ok = answered == connections and partial == 0 and unexpected == 0 and rc == 0
    print(f"shutdown: SIGTERM with {connections} requests in flight: {answered} answered, {partial} cut short, "
          f"{unexpected} unexpected, exit {rc} after {took:.1f}s -> {'PASS' if ok else 'FAIL'}")
    return ok


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("test", choices=["load", "shutdown", "soak", "all"])
    p.add_argument("--connections", type=int)
    p.add_argument("--seconds", type=float)
    a = p.parse_args()
    ok = True
    if a.test in ("load", "all"):
        ok &= test_load(a.binary, a.connections or 1000, a.seconds or 20)
    if a.test in ("shutdown", "all"):
        ok &= test_shutdown(a.binary, a.connections or 200)
    if a.test in ("soak", "all"):
        ok &= test_soak(a.binary, a.connections or 200, a.seconds or 60)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
