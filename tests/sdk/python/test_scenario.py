"""The scenario engine through boto3: a polling loop over a job progression, retries through
times-limited throttling (with and without Retry-After) and a dropped connection, and the
request journal showing each attempt botocore made.

Works against a server this suite starts and against HIL_SDK_ENDPOINT: every job and fault is
created here at run time through the control API, under job ids unique to this run, so
nothing left by earlier runs or other suites is touched."""
import json
import os
import secrets
import unittest
import urllib.request

import hil_harness
from hil_harness import DATASTORE_ID, ROLE_ARN


def unique_job(tag):
    """A job id no other run uses: [0-9a-z], at most 32 characters."""
    return f"py{tag}{secrets.token_hex(8)}"


class ScenarioTest(hil_harness.ServerTestCase):
    def control(self, method, path, body=None):
        """The control API; HIL_ADMIN_TOKEN is sent when the server was started with --admin-token."""
        headers = {"Content-Type": "application/json"}
        token = os.environ.get("HIL_ADMIN_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.server.endpoint}/_emulator/{path}", data=data, method=method,
                                     headers=headers)
        with urllib.request.urlopen(req, timeout=10) as res:
            return json.load(res)

    def add_job(self, job_id, **extra):
        job = {
            "jobId": job_id, "datastoreId": DATASTORE_ID, "jobName": "sdk-scenario", "jobStatus": "COMPLETED",
            "dataAccessRoleArn": ROLE_ARN, "inputS3Uri": "s3://sdk-test-inbox/scenario/",
            "outputS3Uri": "s3://sdk-test-outbox/scenario/", "submittedAt": 1764403200.5,
        }
        job.update(extra)
        self.control("POST", "fixtures?mode=merge", {"jobs": [job]})

    def add_fault(self, **rule):
        return self.control("POST", "faults", rule)["faults"][0]

    def journal(self, job_id):
        return self.control("GET", f"requests?jobId={job_id}")["requests"]

    def remove_fault(self, rule):
        self.addCleanup(self.control, "DELETE", f"faults/{rule['id']}")

    def test_polling_loop_waits_for_completed(self):
        job_id = unique_job("poll")
        self.add_job(job_id, jobStatus="SUBMITTED", progression=[
            {"jobStatus": "IN_PROGRESS", "afterPolls": 1},
            {"jobStatus": "COMPLETED", "afterPolls": 3},
        ])
        client = self.make_client()
        seen = []
        while True:
            job = self.get(client, job_id)["jobProperties"]
            seen.append(job["jobStatus"])
            self.assertLessEqual(len(seen), 10, f"never completed: {seen}")
            if job["jobStatus"] == "COMPLETED":
                break
        self.assertEqual(seen, ["SUBMITTED", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED"])
        self.assertGreaterEqual(job["endedAt"], job["submittedAt"])
        self.assertEqual([c["status"] for c in self.journal(job_id)], [200, 200, 200, 200])

    def retry_after_headers(self, client):
        """The Retry-After header of every answer botocore considered for a retry."""
        seen = []

        def record(response=None, **_):
            if response is not None and response[0] is not None:
                seen.append(response[0].headers.get("Retry-After"))

        client.meta.events.register("needs-retry.medical-imaging.GetDICOMImportJob", record)
        return seen

    def check_throttled_twice(self, retry_after):
        job_id = unique_job("thr")
        self.add_job(job_id)
        rule = {"jobId": job_id, "error": "ThrottlingException", "times": 2}
        if retry_after is not None:
            rule["retryAfter"] = retry_after
        rule = self.add_fault(**rule)
        self.remove_fault(rule)
        client = self.make_client(retries={"mode": "standard"})
        headers = self.retry_after_headers(client)
        out = self.get(client, job_id)
        self.assertEqual(out["jobProperties"]["jobId"], job_id)
        self.assertEqual(out["ResponseMetadata"]["RetryAttempts"], 2)
        expected = None if retry_after is None else str(retry_after)
        self.assertEqual(headers, [expected, expected, None])
        calls = self.journal(job_id)
        self.assertEqual([c["status"] for c in calls], [429, 429, 200])
        self.assertEqual([c.get("faultId") for c in calls], [rule["id"], rule["id"], None])
        self.assertTrue(all(c["accessKeyId"] == "AKIDEXAMPLE" for c in calls), calls)

    def test_retries_through_throttling_without_retry_after(self):
        self.check_throttled_twice(None)

    def test_retries_through_throttling_with_retry_after(self):
        # botocore sees the header but (unlike the JS SDK) keeps its own backoff.
        self.check_throttled_twice(1)

    def test_dropped_connection_is_retried(self):
        job_id = unique_job("drop")
        self.add_job(job_id)
        rule = self.add_fault(jobId=job_id, dropConnection=True, times=1)
        self.remove_fault(rule)
        out = self.get(self.make_client(retries={"mode": "standard"}), job_id)
        self.assertEqual(out["jobProperties"]["jobId"], job_id)
        self.assertEqual(out["ResponseMetadata"]["RetryAttempts"], 1)
        calls = self.journal(job_id)
        self.assertEqual([c["status"] for c in calls], [0, 200])
        self.assertTrue(calls[0]["dropped"])
        self.assertEqual(calls[0]["faultId"], rule["id"])
        fired = [f for f in self.control("GET", "faults")["faults"] if f["id"] == rule["id"]]
        self.assertEqual(fired[0]["fired"], 1)


if __name__ == "__main__":
    unittest.main()
