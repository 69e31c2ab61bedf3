#!/usr/bin/env python3
"""Benchmark fixture generator (python3 stdlib only).

Writes, from one seed, everything a benchmark round needs:
  fixture.json   datastores + jobs in the emulator's fixture format
  paths.txt      "<expected status> <url path>" lines: every job (200), unknown jobs and
                 datastores (404), invalid ids (400); the wrk Lua script draws from them
  docroot/       (with --docroot) the hit bodies as static files for nginx, at the same URL
                 paths, rendered byte for byte as the emulator's wire_json writes them.
                 Error bodies are not rendered here: bench.py fetches them from the emulator.
"""
import argparse
import json
import os
import random
import sys

ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz"
STATUSES = ("SUBMITTED", "IN_PROGRESS", "COMPLETED", "FAILED")


def ident(rng, n):
    return "".join(rng.choices(ALNUM, k=n))


def seconds_text(ms):
    """The emulator's epoch_seconds_text: whole seconds, then up to 3 decimals, no trailing zeros."""
    whole, frac = divmod(ms, 1000)
    if frac == 0:
        return str(whole)
    return f"{whole}." + f"{frac:03d}".rstrip("0")


def make_data(jobs, datastores, seed, unknown=2000, invalid=500):
    rng = random.Random(seed)
    ds_ids = []
    seen_ds = set()
    while len(ds_ids) < datastores:
        d = ident(rng, 32)
        if d not in seen_ds:
            seen_ds.add(d)
            ds_ids.append(d)
    ds_list = [{"datastoreId": d, "datastoreName": f"bench-datastore-{i}", "datastoreStatus": "ACTIVE"}
               for i, d in enumerate(ds_ids)]
    job_list = []
    seen = set()
    for i in range(jobs):
        d = ds_ids[i % datastores]
        while True:
            j = ident(rng, 32)
            if (d, j) not in seen:
                seen.add((d, j))
                break
        status = STATUSES[rng.randrange(4)]
        submitted = 1_700_000_000_000 + rng.randrange(50_000_000_000)
        job = {"jobId": j, "datastoreId": d, "jobName": f"bench-import-{i}", "jobStatus": status,
               "dataAccessRoleArn": "arn:aws:iam::123456789012:role/HealthImagingImportRole",
               "inputS3Uri": f"s3://bench-dicom-inbox/batch-{i % 977}/",
               "outputS3Uri": f"s3://bench-dicom-results/imports/{d}-DicomImport-{j}/",
               "submittedAt_ms": submitted}
        if status in ("COMPLETED", "FAILED"):
            job["endedAt_ms"] = submitted + rng.randrange(1, 3_600_000)
        if status == "FAILED":
            job["message"] = "Import failed for 3 of 120 instances"
        job_list.append(job)
    misses = []
    for k in range(unknown):
        if k % 10 == 0:  # unknown datastore
            misses.append(f"/getDICOMImportJob/datastore/{ident(rng, 32)}/job/{ident(rng, 32)}")
        else:  # known datastore, unknown job
            d = ds_ids[k % datastores]
            while True:
                j = ident(rng, 32)
                if (d, j) not in seen:
                    break
            misses.append(f"/getDICOMImportJob/datastore/{d}/job/{j}")
    bad = []
    for k in range(invalid):
        d = ds_ids[k % datastores]
        kind = k % 4
        if kind == 0:  # upper case job id
            bad.append(f"/getDICOMImportJob/datastore/{d}/job/{ident(rng, 16).upper()}X")
        elif kind == 1:  # job id too long
            bad.append(f"/getDICOMImportJob/datastore/{d}/job/{ident(rng, 40)}")
        elif kind == 2:  # datastore id too short
            bad.append(f"/getDICOMImportJob/datastore/{d[:31]}/job/{ident(rng, 32)}")
        else:  # both wrong
            bad.append(f"/getDICOMImportJob/datastore/{d.upper()}/job/BAD-{ident(rng, 8)}")
    return ds_list, job_list, misses, bad


