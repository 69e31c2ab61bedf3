#!/usr/bin/env python3
"""healthimaging-local against nginx, side by side in one run (python3 stdlib only).

Called by tests/bench/run.sh after it has built the release binary; see the README's
Performance section. Everything listens on 127.0.0.1 only; every load is bounded in time.

Servers are pinned to CPU 0, wrk to CPU 1. Each round runs every trial once, emulator and nginx
alternating, the order reversed on odd rounds; the table reports medians over rounds.
"""
import argparse
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_fixture  # noqa: E402

SERVER_CPU = "0"
LOAD_CPU = "1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
LISTEN_RE = re.compile(rb"listening on http://127\.0\.0\.1:(\d+)")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---- process accounting -------------------------------------------------------------------

def cpu_ticks(pid):
    """utime + stime of a process (all its threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def children(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return out


def free_port():
    # nginx needs its port in the config; the emulator takes --port 0 and says which it got.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- servers ------------------------------------------------------------------------------

class emulator:
    def __init__(self, binary, args, label):
        self.label = label
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, binary, "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        self.listening_s = time.perf_counter() - self.t0
        m = LISTEN_RE.search(line)
        if not m:
            err = self.proc.stderr.read().decode(errors="replace")
            raise SystemExit(f"{label}: no 'listening on' line: {line!r} {err}")
        self.port = int(m.group(1))
        self.pids = [self.proc.pid]

    def stop(self):
        stop_process(self.proc, signal.SIGTERM)


class nginx_server:
    def __init__(self, root, tmp, files):
        self.label = "nginx"
        self.port = free_port()
        os.makedirs(tmp, exist_ok=True)
        with open(os.path.join(HERE, "nginx.conf.in")) as f:
            conf = f.read()
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if nofile == resource.RLIM_INFINITY:
            nofile = 1 << 20
        # open_file_cache holds a descriptor per cached file: only when all of them fit.
        self.file_cache = nofile >= files + 8192
        cache = (f"open_file_cache max={files + 4096} inactive=120s; open_file_cache_valid 120s;" if self.file_cache
                 else "open_file_cache off;")
        conf = (conf.replace("@NOFILE@", str(nofile)).replace("@OPEN_FILE_CACHE@", cache).replace("@TMP@", tmp).replace("@ROOT@", root).replace("@PORT@", str(self.port))
                .replace("@USER@", "user root;" if os.geteuid() == 0 else ""))
        start_nginx(self, conf, tmp)

    def stop(self):
        stop_nginx(self)


def start_nginx(server, conf, tmp):
    """Starts nginx pinned to the server CPU with the config text `conf`, which listens on
    server.port; returns once the port accepts, with server.proc and server.pids set."""
    path = os.path.join(tmp, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    server.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, "nginx", "-p", tmp, "-e", os.path.join(tmp, "error.log"),
                                    "-c", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            break
        except OSError:
            if server.proc.poll() is not None:
                raise SystemExit("nginx did not start: " + server.proc.stderr.read().decode(errors="replace"))
            time.sleep(0.05)
    time.sleep(0.2)
    server.pids = [server.proc.pid] + children(server.proc.pid)


def stop_nginx(server):
    stop_process(server.proc, signal.SIGQUIT)  # nginx's graceful stop


def stop_process(proc, sig):
    """`sig`, then up to 15 s for the process to end, then SIGKILL."""
    proc.send_signal(sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---- checks -------------------------------------------------------------------------------

def fetch(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, r.read(), r


def prepare_nginx_root(emu, data_dir, paths, sample_jobs):
    """Checks the emulator against the rendered bodies, then stores its error bodies for nginx."""
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    root = os.path.join(data_dir, "docroot")
    for j in sample_jobs:
        status, body, _ = fetch(conn, gen_fixture.job_path(j))
        if status != 200 or body.decode() != gen_fixture.hit_body(j):
            raise SystemExit(f"emulator body differs from the rendered one for {gen_fixture.job_path(j)}:\n"
                             f"{status} {body!r}\n    {gen_fixture.hit_body(j)!r}")
    for expected, path in paths:
        if expected == 200:
            continue
        status, body, r = fetch(conn, path)
        if status != expected:
            raise SystemExit(f"{path}: emulator answered {status}, the fixture expects {expected}")
        target = os.path.join(root, f"_e{expected}", path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(body)
    conn.close()


def check_same_answers(emu, ngx, paths, count=300):
    """Same status and body from both servers for a random sample of every kind of path."""
    ce = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    cn = http.client.HTTPConnection("127.0.0.1", ngx.port, timeout=10)
    rng = random.Random(7)
    sample = rng.sample([p for p in paths if p[0] == 200], count) + [p for p in paths if p[0] != 200][:count]
    for expected, path in sample:
        se, be, re_ = fetch(ce, path)
        sn, bn, rn = fetch(cn, path)
        if (se, be) != (sn, bn) or se != expected:
            raise SystemExit(f"{path}: emulator {se} {be[:120]!r} but nginx {sn} {bn[:120]!r}")
        if rn.getheader("Content-Type") != "application/json" or rn.getheader("Connection") == "close":
            raise SystemExit(f"{path}: nginx answered with {rn.getheaders()}")
        if se != 200 and rn.getheader("x-amzn-ErrorType") != re_.getheader("x-amzn-ErrorType"):
            raise SystemExit(f"{path}: x-amzn-ErrorType differs")
    ce.close()
    cn.close()
    return len(sample)


def first_answer(binary, args, path, label):
    """Seconds from spawning the process to the first 200 for `path`; also RSS then."""
    t0 = time.perf_counter()
    e = emulator(binary, args, label)
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", e.port, timeout=30)
            status, _, _ = fetch(c, path)
            c.close()
            if status == 200:
                break
        except OSError:
            pass
        if time.perf_counter() - t0 > 120:
            raise SystemExit(f"{label}: no 200 for {path} within 120 s")
        time.sleep(0.001)
    elapsed = time.perf_counter() - t0
    time.sleep(0.05)
    rss = status_kb(e.proc.pid, "VmRSS")
    hwm = status_kb(e.proc.pid, "VmHWM")
    listening = e.listening_s
    e.stop()
    return {"first_answer_s": elapsed, "listening_s": listening, "rss_kb": rss, "hwm_kb": hwm}


# ---- load ---------------------------------------------------------------------------------

def run_wrk(server, shape, mix, paths_file, duration):
    return wrk_trial(server, shape, "mix.lua", {"HIL_BENCH_PATHS": paths_file, "HIL_BENCH_MIX": mix}, duration)


def wrk_trial(server, shape, script, variables, duration):
    """One wrk run of tests/bench/`script` against `server` (its Lua reads `variables` from the
    environment): wrk's figures, with the server's CPU time and requests per server CPU-second."""
    cmd = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{shape['connections']}", f"-d{duration}s", "--latency",
           "-s", os.path.join(HERE, script)]
    if shape["close"]:
        cmd += ["-H", "Connection: close"]  # with the space: wrk ignores "Connection:close"
    cmd.append(f"http://127.0.0.1:{server.port}")
    env = dict(os.environ, HIL_BENCH_DIR=HERE, **variables)
    before = sum(cpu_ticks(p) for p in server.pids)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 60)
    after = sum(cpu_ticks(p) for p in server.pids)
    m = re.search(r"^HILBENCH (\{.*\})$", out.stdout, re.M)
    if out.returncode != 0 or not m:
        raise SystemExit(f"wrk failed ({out.returncode}): {out.stdout}\n{out.stderr}")
    r = json.loads(m.group(1))
    seconds = r["duration_us"] / 1e6
    cpu = (after - before) / CLK_TCK
    r["rps"] = r["requests"] / seconds
    r["cpu_s"] = cpu
    r["per_cpu_s"] = r["requests"] / cpu if cpu > 0 else float("inf")
    r["socket_errors"] = r["connect"] + r["read"] + r["write"] + r["timeout"]
    return r


# ---- SigV4 -------------------------------------------------------------------------------

BENCH_KEY = "AKIABENCHEXAMPLE"
BENCH_SECRET = "bench/K7MDENG+bPxRfiCYEXAMPLEKEY"


def write_credentials(path):
    with open(path, "w") as f:
        json.dump({"credentials": [{"accessKeyId": BENCH_KEY, "secretAccessKey": BENCH_SECRET,
                                    "accountId": "123456789012"}]}, f)


def sign_paths(paths, port, out_file, count=20_000):
    """Signs a sample of the paths for one server (the Host header names its port) with
    botocore's own SigV4 signer, as the SDK would sign them; valid for 15 minutes."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    signer = SigV4Auth(Credentials(BENCH_KEY, BENCH_SECRET), "medical-imaging", "us-east-1")
    sample = random.Random(11).sample(paths, min(count, len(paths)))
    with open(out_file, "w") as f:
        for status, path in sample:
            req = AWSRequest(method="GET", url=f"http://127.0.0.1:{port}{path}")
            signer.add_auth(req)
            f.write(f"{status} {path}\t{req.headers['X-Amz-Date']}\t{req.headers['Authorization']}\n")
    return out_file


