#!/usr/bin/env python3
"""The hot reads against nginx serving the same body as one static file (python3 stdlib only).

This is the reference shape of issue 12: for each hot read, the emulator (one I/O thread unless
a trial says otherwise) against nginx serving a body of the same bytes from one file, open file
cache on, so that nginx does what it does best. Called by tests/bench/run.sh --hot (after the
Release build); see tests/bench/README.md.

Servers are pinned to CPU 0, wrk to CPU 1 (the --threads 2 trial gives the server both CPUs and
shares CPU 1 with wrk; nginx with 2 workers runs in the same shape, as the reference for what
that sharing costs). Each round runs every trial once, the order reversed on odd rounds; the
table reports medians. Requests per server CPU-second is the server's own utime+stime over the run.

Operations, each a random choice among many distinct requests for the emulator:
  GetDICOMImportJob      existing jobs of a 100,000-job store
  GetDatastore           the store's 10 datastores
  ListDICOMImportJobs    a first page of 50 jobs of one of the 10 datastores
  GetImageFrame          the frame of an image set imported at start-up (pydicom's CT_small.dcm)
"""
import gzip
import http.client
import json
import os
import random
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (process accounting, wrk, servers)
import gen_fixture  # noqa: E402

CT_SMALL = "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm"
FRAME_DS = "f" * 32
SHAPES = bench.SHAPES


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def write_requests(path, lines):
    """wrk's request file for hot.lua: METHOD<TAB>PATH<TAB>BODY (the body may be empty)."""
    with open(path, "w") as f:
        for method, target, body in lines:
            f.write(f"{method}\t{target}\t{body}\n")
    return path


