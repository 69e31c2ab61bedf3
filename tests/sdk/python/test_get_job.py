"""GetDICOMImportJob success path through boto3."""
import datetime
import unittest

import hil_harness
from hil_harness import DATASTORE_ID, ROLE_ARN


def utc(*args):
    return datetime.datetime(*args, tzinfo=datetime.timezone.utc)


class GetJobTest(hil_harness.ServerTestCase):
    def setUp(self):
        self.client = self.make_client()

    def test_job_with_every_member_timestamps_as_datetimes_with_ms(self):
        out = self.client.get_dicom_import_job(datastoreId=DATASTORE_ID, jobId="pyfull")
        meta = out["ResponseMetadata"]
        self.assertEqual(meta["HTTPStatusCode"], 200)
        self.assertEqual(meta["RetryAttempts"], 0)
        self.assertTrue(meta["RequestId"])
        props = out["jobProperties"]
        self.assertEqual(props, {
            "jobId": "pyfull",
            "jobName": "pyfull-import",
            "jobStatus": "FAILED",
            "datastoreId": DATASTORE_ID,
            "dataAccessRoleArn": ROLE_ARN,
            "endedAt": utc(2026, 1, 1, 0, 1, 1, 456000),
            "submittedAt": utc(2026, 1, 1, 0, 0, 0, 123000),
            "inputS3Uri": "s3://sdk-test-inbox/py/pyfull/",
            "outputS3Uri": f"s3://sdk-test-results/imports/{DATASTORE_ID}-DicomImport-pyfull/",
            "message": "Access denied to input bucket s3://sdk-test-inbox/ - check the data access role",
        })
        for member in ("submittedAt", "endedAt"):
            self.assertIsInstance(props[member], datetime.datetime)
            self.assertIsNotNone(props[member].tzinfo, f"{member} should be timezone-aware")
        self.assertEqual(props["submittedAt"].microsecond, 123000)
        self.assertEqual(props["endedAt"].microsecond, 456000)

    def test_job_without_optional_members_comes_back_without_them(self):
        props = self.client.get_dicom_import_job(datastoreId=DATASTORE_ID, jobId="pyminimal")["jobProperties"]
        self.assertEqual(props, {
            "jobId": "pyminimal",
            "jobName": "pyminimal-import",
            "jobStatus": "SUBMITTED",
            "datastoreId": DATASTORE_ID,
            "dataAccessRoleArn": ROLE_ARN,
            "inputS3Uri": "s3://sdk-test-inbox/py/pyminimal/",
            "outputS3Uri": f"s3://sdk-test-results/imports/{DATASTORE_ID}-DicomImport-pyminimal/",
        })
        for member in ("submittedAt", "endedAt", "message"):
            self.assertNotIn(member, props)


if __name__ == "__main__":
    unittest.main()
