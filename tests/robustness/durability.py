#!/usr/bin/env python3
"""Durability of --db FILE against kill -9, and SQLite failures at run time.

  durability.py BINARY kill   [--iterations 20] [--jobs 50000]
      Seeds a database with a small document (the "earlier" data), then repeatedly starts
      the server on it with a large fixture of its own datastore and kill -9s it at a
      random moment of start-up loading (the store loads in one transaction). After each
      kill: PRAGMA integrity_check is ok, the big datastore holds all of its jobs or none,
      every earlier load (the seed and each complete big load) is intact, and a restart
      without fixtures serves the seed data.
  durability.py BINARY sqlite-failure
      The database file is corrupted under the running server: reads that hit it get 500
      InternalServerException with a log line naming SQLite's error, the server keeps
      serving, and a restart on the restored file answers 200.
Prints a summary line; exit status 0 when it passed.
"""
import argparse
import json
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import Server, get  # noqa: E402

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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("test", choices=["kill", "sqlite-failure", "all"])
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
    if a.test in ("sqlite-failure", "all"):
        ok &= test_corrupt(a.binary)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
