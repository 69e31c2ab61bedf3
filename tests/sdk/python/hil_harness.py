"""Shared by the boto3 tests: a clean AWS environment, the server to talk to, and clients.

Server: HIL_SDK_ENDPOINT (a server already started with fixtures/sdk-scenario.json) if set,
otherwise a fresh HIL_BINARY on an ephemeral port with that fixture, stopped by stop().
"""
import os
import pathlib
import queue
import re
import subprocess
import threading
import unittest

# Nothing from the machine may steer botocore (profiles, real keys, retry or endpoint settings,
# instance metadata): drop every AWS_ variable and set only dummy ones. This runs on import,
# before any botocore session exists.
for _name in [n for n in os.environ if n.startswith("AWS_")]:
    del os.environ[_name]
os.environ.update({
    "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
})

import boto3  # noqa: E402  (must see the environment above)
from botocore.config import Config  # noqa: E402

FIXTURE_PATH = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "sdk-scenario.json"

# The Python suite's own data store in the fixture; the JS suite uses another one.
DATASTORE_ID = "sdkpydatastore000000000000000001"
ROLE_ARN = "arn:aws:iam::123456789012:role/HealthImagingImportRole"

_STARTUP_TIMEOUT_S = 15
_SHUTDOWN_TIMEOUT_S = 15


class Server:
    def __init__(self):
        given = os.environ.get("HIL_SDK_ENDPOINT")
        self._process = None
        if given:
            self.endpoint = given.rstrip("/")
            return
        binary = os.environ.get("HIL_BINARY")
        if not binary:
            raise RuntimeError("set HIL_BINARY (the healthimaging-local executable) or HIL_SDK_ENDPOINT")
        self._process = subprocess.Popen([binary, "--port", "0", "--fixtures", str(FIXTURE_PATH)],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        lines = queue.Queue()

        # Keeps consuming stdout for the server's whole life, so the pipe never fills up.
        def drain():
            for line in self._process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=_STARTUP_TIMEOUT_S)
            except queue.Empty:
                self._process.kill()
                raise RuntimeError(f"{binary} printed no 'listening on' line in {_STARTUP_TIMEOUT_S} s")
            if line is None:
                raise RuntimeError(f"{binary} exited ({self._process.wait()}) before listening")
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                self.endpoint = match.group(1)
                return

    def stop(self):
        """SIGTERM, then insist on a clean exit."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            code = self._process.wait(timeout=_SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise RuntimeError(f"server ignored SIGTERM for {_SHUTDOWN_TIMEOUT_S} s")
        if code != 0:
            raise RuntimeError(f"server did not exit cleanly on SIGTERM ({code})")


def make_client(endpoint, **config):
    """A client aimed at the emulator the way a user would do it: endpoint_url, region, keys."""
    return boto3.session.Session().client(
        "medical-imaging",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        config=Config(**config) if config else None,
    )


class ServerTestCase(unittest.TestCase):
    """A Server for the whole class (each test module holds one), stopped after its last test."""

    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def make_client(self, **config):
        """make_client() on this class's server, closed when the test ends."""
        client = make_client(self.server.endpoint, **config)
        self.addCleanup(client.close)
        return client

    def get(self, client, job_id):
        return client.get_dicom_import_job(datastoreId=DATASTORE_ID, jobId=job_id)
