#!/usr/bin/env python3
"""Start-up and bulk-load benchmark of healthimaging-local (python3 stdlib only).

Called by `tests/bench/run.sh --load` after it has built the Release binary, or directly:
  python3 tests/bench/load_bench.py --binary build/healthimaging-local [--data DIR] [--repeats N]

What it measures (each figure the median of --repeats runs, a fresh server each time):
  1. start-up load of a generated --jobs fixture (default 1,000,000 jobs, gen_fixture.py):
     the server's CPU seconds (utime+stime of /proc/PID/stat) from spawn to the 'listening'
     line and to the first 200 of a known job, jobs per CPU-second (jobs / CPU to 'listening'),
     wall times, peak RSS during the load (VmHWM at 'listening') and RSS after (VmRSS once the
     first 200 is in, after a short pause);
  2. the first writes after that load: a fresh server with the same fixture; as soon as it prints
     'listening', CreateDatastore (POST /datastore) ten times on one keep-alive connection, the
     wall latency of the 1st, 2nd and 10th reported (CreateDatastore rather than
     StartDICOMImportJob: the generated datastores are at the 100 concurrent-import quota);
  3. start-up with the built-in sample fixtures (no --fixtures, as scripts/run starts it): time
     from spawn to the first 200 of the sample's first job (median of --sample-repeats, 5) and
     the idle RSS 0.5 s after it;
  4. the same fixture through POST /_emulator/fixtures on a running server started with --empty:
     the server's CPU seconds and wall time from the first byte sent to the answer, jobs per
     CPU-second, VmHWM and VmRSS after.
Targets are printed beside the figures with PASS/FAIL; nothing here is tuned to them.
Results: --results/load.md and load.json (every run). The generated fixture is kept under --data
(reused when present); without --data it goes to a temporary folder, removed afterwards.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (process accounting, the machine's description)

CLK_TCK = bench.CLK_TCK
LISTEN_RE = re.compile(rb"listening on http://[^:]+:(\d+)")
SEED = 20261129

TARGET_JOBS_PER_CPU_S = 250_000
TARGET_PEAK_OVER_AFTER = 1.5
TARGET_AFTER_MB = 250
TARGET_FIRST_WRITE_MS = 50
TARGET_SAMPLE_FIRST_MS = 20
TARGET_SAMPLE_RSS_MB = 8


log = bench.log
status_kb = bench.status_kb


def cpu_seconds(pid):
    """utime + stime of a process (all its threads), in seconds."""
    return bench.cpu_ticks(pid) / CLK_TCK


def machine():
    """bench.machine(), and how loaded it was when the run began."""
    try:
        load = "load average " + " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        load = ""
    return f"{bench.machine()}, {load} at the start"


class Spawned:
    """healthimaging-local on --port 0 and the default log level (stderr drained); `t0` is just before the spawn. Waits for 'listening'
    and records the wall time, CPU seconds and VmHWM at that moment."""

    def __init__(self, binary, args):
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen([binary, "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.log = []
        threading.Thread(target=self._drain, daemon=True).start()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                rc = self.proc.wait()
                raise SystemExit(f"server exited (rc {rc}) before 'listening': {''.join(self.log)[-2000:]}")
            m = LISTEN_RE.search(line)
            if m:
                break
        self.listening_s = time.perf_counter() - self.t0
        self.listening_cpu_s = cpu_seconds(self.pid)
        self.listening_hwm_kb = status_kb(self.pid, "VmHWM")
        self.port = int(m.group(1))
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def _drain(self):
        for line in self.proc.stderr:
            self.log.append(line.decode("utf-8", "replace"))

    def connection(self, timeout=600):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, r.read(), r


# ---- data ---------------------------------------------------------------------------------

def ensure_fixture(data_dir, jobs, seed=SEED):
    """A gen_fixture.py fixture of `jobs` jobs under data_dir (generated once, then reused);
    returns (fixture path, path of its first job)."""
    out = os.path.join(data_dir, f"jobs-{jobs}-seed-{seed}")
    marker = os.path.join(out, ".complete")
    if not os.path.exists(marker):
        t = time.perf_counter()
        subprocess.run([sys.executable, os.path.join(HERE, "gen_fixture.py"), "--out", out, "--jobs", str(jobs),
                        "--seed", str(seed)], check=True)
        open(marker, "w").close()
        log(f"{jobs:,} job fixture generated in {time.perf_counter() - t:.0f} s -> {out}")
    with open(os.path.join(out, "paths.txt")) as f:
        first = f.readline().split(" ", 1)[1].strip()
    return os.path.join(out, "fixture.json"), first


def sample_job_path():
    with open(os.path.join(ROOT, "fixtures", "sample.json")) as f:
        j = json.load(f)["jobs"][0]
    return f"/getDICOMImportJob/datastore/{j['datastoreId']}/job/{j['jobId']}"


# ---- the four measurements ----------------------------------------------------------------

def first_200(server, path, deadline_s=600):
    """Polls `path` (a new connection per try) until it answers 200; returns the wall time since spawn."""
    while True:
        try:
            c = server.connection(timeout=60)
            status, _, _ = request(c, "GET", path)
            c.close()
            if status == 200:
                return time.perf_counter() - server.t0
            raise SystemExit(f"{path}: answered {status}, expected 200")
        except OSError:
            pass
        if time.perf_counter() - server.t0 > deadline_s:
            raise SystemExit(f"no 200 for {path} within {deadline_s} s")
        time.sleep(0.001)


def startup_load(binary, fixture, job_path, jobs):
    s = Spawned(binary, ["--fixtures", fixture])
    try:
        first = first_200(s, job_path)
        cpu_first = cpu_seconds(s.pid)
        time.sleep(0.5)
        row = {"listening_s": s.listening_s, "listening_cpu_s": s.listening_cpu_s,
               "first_200_s": first, "first_200_cpu_s": cpu_first,
               "jobs_per_cpu_s": jobs / s.listening_cpu_s if s.listening_cpu_s else float("inf"),
               "jobs_per_wall_s": jobs / s.listening_s,
               "peak_kb": s.listening_hwm_kb, "after_kb": status_kb(s.pid, "VmRSS"),
               "hwm_after_kb": status_kb(s.pid, "VmHWM")}
    finally:
        s.stop()
    return row


def first_writes(binary, fixture, count=10):
    s = Spawned(binary, ["--fixtures", fixture])
    try:
        c = s.connection(timeout=120)
        c.connect()
        since_listening = time.perf_counter() - s.t0 - s.listening_s
        rows = []
        for i in range(count):
            body = json.dumps({"datastoreName": f"load-bench-{i}", "clientToken": str(uuid.uuid4())}).encode()
            t = time.perf_counter()
            status, answer, r = request(c, "POST", "/datastore", body, {"Content-Type": "application/json"})
            rows.append({"ms": (time.perf_counter() - t) * 1000, "status": status,
                         "error": r.getheader("x-amzn-ErrorType")})
            if status != 200:
                log(f"CreateDatastore {i + 1}: {status} {answer[:200]!r}")
        c.close()
    finally:
        s.stop()
    return {"writes": rows, "first_sent_after_listening_ms": since_listening * 1000}


def sample_startup(binary, path):
    s = Spawned(binary, [])
    try:
        first = first_200(s, path, deadline_s=30)
        time.sleep(0.5)
        return {"first_200_s": first, "listening_s": s.listening_s, "idle_rss_kb": status_kb(s.pid, "VmRSS"),
                "hwm_kb": status_kb(s.pid, "VmHWM")}
    finally:
        s.stop()


def post_load(binary, fixture, job_path, jobs):
    with open(fixture, "rb") as f:
        body = f.read()
    s = Spawned(binary, ["--empty", "--body-limit", str(len(body) + (1 << 20)), "--read-timeout", "600s"])
    try:
        c = s.connection(timeout=900)
        c.connect()
        hwm_before = status_kb(s.pid, "VmHWM")
        cpu0 = cpu_seconds(s.pid)
        t = time.perf_counter()
        status, answer, _ = request(c, "POST", "/_emulator/fixtures", body, {"Content-Type": "application/json"})
        wall = time.perf_counter() - t
        cpu = cpu_seconds(s.pid) - cpu0
        del body
        if status != 200:
            raise SystemExit(f"POST /_emulator/fixtures: {status} {answer[:300]!r}")
        loaded = json.loads(answer).get("loaded", {}).get("jobs")
        check, _, _ = request(c, "GET", job_path)
        c.close()
        time.sleep(0.5)
        return {"status": status, "loaded_jobs": loaded, "known_job_status": check, "wall_s": wall, "cpu_s": cpu,
                "jobs_per_cpu_s": jobs / cpu if cpu else float("inf"), "hwm_before_kb": hwm_before,
                "peak_kb": status_kb(s.pid, "VmHWM"), "after_kb": status_kb(s.pid, "VmRSS")}
    finally:
        s.stop()


# ---- report -------------------------------------------------------------------------------

def med(rows, key):
    return statistics.median(r[key] for r in rows)


def spread(rows, key, fmt):
    vals = [r[key] for r in rows]
    return "" if len(vals) < 2 else f" ({fmt(min(vals))} to {fmt(max(vals))})"


def verdict(ok):
    return "PASS" if ok else "FAIL"


def summarize(a, res, elapsed):
    jobs = a.jobs
    mb = lambda kb: f"{kb / 1024:.0f} MB"  # noqa: E731
    L = [f"Command: `{a.command}` (median of {a.repeats} runs, a fresh server each; whole run {elapsed:.0f} s)  ",
         f"Binary: `{a.binary}`  ", f"Machine: {machine()}  ",
         (f"Fixture: {jobs:,} jobs in 10 datastores (gen_fixture.py, seed {SEED}), {res['fixture_mb']:.0f} MB"
          if "fixture_mb" in res else "Fixture: the built-in sample only"), "",
         "| measure | value | target | verdict |", "|---|---:|---:|---|"]
    verdicts = []

    def add(name, value, target="", ok=None):
        v = "" if ok is None else verdict(ok)
        if ok is not None:
            verdicts.append((name, ok))
        L.append(f"| {name} | {value} | {target} | {v} |")

    st = res.get("startup")
    if st:
        add("1. start-up: CPU seconds to 'listening'", f"{med(st, 'listening_cpu_s'):.2f} s"
            + spread(st, "listening_cpu_s", lambda v: f"{v:.2f}"))
        add("1. start-up: CPU seconds to the first 200 of a known job", f"{med(st, 'first_200_cpu_s'):.2f} s")
        rate = med(st, "jobs_per_cpu_s")
        add("1. start-up: jobs per CPU-second (to 'listening')", f"{rate:,.0f}"
            + spread(st, "jobs_per_cpu_s", lambda v: f"{v:,.0f}"), f">= {TARGET_JOBS_PER_CPU_S:,}",
            rate >= TARGET_JOBS_PER_CPU_S)
        add("1. start-up: wall time to 'listening'", f"{med(st, 'listening_s'):.2f} s")
        add("1. start-up: wall time to the first 200", f"{med(st, 'first_200_s'):.2f} s")
        peak, after = med(st, "peak_kb"), med(st, "after_kb")
        add("1. start-up: peak RSS during the load (VmHWM at 'listening')", mb(peak))
        add("1. start-up: RSS after the load (VmRSS after the first 200)", mb(after),
            f"<= {TARGET_AFTER_MB} MB", after / 1024 <= TARGET_AFTER_MB)
        ratios = [r["peak_kb"] / r["after_kb"] for r in st]
        ratio = statistics.median(ratios)
        add("1. start-up: peak / after", f"{ratio:.2f}x", f"<= {TARGET_PEAK_OVER_AFTER}x",
            ratio <= TARGET_PEAK_OVER_AFTER)
    fw = res.get("first_writes")
    if fw:
        for n in (1, 2, 10):
            vals = [r["writes"][n - 1]["ms"] for r in fw if len(r["writes"]) >= n]
            if not vals:
                continue
            statuses = sorted({r["writes"][n - 1]["status"] for r in fw if len(r["writes"]) >= n})
            ms = statistics.median(vals)
            rng = f" ({min(vals):.1f} to {max(vals):.1f})" if len(vals) > 1 else ""
            ok = ms <= TARGET_FIRST_WRITE_MS and statuses == [200]
            add(f"2. write no. {n} after the load (CreateDatastore, status {'/'.join(map(str, statuses))})",
                f"{ms:.1f} ms{rng}", f"<= {TARGET_FIRST_WRITE_MS} ms" if n == 1 else "",
                ok if n == 1 else None)
        add("2. first write sent after 'listening'", f"{med(fw, 'first_sent_after_listening_ms'):.1f} ms")
    sm = res.get("sample")
    if sm:
        first = med(sm, "first_200_s") * 1000
        rss = med(sm, "idle_rss_kb") / 1024
        add(f"3. built-in sample: spawn to first 200 (median of {len(sm)})", f"{first:.1f} ms"
            + spread(sm, "first_200_s", lambda v: f"{v * 1000:.1f}"), f"<= {TARGET_SAMPLE_FIRST_MS} ms",
            first <= TARGET_SAMPLE_FIRST_MS)
        add("3. built-in sample: idle RSS after the first answer", f"{rss:.1f} MB", f"<= {TARGET_SAMPLE_RSS_MB} MB",
            rss <= TARGET_SAMPLE_RSS_MB)
    po = res.get("post")
    if po:
        add("4. POST /_emulator/fixtures: server CPU seconds", f"{med(po, 'cpu_s'):.2f} s"
            + spread(po, "cpu_s", lambda v: f"{v:.2f}"))
        rate = med(po, "jobs_per_cpu_s")
        add("4. POST /_emulator/fixtures: jobs per server CPU-second", f"{rate:,.0f}",
            f">= {TARGET_JOBS_PER_CPU_S:,}", rate >= TARGET_JOBS_PER_CPU_S)
        add("4. POST /_emulator/fixtures: wall time (send to answer)", f"{med(po, 'wall_s'):.2f} s")
        peak, after = med(po, "peak_kb"), med(po, "after_kb")
        add("4. POST /_emulator/fixtures: peak RSS (VmHWM)", mb(peak))
        add("4. POST /_emulator/fixtures: RSS after", mb(after), f"<= {TARGET_AFTER_MB} MB",
            after / 1024 <= TARGET_AFTER_MB)
        ratio = statistics.median(r["peak_kb"] / r["after_kb"] for r in po)
        add("4. POST /_emulator/fixtures: peak / after", f"{ratio:.2f}x", f"<= {TARGET_PEAK_OVER_AFTER}x",
            ratio <= TARGET_PEAK_OVER_AFTER)
    L.append("")
    failed = [n for n, ok in verdicts if not ok]
    L.append(f"Targets: {len(verdicts) - len(failed)} of {len(verdicts)} pass"
             + (f"; failing: {'; '.join(failed)}" if failed else ""))
    L.append("")
    L.append("CPU seconds are the server's own utime+stime (/proc/PID/stat, all threads, 1/{} s ticks); wall times "
             "depend on what else runs on the machine.".format(CLK_TCK))
    return "\n".join(L) + "\n", failed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--jobs", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3, help="runs per measurement; the table gives medians")
    ap.add_argument("--sample-repeats", type=int, default=5)
    ap.add_argument("--data", help="keep the generated fixture here and reuse it")
    ap.add_argument("--only", choices=["startup", "writes", "sample", "post"], action="append",
                    help="run only these measurements (repeatable)")
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("--command", default="tests/bench/run.sh --load", help="the command line printed in the table")
    a = ap.parse_args()
    started = time.time()
    only = set(a.only or ["startup", "writes", "sample", "post"])
    tmp = None if a.data else tempfile.mkdtemp(prefix="hil-load-bench-", dir="/var/tmp")
    data_dir = a.data or tmp
    res = {"jobs": a.jobs, "repeats": a.repeats}
    try:
        if only - {"sample"}:
            fixture, job_path = ensure_fixture(data_dir, a.jobs)
            res["fixture_mb"] = os.path.getsize(fixture) / 1e6
        for i in range(a.repeats if only - {"sample"} else 0):
            if "startup" in only:
                row = startup_load(a.binary, fixture, job_path, a.jobs)
                res.setdefault("startup", []).append(row)
                log(f"run {i + 1}/{a.repeats} start-up: {row['listening_cpu_s']:.2f} CPU-s to listening "
                    f"({row['jobs_per_cpu_s']:,.0f} jobs/CPU-s), wall {row['listening_s']:.2f} s, first 200 "
                    f"{row['first_200_s']:.2f} s, peak {row['peak_kb'] / 1024:.0f} MB, after "
                    f"{row['after_kb'] / 1024:.0f} MB")
            if "writes" in only:
                row = first_writes(a.binary, fixture)
                res.setdefault("first_writes", []).append(row)
                log(f"run {i + 1}/{a.repeats} first writes: "
                    + ", ".join(f"{w['ms']:.1f} ms ({w['status']})" for w in row["writes"]))
            if "post" in only:
                row = post_load(a.binary, fixture, job_path, a.jobs)
                res.setdefault("post", []).append(row)
                log(f"run {i + 1}/{a.repeats} POST /_emulator/fixtures: {row['cpu_s']:.2f} CPU-s "
                    f"({row['jobs_per_cpu_s']:,.0f} jobs/CPU-s), wall {row['wall_s']:.2f} s, loaded "
                    f"{row['loaded_jobs']}, peak {row['peak_kb'] / 1024:.0f} MB, after {row['after_kb'] / 1024:.0f} MB")
        if "sample" in only:
            path = sample_job_path()
            for i in range(a.sample_repeats):
                row = sample_startup(a.binary, path)
                res.setdefault("sample", []).append(row)
                log(f"sample {i + 1}/{a.sample_repeats}: first 200 {row['first_200_s'] * 1000:.1f} ms, idle RSS "
                    f"{row['idle_rss_kb'] / 1024:.1f} MB")
        summary, failed = summarize(a, res, time.time() - started)
        res["failed_targets"] = failed
        os.makedirs(a.results, exist_ok=True)
        with open(os.path.join(a.results, "load.md"), "w") as f:
            f.write(summary)
        with open(os.path.join(a.results, "load.json"), "w") as f:
            json.dump(res, f, indent=1)
        print(summary)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
