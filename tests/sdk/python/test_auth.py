"""Authentication, access policies and namespaces through boto3.

SigV4Test: a server of this module's own, started with --auth sigv4 and fixtures/auth.json (its
credentials and policies), so it needs HIL_BINARY; against HIL_SDK_ENDPOINT alone it is skipped.
It covers signed calls of long-term and temporary credentials, the five 403s of a refused
signature (as botocore raises them, and the raw HTTP answers of unsigned and half-signed calls),
clock skew, credentials and identity-based policies added at run time, and the fixture's policies.

NamespaceTest: the default server (auth off: HIL_SDK_ENDPOINT when given). Clients whose 12-digit
access key ids (the account) or regions differ run their flows in threads at the same time and
never see each other's data; the journal and a namespace reset are per namespace; a known
credential's accountId picks the namespace without its signature being checked. The accounts
333333333333, 444444444444 and 343434343434 are this suite's alone (the JS suite uses others), so
a shared server is fine: the tests reset them first."""
import concurrent.futures
import datetime
import json
import os
import pathlib
import re
import secrets
import threading
import time
import unittest
import urllib.error
import urllib.request
from unittest import mock

import hil_harness

import boto3  # after hil_harness, which cleans the environment
import botocore.auth
from botocore.exceptions import ClientError

AUTH_FIXTURE = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "auth.json"

# The credentials of fixtures/auth.json.
ALICE = ("AKIAAUTHALICE0000001", "aliceSecretKey/K7MDENG+bPxRfiCYEXAMPLEKEY1")  # no policy names her
ALICE_ACCOUNT = "111122223333"
TEMPORARY = ("ASIAAUTHTEMP00000001", "tempSecretKey/K7MDENG+bPxRfiCYEXAMPLEKEY01",
             "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN//auth-tests/0001")  # expires in 2100
TEMPORARY_ACCOUNT = "444455556666"
EXPIRED = ("ASIAAUTHEXPIRED00001", "expiredSecretKey/K7MDENG+bPxRfiCYEXAMPLEKEY",
           "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN//auth-tests/0002")  # expired on 2024-01-01
READER = ("AKIAAUTHREADER000001", "readerSecretKey/K7MDENG+bPxRfiCYEXAMPLEKEY0")  # Allow Get*, List*; Deny Delete
READER_ARN = "arn:aws:iam::777788889999:user/sdk-reader"
READER_DATASTORE = "authreaderdatastore0000000000001"  # seeded in 777788889999 / us-east-1
READER_DATASTORE_ARN = f"arn:aws:medical-imaging:us-east-1:777788889999:datastore/{READER_DATASTORE}"

INVALID_TOKEN = "The security token included in the request is invalid."
RUN = secrets.token_hex(4)


def unique(tag):
    return f"sdk-py-auth-{tag}-{RUN}-{secrets.token_hex(3)}"


def datastore_arn(region, account, datastore_id):
    return f"arn:aws:medical-imaging:{region}:{account}:datastore/{datastore_id}"


class AuthTestCase(hil_harness.ServerTestCase):
    """Clients of given credentials, and the control API."""

    def client(self, key, secret, token=None, region="us-east-1"):
        client = boto3.session.Session().client(
            "medical-imaging", endpoint_url=self.server.endpoint, region_name=region,
            aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)
        self.addCleanup(client.close)
        return client

    def control(self, method, path, body=None):
        """The control API (never signed); HIL_ADMIN_TOKEN is sent when the server has --admin-token."""
        headers = {"Content-Type": "application/json"}
        if os.environ.get("HIL_ADMIN_TOKEN"):
            headers["Authorization"] = f"Bearer {os.environ['HIL_ADMIN_TOKEN']}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.server.endpoint}/_emulator/{path}", data=data, method=method,
                                     headers=headers)
        with urllib.request.urlopen(req, timeout=10) as res:
            return json.load(res)

    def journal(self, query):
        return self.control("GET", f"requests?{query}")["requests"]

    def assert_refused(self, code, call, message=None):
        """call() must raise a 403 ClientError `code` that botocore made no retry of; answers it."""
        with self.assertRaises(ClientError) as caught:
            call()
        e = caught.exception
        self.assertEqual(e.response["Error"]["Code"], code, e.response["Error"])
        self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        self.assertEqual(e.response["ResponseMetadata"]["RetryAttempts"], 0)
        if hasattr(message, "search"):
            self.assertRegex(e.response["Error"]["Message"], message)
        elif message is not None:
            self.assertEqual(e.response["Error"]["Message"], message)
        return e


