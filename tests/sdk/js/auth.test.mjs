// Authentication, access policies and namespaces through the AWS SDK for JavaScript v3.
//
// "--auth sigv4": a server of this suite's own, started with that flag and fixtures/auth.json
// (its credentials and policies), so it needs HIL_BINARY; against HIL_SDK_ENDPOINT alone those
// tests are skipped. They cover signed calls of long-term and temporary credentials, the five
// 403s of a refused signature (the SDK's names for them, its $fault, the raw HTTP answers of
// unsigned and half-signed calls), the SDK's clock-skew correction, credentials and identity-based policies
// added at run time, and the fixture's policies.
//
// "namespaces": the default server (auth off: HIL_SDK_ENDPOINT when given). Clients whose
// 12-digit access key ids (the account) or regions differ run their flows at the same time and
// never see each other's data; the journal and a namespace reset are per namespace; a known
// credential's accountId picks the namespace without its signature being checked. The accounts
// 111111111111, 222222222222 and 121212121212 are this suite's alone (the boto3 suite uses
// others), so a shared server is fine: the tests reset them first.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import {
  AccessDeniedException,
  CreateDatastoreCommand,
  DeleteDatastoreCommand,
  GetDatastoreCommand,
  GetDICOMImportJobCommand,
  ListDatastoresCommand,
  ListDICOMImportJobsCommand,
  MedicalImagingClient,
  MedicalImagingServiceException,
  ResourceNotFoundException,
  StartDICOMImportJobCommand,
} from "@aws-sdk/client-medical-imaging";

import { can_start_server, use_server } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const auth_fixture = path.resolve(here, "../fixtures/auth.json");

// The credentials of fixtures/auth.json.
const alice = {  // long-term, account 111122223333, no policy names her: everything allowed
  accessKeyId: "AKIAAUTHALICE0000001",
  secretAccessKey: "aliceSecretKey/K7MDENG+bPxRfiCYEXAMPLEKEY1",
};
const alice_account = "111122223333";
const temporary = {  // temporary (session token, expires in 2100), account 444455556666
  accessKeyId: "ASIAAUTHTEMP00000001",
  secretAccessKey: "tempSecretKey/K7MDENG+bPxRfiCYEXAMPLEKEY01",
  sessionToken: "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN//auth-tests/0001",
};
const temporary_account = "444455556666";
const expired = {  // temporary, expired on 2024-01-01
  accessKeyId: "ASIAAUTHEXPIRED00001",
  secretAccessKey: "expiredSecretKey/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN//auth-tests/0002",
};
const reader = {  // account 777788889999: Allow Get* and List*, Deny DeleteDatastore
  accessKeyId: "AKIAAUTHREADER000001",
  secretAccessKey: "readerSecretKey/K7MDENG+bPxRfiCYEXAMPLEKEY0",
};
const reader_arn = "arn:aws:iam::777788889999:user/sdk-reader";
const reader_datastore = "authreaderdatastore0000000000001";  // seeded in 777788889999 / us-east-1
const reader_datastore_arn = `arn:aws:medical-imaging:us-east-1:777788889999:datastore/${reader_datastore}`;

const invalid_token = "The security token included in the request is invalid.";

const datastore_arn = (region, account, id) => `arn:aws:medical-imaging:${region}:${account}:datastore/${id}`;
const run = randomBytes(4).toString("hex");
const unique = (tag) => `sdk-js-auth-${tag}-${run}-${randomBytes(3).toString("hex")}`;

