#!/usr/bin/env python3
"""Durability of --db FILE against kill -9, and SQLite failures at run time.

  durability.py BINARY kill   [--iterations 20] [--jobs 50000]
      Seeds a database with a small document (the "earlier" data), then repeatedly starts
      the server on it with a large fixture of its own datastore and kill -9s it at a
      random moment of start-up loading (the store loads in one transaction). After each
      kill: PRAGMA integrity_check is ok, the big datastore holds all of its jobs or none,
      every earlier load (the seed and each complete big load) is intact, and a restart
      without fixtures serves the seed data.
  durability.py BINARY kill-runtime [--seconds 45] [--iterations 200] [--jobs 5000]
      The same at run time: a server on --db FILE --empty takes a large POST
      /_emulator/fixtures (merge or ?mode=replace, chosen at random) and is kill -9ed at a
      random moment of it (sending, parsing or writing). Restarted with --db FILE --empty, GET
      /_emulator/state and GET /_emulator/health must show either the state before the
      request or that state with the whole document applied, never a part of it; a load
      answered 200 before the kill must be there; and PRAGMA quick_check is ok. Bounded by
      --seconds and --iterations, whichever ends first.
  durability.py BINARY kill-import [--iterations 6]
      A server on --db FILE --s3-dir DIR imports a generated CT series (gen_ct_series.py, with
      Debian's python3-pydicom) and is kill -9ed at a random moment of the import. Restarted
      on the same file, the job must be FAILED with the documented message (or COMPLETED, if
      the kill came after the commit) and the datastore must hold all of the job's image sets
      and frames or none; PRAGMA integrity_check is ok.
  durability.py BINARY sqlite-failure
      The database file is corrupted under the running server: reads that hit it get 500
      InternalServerException with a log line naming SQLite's error, the server keeps
      serving, and a restart on the restored file answers 200.
  durability.py BINARY disk-full | read-only | locked
      An SQLite write that fails under the running server: the file size limit
      (RLIMIT_FSIZE, SIGXFSZ ignored) is below what a POST /_emulator/fixtures needs; the
      database and its WAL are made immutable (chattr +i, which stops root too); another
      process holds BEGIN EXCLUSIVE on the file while the server loads a fixture and polls a
      job with a progression (a write), past the 5 s busy timeout. Each failing call must be
      500 InternalServerException with a log line, the state must be unchanged, reads must
      still answer 200, and the same write must succeed once the cause is gone.
Prints a summary line; exit status 0 when it passed.
"""
import argparse
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import Server, exchange, get, request_bytes  # noqa: E402

SEED_DS = "5eed0000000000000000000000000001"


def job(ds, job_id):
    return {"jobId": job_id, "datastoreId": ds, "jobName": "durability", "jobStatus": "COMPLETED",
            "dataAccessRoleArn": "arn:aws:iam::123456789012:role/ImportRole",
            "inputS3Uri": "s3://durability-in/x/", "outputS3Uri": "s3://durability-out/x/",
            "submittedAt": 1764000000.5, "endedAt": 1764000100}


def document(ds, jobs):
    return {"datastores": [{"datastoreId": ds, "datastoreName": "durability", "datastoreStatus": "ACTIVE"}],
            "jobs": [job(ds, f"{i:032x}") for i in range(jobs)]}


def job_count(db, ds):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT count(*) FROM import_jobs WHERE datastore_id = ?", (ds,)).fetchone()[0]


def integrity(db):
    with sqlite3.connect(db) as c:
        return c.execute("PRAGMA integrity_check").fetchone()[0]