@unittest.skipUnless(hil_harness.can_start_server(), "needs HIL_BINARY: a server started with --auth sigv4")
class SigV4Test(AuthTestCase):
    server_flags = ("--auth", "sigv4")
    server_fixtures = AUTH_FIXTURE

    def create_get_list(self, client, region, account):
        name = unique("ds")
        created = client.create_datastore(datastoreName=name)
        self.assertEqual(created["datastoreStatus"], "CREATING")
        arn = datastore_arn(region, account, created["datastoreId"])

        props = client.get_datastore(datastoreId=created["datastoreId"])["datastoreProperties"]
        self.assertEqual(props["datastoreName"], name)
        self.assertEqual(props["datastoreArn"], arn, "the ARN carries the credential's account and the client's region")

        listed = client.list_datastores()["datastoreSummaries"]
        mine = [s for s in listed if s["datastoreId"] == created["datastoreId"]]
        self.assertEqual(len(mine), 1, f"listed once: {listed}")
        self.assertEqual(mine[0]["datastoreArn"], arn)
        prefix = f"arn:aws:medical-imaging:{region}:{account}:"
        self.assertTrue(all(s["datastoreArn"].startswith(prefix) for s in listed),
                        f"only the namespace's own data stores: {listed}")
        return created["datastoreId"]

    def test_long_term_credential_creates_gets_and_lists_in_its_account_and_region(self):
        datastore_id = self.create_get_list(self.client(*ALICE, region="eu-west-1"), "eu-west-1", ALICE_ACCOUNT)
        # The same credential in another region is another namespace.
        other_region = self.client(*ALICE, region="us-west-2")
        with self.assertRaises(other_region.exceptions.ResourceNotFoundException):
            other_region.get_datastore(datastoreId=datastore_id)
        calls = self.journal(f"accountId={ALICE_ACCOUNT}&region=eu-west-1&datastoreId={datastore_id}")
        self.assertTrue(calls and all(c["accessKeyId"] == ALICE[0] and c["status"] == 200 for c in calls), calls)

    def test_credential_added_at_run_time_works_at_once_and_removed_is_unrecognized(self):
        key, secret, account = f"AKIAPYRUN{secrets.token_hex(6).upper()}", secrets.token_urlsafe(30), "246802468024"
        added = self.control("POST", "credentials",
                             {"accessKeyId": key, "secretAccessKey": secret, "accountId": account})
        self.assertEqual([c["accessKeyId"] for c in added["credentials"]], [key])
        removed = []
        self.addCleanup(lambda: removed or self.control("DELETE", f"credentials/{key}"))
        client = self.client(key, secret, region="us-east-2")
        datastore_id = self.create_get_list(client, "us-east-2", account)

        # Its principal, with no principalArn, is arn:aws:iam::<account>:user/<access key id>. Once a
        # statement names it, what no Allow covers is refused too.
        principal = f"arn:aws:iam::{account}:user/{key}"
        policy = self.control("POST", "policies", {"effect": "Deny", "principal": principal,
                                                   "actions": ["medical-imaging:ListDatastores"], "resources": ["*"]})
        try:
            with self.assertRaises(client.exceptions.AccessDeniedException) as caught:
                client.list_datastores()
            self.assertEqual(caught.exception.response["Error"]["Message"],
                             f"User: {principal} is not authorized to perform: medical-imaging:ListDatastores on "
                             "resource: * with an explicit deny in an identity-based policy")
            with self.assertRaises(client.exceptions.AccessDeniedException) as caught:
                client.get_datastore(datastoreId=datastore_id)
            self.assertEqual(caught.exception.response["Error"]["Message"],
                             f"User: {principal} is not authorized to perform: medical-imaging:GetDatastore on "
                             f"resource: {datastore_arn('us-east-2', account, datastore_id)} because no "
                             "identity-based policy allows the medical-imaging:GetDatastore action")
        finally:
            self.control("DELETE", f"policies/{policy['policies'][0]['id']}")
        client.get_datastore(datastoreId=datastore_id)

        self.control("DELETE", f"credentials/{key}")
        removed.append(key)
        self.assert_refused("UnrecognizedClientException", client.list_datastores, INVALID_TOKEN)

    def test_temporary_credentials_work_with_their_session_token_and_not_without(self):
        key, secret, token = TEMPORARY
        self.create_get_list(self.client(key, secret, token, region="ap-southeast-2"), "ap-southeast-2",
                             TEMPORARY_ACCOUNT)
        self.assert_refused("UnrecognizedClientException", lambda: self.client(key, secret).list_datastores(),
                            INVALID_TOKEN)
        self.assert_refused("UnrecognizedClientException",
                            lambda: self.client(key, secret, token + "-other").list_datastores(), INVALID_TOKEN)
        # A session token with a long-term credential, which has none, is refused the same way.
        self.assert_refused("UnrecognizedClientException", lambda: self.client(*ALICE, token).list_datastores(),
                            INVALID_TOKEN)

    def test_unknown_key_wrong_secret_and_expired_credential_are_refused(self):
        unknown = self.assert_refused(
            "UnrecognizedClientException", lambda: self.client("AKIAAUTHNOBODY000001", ALICE[1]).list_datastores(),
            INVALID_TOKEN)
        # Not in the service model: botocore raises the plain ClientError, not a modeled class.
        self.assertIs(type(unknown), ClientError)
        self.assert_refused(
            "InvalidSignatureException", lambda: self.client(ALICE[0], "not-the-secret").list_datastores(),
            re.compile(r"^The request signature we calculated does not match the signature you provided\."))
        self.assert_refused("ExpiredTokenException", lambda: self.client(*EXPIRED).list_datastores(),
                            "The security token included in the request is expired")

    def test_unsigned_request_is_missing_authentication_token(self):
        for method, body in (("GET", None), ("POST", json.dumps({"datastoreName": unique("unsigned")}).encode())):
            with self.subTest(method=method):
                req = urllib.request.Request(f"{self.server.endpoint}/datastore", data=body, method=method,
                                             headers={"Content-Type": "application/json"})
                with self.assertRaises(urllib.error.HTTPError) as caught:
                    urllib.request.urlopen(req, timeout=10)
                with caught.exception as res:
                    self.assertEqual(res.code, 403)
                    self.assertEqual(res.headers["x-amzn-ErrorType"], "MissingAuthenticationTokenException")
                    self.assertEqual(json.load(res), {"message": "Missing Authentication Token"})

    def test_authorization_without_a_signature_is_incomplete_signature(self):
        amz_date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        authorization = (f"AWS4-HMAC-SHA256 Credential={ALICE[0]}/{amz_date[:8]}/us-east-1/medical-imaging/"
                         "aws4_request, SignedHeaders=host;x-amz-date")
        req = urllib.request.Request(f"{self.server.endpoint}/datastore",
                                     headers={"Authorization": authorization, "X-Amz-Date": amz_date})
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(req, timeout=10)
        with caught.exception as res:
            self.assertEqual(res.code, 403)
            self.assertEqual(res.headers["x-amzn-ErrorType"], "IncompleteSignatureException")
            self.assertEqual(json.load(res), {"message": "Authorization header requires 'Signature' parameter. "
                                                         f"Authorization={authorization}"})

    def test_clock_skew_of_20_minutes_is_refused_and_not_retried(self):
        # botocore signs with botocore.auth.get_current_datetime(); shifting it shifts X-Amz-Date.
        # Observed: botocore neither corrects its clock from the answer's Date nor retries
        # InvalidSignatureException: one attempt, refused, is all the journal has.
        region = "ca-central-1"  # this test's alone, so the journal filtered by it shows its calls only
        client = self.client(*ALICE, region=region)
        real_now = botocore.auth.get_current_datetime
        stamp = r"\d{8}T\d{6}Z"
        for minutes, expected in (
                (-20, rf"^Signature expired: {stamp} is now earlier than {stamp} \({stamp} - 15 min\.\)$"),
                (20, rf"^Signature not yet current: {stamp} is still later than {stamp} \({stamp} \+ 15 min\.\)$")):
            with self.subTest(minutes=minutes):
                shift = datetime.timedelta(minutes=minutes)
                with mock.patch("botocore.auth.get_current_datetime", lambda *a, **k: real_now(*a, **k) + shift):
                    self.assert_refused("InvalidSignatureException", client.list_datastores, re.compile(expected))
        # With the real clock again, the same client's calls go through.
        client.list_datastores()
        calls = self.journal(f"accountId={ALICE_ACCOUNT}&region={region}")
        self.assertEqual([(c["operation"], c["status"], c.get("errorType")) for c in calls],
                         [("ListDatastores", 403, "InvalidSignatureException")] * 2 + [("ListDatastores", 200, None)])

    def test_policies_allow_reads_deny_delete_and_a_policy_added_at_run_time_applies_at_once(self):
        client = self.client(*READER)
        props = client.get_datastore(datastoreId=READER_DATASTORE)["datastoreProperties"]
        self.assertEqual(props["datastoreArn"], READER_DATASTORE_ARN)
        listed = [s["datastoreId"] for s in client.list_datastores()["datastoreSummaries"]]
        self.assertIn(READER_DATASTORE, listed)
        client.list_dicom_import_jobs(datastoreId=READER_DATASTORE)

        def denied(call, message):
            with self.assertRaises(client.exceptions.AccessDeniedException) as caught:
                call()
            e = caught.exception
            self.assertEqual(e.response["Error"]["Code"], "AccessDeniedException")
            self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 403)
            self.assertEqual(e.response["Error"]["Message"], message)

        def explicit_deny(op, resource):
            return (f"User: {READER_ARN} is not authorized to perform: medical-imaging:{op} on resource: {resource} "
                    "with an explicit deny in an identity-based policy")

        def no_allow(op, resource):
            return (f"User: {READER_ARN} is not authorized to perform: medical-imaging:{op} on resource: {resource} "
                    f"because no identity-based policy allows the medical-imaging:{op} action")

        denied(lambda: client.delete_datastore(datastoreId=READER_DATASTORE),
               explicit_deny("DeleteDatastore", READER_DATASTORE_ARN))
        denied(lambda: client.create_datastore(datastoreName=unique("reader")), no_allow("CreateDatastore", "*"))

        added = []

        def remove_added():
            while added:
                self.control("DELETE", f"policies/{added.pop()}")

        self.addCleanup(remove_added)
        allow = self.control("POST", "policies", {"effect": "Allow", "principal": READER_ARN,
                                                  "actions": ["medical-imaging:CreateDatastore"], "resources": ["*"]})
        added += [p["id"] for p in allow["policies"]]
        created = client.create_datastore(datastoreName=unique("reader"))
        arn = datastore_arn("us-east-1", "777788889999", created["datastoreId"])
        # The fixture's Deny covers every data store of the account, the new one too.
        denied(lambda: client.delete_datastore(datastoreId=created["datastoreId"]),
               explicit_deny("DeleteDatastore", arn))

        # An explicit Deny added now beats the fixture's Allow on Get*, for that data store only.
        deny = self.control("POST", "policies", {"effect": "Deny", "principal": READER_ARN,
                                                 "actions": ["medical-imaging:GetDatastore"], "resources": [arn]})
        added += [p["id"] for p in deny["policies"]]
        denied(lambda: client.get_datastore(datastoreId=created["datastoreId"]), explicit_deny("GetDatastore", arn))
        client.get_datastore(datastoreId=READER_DATASTORE)

        # Removed again: CreateDatastore is back to "no identity-based policy allows".
        remove_added()
        denied(lambda: client.create_datastore(datastoreName=unique("reader")), no_allow("CreateDatastore", "*"))
        client.get_datastore(datastoreId=created["datastoreId"])

        refused = self.journal("accountId=777788889999&status=403")
        self.assertGreaterEqual(len(refused), 5)
        self.assertTrue(all(r["errorType"] == "AccessDeniedException" and r["accessKeyId"] == READER[0]
                            for r in refused), refused)


