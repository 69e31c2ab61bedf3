"""The control-plane workflow through the AWS CLI v1 (`aws medical-imaging ...` as a subprocess,
--endpoint-url on every call, JSON on stdout): create a data store and wait for ACTIVE, tag and
untag it, start two import jobs and wait for them, list them with the CLI's own pagination, delete
the data store; and an unknown data store as a failing command.

The environment is hil_harness's (dummy keys, us-east-1, no config files, no instance metadata),
which the subprocesses inherit. Each CLI call costs about a second of Python start-up, so the
workflow makes about 20 of them."""
import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import unittest

import hil_harness
from hil_harness import ROLE_ARN

POLL_INTERVAL_S = 0.1
MAX_POLLS = 20
CALL_TIMEOUT_S = 60


def aws_command():
    """`aws` from PATH, else the awscli package run by this Python; neither is a failure, not a skip."""
    found = shutil.which("aws")
    if found:
        return [found]
    if importlib.util.find_spec("awscli") is not None:
        return [sys.executable, "-m", "awscli"]
    raise RuntimeError("the AWS CLI v1 is needed: no `aws` on PATH and no awscli module for " + sys.executable)


class CliWorkflowTest(hil_harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.aws_prefix = aws_command()
        super().setUpClass()

    def run_cli(self, *args):
        command = [*self.aws_prefix, "medical-imaging", *args, "--endpoint-url", self.server.endpoint,
                   "--output", "json"]
        return subprocess.run(command, capture_output=True, text=True, timeout=CALL_TIMEOUT_S, env=os.environ,
                              stdin=subprocess.DEVNULL)

    def aws(self, *args):
        """Runs the command, which must succeed; answers its stdout as JSON ({} when it prints nothing)."""
        proc = self.run_cli(*args)
        self.assertEqual(proc.returncode, 0, f"aws medical-imaging {' '.join(args)} failed: {proc.stderr}")
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    def poll(self, what, args, status_of, done):
        seen = []
        while True:
            out = self.aws(*args)
            seen.append(status_of(out))
            if done(seen[-1]):
                return seen, out
            self.assertLess(len(seen), MAX_POLLS, f"{what}: not done after {MAX_POLLS} polls: {seen}")
            time.sleep(POLL_INTERVAL_S)

    def poll_datastore(self, datastore_id, status):
        return self.poll(f"data store {datastore_id} to {status}", ("get-datastore", "--datastore-id", datastore_id),
                         lambda out: out["datastoreProperties"]["datastoreStatus"], lambda s: s == status)

    def poll_job(self, datastore_id, job_id):
        return self.poll(f"job {job_id}",
                         ("get-dicom-import-job", "--datastore-id", datastore_id, "--job-id", job_id),
                         lambda out: out["jobProperties"]["jobStatus"], lambda s: s in ("COMPLETED", "FAILED"))

    def test_workflow(self):
        run = secrets.token_hex(4)
        name = f"sdk-cli-{run}"
        created = self.aws("create-datastore", "--datastore-name", name, "--tags", json.dumps({"project": "x"}))
        datastore_id = created["datastoreId"]
        self.assertRegex(datastore_id, r"^[0-9a-z]{32}$")
        self.assertEqual(created["datastoreStatus"], "CREATING")

        seen, out = self.poll_datastore(datastore_id, "ACTIVE")
        self.assertEqual(seen[0], "CREATING", f"the first get-datastore after create: {seen}")
        props = out["datastoreProperties"]
        self.assertEqual(props["datastoreName"], name)
        arn = f"arn:aws:medical-imaging:us-east-1:123456789012:datastore/{datastore_id}"
        self.assertEqual(props["datastoreArn"], arn)

        # Tags: set at creation, one added, one removed.
        self.assertEqual(self.aws("list-tags-for-resource", "--resource-arn", arn)["tags"], {"project": "x"})
        self.assertEqual(self.aws("tag-resource", "--resource-arn", arn, "--tags", json.dumps({"team": "y"})), {})
        self.assertEqual(self.aws("untag-resource", "--resource-arn", arn, "--tag-keys", "project"), {})
        self.assertEqual(self.aws("list-tags-for-resource", "--resource-arn", arn)["tags"], {"team": "y"})

        # Two import jobs, each polled to COMPLETED.
        output_s3_uri = "s3://sdk-cli-outbox/workflow/"
        job_ids = []
        for n in (1, 2):
            started = self.aws("start-dicom-import-job", "--datastore-id", datastore_id, "--job-name",
                               f"sdk-cli-{n}", "--data-access-role-arn", ROLE_ARN, "--input-s3-uri",
                               f"s3://sdk-cli-inbox/workflow-{n}/", "--output-s3-uri", output_s3_uri)
            self.assertEqual(started["datastoreId"], datastore_id)
            self.assertEqual(started["jobStatus"], "SUBMITTED")
            self.assertRegex(started["jobId"], r"^[0-9a-z]{1,32}$")
            job_ids.append(started["jobId"])
        for n, job_id in enumerate(job_ids, 1):
            seen, out = self.poll_job(datastore_id, job_id)
            self.assertEqual(seen, ["IN_PROGRESS", "COMPLETED"], f"job {n}")
            job = out["jobProperties"]
            self.assertEqual(job["jobName"], f"sdk-cli-{n}")
            self.assertEqual(job["inputS3Uri"], f"s3://sdk-cli-inbox/workflow-{n}/")
            self.assertEqual(job["outputS3Uri"], f"{output_s3_uri}{datastore_id}-DicomImport-{job_id}/")
            self.assertIn("endedAt", job)

        # The CLI follows nextToken itself: one page per job, both jobs once, newest first.
        listed = self.aws("list-dicom-import-jobs", "--datastore-id", datastore_id, "--page-size", "1")
        self.assertEqual([s["jobId"] for s in listed["jobSummaries"] if s["jobId"] in job_ids], job_ids[::-1])
        self.assertNotIn("NextToken", listed)
        # --max-items 1 stops after one job and prints the CLI's NextToken; --starting-token resumes.
        first = self.aws("list-dicom-import-jobs", "--datastore-id", datastore_id, "--page-size", "1",
                         "--max-items", "1")
        self.assertEqual(len(first["jobSummaries"]), 1, first)
        self.assertIn("NextToken", first)
        rest = self.aws("list-dicom-import-jobs", "--datastore-id", datastore_id, "--page-size", "1",
                        "--starting-token", first["NextToken"])
        ids = [s["jobId"] for s in first["jobSummaries"] + rest["jobSummaries"]]
        self.assertEqual([i for i in ids if i in job_ids], job_ids[::-1])

        deleted = self.aws("delete-datastore", "--datastore-id", datastore_id)
        self.assertEqual(deleted, {"datastoreId": datastore_id, "datastoreStatus": "DELETING"})
        seen, _ = self.poll_datastore(datastore_id, "DELETED")
        self.assertEqual(seen[0], "DELETING", f"the first get-datastore after delete: {seen}")

    def test_unknown_datastore_fails_with_resource_not_found(self):
        proc = self.run_cli("get-datastore", "--datastore-id", "0" * 31 + "1")
        self.assertNotEqual(proc.returncode, 0, proc.stdout)
        self.assertIn("ResourceNotFoundException", proc.stderr)
        self.assertEqual(proc.stdout.strip(), "")


if __name__ == "__main__":
    unittest.main()