// The control API (never signed). HIL_ADMIN_TOKEN is sent when the server was started with --admin-token.
async function control(endpoint, method, path_and_query, body) {
  const headers = { "content-type": "application/json" };
  if (process.env.HIL_ADMIN_TOKEN) headers.authorization = `Bearer ${process.env.HIL_ADMIN_TOKEN}`;
  const res = await fetch(`${endpoint}/_emulator/${path_and_query}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} /_emulator/${path_and_query}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const journal = async (endpoint, query) => (await control(endpoint, "GET", `requests?${query}`)).requests;

// `promise` must reject with an error the SDK names `name`, a 403 client fault; `check` looks further.
function expect_refusal(promise, name, check = () => {}) {
  return assert.rejects(promise, (err) => {
    assert.equal(err.name, name, `expected ${name}, got ${err?.name}: ${err?.message}`);
    assert.equal(err.$fault, "client");
    assert.equal(err.$metadata?.httpStatusCode, 403);
    assert.ok(err instanceof MedicalImagingServiceException, `${name} is a MedicalImagingServiceException`);
    check(err);
    return true;
  });
}

const sigv4_skip = !can_start_server() && "needs HIL_BINARY: a server started with --auth sigv4";

describe("--auth sigv4", { skip: sigv4_skip }, () => {
  const clients = [];
  after(() => clients.forEach((c) => c.destroy()));  // registered first, so it runs before the server stops
  const server = use_server({ flags: ["--auth", "sigv4"], fixtures: auth_fixture });
  // A client of these credentials, destroyed when the suite ends.
  const client = (credentials, extra = {}) => {
    const c = new MedicalImagingClient({ endpoint: server.endpoint, region: "us-east-1", credentials, ...extra });
    clients.push(c);
    return c;
  };

  async function create_get_list(c, region, account) {
    const datastoreName = unique("ds");
    const created = await c.send(new CreateDatastoreCommand({ datastoreName }));
    assert.equal(created.$metadata.httpStatusCode, 200);
    assert.equal(created.datastoreStatus, "CREATING");
    const arn = datastore_arn(region, account, created.datastoreId);

    const props = (await c.send(new GetDatastoreCommand({ datastoreId: created.datastoreId }))).datastoreProperties;
    assert.equal(props.datastoreName, datastoreName);
    assert.equal(props.datastoreArn, arn, "the ARN carries the credential's account and the client's region");

    const listed = (await c.send(new ListDatastoresCommand({}))).datastoreSummaries ?? [];
    const mine = listed.filter((s) => s.datastoreId === created.datastoreId);
    assert.equal(mine.length, 1, `listed once: ${JSON.stringify(listed)}`);
    assert.equal(mine[0].datastoreArn, arn);
    assert.ok(listed.every((s) => s.datastoreArn.startsWith(`arn:aws:medical-imaging:${region}:${account}:`)),
              `only the namespace's own data stores: ${JSON.stringify(listed)}`);
    return created.datastoreId;
  }

  test("a known long-term credential: Create, Get and List work in its account and the client's region", async () => {
    const id = await create_get_list(client(alice, { region: "eu-west-1" }), "eu-west-1", alice_account);
    // The same credential in another region is another namespace.
    await assert.rejects(client(alice, { region: "us-west-2" }).send(new GetDatastoreCommand({ datastoreId: id })),
                         ResourceNotFoundException);
    const calls = await journal(server.endpoint, `accountId=${alice_account}&region=eu-west-1&datastoreId=${id}`);
    assert.ok(calls.length >= 1 && calls.every((c) => c.accessKeyId === alice.accessKeyId && c.status === 200),
              JSON.stringify(calls));
  });

  test("a credential added at run time works on the next call; removed, UnrecognizedClientException", async () => {
    const credential = {
      accessKeyId: `AKIAJSRUN${randomBytes(6).toString("hex").toUpperCase()}`,
      secretAccessKey: randomBytes(20).toString("base64"),
    };
    const account = "135791357913";
    const added = await control(server.endpoint, "POST", "credentials", { ...credential, accountId: account });
    assert.deepEqual(added.credentials.map((c) => c.accessKeyId), [credential.accessKeyId]);
    let removed = false;
    try {
      const c = client(credential, { region: "us-east-2" });
      const id = await create_get_list(c, "us-east-2", account);

      // Its principal, with no principalArn, is arn:aws:iam::<account>:user/<access key id>. Once a
      // statement names it, what no Allow covers is refused too.
      const principal = `arn:aws:iam::${account}:user/${credential.accessKeyId}`;
      const { policies: [policy] } = await control(server.endpoint, "POST", "policies", {
        effect: "Deny", principal, actions: ["medical-imaging:ListDatastores"], resources: ["*"],
      });
      try {
        await assert.rejects(c.send(new ListDatastoresCommand({})), (err) => {
          assert.ok(err instanceof AccessDeniedException, `${err?.name}: ${err?.message}`);
          assert.equal(err.message, `User: ${principal} is not authorized to perform: medical-imaging:ListDatastores ` +
                                    "on resource: * with an explicit deny in an identity-based policy");
          return true;
        });
        await assert.rejects(c.send(new GetDatastoreCommand({ datastoreId: id })), (err) => {
          assert.ok(err instanceof AccessDeniedException, `${err?.name}: ${err?.message}`);
          assert.equal(err.message,
                       `User: ${principal} is not authorized to perform: medical-imaging:GetDatastore on resource: ` +
                       `${datastore_arn("us-east-2", account, id)} because no identity-based policy allows the ` +
                       "medical-imaging:GetDatastore action");
          return true;
        });
      } finally {
        await control(server.endpoint, "DELETE", `policies/${policy.id}`);
      }
      await c.send(new GetDatastoreCommand({ datastoreId: id }));

      await control(server.endpoint, "DELETE", `credentials/${credential.accessKeyId}`);
      removed = true;
      await expect_refusal(c.send(new ListDatastoresCommand({})), "UnrecognizedClientException",
                           (err) => assert.equal(err.message, invalid_token));
    } finally {
      if (!removed) await control(server.endpoint, "DELETE", `credentials/${credential.accessKeyId}`);
    }
  });

  test("temporary credentials (with their session token) work; without it, UnrecognizedClientException", async () => {
    await create_get_list(client(temporary, { region: "ap-southeast-2" }), "ap-southeast-2", temporary_account);

    const { sessionToken, ...no_token } = temporary;
    await expect_refusal(client(no_token).send(new ListDatastoresCommand({})), "UnrecognizedClientException",
                         (err) => assert.equal(err.message, invalid_token));
    const other_token = client({ ...temporary, sessionToken: `${sessionToken}-other` });
    await expect_refusal(other_token.send(new ListDatastoresCommand({})), "UnrecognizedClientException",
                         (err) => assert.equal(err.message, invalid_token));
    // A session token with a long-term credential, which has none, is refused the same way.
    await expect_refusal(client({ ...alice, sessionToken }).send(new ListDatastoresCommand({})),
                         "UnrecognizedClientException", (err) => assert.equal(err.message, invalid_token));
  });

  test("unknown key, wrong secret, expired credential: the SDK's names for the 403s, none retried", async () => {
    const list = (credentials) => client(credentials).send(new ListDatastoresCommand({}));
    await expect_refusal(list({ accessKeyId: "AKIAAUTHNOBODY000001", secretAccessKey: alice.secretAccessKey }),
                         "UnrecognizedClientException", (err) => {
      assert.equal(err.message, invalid_token);
      assert.equal(err.$metadata.attempts, 1);
    });
    await expect_refusal(list({ ...alice, secretAccessKey: "not-the-secret" }), "InvalidSignatureException", (err) => {
      const mismatch = "The request signature we calculated does not match the signature you provided.";
      assert.ok(err.message.startsWith(mismatch), err.message);
      // A wrong secret is not clock skew: the SDK does not retry it.
      assert.equal(err.$metadata.attempts, 1);
    });
    await expect_refusal(list(expired), "ExpiredTokenException", (err) => {
      assert.equal(err.message, "The security token included in the request is expired");
      assert.equal(err.$metadata.attempts, 1);
    });
  });

  test("SDK exception classes: AccessDeniedException is modeled; the signature 403s are not", async () => {
    const denied = client(reader).send(new CreateDatastoreCommand({ datastoreName: unique("denied") }));
    await assert.rejects(denied, (err) => {
      assert.ok(err instanceof AccessDeniedException, `got ${err?.constructor?.name}: ${err?.message}`);
      assert.ok(err instanceof MedicalImagingServiceException);
      assert.equal(err.name, "AccessDeniedException");
      assert.equal(err.$fault, "client");
      assert.equal(err.$metadata.httpStatusCode, 403);
      return true;
    });
    // Not in the service model: the SDK makes a MedicalImagingServiceException named after x-amzn-ErrorType.
    await expect_refusal(client(expired).send(new ListDatastoresCommand({})), "ExpiredTokenException", (err) => {
      assert.ok(!(err instanceof AccessDeniedException));
      assert.equal(err.constructor, MedicalImagingServiceException);
    });
  });

  test("unsigned: 403 MissingAuthenticationTokenException; no Signature: IncompleteSignatureException", async () => {
    const create_body = JSON.stringify({ datastoreName: unique("unsigned") });
    for (const [method, body] of [["GET", undefined], ["POST", create_body]]) {
      const headers = { "content-type": "application/json" };
      const res = await fetch(`${server.endpoint}/datastore`, { method, body, headers });
      assert.equal(res.status, 403, method);
      assert.equal(res.headers.get("x-amzn-errortype"), "MissingAuthenticationTokenException", method);
      assert.deepEqual(await res.json(), { message: "Missing Authentication Token" }, method);
    }
    const amz_date = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const authorization = `AWS4-HMAC-SHA256 Credential=${alice.accessKeyId}/${amz_date.slice(0, 8)}/us-east-1/` +
                          "medical-imaging/aws4_request, SignedHeaders=host;x-amz-date";
    const res = await fetch(`${server.endpoint}/datastore`, { headers: { authorization, "x-amz-date": amz_date } });
    assert.equal(res.status, 403);
    assert.equal(res.headers.get("x-amzn-errortype"), "IncompleteSignatureException");
    assert.deepEqual(await res.json(), {
      message: `Authorization header requires 'Signature' parameter. Authorization=${authorization}`,
    });
  });

  test("clock skew: 20 minutes slow, the first attempt is refused; the SDK corrects its clock, retries", async () => {
    // Observed: the first attempt is refused with InvalidSignatureException "Signature expired: ...";
    // the SDK (AwsSdkSigV4Signer's errorHandler) takes its clock offset from the answer's Date
    // header, marks the error clockSkewCorrected, and the retry strategy retries it at once:
    // the retry, signed with the corrected clock, succeeds. The caller sees success, attempts 2.
    const region = "ca-central-1";  // this test's alone, so the journal filtered by it shows its calls only
    const skewed = client(alice, { region, systemClockOffset: -20 * 60 * 1000 });
    const out = await skewed.send(new ListDatastoresCommand({}));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(out.$metadata.attempts, 2, "one refused attempt, then the corrected one");
    assert.ok(Math.abs(skewed.config.systemClockOffset) < 60_000,
              `offset corrected from the server's Date: ${skewed.config.systemClockOffset} ms`);
    const calls = await journal(server.endpoint, `accountId=${alice_account}&region=${region}`);
    assert.deepEqual(calls.map((c) => [c.operation, c.status, c.errorType]),
                     [["ListDatastores", 403, "InvalidSignatureException"], ["ListDatastores", 200, undefined]]);

    // With no retries the refusal itself shows, with AWS's message; the clock is corrected all the same.
    for (const [offset, start] of [[-20, "Signature expired: "], [20, "Signature not yet current: "]]) {
      const once = client(alice, { region, maxAttempts: 1, systemClockOffset: offset * 60 * 1000 });
      await expect_refusal(once.send(new ListDatastoresCommand({})), "InvalidSignatureException", (err) => {
        assert.ok(err.message.startsWith(start), err.message);
        assert.match(err.message, offset < 0 ? / is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/
                                             : / is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$/);
        assert.equal(err.$metadata.attempts, 1);
        assert.equal(err.$metadata.clockSkewCorrected, true);
      });
      assert.equal((await once.send(new ListDatastoresCommand({}))).$metadata.attempts, 1,
                   "the next call is signed with the corrected clock");
    }
  });

  test("policies: Allow Get*/List*, Deny DeleteDatastore; a policy added at run time applies at once", async () => {
    const c = client(reader);
    const props = (await c.send(new GetDatastoreCommand({ datastoreId: reader_datastore }))).datastoreProperties;
    assert.equal(props.datastoreArn, reader_datastore_arn);
    const listed = (await c.send(new ListDatastoresCommand({}))).datastoreSummaries.map((s) => s.datastoreId);
    assert.ok(listed.includes(reader_datastore), JSON.stringify(listed));
    await c.send(new ListDICOMImportJobsCommand({ datastoreId: reader_datastore }));

    const denied = async (promise, message) =>
      assert.rejects(promise, (err) => {
        assert.ok(err instanceof AccessDeniedException, `got ${err?.name}: ${err?.message}`);
        assert.equal(err.$metadata.httpStatusCode, 403);
        assert.equal(err.message, message);
        return true;
      });
    const explicit_deny = (op, resource) =>
      `User: ${reader_arn} is not authorized to perform: medical-imaging:${op} on resource: ${resource} ` +
      "with an explicit deny in an identity-based policy";
    const no_allow = (op, resource) =>
      `User: ${reader_arn} is not authorized to perform: medical-imaging:${op} on resource: ${resource} ` +
      `because no identity-based policy allows the medical-imaging:${op} action`;

    await denied(c.send(new DeleteDatastoreCommand({ datastoreId: reader_datastore })),
                 explicit_deny("DeleteDatastore", reader_datastore_arn));
    const create = () => c.send(new CreateDatastoreCommand({ datastoreName: unique("reader") }));
    await denied(create(), no_allow("CreateDatastore", "*"));

    const added = [];
    try {
      const allow = await control(server.endpoint, "POST", "policies", {
        effect: "Allow", principal: reader_arn, actions: ["medical-imaging:CreateDatastore"], resources: ["*"],
      });
      added.push(...allow.policies.map((p) => p.id));
      const created = await create();
      const arn = datastore_arn("us-east-1", "777788889999", created.datastoreId);
      // The fixture's Deny covers every data store of the account, the new one too.
      await denied(c.send(new DeleteDatastoreCommand({ datastoreId: created.datastoreId })),
                   explicit_deny("DeleteDatastore", arn));

      // An explicit Deny added now beats the fixture's Allow on Get*, for that data store only.
      const deny = await control(server.endpoint, "POST", "policies", {
        effect: "Deny", principal: reader_arn, actions: ["medical-imaging:GetDatastore"], resources: [arn],
      });
      added.push(...deny.policies.map((p) => p.id));
      await denied(c.send(new GetDatastoreCommand({ datastoreId: created.datastoreId })),
                   explicit_deny("GetDatastore", arn));
      await c.send(new GetDatastoreCommand({ datastoreId: reader_datastore }));

      // Removed again: CreateDatastore is back to "no identity-based policy allows".
      for (const id of added.splice(0)) await control(server.endpoint, "DELETE", `policies/${id}`);
      await denied(create(), no_allow("CreateDatastore", "*"));
      await c.send(new GetDatastoreCommand({ datastoreId: created.datastoreId }));
    } finally {
      for (const id of added) await control(server.endpoint, "DELETE", `policies/${id}`);
    }
    const refused = await journal(server.endpoint, "accountId=777788889999&status=403");
    assert.ok(refused.length >= 5, JSON.stringify(refused));
    assert.ok(refused.every((r) => r.errorType === "AccessDeniedException" && r.accessKeyId === reader.accessKeyId),
              JSON.stringify(refused));
  });
});