class NamespaceTest(AuthTestCase):
    POLL_INTERVAL_S = 0.05
    MAX_POLLS = 20

    def poll(self, what, read, done):
        for n in range(1, self.MAX_POLLS + 1):
            value = read()
            if done(value):
                return value
            time.sleep(self.POLL_INTERVAL_S)
        self.fail(f"{what}: not done after {self.MAX_POLLS} polls")

    class Flow:
        """One suite's client and what it did; call() records the request id of every answer."""

        def __init__(self, client, account, region):
            self.client, self.account, self.region = client, account, region
            self.ids = []
            self.request_ids = []

        def call(self, operation, **params):
            try:
                out = getattr(self.client, operation)(**params)
            except ClientError as e:
                self.request_ids.append(e.response["ResponseMetadata"]["RequestId"])
                raise
            self.request_ids.append(out["ResponseMetadata"]["RequestId"])
            return out

        def list_ids(self):
            return sorted(s["datastoreId"] for s in self.call("list_datastores")["datastoreSummaries"])

    def run_flow(self, flow, start):
        """Two data stores polled to ACTIVE, an import job in each polled to COMPLETED, the lists."""
        start.wait(timeout=10)
        for n in (1, 2):
            flow.ids.append(flow.call("create_datastore", datastoreName=unique(f"ns{n}"))["datastoreId"])
        for datastore_id in flow.ids:
            props = self.poll(f"{datastore_id} ACTIVE",
                              lambda: flow.call("get_datastore", datastoreId=datastore_id)["datastoreProperties"],
                              lambda p: p["datastoreStatus"] == "ACTIVE")
            self.assertEqual(props["datastoreArn"], datastore_arn(flow.region, flow.account, datastore_id))
            job_id = flow.call("start_dicom_import_job", datastoreId=datastore_id, jobName="sdk-py-auth-ns",
                               dataAccessRoleArn=f"arn:aws:iam::{flow.account}:role/HealthImagingImportRole",
                               inputS3Uri=f"s3://sdk-py-auth-{flow.account}/in/",
                               outputS3Uri=f"s3://sdk-py-auth-{flow.account}/out/")["jobId"]
            self.poll(f"job {job_id}", lambda: flow.call("get_dicom_import_job", datastoreId=datastore_id,
                                                         jobId=job_id)["jobProperties"],
                      lambda j: j["jobStatus"] == "COMPLETED")
            jobs = flow.call("list_dicom_import_jobs", datastoreId=datastore_id)["jobSummaries"]
            self.assertEqual([j["jobId"] for j in jobs], [job_id])
        self.assertEqual(flow.list_ids(), sorted(flow.ids), f"{flow.account}/{flow.region} lists exactly its own")

    def test_auth_off_known_credential_picks_the_namespace_without_a_signature_check(self):
        account = "343434343434"  # this test's alone
        key = f"AKIAPYOFF{secrets.token_hex(6).upper()}"
        self.control("POST", f"reset?accountId={account}")
        self.addCleanup(self.control, "POST", f"reset?accountId={account}")
        self.control("POST", "credentials",
                     {"accessKeyId": key, "secretAccessKey": "the-real-secret", "accountId": account})
        removed = []
        self.addCleanup(lambda: removed or self.control("DELETE", f"credentials/{key}"))
        client = self.client(key, "not-the-real-secret", region="us-east-2")
        datastore_id = client.create_datastore(datastoreName=unique("off"))["datastoreId"]
        props = client.get_datastore(datastoreId=datastore_id)["datastoreProperties"]
        self.assertEqual(props["datastoreArn"], datastore_arn("us-east-2", account, datastore_id))
        calls = self.journal(f"accountId={account}")
        self.assertEqual([(e["operation"], e["accessKeyId"], e["region"], e["status"]) for e in calls],
                         [("CreateDatastore", key, "us-east-2", 200), ("GetDatastore", key, "us-east-2", 200)])

        # Without the credential, the same key (not 12 digits) is the default account 123456789012.
        self.control("DELETE", f"credentials/{key}")
        removed.append(key)
        with self.assertRaises(client.exceptions.ResourceNotFoundException):
            client.get_datastore(datastoreId=datastore_id)

    def test_parallel_clients_of_other_accounts_or_regions_never_see_each_others_data(self):
        for account in ("333333333333", "444444444444"):
            self.control("POST", f"reset?accountId={account}")
        self.addCleanup(self.control, "POST", "reset?accountId=444444444444")
        # Clients are made here: making them is not thread-safe; using them is.
        one, two, one_eu = flows = [
            self.Flow(self.client(account, "any-secret-will-do", region=region), account, region)
            for account, region in (("333333333333", "us-east-1"), ("444444444444", "us-east-1"),
                                    ("333333333333", "eu-west-1"))]
        start = threading.Barrier(len(flows))
        with concurrent.futures.ThreadPoolExecutor(len(flows)) as pool:
            for done in [pool.submit(self.run_flow, f, start) for f in flows]:
                done.result()

        # After all three: each still lists only its own, and cannot read the others' by id.
        for f in flows:
            self.assertEqual(f.list_ids(), sorted(f.ids))
            for other in (o for o in flows if o is not f):
                with self.assertRaises(f.client.exceptions.ResourceNotFoundException,
                                       msg=f"{f.account}/{f.region} reads {other.account}/{other.region}'s"):
                    f.call("get_datastore", datastoreId=other.ids[0])

        # The journal by namespace holds exactly the calls each namespace's clients were answered.
        j1 = self.journal("accountId=333333333333")
        j2 = self.journal("accountId=444444444444")
        j1_eu = self.journal("accountId=333333333333&region=eu-west-1")
        self.assertTrue(all(e["accountId"] == "333333333333" and e["accessKeyId"] == "333333333333" for e in j1), j1)
        self.assertTrue(all(e["accountId"] == "444444444444" and e["accessKeyId"] == "444444444444" for e in j2), j2)
        self.assertTrue(all(e["region"] == "eu-west-1" for e in j1_eu), j1_eu)
        self.assertEqual(sorted(e["requestId"] for e in j1), sorted(one.request_ids + one_eu.request_ids))
        self.assertEqual(sorted(e["requestId"] for e in j2), sorted(two.request_ids))
        self.assertEqual(sorted(e["requestId"] for e in j1_eu), sorted(one_eu.request_ids))

        # Reset one region of account 1: that namespace is empty, the others untouched.
        self.control("POST", "reset?accountId=333333333333&region=eu-west-1")
        self.assertEqual(one_eu.list_ids(), [])
        self.assertEqual(one.list_ids(), sorted(one.ids))

        # Reset account 1 (every region): its data stores and journal entries go; account 2 keeps its own.
        self.assertEqual(self.control("POST", "reset?accountId=333333333333")["status"], "reset")
        before_reset = set(one.request_ids)
        self.assertEqual(one.list_ids(), [])
        self.assertEqual(two.list_ids(), sorted(two.ids))
        with self.assertRaises(one.client.exceptions.ResourceNotFoundException):
            one.call("get_datastore", datastoreId=one.ids[0])
        state2 = self.control("GET", "state?accountId=444444444444")
        self.assertEqual(sorted(d["datastoreId"] for d in state2["datastores"]), sorted(two.ids))
        self.assertTrue(all(d["accountId"] == "444444444444" and d["region"] == "us-east-1"
                            for d in state2["datastores"]), state2)
        self.assertEqual(self.control("GET", "state?accountId=333333333333")["datastores"], [])
        # Account 1's journal now holds only the calls made since the reset (the list and the Get
        # above); account 2's still has every call of its flow.
        after_reset = self.journal("accountId=333333333333")
        self.assertEqual([(e["operation"], e["status"]) for e in after_reset],
                         [("ListDatastores", 200), ("GetDatastore", 404)])
        self.assertTrue(all(e["requestId"] not in before_reset for e in after_reset), after_reset)
        j2_after = {e["requestId"] for e in self.journal("accountId=444444444444")}
        self.assertTrue(set(two.request_ids) <= j2_after, "account 2's journal entries stay")


if __name__ == "__main__":
    unittest.main()