def test_kill(binary, iterations, jobs, rng):
    tmp = tempfile.mkdtemp(prefix="hil-durability-")
    db = os.path.join(tmp, "data.db")
    seed = os.path.join(tmp, "seed.json")
    with open(seed, "w") as f:
        json.dump(document(SEED_DS, 3), f)
    s = Server(binary, "--db", db, "--fixtures", seed, "--log-level", "warn")
    assert s.stop() == 0
    # One big document, its datastore id swapped per iteration so each load is told apart.
    template = json.dumps(document("{DS}" + "0" * 28, jobs)).replace("{DS}" + "0" * 28, "@@DATASTORE@@")
    big = os.path.join(tmp, "big.json")

    # Calibrate: how long a full start-up load takes, so kill points cover all of it.
    ds0 = "b1900000000000000000000000000000"
    with open(big, "w") as f:
        f.write(template.replace("@@DATASTORE@@", ds0))
    start = time.monotonic()
    s = Server(binary, "--db", db, "--fixtures", big, "--log-level", "warn")
    load_time = time.monotonic() - start
    assert s.stop() == 0
    expected = {SEED_DS: 3, ds0: jobs}

    kills = complete = empty = 0
    failures = []
    for i in range(iterations):
        ds = f"b19{i + 1:029x}"
        with open(big, "w") as f:
            f.write(template.replace("@@DATASTORE@@", ds))
        server = Server(binary, "--db", db, "--fixtures", big, "--log-level", "warn", wait=False)
        time.sleep(rng.uniform(0, load_time * 1.2))
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        kills += 1
        found = job_count(db, ds)
        if found == jobs:
            complete += 1
            expected[ds] = jobs
        elif found == 0:
            empty += 1
        else:
            failures.append(f"iteration {i}: {found} of {jobs} jobs after kill -9")
        check = integrity(db)
        if check != "ok":
            failures.append(f"iteration {i}: integrity_check says {check}")
        for d, n in expected.items():
            if job_count(db, d) != n:
                failures.append(f"iteration {i}: datastore {d} lost data ({job_count(db, d)} of {n})")
    # The database still starts and serves what it holds.
    s = Server(binary, "--db", db, "--empty", "--log-level", "warn")
    r = get(s, f"/getDICOMImportJob/datastore/{SEED_DS}/job/{2:032x}")
    served = r.status == 200
    if not served:
        failures.append(f"restart: {r}")
    assert s.stop() == 0
    ok = not failures
    print(f"durability: {kills} kill -9 during start-up loads of {jobs} jobs ({load_time:.2f}s each): "
          f"{complete} complete, {empty} empty, {kills - complete - empty} partial; earlier data intact: "
          f"{ok}; -> {'PASS' if ok else 'FAIL'} {failures[:5]}")
    return ok


def test_kill_import(binary, iterations, rng):
    tmp = tempfile.mkdtemp(prefix="hil-durability-import-")
    db = os.path.join(tmp, "data.db")
    s3 = os.path.join(tmp, "s3")
    gen = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "gen_ct_series.py")
    if subprocess.run(["/usr/bin/python3", gen, os.path.join(s3, "kill-input", "ct"), "--slices", "120",
                       "--size", "256"], capture_output=True).returncode != 0:
        print("durability kill-import: SKIP (no python3-pydicom for /usr/bin/python3)")
        return True
    ds = "1a9f0000000000000000000000000001"
    seed = os.path.join(tmp, "seed.json")
    with open(seed, "w") as f:
        json.dump({"datastores": [{"datastoreId": ds, "datastoreName": "kill", "datastoreStatus": "ACTIVE"}]}, f)
    s = Server(binary, "--db", db, "--fixtures", seed, "--log-level", "warn")
    assert s.stop() == 0
    start_body = {"clientToken": "x", "dataAccessRoleArn": "arn:aws:iam::123456789012:role/r",
                  "inputS3Uri": "s3://kill-input/ct/", "outputS3Uri": "s3://kill-output/"}

    def start(server, token):
        r = post(server, f"/startDICOMImportJob/datastore/{ds}", json.dumps({**start_body, "clientToken": token}).encode())
        assert r.status == 200, r
        return json.loads(r.body)["jobId"]

    def status(server, job_id):
        r = get(server, f"/getDICOMImportJob/datastore/{ds}/job/{job_id}")
        return json.loads(r.body)["jobProperties"]

    # Calibrate: one whole import.
    s = Server(binary, "--db", db, "--empty", "--s3-dir", s3, "--log-level", "warn")
    began = time.monotonic()
    calibration = start(s, "calibrate")
    while status(s, calibration)["jobStatus"] not in ("COMPLETED", "FAILED"):
        time.sleep(0.01)
    import_time = time.monotonic() - began
    assert s.stop() == 0

    def image_set_rows(job_id):
        with sqlite3.connect(db) as c:
            sets = c.execute("SELECT count(*) FROM image_sets WHERE datastore_id = ?", (ds,)).fetchone()[0]
            frames = c.execute("SELECT count(*) FROM image_frames WHERE datastore_id = ?", (ds,)).fetchone()[0]
        return sets, frames

    base_sets, base_frames = image_set_rows(calibration)
    failures, failed, completed = [], 0, 0
    for i in range(iterations):
        s = Server(binary, "--db", db, "--empty", "--s3-dir", s3, "--log-level", "warn")
        job_id = start(s, f"kill-{i}")
        time.sleep(rng.uniform(0, import_time * 1.1))
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        if integrity(db) != "ok":
            failures.append(f"iteration {i}: integrity_check says {integrity(db)}")
        s = Server(binary, "--db", db, "--empty", "--s3-dir", s3, "--log-level", "warn")
        props = status(s, job_id)
        assert s.stop() == 0
        sets, frames = image_set_rows(job_id)
        # A completed re-import of the same series adds a version to the same image set, and its
        # frames (new ids) beside the old ones: all of a job's frames or none.
        if props["jobStatus"] == "FAILED" and "stopped before this import finished" in props.get("message", ""):
            failed += 1
            if (sets, frames) != (base_sets, base_frames):
                failures.append(f"iteration {i}: FAILED job left {frames - base_frames} frames behind")
        elif props["jobStatus"] == "COMPLETED":
            completed += 1
            if frames != base_frames + 120:
                failures.append(f"iteration {i}: COMPLETED job stored {frames - base_frames} of 120 frames")
            base_frames = frames
        else:
            failures.append(f"iteration {i}: after restart the job is {props}")
    ok = not failures
    print(f"durability kill-import: {iterations} kill -9 during imports of 120 slices ({import_time:.2f}s each): "
          f"{failed} reported FAILED with nothing stored, {completed} COMPLETED whole -> {'PASS' if ok else 'FAIL'} {failures[:5]}")
    return ok


