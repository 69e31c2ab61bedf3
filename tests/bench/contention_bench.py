#!/usr/bin/env python3
""""Reads never wait for writes": read latency while a long write runs (python3 stdlib only).

Called by `tests/bench/run.sh --contention` after it has built the Release binary, or directly:
  python3 tests/bench/contention_bench.py --binary build/healthimaging-local [--data DIR] [--repeats N]

Readers: one thread per kind, each on its own keep-alive http.client connection, sending one
request after another and recording every latency:
  - GetDICOMImportJob of one job that was there before the write (the same one every time);
  - GetDICOMImportJob cycling through 2,000 distinct jobs that were there before (so a cache of
    rendered answers cannot hide a store that waits);
  - GET /_emulator/health.
Scenario 1 (long write): a server started with a 100,000-job fixture; one client POSTs a
  1,000,000-job fixture (other ids: gen_fixture.py with another seed) to /_emulator/fixtures. The
  window is from the first byte of the POST to its answer (also given: the part after the body was
  sent). Afterwards the POST must have answered 200 with every job loaded, and a new job must be there.
Scenario 2 (the --db file locked by another process): a server on `--db FILE` (a file it created,
  with a 2,000-job fixture); another process (python sqlite3) opens FILE, runs BEGIN IMMEDIATE (or
  BEGIN EXCLUSIVE) plus a write and holds it, then rolls back. 0.3 s into the lock one CreateDatastore
  is sent; its status, AWS error and latency are recorded, and another CreateDatastore once the lock
  is gone. Variants: IMMEDIATE held 3 s, EXCLUSIVE held 3 s, IMMEDIATE held 6.5 s (past the store's
  5 s SQLite busy timeout, store/store.hpp). The window is from the lock taken to the later of its
  release and the write's answer.
Targets: every reader's max latency in the window <= 50 ms, no failed read; the write during the lock
  answers within max(hold, busy timeout) + 1.5 s, with 200 or a proper AWS error (JSON body with a
  message, x-amzn-ErrorType), never a hang or a dropped connection; the write after the release 200.
Nothing here is tuned to the figures; results: --results/contention.md and contention.json.
"""
import argparse
import http.client
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from load_bench import Spawned, ensure_fixture, machine  # noqa: E402

