#!/usr/bin/env python3
"""Process-level tests: the real healthimaging-local binary as a child process.

Run by ctest (test `server_process`) with HIL_BINARY set to the built executable, or by hand:
    HIL_BINARY=build/healthimaging-local python3 tests/server/process_test.py -v
Standard library only. Every server listens on an ephemeral port (--port 0).
"""

import http.client
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

BINARY = os.environ.get("HIL_BINARY", "")
LISTENING = re.compile(r"^healthimaging-local \S+ listening on http://127\.0\.0\.1:(\d+)$")
SAMPLE_DS = "b3d1c5e2a4f6078e9d0c1b2a3f4e5d6c"
SAMPLE_JOB = "5f1e2d3c4b5a69788796a5b4c3d2e1f0"
START_TIMEOUT = 10.0
# A real DICOM file (Debian's python3-pydicom), for the imports that load the codecs plugin.
CT_SMALL = "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm"
STOP_TIMEOUT = 5.0


def job_path(datastore_id, job_id):
    return f"/getDICOMImportJob/datastore/{datastore_id}/job/{job_id}"


def fixture(ds, jobs, status="COMPLETED"):
    return {
        "datastores": [{"datastoreId": ds, "datastoreName": "ds-" + ds[:4], "datastoreStatus": "ACTIVE"}],
        "jobs": [{"jobId": j, "datastoreId": ds, "jobName": "job-" + j, "jobStatus": status,
                  "dataAccessRoleArn": "arn:aws:iam::123456789012:role/ImportRole",
                  "inputS3Uri": "s3://in-bucket/x/", "outputS3Uri": "s3://out-bucket/y/",
                  "submittedAt": 1700000000.5} for j in jobs],
    }


