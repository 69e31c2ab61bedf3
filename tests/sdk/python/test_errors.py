"""Every error GetDICOMImportJob declares must reach Python code as the client's own modeled
exception class, with the code, status, message and request id the emulator sent."""
import re
import unittest

from botocore.exceptions import ClientError

import hil_harness
from hil_harness import DATASTORE_ID


class ErrorTest(hil_harness.ServerTestCase):
    def setUp(self):
        # One attempt, so the retryable errors (429, 500) surface at once instead of after backoff.
        self.client = self.make_client(retries={"total_max_attempts": 1})

    def assert_error(self, name, status, message, datastore_id=DATASTORE_ID, job_id="pyfull"):
        exception_class = getattr(self.client.exceptions, name)
        with self.assertRaises(exception_class) as caught:
            self.client.get_dicom_import_job(datastoreId=datastore_id, jobId=job_id)
        e = caught.exception
        self.assertIsInstance(e, ClientError)
        self.assertEqual(type(e).__name__, name)
        self.assertEqual(e.response["Error"]["Code"], name)
        if hasattr(message, "search"):
            self.assertRegex(e.response["Error"]["Message"], message)
        else:
            self.assertEqual(e.response["Error"]["Message"], message)
        meta = e.response["ResponseMetadata"]
        self.assertEqual(meta["HTTPStatusCode"], status)
        self.assertTrue(meta.get("RequestId"), "x-amzn-RequestId should reach ResponseMetadata.RequestId")
        self.assertEqual(meta["RetryAttempts"], 0)

    def test_scripted_errors_arrive_as_modeled_exceptions(self):
        for name, status, job in (("AccessDeniedException", 403, "pyerraccessdenied"),
                                  ("ConflictException", 409, "pyerrconflict"),
                                  ("ThrottlingException", 429, "pyerrthrottling"),
                                  ("InternalServerException", 500, "pyerrinternalserver")):
            with self.subTest(name):
                self.assert_error(name, status, f"Scripted {name} for the py SDK test on job {job}", job_id=job)

    def test_malformed_datastore_id_is_a_validation_exception(self):
        self.assert_error("ValidationException", 400,
                          "1 validation error detected: Value 'ABC' at 'datastoreId' failed to satisfy constraint: "
                          "Member must satisfy regular expression pattern: [0-9a-z]{32}",
                          datastore_id="ABC")

    def test_unknown_job_is_a_resource_not_found_exception_naming_it(self):
        self.assert_error("ResourceNotFoundException", 404, re.compile(r"\bpynosuchjob\b"), job_id="pynosuchjob")


if __name__ == "__main__":
    unittest.main()
