"""A client built with no endpoint_url finds the emulator through the environment, the way
code under test usually does (contract section 9). botocore reads the variables when a
session is created, so each case builds a fresh one after setting them."""
import os
import unittest

import boto3

import hil_harness
from hil_harness import DATASTORE_ID


class EndpointFromEnvironmentTest(hil_harness.ServerTestCase):
    def get_without_endpoint(self, variable, job_id):
        os.environ[variable] = self.server.endpoint
        self.addCleanup(os.environ.pop, variable, None)
        # Region and keys come from the environment too (set by hil_harness).
        client = boto3.session.Session().client("medical-imaging")
        self.addCleanup(client.close)
        return client.get_dicom_import_job(datastoreId=DATASTORE_ID, jobId=job_id)

    def test_service_specific_variable(self):
        props = self.get_without_endpoint("AWS_ENDPOINT_URL_MEDICAL_IMAGING", "pyenvservice")["jobProperties"]
        self.assertEqual(props["jobStatus"], "IN_PROGRESS")
        self.assertEqual(props["submittedAt"].timestamp(), 1767225600)

    def test_generic_variable(self):
        props = self.get_without_endpoint("AWS_ENDPOINT_URL", "pyenvgeneric")["jobProperties"]
        self.assertEqual(props["jobId"], "pyenvgeneric")


if __name__ == "__main__":
    unittest.main()