describe("namespaces", () => {
  const server = use_server();
  const poll_interval_ms = 50;
  const max_polls = 20;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function poll(what, read, done) {
    for (let n = 1; ; n++) {
      const value = await read();
      if (done(value)) return value;
      assert.ok(n < max_polls, `${what}: not done after ${max_polls} polls`);
      await sleep(poll_interval_ms);
    }
  }

  // One suite's flow in its namespace: two data stores polled to ACTIVE, an import job in each
  // polled to COMPLETED, the lists. Every request id the SDK was answered is recorded.
  async function flow({ account, region }) {
    const c = new MedicalImagingClient({
      endpoint: server.endpoint, region, credentials: { accessKeyId: account, secretAccessKey: "any-secret-will-do" },
    });
    const request_ids = [];
    const send = async (command) => {
      try {
        const out = await c.send(command);
        request_ids.push(out.$metadata.requestId);
        return out;
      } catch (err) {
        if (err.$metadata?.requestId) request_ids.push(err.$metadata.requestId);
        throw err;
      }
    };
    try {
      const ids = [];
      for (const n of [1, 2]) {
        ids.push((await send(new CreateDatastoreCommand({ datastoreName: unique(`ns${n}`) }))).datastoreId);
      }
      for (const datastoreId of ids) {
        const props = await poll(`${datastoreId} ACTIVE`,
                                 async () => (await send(new GetDatastoreCommand({ datastoreId }))).datastoreProperties,
                                 (p) => p.datastoreStatus === "ACTIVE");
        assert.equal(props.datastoreArn, datastore_arn(region, account, datastoreId));
        const { jobId } = await send(new StartDICOMImportJobCommand({
          datastoreId,
          jobName: "sdk-js-auth-ns",
          dataAccessRoleArn: `arn:aws:iam::${account}:role/HealthImagingImportRole`,
          inputS3Uri: `s3://sdk-js-auth-${account}/in/`,
          outputS3Uri: `s3://sdk-js-auth-${account}/out/`,
        }));
        await poll(`job ${jobId}`,
                   async () => (await send(new GetDICOMImportJobCommand({ datastoreId, jobId }))).jobProperties,
                   (j) => j.jobStatus === "COMPLETED");
        const jobs = (await send(new ListDICOMImportJobsCommand({ datastoreId }))).jobSummaries;
        assert.deepEqual(jobs.map((j) => j.jobId), [jobId]);
      }
      const listed = (await send(new ListDatastoresCommand({}))).datastoreSummaries.map((s) => s.datastoreId);
      assert.deepEqual([...listed].sort(), [...ids].sort(), `${account}/${region} lists exactly its own data stores`);
      return { account, region, client: c, send, ids, request_ids };
    } catch (e) {
      c.destroy();
      throw e;
    }
  }

  // The ids ListDatastores answers a flow (recorded like the flow's own calls).
  const list_ids = async (f) =>
    (await f.send(new ListDatastoresCommand({}))).datastoreSummaries.map((s) => s.datastoreId);

  test("auth off: a known credential's accountId picks the namespace, and its signature is not checked", async () => {
    const account = "121212121212";  // this test's alone
    const accessKeyId = `AKIAJSOFF${randomBytes(6).toString("hex").toUpperCase()}`;
    await control(server.endpoint, "POST", `reset?accountId=${account}`);
    await control(server.endpoint, "POST", "credentials",
                  { accessKeyId, secretAccessKey: "the-real-secret", accountId: account });
    const c = new MedicalImagingClient({
      endpoint: server.endpoint,
      region: "us-east-2",
      credentials: { accessKeyId, secretAccessKey: "not-the-real-secret" },
    });
    let removed = false;
    try {
      const { datastoreId } = await c.send(new CreateDatastoreCommand({ datastoreName: unique("off") }));
      const props = (await c.send(new GetDatastoreCommand({ datastoreId }))).datastoreProperties;
      assert.equal(props.datastoreArn, datastore_arn("us-east-2", account, datastoreId));
      const calls = await journal(server.endpoint, `accountId=${account}`);
      assert.deepEqual(calls.map((e) => [e.operation, e.accessKeyId, e.region, e.status]), [
        ["CreateDatastore", accessKeyId, "us-east-2", 200],
        ["GetDatastore", accessKeyId, "us-east-2", 200],
      ]);

      // Without the credential, the same key (not 12 digits) is the default account 123456789012.
      await control(server.endpoint, "DELETE", `credentials/${accessKeyId}`);
      removed = true;
      await assert.rejects(c.send(new GetDatastoreCommand({ datastoreId })), ResourceNotFoundException);
    } finally {
      c.destroy();
      if (!removed) await control(server.endpoint, "DELETE", `credentials/${accessKeyId}`);
      await control(server.endpoint, "POST", `reset?accountId=${account}`);
    }
  });

  test("clients of other accounts or regions, in parallel, never see each other's data; reset by namespace",
       async () => {
    for (const account of ["111111111111", "222222222222"]) {
      await control(server.endpoint, "POST", `reset?accountId=${account}`);
    }
    const flows = await Promise.all([
      flow({ account: "111111111111", region: "us-east-1" }),
      flow({ account: "222222222222", region: "us-east-1" }),
      flow({ account: "111111111111", region: "eu-west-1" }),
    ]);
    const [one, two, one_eu] = flows;
    try {
      // After all three: each still lists only its own, and cannot read the others' by id.
      for (const f of flows) {
        assert.deepEqual((await list_ids(f)).sort(), [...f.ids].sort());
        for (const other of flows.filter((o) => o !== f)) {
          await assert.rejects(f.send(new GetDatastoreCommand({ datastoreId: other.ids[0] })), (err) => {
            assert.ok(err instanceof ResourceNotFoundException,
                      `${f.account}/${f.region} reading ${other.account}/${other.region}'s data store: ${err}`);
            return true;
          });
        }
      }

      // The journal by namespace holds exactly the calls each namespace's clients were answered.
      const request_ids = (entries) => new Set(entries.map((e) => e.requestId));
      const j1 = await journal(server.endpoint, "accountId=111111111111");
      const j2 = await journal(server.endpoint, "accountId=222222222222");
      const j1_eu = await journal(server.endpoint, "accountId=111111111111&region=eu-west-1");
      const only = (entries, account) => entries.every((e) => e.accountId === account && e.accessKeyId === account);
      assert.ok(only(j1, "111111111111"), JSON.stringify(j1));
      assert.ok(only(j2, "222222222222"), JSON.stringify(j2));
      assert.ok(j1_eu.every((e) => e.region === "eu-west-1"), JSON.stringify(j1_eu));
      assert.deepEqual(request_ids(j1), new Set([...one.request_ids, ...one_eu.request_ids]));
      assert.equal(j1.length, one.request_ids.length + one_eu.request_ids.length, "no call journaled twice");
      assert.deepEqual(request_ids(j2), new Set(two.request_ids));
      assert.equal(j2.length, two.request_ids.length);
      assert.deepEqual(request_ids(j1_eu), new Set(one_eu.request_ids));

      // Reset one region of account 1: that namespace is empty, the others untouched.
      await control(server.endpoint, "POST", "reset?accountId=111111111111&region=eu-west-1");
      assert.deepEqual(await list_ids(one_eu), []);
      assert.deepEqual((await list_ids(one)).sort(), [...one.ids].sort());

      // Reset account 1 (every region): its data stores and journal entries go; account 2 keeps its own.
      const answer = await control(server.endpoint, "POST", "reset?accountId=111111111111");
      assert.equal(answer.status, "reset");
      const before_reset = new Set(one.request_ids);
      assert.deepEqual(await list_ids(one), []);
      assert.deepEqual((await list_ids(two)).sort(), [...two.ids].sort());
      await assert.rejects(one.send(new GetDatastoreCommand({ datastoreId: one.ids[0] })), ResourceNotFoundException);
      const state2 = await control(server.endpoint, "GET", "state?accountId=222222222222");
      assert.deepEqual(state2.datastores.map((d) => d.datastoreId).sort(), [...two.ids].sort());
      assert.ok(state2.datastores.every((d) => d.accountId === "222222222222" && d.region === "us-east-1"));
      const state1 = await control(server.endpoint, "GET", "state?accountId=111111111111");
      assert.deepEqual(state1.datastores, []);
      // Account 1's journal now holds only the calls made since the reset (the list and the Get
      // above); account 2's still has every call of its flow.
      const after_reset = await journal(server.endpoint, "accountId=111111111111");
      assert.deepEqual(after_reset.map((e) => [e.operation, e.status]),
                       [["ListDatastores", 200], ["GetDatastore", 404]]);
      assert.ok(after_reset.every((e) => !before_reset.has(e.requestId)), JSON.stringify(after_reset));
      const j2_after = request_ids(await journal(server.endpoint, "accountId=222222222222"));
      assert.ok(two.request_ids.every((id) => j2_after.has(id)), "account 2's journal entries stay");
    } finally {
      flows.forEach((f) => f.client.destroy());
      await control(server.endpoint, "POST", "reset?accountId=222222222222");
    }
  });
});