def fetch(port, method, target, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, target, body=body, headers={"Content-Type": "application/json"} if body else {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


class nginx_files:
    """nginx, one worker, serving one file per operation whatever the path, open file cache on."""

    def __init__(self, tmp, bodies, workers=1):
        self.label = "nginx" if workers == 1 else f"nginx {workers} workers"
        self.port = bench.free_port()
        root = os.path.join(tmp, "root")
        os.makedirs(root, exist_ok=True)
        for name, data in bodies.items():
            with open(os.path.join(root, name), "wb") as f:
                f.write(data)
        locations = "\n".join(
            f"        location ^~ {prefix} {{ rewrite ^ /{name} break; }}"
            for prefix, name in (("/getDICOMImportJob/", "job.json"), ("/datastore/", "datastore.json"),
                                 ("/listDICOMImportJobs/", "list.json"), ("/frame/", "frame.bin")))
        conf = f"""worker_processes {workers};
worker_rlimit_nofile 65536;
master_process on;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    etag off;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    open_file_cache max=64 inactive=600s;
    open_file_cache_valid 600s;
    types {{ }}
    default_type application/json;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{self.port} backlog=4096;
        root {root};
        add_header x-amzn-RequestId $request_id always;
{locations}
    }}
}}
"""
        bench.start_nginx(self, conf, tmp)  # pinned to bench.SERVER_CPU

    def stop(self):
        bench.stop_nginx(self)


def emulator_on(binary, args, label, cpus):
    """bench.emulator, pinned to `cpus`."""
    saved = bench.SERVER_CPU
    bench.SERVER_CPU = cpus
    try:
        return bench.emulator(binary, args, label)
    finally:
        bench.SERVER_CPU = saved


def run_wrk(server, shape, requests_file, duration):
    return bench.wrk_trial(server, shape, "hot.lua", {"HIL_BENCH_REQUESTS": requests_file}, duration)


def main():
    ap = bench.common_arguments("tests/bench/run.sh --hot")
    ap.add_argument("--only", help="comma-separated operations to run (default: all)")
    a = ap.parse_args()
    started = time.time()
    tmp = tempfile.mkdtemp(prefix="hil-hot-", dir="/dev/shm" if os.access("/dev/shm", os.W_OK) else None)
    servers = []
    try:
        # The store: 100,000 jobs in 10 datastores, and one datastore whose image set comes from CT_small.dcm.
        ds_list, job_list, _, _ = gen_fixture.make_data(a.jobs, 10, 20261129)
        fixture = os.path.join(tmp, "fixture.json")
        gen_fixture.write_fixture(fixture, ds_list, job_list)
        s3 = os.path.join(tmp, "s3")
        os.makedirs(os.path.join(s3, "bench-in", "ct"))
        shutil.copy(CT_SMALL, os.path.join(s3, "bench-in", "ct"))
        frames_fixture = os.path.join(tmp, "frames.json")
        with open(frames_fixture, "w") as f:
            json.dump({"region": "*", "datastores": [{"datastoreId": FRAME_DS, "datastoreName": "frames",
                                                      "datastoreStatus": "ACTIVE"}],
                       "imports": [{"datastoreId": FRAME_DS, "inputS3Uri": "s3://bench-in/ct/",
                                    "outputS3Uri": "s3://bench-out/"}]}, f)
        common = ["--fixtures", fixture, "--fixtures", frames_fixture, "--s3-dir", s3]
        t1 = emulator_on(a.binary, common + ["--threads", "1"], "emulator --threads 1", bench.SERVER_CPU)
        servers.append(t1)
        log(f"emulator listening after {t1.listening_s * 1000:.0f} ms")

        # The requests, and one body of each for nginx, checked against the emulator.
        rng = random.Random(5)
        sample_jobs = rng.sample(job_list, 20_000)
        _, search = fetch(t1.port, "POST", f"/datastore/{FRAME_DS}/searchImageSets", b"{}")
        image_set = json.loads(search)["imageSetsMetadataSummaries"][0]["imageSetId"]
        _, meta = fetch(t1.port, "POST", f"/datastore/{FRAME_DS}/imageSet/{image_set}/getImageSetMetadata")
        meta = json.loads(gzip.decompress(meta))
        frame_id = next(iter(next(iter(meta["Study"]["Series"].values()))["Instances"].values()))["ImageFrames"][0]["ID"]
        frame_body = json.dumps({"imageFrameId": frame_id}, separators=(",", ":"))
        frame_target = f"/datastore/{FRAME_DS}/imageSet/{image_set}/getImageFrame"
        ops = {
            "GetDICOMImportJob": [("GET", gen_fixture.job_path(j), "") for j in sample_jobs],
            "GetDatastore": [("GET", f"/datastore/{d['datastoreId']}", "") for d in ds_list],
            "ListDICOMImportJobs": [("GET", f"/listDICOMImportJobs/datastore/{d['datastoreId']}?maxResults=50", "")
                                    for d in ds_list],
            "GetImageFrame": [("POST", frame_target, frame_body)],
        }
        if a.only:
            ops = {k: v for k, v in ops.items() if k in a.only.split(",")}
        bodies = {}
        for op, reqs in ops.items():
            method, target, body = reqs[0]
            status, data = fetch(t1.port, method, target, body.encode() if body else None)
            if status != 200:
                raise SystemExit(f"{op}: {target} answered {status}: {data[:200]!r}")
            bodies[op] = data
        # nginx serves a file of the same bytes (the first request's answer) for every request of an operation.
        ngx = nginx_files(os.path.join(tmp, "nginx"), {
            "job.json": bodies.get("GetDICOMImportJob", b"{}"), "datastore.json": bodies.get("GetDatastore", b"{}"),
            "list.json": bodies.get("ListDICOMImportJobs", b"{}"), "frame.bin": bodies.get("GetImageFrame", b"")})
        servers.append(ngx)
        saved = bench.SERVER_CPU
        bench.SERVER_CPU = "0,1"  # the reference for --threads 2: nginx's own scaling on the same CPUs
        try:
            ngx2 = nginx_files(os.path.join(tmp, "nginx2"), {
                "job.json": bodies.get("GetDICOMImportJob", b"{}"), "datastore.json": bodies.get("GetDatastore", b"{}"),
                "list.json": bodies.get("ListDICOMImportJobs", b"{}"), "frame.bin": bodies.get("GetImageFrame", b"")},
                workers=2)
        finally:
            bench.SERVER_CPU = saved
        servers.append(ngx2)
        nginx_target = {"GetDICOMImportJob": None, "GetDatastore": None, "ListDICOMImportJobs": None,
                        "GetImageFrame": "/frame/"}
        files = {}
        for op, reqs in ops.items():
            files[("emulator", op)] = write_requests(os.path.join(tmp, f"emu-{op}.txt"), reqs)
            # nginx: the same paths (a GET of the frame file: nginx's static module serves no POST).
            ngx_reqs = [("GET", nginx_target[op] + str(i), "") for i in range(1000)] if nginx_target[op] else \
                [("GET", t, "") for _, t, _ in reqs]
            files[("nginx", op)] = write_requests(os.path.join(tmp, f"ngx-{op}.txt"), ngx_reqs)
            status, data = fetch(ngx.port, *ngx_reqs[0][:2])
            if status != 200 or len(data) != len(bodies[op]):
                raise SystemExit(f"nginx {op}: {status}, {len(data)} bytes, want {len(bodies[op])}")

        t2 = emulator_on(a.binary, common + ["--threads", "2"], "emulator --threads 2", "0,1")
        nj = emulator_on(a.binary, common + ["--threads", "1", "--journal-size", "0"], "emulator --journal-size 0",
                         bench.SERVER_CPU)
        servers += [t2, nj]
        trials = []
        for op in ops:
            for shape in ("ka32", "ka256", "close"):
                trials += [("emulator", t1, op, shape), ("nginx", ngx, op, shape)]
        if "GetDICOMImportJob" in ops:
            trials += [("emulator --threads 2", t2, "GetDICOMImportJob", "ka32"),
                       ("nginx 2 workers", ngx2, "GetDICOMImportJob", "ka32"),
                       ("emulator --journal-size 0", nj, "GetDICOMImportJob", "ka32")]
        results = {}
        for r in range(a.rounds):
            for label, server, op, shape in (trials if r % 2 == 0 else list(reversed(trials))):
                which = files[("nginx" if server in (ngx, ngx2) else "emulator", op)]
                row = run_wrk(server, SHAPES[shape], which, a.duration)
                results.setdefault((label, op, shape), []).append(row)
                log(f"round {r + 1}/{a.rounds} {label:26} {op:20} {shape:6} {row['rps']:9.0f} req/s "
                    f"{row['per_cpu_s']:9.0f} req/cpu-s p99 {row['p99_us']} us non2xx {row['non2xx']} "
                    f"sockerr {row['socket_errors']}")
        summary = summarize(results, ops, a, time.time() - started, bodies)
        os.makedirs(a.results, exist_ok=True)
        with open(os.path.join(a.results, "hot-reads.md"), "w") as f:
            f.write(summary)
        with open(os.path.join(a.results, "hot-reads.json"), "w") as f:
            json.dump({" | ".join(k): v for k, v in results.items()}, f, indent=1)
        print(summary)
    finally:
        for s in servers:
            try:
                s.stop()
            except Exception:
                pass
        shutil.rmtree(tmp, ignore_errors=True)


def summarize(results, ops, a, elapsed, bodies):
    med = bench.median
    L = [f"Command: `{a.command}` ({a.rounds} interleaved rounds of {a.duration} s per trial, medians; whole run "
         f"{elapsed:.0f} s)  ",
         f"Machine: {bench.machine()}; server pinned to CPU {bench.SERVER_CPU} (one I/O thread), wrk (1 thread) "
         f"to CPU {bench.LOAD_CPU}  ",
         f"Store: {a.jobs:,} jobs in 10 datastores and one image set (CT_small.dcm); nginx: 1 worker, one file per "
         "operation, open_file_cache on", "",
         "| operation | body | shape | emulator req/s | nginx req/s | emulator req per CPU-s | nginx req per CPU-s | "
         "ratio per CPU-s | p99 emulator | p99 nginx | errors |",
         "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for op in ops:
        for shape in ("ka32", "ka256", "close"):
            e, n = results[("emulator", op, shape)], results[("nginx", op, shape)]
            errors = sum(r["socket_errors"] + r["non2xx"] for r in e + n)
            L.append(f"| {op} | {len(bodies[op]):,} B | {SHAPES[shape]['name']} | {med(e, 'rps'):,.0f} | "
                     f"{med(n, 'rps'):,.0f} | {med(e, 'per_cpu_s'):,.0f} | {med(n, 'per_cpu_s'):,.0f} | "
                     f"**{med(e, 'per_cpu_s') / med(n, 'per_cpu_s'):.2f}x** | {med(e, 'p99_us') / 1000:.2f} ms | "
                     f"{med(n, 'p99_us') / 1000:.2f} ms | {errors} |")
    if ("emulator --threads 2", "GetDICOMImportJob", "ka32") in results:
        one = results[("emulator", "GetDICOMImportJob", "ka32")]
        two = results[("emulator --threads 2", "GetDICOMImportJob", "ka32")]
        nj = results[("emulator --journal-size 0", "GetDICOMImportJob", "ka32")]
        n1 = results[("nginx", "GetDICOMImportJob", "ka32")]
        n2 = results[("nginx 2 workers", "GetDICOMImportJob", "ka32")]
        L += ["", "GetDICOMImportJob at 32 keep-alive connections:", "",
              "| variant | req/s | req per CPU-s | vs one thread, journal on |", "|---|---:|---:|---:|",
              f"| one thread, journal on (default size) | {med(one, 'rps'):,.0f} | {med(one, 'per_cpu_s'):,.0f} | 1.00x |",
              f"| --threads 2 on both CPUs (wrk shares CPU 1) | {med(two, 'rps'):,.0f} | {med(two, 'per_cpu_s'):,.0f} | "
              f"{med(two, 'per_cpu_s') / med(one, 'per_cpu_s'):.2f}x |",
              f"| --journal-size 0 | {med(nj, 'rps'):,.0f} | {med(nj, 'per_cpu_s'):,.0f} | "
              f"{med(nj, 'per_cpu_s') / med(one, 'per_cpu_s'):.2f}x |",
              "", "The same two-CPU shape for nginx (its scaling is the harness's reference: wrk shares CPU 1):", "",
              "| nginx | req/s | req per CPU-s | vs 1 worker |", "|---|---:|---:|---:|",
              f"| 1 worker, CPU 0 | {med(n1, 'rps'):,.0f} | {med(n1, 'per_cpu_s'):,.0f} | 1.00x |",
              f"| 2 workers on both CPUs | {med(n2, 'rps'):,.0f} | {med(n2, 'per_cpu_s'):,.0f} | "
              f"{med(n2, 'per_cpu_s') / med(n1, 'per_cpu_s'):.2f}x |"]
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    main()