def post(server, target, body, timeout=120):
    responses, _ = exchange(server, request_bytes("POST", target, {"Connection": "close",
                                                                    "Content-Type": "application/json"}, body),
                            timeout=timeout)
    return responses[0] if responses else None


def state_counts(server):
    """{datastoreId: number of jobs} from GET /_emulator/state, checked against the health counts."""
    r = get(server, "/_emulator/state")
    assert r.status == 200, r
    doc = r.json()
    counts = {d["datastoreId"]: 0 for d in doc.get("datastores", [])}
    for j in doc.get("jobs", []):
        counts[j["datastoreId"]] = counts.get(j["datastoreId"], 0) + 1
    h = get(server, "/_emulator/health").json()
    assert (h["datastores"], h["jobs"]) == (len(counts), sum(counts.values())), (h, len(counts))
    return counts


def test_kill_runtime(binary, seconds, iterations, jobs, rng):
    tmp = tempfile.mkdtemp(prefix="hil-durability-rt-")
    db = os.path.join(tmp, "data.db")
    seed = os.path.join(tmp, "seed.json")
    with open(seed, "w") as f:
        json.dump(document(SEED_DS, 3), f)
    s = Server(binary, "--db", db, "--fixtures", seed, "--log-level", "warn")
    assert s.stop() == 0
    template = json.dumps(document("@@DATASTORE@@", jobs))

    def body_for(ds):
        return template.replace("@@DATASTORE@@", ds).encode()

    # Calibrate on a datastore of its own: how long a whole POST takes, so kill points cover it.
    server = Server(binary, "--db", db, "--empty", "--log-level", "warn")
    ds0 = "a0000000000000000000000000000000"
    start = time.monotonic()
    r = post(server, "/_emulator/fixtures", body_for(ds0))
    load_time = time.monotonic() - start
    assert r is not None and r.status == 200, r
    expected = {SEED_DS: 3, ds0: jobs}

    kills = as_before = as_after = answered = replaces = 0
    failures = []
    deadline = time.monotonic() + seconds
    i = 0
    while i < iterations and time.monotonic() < deadline and not failures:
        i += 1
        ds = f"a{i:031x}"
        replace = rng.random() < 0.4
        replaces += replace
        after = {ds: jobs} if replace else {**expected, ds: jobs}
        outcome = {}

        def send():
            try:
                outcome["response"] = post(server, "/_emulator/fixtures" + ("?mode=replace" if replace else ""),
                                           body_for(ds))
            except OSError as e:  # the connection dies with the server
                outcome["error"] = e

        t = threading.Thread(target=send)
        t.start()
        # Up to twice the calibrated time: a cold server's POST takes longer than the warm one.
        time.sleep(rng.uniform(0, load_time * 2))
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        t.join(30)
        kills += 1
        r = outcome.get("response")
        got_200 = r is not None and r.status == 200
        answered += got_200
        check = quick_check(db)
        if check != "ok":
            failures.append(f"iteration {i}: quick_check says {check}")
        server = Server(binary, "--db", db, "--empty", "--log-level", "warn")
        found = state_counts(server)
        if found == after:
            as_after += 1
            expected = after
        elif found == expected and not got_200:
            as_before += 1
        else:
            def show(c):
                return {k[:4] + ".." + k[-3:]: v for k, v in c.items()}
            failures.append(f"iteration {i} ({'replace' if replace else 'merge'}, answered 200: {got_200}): "
                            f"state {show(found)}, expected {show(expected)} or {show(after)}")
    server.stop()
    ok = not failures
    print(f"durability at run time: {kills} kill -9 during POST /_emulator/fixtures of {jobs} jobs "
          f"({replaces} with mode=replace; a whole POST takes {load_time:.2f}s): {as_after} applied whole "
          f"({answered} of them answered 200 before the kill), {as_before} not applied, "
          f"{kills - as_after - as_before} partial or lost; -> {'PASS' if ok else 'FAIL'} {failures[:3]}")
    return ok