def median(rows, key):
    return statistics.median(r[key] for r in rows)


# ---- main ---------------------------------------------------------------------------------

SHAPES = {
    "ka32": {"connections": 32, "close": False, "name": "32 keep-alive"},
    "ka256": {"connections": 256, "close": False, "name": "256 keep-alive"},
    "close": {"connections": 32, "close": True, "name": "new connection per request (32)"},
}
MIX = "80,10,10"


def common_arguments(command):
    """The flags every benchmark of this folder takes; `command` is the one printed in its table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("--command", default=command, help="the command line to print in the table")
    return ap


def main():
    ap = common_arguments("tests/bench/run.sh")
    ap.add_argument("--big-jobs", type=int, default=1_000_000, help="jobs for the start-up/load-rate test; 0 skips it")
    ap.add_argument("--data", help="keep generated data here and reuse it (default: a temporary folder)")
    ap.add_argument("--auth-only", action="store_true",
                    help="run only the SigV4 trials (signed requests with --auth off and --auth sigv4)")
    a = ap.parse_args()
    started = time.time()

    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    tmp = tempfile.mkdtemp(prefix="hil-bench-", dir=base)
    data_dir = a.data or os.path.join(tmp, "data")
    servers = []
    try:
        marker = os.path.join(data_dir, f".complete-{a.jobs}")
        if not os.path.exists(marker):
            t = time.perf_counter()
            subprocess.run([sys.executable, os.path.join(HERE, "gen_fixture.py"), "--out", data_dir, "--jobs",
                            str(a.jobs), "--docroot"], check=True)
            log(f"fixture + docroot generated in {time.perf_counter() - t:.1f} s")
        ds_list, job_list, _, _ = gen_fixture.make_data(a.jobs, 10, 20261129)
        paths = []
        with open(os.path.join(data_dir, "paths.txt")) as f:
            for line in f:
                s, p = line.split(" ", 1)
                paths.append((int(s), p.strip()))
        paths_file = os.path.join(data_dir, "paths.txt")
        fixture = os.path.join(data_dir, "fixture.json")
        # A fault rule that never fires: its job is never requested.
        faults_file = os.path.join(data_dir, "inactive-fault.json")
        with open(faults_file, "w") as f:
            json.dump({"faults": [{"operation": "GetDICOMImportJob", "datastoreId": ds_list[0]["datastoreId"],
                                   "jobId": "neverrequested", "error": "ThrottlingException"}]}, f)

        help_text = subprocess.run([a.binary, "--help"], capture_output=True, text=True).stdout
        has_journal = "--journal-size" in help_text
        has_auth = "--auth" in help_text
        if a.auth_only:
            if not has_auth:
                raise SystemExit("--auth-only: this binary has no --auth")
            return auth_only(a, fixture, paths, tmp, servers, started)

        emu = emulator(a.binary, ["--fixtures", fixture], "emulator")
        servers.append(emu)
        log(f"emulator with {a.jobs} jobs listening after {emu.listening_s * 1000:.0f} ms")
        if not os.path.exists(marker):
            prepare_nginx_root(emu, data_dir, paths, random.Random(3).sample(job_list, 500))
            open(marker, "w").close()
        ngx = nginx_server(os.path.join(data_dir, "docroot"), os.path.join(tmp, "nginx"), len(paths))
        servers.append(ngx)
        checked = check_same_answers(emu, ngx, paths)
        log(f"nginx and the emulator gave the same status and body for {checked} sampled paths")

        emu_t1 = emulator(a.binary, ["--fixtures", fixture, "--threads", "1"], "emulator --threads 1")
        emu_fault = emulator(a.binary, ["--fixtures", fixture, "--fixtures", faults_file], "emulator + inactive fault")
        servers += [emu_t1, emu_fault]
        trials = [
            ("emulator", emu, "ka32", MIX), ("nginx", ngx, "ka32", MIX),
            ("emulator", emu, "ka256", MIX), ("nginx", ngx, "ka256", MIX),
            ("emulator", emu, "close", MIX), ("nginx", ngx, "close", MIX),
            ("emulator --threads 1", emu_t1, "ka32", MIX),
            ("emulator, hits only", emu, "ka32", "100,0,0"),
            ("emulator, 404 only", emu, "ka32", "0,100,0"),
            ("emulator, 400 only", emu, "ka32", "0,0,100"),
            ("nginx, hits only", ngx, "ka32", "100,0,0"),
            ("emulator + inactive fault", emu_fault, "ka32", MIX),
        ]
        if has_journal:
            emu_nj = emulator(a.binary, ["--fixtures", fixture, "--journal-size", "0"], "emulator --journal-size 0")
            servers.append(emu_nj)
            trials.append(("emulator --journal-size 0", emu_nj, "ka32", MIX))
        signed = {}
        if has_auth:
            creds = os.path.join(tmp, "credentials.json")
            write_credentials(creds)
            emu_auth = emulator(a.binary, ["--fixtures", fixture, "--fixtures", creds, "--auth", "sigv4"],
                                "emulator --auth sigv4")
            servers.append(emu_auth)
            signed = {emu: os.path.join(tmp, "signed-off.txt"), emu_auth: os.path.join(tmp, "signed-sigv4.txt")}
            trials += [("emulator, signed requests", emu, "ka32", MIX),
                       ("emulator --auth sigv4, signed requests", emu_auth, "ka32", MIX)]
        results = {}
        for r in range(a.rounds):
            for server, out in signed.items():  # fresh signatures each round: they hold 15 minutes
                sign_paths(paths, server.port, out)
            order = trials if r % 2 == 0 else list(reversed(trials))
            for label, server, shape, mix in order:
                which = signed[server] if "signed" in label else paths_file
                row = run_wrk(server, SHAPES[shape], mix, which, a.duration)
                results.setdefault((label, shape, mix), []).append(row)
                log(f"round {r + 1}/{a.rounds} {label:28} {shape:6} {mix:9} {row['rps']:9.0f} req/s "
                    f"{row['per_cpu_s']:9.0f} req/cpu-s p99 {row['p99_us']} us non2xx {row['non2xx']} "
                    f"sockerr {row['socket_errors']}")
        peak = {s.label: max(status_kb(p, "VmHWM") for p in s.pids) for s in servers}
        for s in servers:
            s.stop()
        servers = []

        # Start-up: the built-in sample, then a big fixture.
        sample_path = None
        with open(os.path.join(HERE, "..", "..", "fixtures", "sample.json")) as f:
            j = json.load(f)["jobs"][0]
            sample_path = f"/getDICOMImportJob/datastore/{j['datastoreId']}/job/{j['jobId']}"
        starts = [first_answer(a.binary, [], sample_path, "sample") for _ in range(5)]
        startup = {"sample": {k: statistics.median(s[k] for s in starts) for k in starts[0]}}
        if a.big_jobs:
            big_dir = os.path.join(tmp, "big")
            t = time.perf_counter()
            subprocess.run([sys.executable, os.path.join(HERE, "gen_fixture.py"), "--out", big_dir, "--jobs",
                            str(a.big_jobs)], check=True)
            log(f"{a.big_jobs} job fixture generated in {time.perf_counter() - t:.1f} s")
            with open(os.path.join(big_dir, "paths.txt")) as f:
                big_path = f.readline().split(" ", 1)[1].strip()
            big = first_answer(a.binary, ["--fixtures", os.path.join(big_dir, "fixture.json")], big_path, "big")
            big["jobs"] = a.big_jobs
            big["jobs_per_s"] = a.big_jobs / big["listening_s"]
            big["fixture_mb"] = os.path.getsize(os.path.join(big_dir, "fixture.json")) / 1e6
            startup["big"] = big
            shutil.rmtree(big_dir, ignore_errors=True)

        summary = summarize(results, peak, startup, has_journal, a, time.time() - started, ngx.file_cache)
        os.makedirs(a.results, exist_ok=True)
        with open(os.path.join(a.results, "latest.md"), "w") as f:
            f.write(summary)
        with open(os.path.join(a.results, "latest.json"), "w") as f:
            json.dump({"rounds": {" | ".join(k): v for k, v in results.items()}, "peak_rss_kb": peak,
                       "startup": startup}, f, indent=1)
        print(summary)
    finally:
        for s in servers:
            try:
                s.stop()
            except Exception:  # already gone
                pass
        if not a.data:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            shutil.rmtree(os.path.join(tmp, "nginx"), ignore_errors=True)
            os.rmdir(tmp) if os.path.isdir(tmp) and not os.listdir(tmp) else None


def auth_only(a, fixture, paths, tmp, servers, started):
    """The SigV4 trials alone: the same signed requests to --auth off and --auth sigv4."""
    creds = os.path.join(tmp, "credentials.json")
    write_credentials(creds)
    off = emulator(a.binary, ["--fixtures", fixture, "--fixtures", creds], "emulator --auth off")
    on = emulator(a.binary, ["--fixtures", fixture, "--fixtures", creds, "--auth", "sigv4"], "emulator --auth sigv4")
    servers += [off, on]
    trials = [("--auth off", off), ("--auth sigv4", on)]
    results = {}
    for r in range(a.rounds):
        files = {label: sign_paths(paths, s.port, os.path.join(tmp, f"signed-{i}.txt")) for i, (label, s) in enumerate(trials)}
        for label, server in (trials if r % 2 == 0 else list(reversed(trials))):
            row = run_wrk(server, SHAPES["ka32"], MIX, files[label], a.duration)
            results.setdefault(label, []).append(row)
            log(f"round {r + 1}/{a.rounds} {label:14} {row['rps']:9.0f} req/s {row['per_cpu_s']:9.0f} req/cpu-s "
                f"p99 {row['p99_us']} us non2xx {row['non2xx']}")
    base = median(results["--auth off"], "per_cpu_s")
    L = [f"Command: `{a.command}` ({a.rounds} interleaved rounds of {a.duration} s, medians; whole run "
         f"{time.time() - started:.0f} s)  ",
         f"Machine: {machine()}; server pinned to CPU {SERVER_CPU}, wrk to CPU {LOAD_CPU}; 32 keep-alive connections, "
         f"mix {MIX}, every request signed by botocore's SigV4 signer", "",
         "| server | req/s | req per server CPU-s | vs --auth off | p99 | non-2xx |", "|---|---:|---:|---:|---:|---:|"]
    for label, _ in trials:
        rows = results[label]
        non2xx = sum(r["non2xx"] for r in rows) / max(1, sum(r["requests"] for r in rows))
        L.append(f"| {label} | {median(rows, 'rps'):,.0f} | {median(rows, 'per_cpu_s'):,.0f} | "
                 f"{median(rows, 'per_cpu_s') / base:.2f}x | {median(rows, 'p99_us') / 1000:.2f} ms | {non2xx:.1%} |")
    summary = "\n".join(L) + "\n"
    os.makedirs(a.results, exist_ok=True)
    with open(os.path.join(a.results, "auth.md"), "w") as f:
        f.write(summary)
    print(summary)


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model}), Linux {os.uname().release}"


def summarize(results, peak, startup, has_journal, a, elapsed, file_cache):
    def row(label, shape, mix=MIX):
        return results[(label, shape, mix)]

    L = []
    L.append(f"Command: `{a.command}` ({a.rounds} interleaved rounds of {a.duration} s per trial, medians; "
             f"whole run {elapsed:.0f} s)  ")
    L.append(f"Machine: {machine()}; server pinned to CPU {SERVER_CPU}, wrk (1 thread) to CPU {LOAD_CPU}  ")
    L.append(f"Load: {a.jobs} jobs in 10 datastores; mix {MIX} = % existing jobs (200) / unknown jobs or "
             "datastores (404) / invalid ids (400)")
    L.append(f"nginx: 1 worker, open_file_cache {'on (every file)' if file_cache else 'off (the fd limit is below the file count)'}")
    L.append("")
    L.append("| shape | server | req/s | ratio | req per server CPU-s | ratio | p50 | p99 | non-2xx (expected ~20%) | socket errors |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for shape in ("ka32", "ka256", "close"):
        e, n = row("emulator", shape), row("nginx", shape)
        for label, rows, other in (("emulator", e, n), ("nginx", n, None)):
            rps, cpu = median(rows, "rps"), median(rows, "per_cpu_s")
            ratio = f"{rps / median(other, 'rps'):.2f}x" if other else ""
            cratio = f"{cpu / median(other, 'per_cpu_s'):.2f}x" if other else ""
            non2xx = sum(r["non2xx"] for r in rows) / max(1, sum(r["requests"] for r in rows))
            L.append(f"| {SHAPES[shape]['name']} | {label} | {rps:,.0f} | {ratio} | {cpu:,.0f} | {cratio} | "
                     f"{median(rows, 'p50_us') / 1000:.2f} ms | {median(rows, 'p99_us') / 1000:.2f} ms | "
                     f"{non2xx:.1%} | {sum(r['socket_errors'] for r in rows)} |")
    L.append("")
    L.append("Emulator variants at 32 keep-alive connections (same rounds, interleaved with the above):")
    L.append("")
    L.append("| variant | req/s | vs default | req per server CPU-s | p99 |")
    L.append("|---|---:|---:|---:|---:|")
    base = median(row("emulator", "ka32"), "rps")
    variants = [("emulator (default: 1 thread per core = 2 threads, journal on)", "emulator", MIX),
                ("--threads 1", "emulator --threads 1", MIX),
                ("hits only (200)", "emulator, hits only", "100,0,0"),
                ("unknown jobs only (404)", "emulator, 404 only", "0,100,0"),
                ("invalid ids only (400)", "emulator, 400 only", "0,0,100"),
                ("one inactive fault rule", "emulator + inactive fault", MIX)]
    if has_journal:
        variants.append(("journal off (--journal-size 0)", "emulator --journal-size 0", MIX))
    if ("emulator --auth sigv4, signed requests", "ka32", MIX) in results:
        variants.append(("signed requests, --auth off (signature read, not checked)", "emulator, signed requests", MIX))
        variants.append(("signed requests, --auth sigv4 (every signature verified)", "emulator --auth sigv4, signed requests", MIX))
    variants.append(("nginx, hits only (reference)", "nginx, hits only", "100,0,0"))
    for name, label, mix in variants:
        rows = row(label, "ka32", mix)
        rps = median(rows, "rps")
        L.append(f"| {name} | {rps:,.0f} | {rps / base:.2f}x | {median(rows, 'per_cpu_s'):,.0f} | "
                 f"{median(rows, 'p99_us') / 1000:.2f} ms |")
    if not has_journal:
        L.append("")
        L.append("This binary has no request journal (--journal-size), so journal on/off was not measured.")
    L.append("")
    s = startup["sample"]
    L.append("| start-up and memory | value |")
    L.append("|---|---:|")
    L.append(f"| first 200 after process start, built-in sample (median of 5) | {s['first_answer_s'] * 1000:.1f} ms |")
    L.append(f"| idle RSS, built-in sample, after the first answer | {s['rss_kb'] / 1024:.1f} MB |")
    if "big" in startup:
        b = startup["big"]
        L.append(f"| first 200 after process start, {b['jobs']:,} jobs ({b['fixture_mb']:.0f} MB fixture) | "
                 f"{b['first_answer_s']:.2f} s |")
        L.append(f"| fixture load rate ({b['jobs']:,} jobs / time to 'listening') | {b['jobs_per_s']:,.0f} jobs/s |")
        L.append(f"| RSS with {b['jobs']:,} jobs loaded (peak during load) | {b['rss_kb'] / 1024:.0f} MB "
                 f"({b['hwm_kb'] / 1024:.0f} MB) |")
    for label, kb in peak.items():
        L.append(f"| peak RSS (VmHWM) after the load rounds: {label} | {kb / 1024:.1f} MB |")
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
