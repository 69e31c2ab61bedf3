"""Shared by the boto3 tests: a clean AWS environment, the server to talk to, and clients.

Server: HIL_SDK_ENDPOINT (a server already started with fixtures/sdk-scenario.json) if set,
otherwise a fresh HIL_BINARY on an ephemeral port with that fixture, stopped by stop().
A suite that needs other flags or fixtures (Server(flags=..., fixtures=...), or a ServerTestCase
with server_flags / server_fixtures) always gets a fresh HIL_BINARY of its own, since a server
someone else started cannot be reconfigured.
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


def can_start_server():
    """Whether Server can start a server of its own (with flags or fixtures of the suite's)."""
    return bool(os.environ.get("HIL_BINARY"))


class Server:
    def __init__(self, flags=(), fixtures=None):
        """`flags`: extra command-line arguments (["--auth", "sigv4"]); `fixtures`: a fixture path,
        or a list of them, instead of fixtures/sdk-scenario.json. Either one means a server of its own."""
        own = bool(flags) or fixtures is not None
        given = os.environ.get("HIL_SDK_ENDPOINT")
        self._process = None
        if given and not own:
            self.endpoint = given.rstrip("/")
            return
        binary = os.environ.get("HIL_BINARY")
        if not binary:
            raise RuntimeError("a server with its own flags or fixtures needs HIL_BINARY (the healthimaging-local "
                               "executable)" if own else
                               "set HIL_BINARY (the healthimaging-local executable) or HIL_SDK_ENDPOINT")
        if fixtures is None:
            fixtures = [FIXTURE_PATH]
        elif isinstance(fixtures, (str, os.PathLike)):
            fixtures = [fixtures]
        fixture_args = [arg for path in fixtures for arg in ("--fixtures", str(path))]
        self._process = subprocess.Popen([binary, "--port", "0", *fixture_args, *flags],
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
    """A Server for the whole class (each test module holds one), stopped after its last test.
    A subclass may set server_flags and server_fixtures (see Server)."""

    server = None
    server_flags = ()
    server_fixtures = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(flags=cls.server_flags, fixtures=cls.server_fixtures)

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