def quick_check(db):
    with sqlite3.connect(db) as c:
        return c.execute("PRAGMA quick_check").fetchone()[0]


def test_corrupt(binary):
    """The database file is overwritten under the running server (root ignores file modes,
    and WAL lets readers through any lock, so corruption is how a test reaches a failing
    SQLite read): the affected calls get 500 InternalServerException with a log line, the
    server keeps serving, and a restart on the restored file answers 200."""
    tmp = tempfile.mkdtemp(prefix="hil-corrupt-")
    db = os.path.join(tmp, "data.db")
    seed = os.path.join(tmp, "seed.json")
    jobs = 20000  # more pages than SQLite caches, so a cold job is read from the file
    with open(seed, "w") as f:
        json.dump(document(SEED_DS, jobs), f)
    s = Server(binary, "--db", db, "--fixtures", seed, "--log-level", "warn")
    assert s.stop() == 0  # checkpointed: every row is in the main file
    with open(db, "rb") as f:
        original = f.read()
    server = Server(binary, "--db", db, "--empty", "--log-level", "warn")
    failures = []
    statuses = []
    try:
        if get(server, f"/getDICOMImportJob/datastore/{SEED_DS}/job/{0:032x}").status != 200:
            failures.append("not 200 before the corruption")
        with open(db, "r+b") as f:
            f.seek(4096)
            f.write(b"\xff" * (len(original) - 4096))
        for i in range(1, 200, 7):  # jobs spread over many pages, none read before
            r = get(server, f"/getDICOMImportJob/datastore/{SEED_DS}/job/{jobs - i:032x}")
            statuses.append(r.status)
            if r.status not in (200, 500) or (r.status == 500 and r.header("x-amzn-ErrorType") != "InternalServerException"):
                failures.append(f"corrupt database answered {r}")
        if 500 not in statuses:
            failures.append(f"no read failed: {statuses}")
        if not server.alive():
            failures.append("the server died")
        time.sleep(0.2)
        if not any("InternalServerException" in line and ("malformed" in line or "corrupt" in line or
                                                          "not a database" in line) for line in server.log):
            failures.append(f"no log line names the SQLite failure: {server.log[-5:]}")
        if get(server, "/no/such/operation").status != 404:
            failures.append("the server stopped routing")
    finally:
        rc = server.stop()
    # SQLite keeps the bad pages it read cached, so the running server goes on answering 500
    # for them; a restart on the restored file serves them again.
    with open(db, "r+b") as f:
        f.write(original)
    again = Server(binary, "--db", db, "--empty", "--log-level", "warn")
    r = get(again, f"/getDICOMImportJob/datastore/{SEED_DS}/job/{jobs - 3:032x}")
    if r.status != 200:
        failures.append(f"after the file was restored: {r}")
    again.stop()
    ok = not failures and rc == 0
    print(f"sqlite failure: {statuses.count(500)} of {len(statuses)} reads of a corrupted file answered 500 "
          f"InternalServerException (logged), server kept serving, 200 after restore and restart; exit {rc} -> "
          f"{'PASS' if ok else 'FAIL'} {failures}")
    return ok


