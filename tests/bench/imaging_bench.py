#!/usr/bin/env python3
"""The image-set benchmark (issue targets: a 300-slice 512x512 16-bit CT series imports in <= 15 s on
this 2-core machine; GetImageFrame of a stored frame at >= 5,000 frames/s from one core).

  imaging_bench.py --binary build-bench/healthimaging-local [--slices 300] [--duration 10] [--rounds 3]

1. Generates the series with tests/bench/gen_ct_series.py (Debian's python3-pydicom) into a temporary
   S3 folder, starts the emulator with --s3-dir, creates a datastore, starts the import and polls
   GetDICOMImportJob every 20 ms: the import time is StartDICOMImportJob to COMPLETED, reported as
   instances/s and MB/s of input.
2. GetImageFrame: the server pinned to CPU 0 with --threads 1, wrk on CPU 1 (32 keep-alive
   connections), every request a different frame of the series in turn; frames/s and frames per
   server CPU-second (from /proc/<pid>/stat), median of the rounds.
Writes tests/bench/results/imaging.md (and prints it)."""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    with urllib.request.urlopen(req) as r:
        return r.read(), r.headers


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--slices", type=int, default=300)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--out", default=os.path.join(HERE, "results", "imaging.md"))
    a = p.parse_args()

    work = tempfile.mkdtemp(prefix="hil-imaging-bench-")
    try:
        series = os.path.join(work, "s3", "bench-input", "ct")
        subprocess.run(["/usr/bin/python3", os.path.join(HERE, "gen_ct_series.py"), series, "--slices", str(a.slices),
                        "--size", str(a.size)], check=True)
        input_bytes = sum(os.path.getsize(os.path.join(series, f)) for f in os.listdir(series))
        port = free_port()
        base = "http://127.0.0.1:%d" % port
        server = subprocess.Popen(["taskset", "-c", "0", a.binary, "--port", str(port), "--empty", "--threads", "1",
                                   "--s3-dir", os.path.join(work, "s3"), "--log-level", "warn",
                                   "--journal-size", "0"])
        try:
            for _ in range(200):
                try:
                    call(base, "GET", "/_emulator/health")
                    break
                except OSError:
                    time.sleep(0.02)
            ds = json.loads(call(base, "POST", "/datastore", {"clientToken": "bench"})[0])["datastoreId"]
            while json.loads(call(base, "GET", "/datastore/" + ds)[0])["datastoreProperties"]["datastoreStatus"] != "ACTIVE":
                time.sleep(0.01)
            # The import may use both cores (its decoders are its own threads, not the I/O thread).
            subprocess.run(["taskset", "-a", "-p", "-c", "0,1", str(server.pid)], check=True, stdout=subprocess.DEVNULL)
            started = time.monotonic()
            job = json.loads(call(base, "POST", "/startDICOMImportJob/datastore/" + ds, {
                "clientToken": "bench", "dataAccessRoleArn": "arn:aws:iam::123456789012:role/bench",
                "inputS3Uri": "s3://bench-input/ct/", "outputS3Uri": "s3://bench-output/"})[0])["jobId"]
            while True:
                props = json.loads(call(base, "GET", "/getDICOMImportJob/datastore/%s/job/%s" % (ds, job))[0])["jobProperties"]
                if props["jobStatus"] in ("COMPLETED", "FAILED"):
                    break
                time.sleep(0.02)
            import_seconds = time.monotonic() - started
            if props["jobStatus"] != "COMPLETED":
                sys.exit("import FAILED: %s" % props.get("message"))
            subprocess.run(["taskset", "-a", "-p", "-c", "0", str(server.pid)], check=True, stdout=subprocess.DEVNULL)

            found = json.loads(call(base, "POST", "/datastore/%s/searchImageSets" % ds, {})[0])["imageSetsMetadataSummaries"]
            image_set = found[0]["imageSetId"]
            import gzip
            meta = json.loads(gzip.decompress(call(base, "POST", "/datastore/%s/imageSet/%s/getImageSetMetadata" % (ds, image_set))[0]))
            frames = [f for s in meta["Study"]["Series"].values() for i in s["Instances"].values() for f in i["ImageFrames"]]
            frame_bytes = statistics.mean(f["FrameSizeInBytes"] for f in frames)
            script = os.path.join(work, "frames.lua")
            with open(script, "w") as f:
                f.write("local ids = {%s}\nlocal n = 0\nrequest = function()\n  n = n %% #ids + 1\n"
                        "  return wrk.format('POST', '/datastore/%s/imageSet/%s/getImageFrame', "
                        "{['Content-Type'] = 'application/json'}, '{\"imageFrameId\":\"' .. ids[n] .. '\"}')\nend\n"
                        % (",".join('"%s"' % f["ID"] for f in frames), ds, image_set))
            rates, per_cpu = [], []
            for _ in range(a.rounds):
                before = cpu_seconds(server.pid)
                out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c%d" % a.connections, "-d%ds" % a.duration,
                                      "-s", script, base], check=True, capture_output=True, text=True).stdout
                used = cpu_seconds(server.pid) - before
                requests = int(re.search(r"(\d+) requests in", out).group(1))
                if "Non-2xx" in out:
                    sys.exit("GetImageFrame answered errors:\n" + out)
                rates.append(requests / a.duration)
                per_cpu.append(requests / used if used > 0 else float("nan"))
        finally:
            server.terminate()
            server.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rate, cpu_rate = statistics.median(rates), statistics.median(per_cpu)
    lines = [
        "# Image-set benchmark",
        "",
        "`%s` on %s, %d CPUs." % (" ".join(["tests/bench/imaging_bench.py"] + sys.argv[1:]), time.strftime("%Y-%m-%d"), os.cpu_count()),
        "",
        "| measure | result | target |",
        "|---|---|---|",
        "| import of %d slices %dx%d 16-bit (%.0f MB), StartDICOMImportJob to COMPLETED | %.2f s (%.0f instances/s, %.1f MB/s) | <= 15 s |"
        % (a.slices, a.size, a.size, input_bytes / 1e6, import_seconds, a.slices / import_seconds, input_bytes / 1e6 / import_seconds),
        "| GetImageFrame, server on one core, %d connections, %.0f-byte frames (median of %d) | %.0f frames/s, %.0f per server CPU-second | >= 5,000/s |"
        % (a.connections, frame_bytes, a.rounds, rate, cpu_rate),
        "",
        "Rounds (frames/s): " + ", ".join("%.0f" % r for r in rates),
    ]
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    open(a.out, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
