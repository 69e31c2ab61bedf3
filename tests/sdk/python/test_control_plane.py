"""The control plane through boto3: data stores (create, poll to ACTIVE, list with the paginator,
delete), import jobs started through the API (poll to COMPLETED or FAILED, list with the
paginator), tags, idempotency tokens and the list operations' errors.

Works against a server this suite starts and against HIL_SDK_ENDPOINT, which other suites use at
the same time: every test creates its own data stores (names and client tokens unique to this
run), and every assertion about a list is about the data stores and jobs the test created."""
import datetime
import re
import secrets
import time
import unittest

import hil_harness
from hil_harness import DATASTORE_ID, ROLE_ARN

RUN = secrets.token_hex(4)
INPUT_S3_URI = "s3://sdk-py-inbox/control-plane/"
OUTPUT_S3_URI = "s3://sdk-py-outbox/control-plane/"
FAILING_INPUT_S3_URI = "s3://sdk-failing-inbox/batch-1/"
# The importRules entry of fixtures/sdk-scenario.json.
FAILING_MESSAGE = "Input prefix s3://sdk-failing-inbox/ is not readable by the data access role"
UNKNOWN_DATASTORE_ID = "0" * 31 + "1"

# Polling as user code does it: every 0.1 s, at most 20 times.
POLL_INTERVAL_S = 0.1
MAX_POLLS = 20


def unique_name(tag):
    return f"sdk-py-cp-{tag}-{RUN}"


def unique_token(tag):
    return f"py-{tag}-{secrets.token_hex(12)}"


def arn_of(datastore_id):
    return f"arn:aws:medical-imaging:us-east-1:123456789012:datastore/{datastore_id}"