TARGET_MAX_MS = 50
BUSY_TIMEOUT_S = 5.0  # store_options::busy_timeout_millis (store/store.hpp); no flag sets it
POST_SEED = 20261130  # the long write's fixture: other datastores and jobs than the store's


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Reader(threading.Thread):
    """Sends GETs of `paths` in turn on one keep-alive connection until stopped; records
    (start, end, status) for each, status None when the request failed (then reconnects)."""

    def __init__(self, port, name, paths):
        super().__init__(daemon=True)
        self.port, self.name, self.paths = port, name, paths
        self.samples = []
        self.errors = []
        self.stopping = threading.Event()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        i = 0
        while not self.stopping.is_set():
            path = self.paths[i % len(self.paths)]
            i += 1
            t = time.monotonic()
            try:
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                self.samples.append((t, time.monotonic(), r.status))
            except (OSError, http.client.HTTPException) as e:
                self.samples.append((t, time.monotonic(), None))
                self.errors.append(f"{type(e).__name__}: {e}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.close()


def start_readers(port, job_paths):
    readers = [Reader(port, "GetDICOMImportJob (one job)", job_paths[:1]),
               Reader(port, f"GetDICOMImportJob ({len(job_paths):,} distinct jobs)", job_paths),
               Reader(port, "GET /_emulator/health", ["/_emulator/health"])]
    for r in readers:
        r.start()
    return readers


def stop_readers(readers):
    for r in readers:
        r.stopping.set()
    for r in readers:
        r.join(timeout=120)


def window_stats(reader, w0, w1):
    """Requests of `reader` whose time overlaps [w0, w1]."""
    rows = [(end - start, status, start) for start, end, status in reader.samples if end >= w0 and start <= w1]
    lat = sorted(d * 1000 for d, _, _ in rows)
    n = len(lat)
    out = {"reader": reader.name, "count": n, "failed": sum(1 for _, s, _ in rows if s is None),
           "non_200": sum(1 for _, s, _ in rows if s is not None and s != 200),
           "over_target": sum(1 for v in lat if v > TARGET_MAX_MS)}
    if n:
        out.update(p50_ms=lat[math.ceil(0.50 * n) - 1], p99_ms=lat[math.ceil(0.99 * n) - 1], max_ms=lat[-1])
        # When the slowest request started, in seconds from the window's start: a stall at a
        # load's end (its publish) and one in the middle (a scheduler hiccup) have different causes.
        out["max_at_s"] = max(rows, key=lambda r: r[0])[2] - w0  # by latency only: a status may be None
    return out


def reads_ok(st):
    return st["count"] > 0 and st["failed"] == 0 and st["non_200"] == 0 and st["max_ms"] <= TARGET_MAX_MS


def sample_paths(paths_file, count, seed=5):
    with open(paths_file) as f:
        hits = [line.split(" ", 1)[1].strip() for line in f if line.startswith("200 ")]
    first = hits[0]
    rest = random.Random(seed).sample(hits[1:], min(count - 1, len(hits) - 1))
    return [first] + rest


def post(port, path, body, timeout=900):
    """One request on its own connection: (status, error type, body, seconds) or a failure."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t = time.monotonic()
    try:
        c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        return {"status": r.status, "error": r.getheader("x-amzn-ErrorType"), "body": data[:400].decode(errors="replace"),
                "s": time.monotonic() - t, "start": t, "end": time.monotonic()}
    except (OSError, http.client.HTTPException) as e:
        return {"status": None, "error": f"{type(e).__name__}: {e}", "body": "", "s": time.monotonic() - t, "start": t,
                "end": time.monotonic()}
    finally:
        c.close()


def create_datastore_body():
    return json.dumps({"datastoreName": "contention", "clientToken": str(uuid.uuid4())}).encode()


# ---- scenario 1: a long write ---------------------------------------------------------------

def long_write(binary, store_fixture, store_paths, post_fixture, post_paths, post_jobs, store_jobs):
    with open(post_fixture, "rb") as f:
        body = f.read()
    s = Spawned(binary, ["--fixtures", store_fixture, "--body-limit", str(len(body) + (1 << 20)),
                         "--read-timeout", "600s"])
    try:
        job_paths = sample_paths(store_paths, 2000)
        readers = start_readers(s.port, job_paths)
        time.sleep(1.0)
        result = {}
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=900)
        c.connect()
        w0 = time.monotonic()
        c.request("POST", "/_emulator/fixtures", body=body, headers={"Content-Type": "application/json"})
        sent = time.monotonic()
        r = c.getresponse()
        answer = r.read()
        w1 = time.monotonic()
        c.close()
        time.sleep(0.5)
        stop_readers(readers)
        del body
        result["post"] = {"status": r.status, "body": answer[:300].decode(errors="replace"), "window_s": w1 - w0,
                          "send_s": sent - w0, "after_send_s": w1 - sent}
        try:
            loaded = json.loads(answer)["loaded"]["jobs"]
        except (ValueError, KeyError, TypeError):
            loaded = None
        check = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        with open(post_paths) as f:
            new_job = f.readline().split(" ", 1)[1].strip()
        check.request("GET", new_job)
        new_status = check.getresponse()
        new_status.read()
        check.request("GET", "/_emulator/health")
        h = check.getresponse()
        health = json.loads(h.read())
        check.close()
        result["post"].update(loaded_jobs=loaded, new_job_status=new_status.status, health_jobs=health.get("jobs"))
        result["post_ok"] = (r.status == 200 and loaded == post_jobs and new_status.status == 200)
        result["before"] = [window_stats(rd, w0 - 1.0, w0 - 0.05) for rd in readers]
        result["window"] = [window_stats(rd, w0, w1) for rd in readers]
        result["after_send"] = [window_stats(rd, sent, w1) for rd in readers]
        result["reader_errors"] = {rd.name: rd.errors[:5] for rd in readers if rd.errors}
        result["store_jobs"] = store_jobs
        result["post_jobs"] = post_jobs
    finally:
        s.stop()
    return result


# ---- scenario 2: another process holds the --db file's write lock --------------------------

LOCKER = r"""
import sqlite3, sys, time
db, mode, hold = sys.argv[1], sys.argv[2], float(sys.argv[3])
c = sqlite3.connect(db, isolation_level=None, timeout=10)
c.execute("BEGIN " + mode)
c.execute("CREATE TABLE contention_probe(x)")
c.execute("INSERT INTO contention_probe VALUES (1)")
print("locked", time.monotonic(), flush=True)
time.sleep(hold)
c.execute("ROLLBACK")
print("released", time.monotonic(), flush=True)
c.close()
"""


def proper_aws_error(w):
    if w["status"] is None or w["status"] < 400 or not w["error"]:
        return False
    try:
        return isinstance(json.loads(w["body"]).get("message"), str)
    except ValueError:
        return False


def locked_db(binary, fixture, paths_file, tmp, variants):
    db = os.path.join(tmp, "contention.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    s = Spawned(binary, ["--db", db, "--fixtures", fixture])
    out = []
    try:
        job_paths = sample_paths(paths_file, 2000)
        for label, mode, hold in variants:
            readers = start_readers(s.port, job_paths)
            time.sleep(0.5)
            locker = subprocess.Popen([sys.executable, "-c", LOCKER, db, mode, str(hold)], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            line = locker.stdout.readline().split()
            if not line or line[0] != "locked":
                stop_readers(readers)
                raise SystemExit(f"the locking process failed: {line} {locker.stderr.read()}")
            locked_at = float(line[1])
            time.sleep(max(0.0, locked_at + 0.3 - time.monotonic()))
            during = {}
            writer = threading.Thread(target=lambda: during.update(post(s.port, "/datastore", create_datastore_body(),
                                                                         timeout=60)))
            writer.start()
            line = locker.stdout.readline().split()
            locker.wait()
            if not line or line[0] != "released":
                stop_readers(readers)
                raise SystemExit(f"the locking process did not release: {line} {locker.stderr.read()}")
            released_at = float(line[1])
            writer.join(timeout=90)
            w1 = max(released_at, during.get("end", released_at))
            time.sleep(0.3)
            stop_readers(readers)
            after = post(s.port, "/datastore", create_datastore_body(), timeout=60)
            bound = max(hold, BUSY_TIMEOUT_S) + 1.5
            write_ok = (bool(during) and during["s"] <= bound and
                        (during["status"] == 200 or proper_aws_error(during)))
            row = {"variant": label, "mode": mode, "hold_s": hold, "lock_s": released_at - locked_at,
                   "window": [window_stats(rd, locked_at, w1) for rd in readers],
                   "before": [window_stats(rd, locked_at - 0.5, locked_at - 0.05) for rd in readers],
                   "write": {k: during.get(k) for k in ("status", "error", "body", "s")},
                   "write_end_after_release_s": during.get("end", float("nan")) - released_at,
                   "write_bound_s": bound, "write_ok": write_ok,
                   "write_after_release": {k: after.get(k) for k in ("status", "error", "body", "s")},
                   "reader_errors": {rd.name: rd.errors[:5] for rd in readers if rd.errors}}
            out.append(row)
            w = row["write"]
            log(f"{label}: write {w['status']} {w['error'] or ''} after {w['s'] * 1000:.0f} ms "
                f"({row['write_end_after_release_s'] * 1000:+.0f} ms from the release); "
                + "; ".join(f"{st['reader']} max {st.get('max_ms', float('nan')):.1f} ms" for st in row["window"]))
    finally:
        s.stop()
    return out


# ---- report ---------------------------------------------------------------------------------

def fmt_ms(v):
    return "" if v is None else f"{v:.1f} ms"


def fmt_at(v):
    return "" if v is None else f"{v:.2f} s"


def reader_rows(L, prefix, stats, verdicts, judged):
    for st in stats:
        ok = reads_ok(st) if judged else None
        v = "" if ok is None else ("PASS" if ok else "FAIL")
        if judged:
            verdicts.append((f"{prefix}: {st['reader']}", ok))
        L.append(f"| {prefix} | {st['reader']} | {st['count']:,} | {fmt_ms(st.get('p50_ms'))} | "
                 f"{fmt_ms(st.get('p99_ms'))} | {fmt_ms(st.get('max_ms'))} | {fmt_at(st.get('max_at_s'))} | {st['over_target']:,} | {st['failed']} / {st['non_200']} | "
                 f"{'max <= ' + str(TARGET_MAX_MS) + ' ms' if judged else ''} | {v} |")


def summarize(a, res, elapsed):
    verdicts = []
    L = [f"Command: `{a.command}` (whole run {elapsed:.0f} s)  ", f"Binary: `{a.binary}`  ", f"Machine: {machine()}",
         "", "Reads: one thread per reader, each one keep-alive http.client connection, one request after another; "
         "a request counts in a window when its time overlaps it. Python's client adds its own scheduling "
         "latency, so a small max is the server's and the client's together. 'max at': when the slowest request started, "
         "from the window's start.", ""]
    head = [f"| window | reader | count | p50 | p99 | max | max at | over {TARGET_MAX_MS} ms | failed / non-200 | target | verdict |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for i, run in enumerate(res.get("long_write", [])):
        p = run["post"]
        L.append(f"### Scenario 1, run {i + 1}: POST /_emulator/fixtures of {run['post_jobs']:,} new jobs into a "
                 f"{run['store_jobs']:,}-job store")
        L.append("")
        L.append(f"The POST answered {p['status']} after {p['window_s']:.2f} s ({p['send_s']:.2f} s sending the body, "
                 f"{p['after_send_s']:.2f} s after it); loaded {p['loaded_jobs']} jobs; a new job answered "
                 f"{p['new_job_status']}; health counts {p['health_jobs']} jobs. Long write completed correctly: "
                 f"**{'PASS' if run['post_ok'] else 'FAIL'}**.")
        verdicts.append((f"scenario 1 run {i + 1}: the long write completed", run["post_ok"]))
        L.append("")
        L += head
        reader_rows(L, "1 s before the POST", run["before"], verdicts, False)
        reader_rows(L, "the POST (first byte to answer)", run["window"], verdicts, True)
        reader_rows(L, "after the body was sent", run["after_send"], verdicts, False)
        if run["reader_errors"]:
            L.append("")
            L.append(f"Reader errors: {run['reader_errors']}")
        L.append("")
    rows = res.get("locked_db", [])
    if rows:
        L.append(f"### Scenario 2: another process holds the --db file's write lock (busy timeout "
                 f"{BUSY_TIMEOUT_S:.0f} s)")
        L.append("")
        L += head
        for row in rows:
            reader_rows(L, f"{row['variant']}: before", row["before"], verdicts, False)
            reader_rows(L, f"{row['variant']}: lock held", row["window"], verdicts, True)
        L.append("")
        L.append("| variant | write during the lock (CreateDatastore, 0.3 s in) | latency | answered vs release | "
                 "target | verdict | write after the release |")
        L.append("|---|---|---:|---:|---|---|---|")
        for row in rows:
            w, after = row["write"], row["write_after_release"]
            verdicts.append((f"{row['variant']}: write during the lock", row["write_ok"]))
            after_ok = after["status"] == 200
            verdicts.append((f"{row['variant']}: write after the release", after_ok))
            what = f"{w['status']} {w['error'] or ''}".strip()
            if w["status"] not in (None, 200):
                what += f": {w['body'][:120]}"
            L.append(f"| {row['variant']} | {what} | {w['s'] * 1000:.0f} ms | "
                     f"{row['write_end_after_release_s'] * 1000:+.0f} ms | 200 or an AWS error within "
                     f"{row['write_bound_s']:.1f} s | {'PASS' if row['write_ok'] else 'FAIL'} | "
                     f"{' '.join(str(x) for x in (after['status'], after['error']) if x)} in {after['s'] * 1000:.0f} ms "
                     f"({'PASS' if after_ok else 'FAIL'}) |")
        errs = {row["variant"]: row["reader_errors"] for row in rows if row["reader_errors"]}
        if errs:
            L.append("")
            L.append(f"Reader errors: {errs}")
        L.append("")
    failed = [n for n, ok in verdicts if not ok]
    L.append(f"Targets: {len(verdicts) - len(failed)} of {len(verdicts)} pass"
             + (f"; failing: {'; '.join(failed)}" if failed else ""))
    return "\n".join(L) + "\n", failed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--store-jobs", type=int, default=100_000, help="jobs in the store before the long write")
    ap.add_argument("--post-jobs", type=int, default=1_000_000, help="jobs in the long write's POST body")
    ap.add_argument("--db-jobs", type=int, default=2_000, help="jobs in the --db store of scenario 2")
    ap.add_argument("--hold", type=float, default=3.0, help="seconds the lock is held (short variants)")
    ap.add_argument("--repeats", type=int, default=1, help="runs of scenario 1 (each reported)")
    ap.add_argument("--only", choices=["long-write", "locked-db"], action="append")
    ap.add_argument("--data", help="keep the generated fixtures here and reuse them")
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("--command", default="tests/bench/run.sh --contention")
    a = ap.parse_args()
    started = time.time()
    only = set(a.only or ["long-write", "locked-db"])
    tmp = tempfile.mkdtemp(prefix="hil-contention-", dir="/var/tmp")
    data_dir = a.data or tmp
    res = {}
    try:
        if "long-write" in only:
            store_fixture, _ = ensure_fixture(data_dir, a.store_jobs)
            post_fixture, _ = ensure_fixture(data_dir, a.post_jobs, POST_SEED)
            store_paths = os.path.join(os.path.dirname(store_fixture), "paths.txt")
            post_paths = os.path.join(os.path.dirname(post_fixture), "paths.txt")
            for i in range(a.repeats):
                run = long_write(a.binary, store_fixture, store_paths, post_fixture, post_paths, a.post_jobs,
                                 a.store_jobs)
                res.setdefault("long_write", []).append(run)
                log(f"scenario 1 run {i + 1}: POST {run['post']['status']} in {run['post']['window_s']:.2f} s; "
                    + "; ".join(f"{st['reader']} n={st['count']} p99 {st.get('p99_ms', float('nan')):.1f} ms max "
                                f"{st.get('max_ms', float('nan')):.1f} ms" for st in run["window"]))
        if "locked-db" in only:
            fixture, _ = ensure_fixture(data_dir, a.db_jobs)
            paths = os.path.join(os.path.dirname(fixture), "paths.txt")
            variants = [(f"BEGIN IMMEDIATE + write, held {a.hold:g} s", "IMMEDIATE", a.hold),
                        (f"BEGIN EXCLUSIVE + write, held {a.hold:g} s", "EXCLUSIVE", a.hold),
                        (f"BEGIN IMMEDIATE + write, held {BUSY_TIMEOUT_S + 1.5:g} s (past the busy timeout)",
                         "IMMEDIATE", BUSY_TIMEOUT_S + 1.5)]
            res["locked_db"] = locked_db(a.binary, fixture, paths, tmp, variants)
        summary, failed = summarize(a, res, time.time() - started)
        res["failed_targets"] = failed
        os.makedirs(a.results, exist_ok=True)
        with open(os.path.join(a.results, "contention.md"), "w") as f:
            f.write(summary)
        with open(os.path.join(a.results, "contention.json"), "w") as f:
            json.dump(res, f, indent=1)
        print(summary)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