def fixture_json(ds_list, job_list, faults=None):
    out = {"datastores": ds_list, "jobs": []}
    for j in job_list:
        f = {k: v for k, v in j.items() if not k.endswith("_ms")}
        # Written as text so the fixture carries exact milliseconds.
        f["submittedAt"] = json.loads(seconds_text(j["submittedAt_ms"]))
        if "endedAt_ms" in j:
            f["endedAt"] = json.loads(seconds_text(j["endedAt_ms"]))
        out["jobs"].append(f)
    if faults:
        out["faults"] = faults
    return out


def write_fixture(path, ds_list, job_list):
    """Streams the fixture so 1,000,000 jobs do not need one huge in-memory document."""
    with open(path, "w") as f:
        f.write('{"datastores":' + json.dumps(ds_list, separators=(",", ":")) + ',"jobs":[\n')
        for i, j in enumerate(job_list):
            parts = [f'"jobId":"{j["jobId"]}"', f'"datastoreId":"{j["datastoreId"]}"', f'"jobName":"{j["jobName"]}"',
                     f'"jobStatus":"{j["jobStatus"]}"', f'"dataAccessRoleArn":"{j["dataAccessRoleArn"]}"',
                     f'"inputS3Uri":"{j["inputS3Uri"]}"', f'"outputS3Uri":"{j["outputS3Uri"]}"',
                     f'"submittedAt":{seconds_text(j["submittedAt_ms"])}']
            if "endedAt_ms" in j:
                parts.append(f'"endedAt":{seconds_text(j["endedAt_ms"])}')
            if "message" in j:
                parts.append(f'"message":"{j["message"]}"')
            f.write(("," if i else "") + "{" + ",".join(parts) + "}\n")
        f.write("]}\n")


def hit_body(j):
    """GetDICOMImportJob's 200 body, member order and number format as server/wire_json.cpp writes it.
    The generated values need no JSON escaping."""
    parts = [f'"jobId":"{j["jobId"]}"', f'"jobName":"{j["jobName"]}"', f'"jobStatus":"{j["jobStatus"]}"',
             f'"datastoreId":"{j["datastoreId"]}"', f'"dataAccessRoleArn":"{j["dataAccessRoleArn"]}"']
    if "endedAt_ms" in j:
        parts.append(f'"endedAt":{seconds_text(j["endedAt_ms"])}')
    parts.append(f'"submittedAt":{seconds_text(j["submittedAt_ms"])}')
    parts += [f'"inputS3Uri":"{j["inputS3Uri"]}"', f'"outputS3Uri":"{j["outputS3Uri"]}"']
    if "message" in j:
        parts.append(f'"message":"{j["message"]}"')
    return '{"jobProperties":{' + ",".join(parts) + "}}"


def job_path(j):
    return f"/getDICOMImportJob/datastore/{j['datastoreId']}/job/{j['jobId']}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--jobs", type=int, default=100_000)
    ap.add_argument("--datastores", type=int, default=10)
    ap.add_argument("--seed", type=int, default=20261129)
    ap.add_argument("--docroot", action="store_true", help="also write the hit bodies as static files")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    ds_list, job_list, misses, bad = make_data(a.jobs, a.datastores, a.seed)
    write_fixture(os.path.join(a.out, "fixture.json"), ds_list, job_list)
    with open(os.path.join(a.out, "paths.txt"), "w") as f:
        for j in job_list:
            f.write(f"200 {job_path(j)}\n")
        for p in misses:
            f.write(f"404 {p}\n")
        for p in bad:
            f.write(f"400 {p}\n")
    if a.docroot:
        root = os.path.join(a.out, "docroot")
        for j in job_list:
            d = os.path.join(root, "getDICOMImportJob", "datastore", j["datastoreId"], "job")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, j["jobId"]), "w") as f:
                f.write(hit_body(j))
    print(f"{len(job_list)} jobs in {len(ds_list)} datastores, {len(misses)} unknown, {len(bad)} invalid -> {a.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