PROGRESS_DS = "9a0000000000000000000000000000f1"
PROGRESS_JOB = "9b0000000000000000000000000000f2"


def progression_document():
    doc = document(PROGRESS_DS, 0)
    doc["jobs"] = [{**job(PROGRESS_DS, PROGRESS_JOB), "jobStatus": "SUBMITTED",
                    "progression": [{"jobStatus": "IN_PROGRESS", "afterPolls": 1},
                                    {"jobStatus": "COMPLETED", "afterPolls": 100}]}]
    del doc["jobs"][0]["endedAt"]
    return doc


class error_case:
    """A server on a fresh --db FILE seeded with the small seed and a job with a progression,
    and the checks every SQLite failure case shares."""

    def __init__(self, binary, name, preexec_fn=None):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix=f"hil-{name}-")
        self.db = os.path.join(self.tmp, "data.db")
        seed = os.path.join(self.tmp, "seed.json")
        doc = document(SEED_DS, 3)
        extra = progression_document()
        doc["datastores"] += extra["datastores"]
        doc["jobs"] += extra["jobs"]
        with open(seed, "w") as f:
            json.dump(doc, f)
        s = Server(binary, "--db", self.db, "--fixtures", seed, "--log-level", "warn")
        assert s.stop() == 0
        self.server = Server(binary, "--db", self.db, "--empty", "--log-level", "warn", preexec_fn=preexec_fn)
        self.failures = []
        self.before = state_counts(self.server)
        self.seen = []  # (call, status, seconds)

    def call(self, what, fn):
        start = time.monotonic()
        r = fn()
        took = time.monotonic() - start
        self.seen.append((what, r.status if r else None, took))
        return r, took

    def expect_500(self, what, fn):
        log_lines = len(self.server.log)
        r, took = self.call(what, fn)
        if r is None or r.status != 500 or r.header("x-amzn-ErrorType") != "InternalServerException":
            self.failures.append(f"{what}: {r}")
            return took
        try:
            r.json()
        except ValueError:
            self.failures.append(f"{what}: the 500 body is not JSON")
        time.sleep(0.1)
        logged = [line for line in self.server.log[log_lines:] if "500 InternalServerException" in line]
        if not logged:
            self.failures.append(f"{what}: no log line for the 500 ({self.server.log[-3:]})")
        else:
            self.logged = logged[0].strip()
        return took

    def expect_200(self, what, fn):
        r, _ = self.call(what, fn)
        if r is None or r.status != 200:
            self.failures.append(f"{what}: {r}")
        return r

    def small_post(self, ds):
        return post(self.server, "/_emulator/fixtures", json.dumps(document(ds, 2)).encode())

    def poll(self):
        return get(self.server, f"/getDICOMImportJob/datastore/{PROGRESS_DS}/job/{PROGRESS_JOB}")

    def read(self):
        return get(self.server, f"/getDICOMImportJob/datastore/{SEED_DS}/job/{1:032x}")

    def check_polls_resume(self, what):
        """The failed polls were not counted: the next two see the first two steps (poll 1
        SUBMITTED, poll 2 IN_PROGRESS), each one written."""
        seen = []
        for _ in range(2):
            r = self.expect_200(f"progression poll {what}", self.poll)
            seen.append(r.json()["jobProperties"]["jobStatus"] if r is not None and r.status == 200 else None)
        if seen != ["SUBMITTED", "IN_PROGRESS"]:
            self.failures.append(f"polls {what} saw {seen}, not SUBMITTED then IN_PROGRESS")

    def check_unchanged(self, what):
        now = state_counts(self.server)
        if now != self.before:
            self.failures.append(f"{what}: the state changed from {self.before} to {now}")

    def finish(self, summary):
        if not self.server.alive():
            self.failures.append("the server died")
        rc = self.server.stop()
        ok = not self.failures and rc == 0
        calls = ", ".join(f"{w} {st} ({t:.1f}s)" for w, st, t in self.seen)
        print(f"{self.name}: {summary}; calls: {calls}; log: {getattr(self, 'logged', None)!r}; exit {rc} -> "
              f"{'PASS' if ok else 'FAIL'} {self.failures[:5]}")
        return ok