class ControlPlaneTest(hil_harness.ServerTestCase):
    def setUp(self):
        self.client = self.make_client()

    # --- helpers ---------------------------------------------------------------------------------

    def poll(self, what, read, done):
        """Calls read() (-> (status, value)) until done(status); answers (statuses seen, last value)."""
        seen = []
        while True:
            status, value = read()
            seen.append(status)
            if done(status):
                return seen, value
            self.assertLess(len(seen), MAX_POLLS, f"{what}: not done after {MAX_POLLS} polls: {seen}")
            time.sleep(POLL_INTERVAL_S)

    def poll_datastore(self, datastore_id, status):
        def read():
            props = self.client.get_datastore(datastoreId=datastore_id)["datastoreProperties"]
            return props["datastoreStatus"], props
        return self.poll(f"data store {datastore_id} to {status}", read, lambda s: s == status)

    def poll_job(self, datastore_id, job_id):
        def read():
            job = self.client.get_dicom_import_job(datastoreId=datastore_id, jobId=job_id)["jobProperties"]
            return job["jobStatus"], job
        return self.poll(f"job {job_id}", read, lambda s: s in ("COMPLETED", "FAILED"))

    def create_datastore(self, tag, **extra):
        name = unique_name(tag)
        out = self.client.create_datastore(datastoreName=name, **extra)
        out["datastoreName"] = name
        return out

    def create_active_datastore(self, tag, **extra):
        created = self.create_datastore(tag, **extra)
        self.poll_datastore(created["datastoreId"], "ACTIVE")
        return created

    @staticmethod
    def job_input(datastore_id, tag, **extra):
        members = {
            "datastoreId": datastore_id, "jobName": f"sdk-py-cp-{tag}", "dataAccessRoleArn": ROLE_ARN,
            "inputS3Uri": INPUT_S3_URI, "outputS3Uri": OUTPUT_S3_URI,
        }
        members.update(extra)
        return members

    def start_job(self, **members):
        return self.client.start_dicom_import_job(**members)

    def paginate(self, operation, result_key, id_key, ids, page_size=1, max_pages=1000, **params):
        """(pages, the summaries whose id_key is in ids, in page order). botocore itself stops on a
        nextToken repeated at once; a longer cycle fails here after max_pages."""
        paginator = self.client.get_paginator(operation)
        pages = []
        for page in paginator.paginate(PaginationConfig={"PageSize": page_size}, **params):
            pages.append(page)
            self.assertLess(len(pages), max_pages, f"{operation}: more than {max_pages} pages")
        for page in pages:
            self.assertLessEqual(len(page.get(result_key, [])), page_size, f"{operation} honours PageSize")
        mine = [s for page in pages for s in page.get(result_key, []) if s[id_key] in ids]
        return pages, mine

    def assert_error(self, name, call, status=None, message=None):
        """call() must raise the client's modeled `name`; answers the exception."""
        with self.assertRaises(getattr(self.client.exceptions, name)) as caught:
            call()
        e = caught.exception
        self.assertEqual(e.response["Error"]["Code"], name)
        if status is not None:
            self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], status)
        if hasattr(message, "search"):
            self.assertRegex(e.response["Error"]["Message"], message)
        elif message is not None:
            self.assertEqual(e.response["Error"]["Message"], message)
        return e

    # --- data stores -----------------------------------------------------------------------------

    def test_create_answers_creating_then_get_goes_creating_active(self):
        created = self.create_datastore("create")
        self.assertRegex(created["datastoreId"], r"^[0-9a-z]{32}$")
        self.assertEqual(created["datastoreStatus"], "CREATING")

        seen, props = self.poll_datastore(created["datastoreId"], "ACTIVE")
        self.assertEqual(seen[0], "CREATING", f"the first GetDatastore after create: {seen}")
        self.assertTrue(all(s == "CREATING" for s in seen[:-1]), f"only CREATING before ACTIVE: {seen}")
        self.assertEqual(props["datastoreId"], created["datastoreId"])
        self.assertEqual(props["datastoreName"], created["datastoreName"])
        self.assertEqual(props["datastoreStatus"], "ACTIVE")
        self.assertEqual(props["datastoreArn"], arn_of(created["datastoreId"]))
        self.assertIsInstance(props["createdAt"], datetime.datetime)
        self.assertIsInstance(props["updatedAt"], datetime.datetime)
        self.assertGreaterEqual(props["updatedAt"], props["createdAt"])

    def test_list_datastores_paginator_yields_each_once_and_filters_by_status(self):
        # `creating` is never polled, so it stays CREATING; the other two are polled to ACTIVE.
        active = [self.create_active_datastore("list-a"), self.create_active_datastore("list-b")]
        creating = self.create_datastore("list-c")
        by_id = {d["datastoreId"]: d for d in active + [creating]}
        ids = list(by_id)

        _, only_creating = self.paginate("list_datastores", "datastoreSummaries", "datastoreId", ids,
                                         datastoreStatus="CREATING")
        self.assertEqual([s["datastoreId"] for s in only_creating], [creating["datastoreId"]],
                         f"CREATING filter, among ours: {only_creating}")

        _, only_active = self.paginate("list_datastores", "datastoreSummaries", "datastoreId", ids,
                                       datastoreStatus="ACTIVE")
        listed = [s["datastoreId"] for s in only_active]
        for d in active:
            self.assertEqual(listed.count(d["datastoreId"]), 1, f"{d['datastoreId']} once under ACTIVE")
        self.assertTrue(all(s["datastoreStatus"] == "ACTIVE" for s in only_active), only_active)

        _, everything = self.paginate("list_datastores", "datastoreSummaries", "datastoreId", ids)
        listed = [s["datastoreId"] for s in everything]
        for datastore_id in ids:
            self.assertEqual(listed.count(datastore_id), 1, f"{datastore_id} exactly once across the pages")
        for s in everything:
            self.assertEqual(s["datastoreName"], by_id[s["datastoreId"]]["datastoreName"])
            self.assertEqual(s["datastoreArn"], arn_of(s["datastoreId"]))

    def test_delete_conflicts_with_a_job_in_flight_then_goes_deleting_deleted(self):
        datastore_id = self.create_active_datastore("delete")["datastoreId"]
        job_id = self.start_job(**self.job_input(datastore_id, "delete"))["jobId"]
        self.assert_error("ConflictException", lambda: self.client.delete_datastore(datastoreId=datastore_id),
                          status=409)

        self.assertEqual(self.poll_job(datastore_id, job_id)[1]["jobStatus"], "COMPLETED")
        deleted = self.client.delete_datastore(datastoreId=datastore_id)
        self.assertEqual(deleted["datastoreId"], datastore_id)
        self.assertEqual(deleted["datastoreStatus"], "DELETING")

        seen, _ = self.poll_datastore(datastore_id, "DELETED")
        self.assertEqual(seen[0], "DELETING", f"the first GetDatastore after delete: {seen}")
        self.assertTrue(all(s == "DELETING" for s in seen[:-1]), f"only DELETING before DELETED: {seen}")

    def test_get_unknown_datastore_is_resource_not_found(self):
        self.assert_error("ResourceNotFoundException",
                          lambda: self.client.get_datastore(datastoreId=UNKNOWN_DATASTORE_ID), status=404)

    # --- import jobs -----------------------------------------------------------------------------

    def test_start_conflicts_while_creating_then_submitted_in_progress_completed(self):
        datastore_id = self.create_datastore("import")["datastoreId"]
        self.assert_error("ConflictException",
                          lambda: self.start_job(**self.job_input(datastore_id, "too-early")), status=409)

        self.poll_datastore(datastore_id, "ACTIVE")
        members = self.job_input(datastore_id, "import")
        started = self.start_job(**members)
        self.assertEqual(started["datastoreId"], datastore_id)
        self.assertRegex(started["jobId"], r"^[0-9a-z]{1,32}$")
        self.assertEqual(started["jobStatus"], "SUBMITTED")
        self.assertIsInstance(started["submittedAt"], datetime.datetime)

        seen, job = self.poll_job(datastore_id, started["jobId"])
        self.assertEqual(seen, ["IN_PROGRESS", "COMPLETED"])
        self.assertEqual(job["jobId"], started["jobId"])
        self.assertEqual(job["datastoreId"], datastore_id)
        self.assertEqual(job["jobName"], members["jobName"])
        self.assertEqual(job["inputS3Uri"], members["inputS3Uri"])
        self.assertEqual(job["dataAccessRoleArn"], members["dataAccessRoleArn"])
        self.assertEqual(job["outputS3Uri"], f"{OUTPUT_S3_URI}{datastore_id}-DicomImport-{started['jobId']}/")
        self.assertIsInstance(job["endedAt"], datetime.datetime, "a COMPLETED job carries endedAt")
        self.assertGreaterEqual(job["endedAt"], job["submittedAt"])
        self.assertNotIn("message", job)

    def test_import_rule_of_the_fixture_fails_the_job_with_its_message(self):
        datastore_id = self.create_active_datastore("failing")["datastoreId"]
        started = self.start_job(**self.job_input(datastore_id, "failing", inputS3Uri=FAILING_INPUT_S3_URI))
        self.assertEqual(started["jobStatus"], "SUBMITTED")

        seen, job = self.poll_job(datastore_id, started["jobId"])
        self.assertEqual(seen, ["IN_PROGRESS", "FAILED"])
        self.assertEqual(job["message"], FAILING_MESSAGE)
        self.assertEqual(job["inputS3Uri"], FAILING_INPUT_S3_URI)
        self.assertIsInstance(job["endedAt"], datetime.datetime, "a FAILED job carries endedAt")

    def test_list_jobs_paginator_yields_each_once_newest_first_and_filters_by_status(self):
        datastore_id = self.create_active_datastore("jobs")["datastoreId"]
        ids = []
        for n in (1, 2, 3):
            if n > 1:
                time.sleep(0.02)  # distinct submittedAt values, so "newest first" has one answer
            ids.append(self.start_job(**self.job_input(datastore_id, f"list-{n}"))["jobId"])
        # The first two are polled to COMPLETED; the third is never polled.
        for job_id in ids[:2]:
            self.assertEqual(self.poll_job(datastore_id, job_id)[1]["jobStatus"], "COMPLETED")

        # Three jobs in this data store only: one page each, perhaps an empty last one.
        _, everything = self.paginate("list_dicom_import_jobs", "jobSummaries", "jobId", ids, max_pages=10,
                                      datastoreId=datastore_id)
        self.assertEqual([s["jobId"] for s in everything], ids[::-1], "each job once, newest first")
        submitted = [s["submittedAt"] for s in everything]
        self.assertEqual(submitted, sorted(submitted, reverse=True), "submittedAt non-increasing")
        for s in everything:
            n = ids.index(s["jobId"]) + 1
            self.assertEqual(s["jobName"], f"sdk-py-cp-list-{n}")
            self.assertEqual(s["datastoreId"], datastore_id)
            self.assertIsInstance(s["submittedAt"], datetime.datetime)
            self.assertIn(s["jobStatus"], ("COMPLETED",) if n < 3 else ("SUBMITTED", "IN_PROGRESS"), f"job {n}")

        _, completed = self.paginate("list_dicom_import_jobs", "jobSummaries", "jobId", ids, max_pages=10,
                                     datastoreId=datastore_id, jobStatus="COMPLETED")
        self.assertEqual([s["jobId"] for s in completed], [ids[1], ids[0]],
                         "only the two COMPLETED jobs, newest first")
        self.assertTrue(all(s["jobStatus"] == "COMPLETED" for s in completed), completed)

    # --- tags ------------------------------------------------------------------------------------

    def test_tags_set_at_creation_added_and_removed(self):
        arn = arn_of(self.create_datastore("tags", tags={"project": "x"})["datastoreId"])

        def tags():
            return self.client.list_tags_for_resource(resourceArn=arn)["tags"]

        self.assertEqual(tags(), {"project": "x"})
        self.client.tag_resource(resourceArn=arn, tags={"team": "y"})
        self.assertEqual(tags(), {"project": "x", "team": "y"})
        self.client.untag_resource(resourceArn=arn, tagKeys=["project"])
        self.assertEqual(tags(), {"team": "y"})

    def test_tags_of_unknown_datastore_is_resource_not_found(self):
        self.assert_error("ResourceNotFoundException",
                          lambda: self.client.list_tags_for_resource(resourceArn=arn_of(UNKNOWN_DATASTORE_ID)),
                          status=404)

    # --- idempotency -----------------------------------------------------------------------------

    def test_create_with_repeated_client_token(self):
        token = unique_token("create")
        name = unique_name("idem")
        first = self.client.create_datastore(datastoreName=name, clientToken=token)
        again = self.client.create_datastore(datastoreName=name, clientToken=token)
        self.assertEqual(again["datastoreId"], first["datastoreId"])
        self.assert_error("ConflictException",
                          lambda: self.client.create_datastore(datastoreName=f"{name}-other", clientToken=token))

    def test_start_with_repeated_client_token_answers_the_same_job(self):
        datastore_id = self.create_active_datastore("idem-job")["datastoreId"]
        members = self.job_input(datastore_id, "idem", clientToken=unique_token("job"))
        first = self.start_job(**members)
        again = self.start_job(**members)
        self.assertEqual(again["jobId"], first["jobId"])
        self.assertEqual(again["datastoreId"], datastore_id)

    # --- list errors -----------------------------------------------------------------------------

    def test_forged_next_token_is_a_validation_exception(self):
        invalid = re.compile(r"^Invalid pagination token")
        self.assert_error("ValidationException",
                          lambda: self.client.list_dicom_import_jobs(datastoreId=DATASTORE_ID, nextToken="forged"),
                          status=400, message=invalid)
        self.assert_error("ValidationException", lambda: self.client.list_datastores(nextToken="forged"),
                          status=400, message=invalid)

    def test_list_datastores_token_is_rejected_by_list_jobs(self):
        # The fixture holds two data stores, so one per page leaves a nextToken.
        token = self.client.list_datastores(maxResults=1).get("nextToken")
        self.assertTrue(token, "ListDatastores with maxResults 1 should answer a nextToken")
        self.assert_error("ValidationException",
                          lambda: self.client.list_dicom_import_jobs(datastoreId=DATASTORE_ID, nextToken=token),
                          status=400)

    def test_max_results_out_of_range_reaches_the_server_without_client_validation(self):
        # botocore checks the range itself; with parameter_validation off the server's answer shows.
        client = self.make_client(parameter_validation=False)
        for value, constraint in ((0, "greater than or equal to 1"), (51, "less than or equal to 50")):
            with self.subTest(maxResults=value):
                with self.assertRaises(client.exceptions.ValidationException) as caught:
                    client.list_dicom_import_jobs(datastoreId=DATASTORE_ID, maxResults=value)
                self.assertEqual(caught.exception.response["Error"]["Message"],
                                 f"1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy "
                                 f"constraint: Member must have value {constraint}")


if __name__ == "__main__":
    unittest.main()