def free_port():
    """A port nothing listens on: bound, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One child process of the binary; start() waits for its listening line."""

    def __init__(self, *args, env=None, binary=None):
        full_env = dict(os.environ)
        full_env.pop("HIL_PORT", None)
        full_env.update(env or {})
        self.args = [binary or BINARY, *args]
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)
        self.port = None
        self.first_line = None

    def start(self):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_TIMEOUT
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                self.kill()
                raise AssertionError(f"{self.args}: no listening line within {START_TIMEOUT}s")
            chunk = os.read(self.proc.stdout.fileno(), 1)
            if not chunk:
                _, err = self.proc.communicate(timeout=STOP_TIMEOUT)
                raise AssertionError(f"{self.args}: exited {self.proc.returncode} before listening: {err.decode()}")
            line += chunk
        sel.close()
        self.first_line = line.decode().rstrip("\n")
        m = LISTENING.match(self.first_line)
        if not m:
            self.kill()
            raise AssertionError(f"unexpected first line: {self.first_line!r}")
        self.port = int(m.group(1))
        return self

    def get(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path)
            res = conn.getresponse()
            return res.status, json.loads(res.read())
        finally:
            conn.close()

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig`; returns (exit code, seconds it took)."""
        began = time.monotonic()
        self.proc.send_signal(sig)
        try:
            self.proc.communicate(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"did not exit within {STOP_TIMEOUT}s of {sig.name}")
        return self.proc.returncode, time.monotonic() - began

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


def run(*args, env=None, timeout=STOP_TIMEOUT):
    """Runs the binary to completion; returns (exit code, stdout, stderr)."""
    return run_binary(BINARY, *args, env=env, timeout=timeout)


def run_binary(binary, *args, env=None, timeout=STOP_TIMEOUT):
    full_env = dict(os.environ)
    full_env.update(env or {})
    p = subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout, env=full_env)
    return p.returncode, p.stdout, p.stderr


class ProcessTest(unittest.TestCase):
    def setUp(self):
        if not BINARY or not os.access(BINARY, os.X_OK):
            self.fail(f"HIL_BINARY must name the built healthimaging-local executable (got {BINARY!r})")
        self.tmp = tempfile.mkdtemp(prefix="hil-process-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, content):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))
        return path

    # --- start-up and serving ---------------------------------------------------------

    def test_prints_listening_line_with_real_port_and_serves_there(self):
        with Server("--port", "0") as s:
            self.assertNotEqual(s.port, 0)
            status, body = s.get("/_emulator/health")
            self.assertEqual(status, 200)
            self.assertEqual(body["status"], "ready")

    def test_serves_builtin_sample_without_fixtures(self):
        with Server("--port", "0") as s:
            status, body = s.get(job_path(SAMPLE_DS, SAMPLE_JOB))
            self.assertEqual(status, 200)
            self.assertEqual(body["jobProperties"]["jobName"], "ct-chest-batch-01")
            self.assertEqual(s.get("/_emulator/health")[1]["jobs"], 5)

    def test_empty_starts_with_no_data(self):
        with Server("--port", "0", "--empty") as s:
            status, body = s.get(job_path(SAMPLE_DS, SAMPLE_JOB))
            self.assertEqual(status, 404)
            self.assertEqual(body["message"], f"Datastore {SAMPLE_DS} not found")
            health = s.get("/_emulator/health")[1]
            self.assertEqual((health["datastores"], health["jobs"]), (0, 0))

    def test_port_from_environment_variable(self):
        with Server(env={"HIL_PORT": "0"}) as s:
            self.assertNotIn(s.port, (0, 7979))
            self.assertEqual(s.get("/_emulator/health")[0], 200)

    def test_fixtures_file_replaces_the_sample(self):
        ds = "a" * 32
        path = self.write("one.json", fixture(ds, ["job1"]))
        with Server("--port", "0", "--fixtures", path) as s:
            self.assertEqual(s.get(job_path(ds, "job1"))[0], 200)
            self.assertEqual(s.get(job_path(SAMPLE_DS, SAMPLE_JOB))[0], 404)

    def test_folder_of_fixtures(self):
        ds1, ds2 = "1" * 32, "2" * 32
        self.write("scenario/a.json", fixture(ds1, ["one"]))
        self.write("scenario/b.json", fixture(ds2, ["two", "three"], status="IN_PROGRESS"))
        self.write("scenario/notes.txt", "not a fixture")
        with Server("--port", "0", "--fixtures", os.path.join(self.tmp, "scenario")) as s:
            self.assertEqual(s.get(job_path(ds1, "one"))[0], 200)
            status, body = s.get(job_path(ds2, "three"))
            self.assertEqual(status, 200)
            self.assertEqual(body["jobProperties"]["jobStatus"], "IN_PROGRESS")
            self.assertEqual(s.get("/_emulator/health")[1]["jobs"], 3)

    def test_db_keeps_data_across_a_restart(self):
        ds = "d" * 32
        db = os.path.join(self.tmp, "state.sqlite")
        path = self.write("seed.json", fixture(ds, ["kept"]))
        with Server("--port", "0", "--db", db, "--fixtures", path) as s:
            self.assertEqual(s.get(job_path(ds, "kept"))[0], 200)
            self.assertEqual(s.stop()[0], 0)
        with Server("--port", "0", "--db", db, "--empty") as s:
            status, body = s.get(job_path(ds, "kept"))
            self.assertEqual(status, 200)
            self.assertEqual(body["jobProperties"]["submittedAt"], 1700000000.5)
        # Without --db the next start knows nothing of it.
        with Server("--port", "0", "--empty") as s:
            self.assertEqual(s.get(job_path(ds, "kept"))[0], 404)

    # --- stopping ---------------------------------------------------------------------

    def test_sigterm_and_sigint_exit_zero_promptly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig.name), Server("--port", "0") as s:
                self.assertEqual(s.get("/_emulator/health")[0], 200)
                code, took = s.stop(sig)
                self.assertEqual(code, 0)
                self.assertLess(took, 2.0)

    def test_sigterm_while_a_keep_alive_client_is_idle(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(signal=sig.name), Server("--port", "0") as s:
                conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
                conn.request("GET", "/_emulator/health")
                res = conn.getresponse()
                res.read()
                self.assertEqual(res.status, 200)
                self.assertFalse(res.will_close)  # the connection stays open, idle
                code, took = s.stop(sig)
                conn.close()
                self.assertEqual(code, 0)
                self.assertLess(took, 2.0)

    # --- bad input --------------------------------------------------------------------

    def test_bad_fixture_names_file_pointer_and_reason(self):
        bad = fixture("e" * 32, ["job1"])
        bad["jobs"][0]["jobStatus"] = "DONE"
        path = self.write("bad.json", bad)
        code, out, err = run("--port", "0", "--fixtures", path)
        self.assertNotEqual(code, 0)
        self.assertNotIn("listening", out)
        self.assertIn(path, err)
        self.assertIn("/jobs/0/jobStatus", err)
        self.assertIn("'DONE'", err)
        self.assertIn("JobStatus", err)

    def test_malformed_json_fixture_names_line_and_column(self):
        path = self.write("broken.json", '{\n  "datastores": [\n    {"datastoreId": }\n  ]\n}\n')
        code, out, err = run("--port", "0", "--fixtures", path)
        self.assertNotEqual(code, 0)
        self.assertIn(path, err)
        self.assertRegex(err, r"line 3, column \d+")

    def test_bad_fixture_in_a_folder_names_that_file(self):
        self.write("mixed/good.json", fixture("1" * 32, ["one"]))
        bad = fixture("2" * 32, ["two"])
        bad["jobs"][0]["inputS3Uri"] = "http://not-s3/"
        bad_path = self.write("mixed/worse.json", bad)
        code, _, err = run("--port", "0", "--fixtures", os.path.join(self.tmp, "mixed"))
        self.assertNotEqual(code, 0)
        self.assertIn(bad_path, err)
        self.assertIn("/jobs/0/inputS3Uri", err)

    def test_missing_fixture_path(self):
        path = os.path.join(self.tmp, "nowhere.json")
        code, _, err = run("--port", "0", "--fixtures", path)
        self.assertNotEqual(code, 0)
        self.assertIn(path, err)
        self.assertIn("does not exist", err)

    def test_bad_flag_exits_2_naming_it(self):
        code, out, err = run("--bogus-flag")
        self.assertEqual(code, 2)
        self.assertIn("--bogus-flag", err)
        code, _, err = run("--port", "notaport")
        self.assertEqual(code, 2)
        self.assertIn("--port", err)
        self.assertIn("notaport", err)
        code, _, err = run("--port")
        self.assertEqual(code, 2)
        self.assertIn("--port", err)

    def test_bad_environment_variable_exits_2_naming_it(self):
        code, _, err = run("--version", env={"HIL_PORT": "99999"})
        self.assertEqual(code, 2)
        self.assertIn("HIL_PORT", err)

    # --- help, version, probe -----------------------------------------------------------

    def test_help_lists_every_flag(self):
        code, out, _ = run("--help")
        self.assertEqual(code, 0)
        for flag in ("--host", "--port", "--threads", "--db", "--fixtures", "--empty", "--log-level",
                     "--header-limit", "--body-limit", "--read-timeout", "--shutdown-timeout", "--probe",
                     "--help", "--version"):
            self.assertRegex(out, rf"(^|\s){re.escape(flag)}\b", flag)
        for var in ("HIL_HOST", "HIL_PORT", "HIL_DB", "HIL_FIXTURES"):
            self.assertIn(var, out)
        self.assertEqual(run("-h")[1], out)

    def test_version(self):
        code, out, _ = run("--version")
        self.assertEqual(code, 0)
        self.assertRegex(out, r"^healthimaging-local \d+\.\d+\.\d+\n$")

    def test_probe(self):
        with Server("--port", "0") as s:
            code, out, _ = run("--probe", "--port", str(s.port))
            self.assertEqual(code, 0, out)
            self.assertIn("200", out)
        code, _, err = run("--probe", "--port", str(free_port()))
        self.assertEqual(code, 1)
        self.assertIn("probe", err)

    def test_check_fixtures_accepts_silently_without_listening(self):
        path = self.write("good.json", fixture("d" * 32, ["job1"]))
        db = os.path.join(self.tmp, "never.db")
        # A port already taken proves it never binds; --db proves it never opens the database.
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            code, out, err = run("--check-fixtures", "--fixtures", path, "--port", str(taken.getsockname()[1]), "--db", db)
        self.assertEqual((code, out, err), (0, "", ""))
        self.assertFalse(os.path.exists(db))

    def test_check_fixtures_refuses_as_start_up_does(self):
        bad = fixture("e" * 32, ["job1"])
        bad["jobs"][0]["jobStatus"] = "DONE"
        path = self.write("bad.json", bad)
        code, out, err = run("--check-fixtures", "--fixtures", path)
        _, _, startup_err = run("--port", "0", "--fixtures", path)
        self.assertEqual(code, 1)
        self.assertEqual(out, "")
        self.assertIn(path + ": /jobs/0/jobStatus: value 'DONE'", err)
        self.assertEqual(err, startup_err)

    def test_check_fixtures_loads_every_path_together(self):
        # Each file is valid alone; together they declare one datastore twice.
        one = self.write("one.json", fixture("f" * 32, ["a"]))
        two = self.write("two.json", fixture("f" * 32, ["b"]))
        self.assertEqual(run("--check-fixtures", "--fixtures", one)[0], 0)
        code, _, err = run("--check-fixtures", "--fixtures", one, "--fixtures", two)
        self.assertEqual(code, 1)
        self.assertIn("/datastores/0/datastoreId: datastore " + "f" * 32 + " is already declared", err)

    def test_check_fixtures_checks_imports_without_running_them(self):
        doc = fixture("a" * 32, [])
        doc["imports"] = [{"datastoreId": "a" * 32, "inputS3Uri": "s3://nowhere/x/", "outputS3Uri": "s3://out/"}]
        path = self.write("imports.json", doc)
        # Start-up would need --s3-dir and the files; the check needs neither.
        self.assertIn("need --s3-dir", run("--port", "0", "--fixtures", path)[2])
        self.assertEqual(run("--check-fixtures", "--fixtures", path), (0, "", ""))
        doc["imports"][0]["datastoreId"] = "b" * 32
        code, _, err = run("--check-fixtures", "--fixtures", self.write("imports-elsewhere.json", doc))
        self.assertEqual(code, 1)
        self.assertIn("/imports/0: datastore " + "b" * 32 + " is not in the fixtures", err)

    # --- the codecs plugin -----------------------------------------------------------

    def import_at_startup(self, binary):
        """Starts `binary` with a fixture whose import reads one real DICOM file from --s3-dir;
        returns the text of the job's success.ndjson and failure.ndjson."""
        s3 = os.path.join(self.tmp, "s3-" + os.path.basename(os.path.dirname(binary)))
        os.makedirs(os.path.join(s3, "in-bucket", "ct"))
        os.makedirs(os.path.join(s3, "out-bucket"))
        shutil.copy(CT_SMALL, os.path.join(s3, "in-bucket", "ct"))
        doc = fixture("a" * 32, [])
        doc["imports"] = [{"datastoreId": "a" * 32, "inputS3Uri": "s3://in-bucket/ct/", "outputS3Uri": "s3://out-bucket/o/"}]
        path = self.write("import-" + os.path.basename(s3) + ".json", doc)
        with Server("--port", "0", "--fixtures", path, "--s3-dir", s3, binary=binary):
            pass  # the fixtures' imports have ended once it listens
        found = {}
        for root, _, files in os.walk(os.path.join(s3, "out-bucket")):
            for name in files:
                if name in ("success.ndjson", "failure.ndjson"):
                    with open(os.path.join(root, name)) as f:
                        found[name] = f.read()
        return found.get("success.ndjson", ""), found.get("failure.ndjson", "")

    @unittest.skipUnless(os.path.exists(CT_SMALL), "pydicom's test files are not installed")
    def test_an_import_loads_the_codecs_plugin_from_beside_the_binary(self):
        success, failure = self.import_at_startup(BINARY)
        self.assertEqual(failure, "")
        self.assertIn("CT_small.dcm", success)

    @unittest.skipUnless(os.path.exists(CT_SMALL), "pydicom's test files are not installed")
    def test_without_the_codecs_plugin_an_import_lists_each_file_as_failed(self):
        alone = os.path.join(self.tmp, "alone")
        os.makedirs(alone)
        binary = shutil.copy(BINARY, alone)
        success, failure = self.import_at_startup(binary)
        self.assertEqual(success, "")
        line = json.loads(failure.splitlines()[0])
        self.assertEqual(line["inputFile"], "ct/CT_small.dcm")
        self.assertEqual(line["exception"]["exceptionType"], "InternalServerException")
        self.assertIn("The DICOM codecs cannot be loaded: " + os.path.join(alone, "healthimaging-local-codecs.so"),
                      line["exception"]["message"])

    def test_check_fixtures_needs_fixtures(self):
        code, out, err = run("--check-fixtures")
        self.assertEqual(code, 2)
        self.assertIn("--check-fixtures: needs --fixtures", err)
        self.assertEqual(run("--check-fixtures", env={"HIL_FIXTURES": self.write("env.json", {})})[0], 0)


if __name__ == "__main__":
    unittest.main()