def test_disk_full(binary):
    limit = 4 << 20

    def limit_file_size():
        # Ignored, SIGXFSZ would kill the server; the disposition survives exec, so the write
        # fails with EFBIG instead, as on a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    c = error_case(binary, "disk-full", preexec_fn=limit_file_size)
    big = json.dumps(document("d15c0000000000000000000000000001", 30000)).encode()  # far over 4 MB as rows
    c.expect_500("POST of 30000 jobs", lambda: post(c.server, "/_emulator/fixtures", big))
    c.check_unchanged("after the failed load")
    c.expect_500("POST ?mode=replace of 30000 jobs", lambda: post(c.server, "/_emulator/fixtures?mode=replace", big))
    c.check_unchanged("after the failed replace")
    c.expect_200("GET job", c.read)
    c.expect_200("small POST", lambda: c.small_post("d15c0000000000000000000000000002"))
    return c.finish(f"file size limit {limit >> 20} MB")


def test_read_only(binary):
    c = error_case(binary, "read-only")
    # As root, file modes do not stop a write; the immutable attribute does, even through
    # descriptors opened before it was set. In WAL mode writes go to the -wal file first.
    files = [c.db, c.db + "-wal"]
    if subprocess.run(["chattr", "+i", *files], capture_output=True).returncode != 0:
        c.server.stop()
        print("read-only: chattr +i is not supported on this filesystem -> SKIP")
        return True
    try:
        c.expect_500("POST while immutable", lambda: c.small_post("0e000000000000000000000000000001"))
        c.expect_500("progression poll while immutable", c.poll)
        c.expect_200("GET job", c.read)
        c.check_unchanged("while immutable")
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)
    c.expect_200("POST after chattr -i", lambda: c.small_post("0e000000000000000000000000000002"))
    c.check_polls_resume("after chattr -i")
    return c.finish("database and WAL chattr +i")


def test_locked(binary):
    c = error_case(binary, "locked")
    holder = sqlite3.connect(c.db, isolation_level=None, timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        took = c.expect_500("POST while locked", lambda: c.small_post("10c00000000000000000000000000001"))
        if took < 4:
            c.failures.append(f"the POST failed after {took:.1f}s, before the 5 s busy timeout")
        c.expect_500("progression poll while locked", c.poll)
        c.expect_200("GET job while locked", c.read)  # WAL: readers are not blocked
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    c.check_unchanged("after the lock")
    c.expect_200("POST after release", lambda: c.small_post("10c00000000000000000000000000002"))
    c.check_polls_resume("after release")
    return c.finish("another connection in BEGIN EXCLUSIVE")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("test", choices=["kill", "kill-runtime", "kill-import", "sqlite-failure", "disk-full", "read-only", "locked",
                                    "all"])
    p.add_argument("--seconds", type=float, default=45)
    p.add_argument("--iterations", type=int, default=20)
    p.add_argument("--jobs", type=int, default=50000)
    p.add_argument("--seed", type=int, default=None)
    a = p.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    print(f"random seed {seed}")
    rng = random.Random(seed)
    ok = True
    if a.test in ("kill", "all"):
        ok &= test_kill(a.binary, a.iterations, a.jobs, rng)
    if a.test in ("kill-runtime", "all"):
        ok &= test_kill_runtime(a.binary, a.seconds, a.iterations, a.jobs, rng)
    if a.test in ("kill-import", "all"):
        ok &= test_kill_import(a.binary, min(a.iterations, 6) if a.test == "all" else a.iterations, rng)
    if a.test in ("sqlite-failure", "all"):
        ok &= test_corrupt(a.binary)
    if a.test in ("disk-full", "all"):
        ok &= test_disk_full(a.binary)
    if a.test in ("read-only", "all"):
        ok &= test_read_only(a.binary)
    if a.test in ("locked", "all"):
        ok &= test_locked(a.binary)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
