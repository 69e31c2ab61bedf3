// The scenario engine through the AWS SDK for JavaScript v3: a polling loop over a job
// progression, retries through times-limited throttling (with and without Retry-After) and a
// dropped connection, and the request journal showing each attempt the SDK made.
//
// Works against a server this suite starts and against HIL_SDK_ENDPOINT: every job and fault
// is created here at run time through the control API, under job ids unique to this run,
// so nothing left by earlier runs or other suites is touched.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";

import { ConfiguredRetryStrategy } from "@smithy/core/retry";

import { datastore_id, dummy_credentials, get_job as get, make_client, use_server } from "./harness.mjs";

const server = use_server();

// A job id no other run uses: [0-9a-z], at most 32 characters.
const unique_job = (tag) => `js${tag}${randomBytes(8).toString("hex")}`;

// The control API. HIL_ADMIN_TOKEN is sent when the server was started with --admin-token.
async function control(method, path, body) {
  const headers = { "content-type": "application/json" };
  if (process.env.HIL_ADMIN_TOKEN) headers.authorization = `Bearer ${process.env.HIL_ADMIN_TOKEN}`;
  const res = await fetch(`${server.endpoint}/_emulator/${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} /_emulator/${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const job_document = (jobId, extra = {}) => ({
  jobId,
  datastoreId: datastore_id,
  jobName: "sdk-scenario",
  jobStatus: "SUBMITTED",
  dataAccessRoleArn: "arn:aws:iam::123456789012:role/HealthImagingImportRole",
  inputS3Uri: "s3://sdk-test-inbox/scenario/",
  outputS3Uri: "s3://sdk-test-outbox/scenario/",
  submittedAt: 1764403200.5,
  ...extra,
});

const add_job = (jobId, extra) => control("POST", "fixtures?mode=merge", { jobs: [job_document(jobId, extra)] });
const journal = async (jobId) => (await control("GET", `requests?jobId=${jobId}`)).requests;

// 3 attempts, 10 ms apart unless the server says otherwise with Retry-After.
const quick_client = () => make_client(server.endpoint, { retryStrategy: new ConfiguredRetryStrategy(3, 10) });

test("a polling loop waits for COMPLETED over a job progression", async () => {
  const jobId = unique_job("poll");
  await add_job(jobId, {
    progression: [
      { jobStatus: "IN_PROGRESS", afterPolls: 1 },
      { jobStatus: "COMPLETED", afterPolls: 3 },
    ],
  });
  const client = make_client(server.endpoint);
  try {
    const seen = [];
    let job;
    do {
      job = (await get(client, jobId)).jobProperties;
      seen.push(job.jobStatus);
      assert.ok(seen.length <= 10, `never completed: ${seen}`);
    } while (job.jobStatus !== "COMPLETED");
    assert.deepEqual(seen, ["SUBMITTED", "IN_PROGRESS", "IN_PROGRESS", "COMPLETED"]);
    assert.ok(job.endedAt instanceof Date, "a completed job carries endedAt");
    assert.ok(job.endedAt >= job.submittedAt);
  } finally {
    client.destroy();
  }
  const calls = await journal(jobId);
  assert.deepEqual(calls.map((c) => c.status), [200, 200, 200, 200]);
});

test("throttled twice without Retry-After: the SDK retries at its own pace; the journal has 3 attempts", async () => {
  const jobId = unique_job("thr");
  await add_job(jobId, { jobStatus: "COMPLETED", endedAt: 1764403500 });
  const [rule] = (await control("POST", "faults", { jobId, error: "ThrottlingException", times: 2 })).faults;
  const client = quick_client();
  try {
    const out = await get(client, jobId);
    assert.equal(out.jobProperties.jobStatus, "COMPLETED");
    assert.equal(out.$metadata.attempts, 3);
    assert.ok(out.$metadata.totalRetryDelay < 500, `backoff ${out.$metadata.totalRetryDelay} ms`);
  } finally {
    client.destroy();
  }
  const calls = await journal(jobId);
  assert.deepEqual(calls.map((c) => c.status), [429, 429, 200]);
  assert.deepEqual(calls.map((c) => c.faultId ?? null), [rule.id, rule.id, null]);
  assert.ok(calls.every((c) => c.accessKeyId === dummy_credentials.accessKeyId), JSON.stringify(calls));
  assert.ok(calls.every((c) => c.operation === "GetDICOMImportJob"));
  await control("DELETE", `faults/${rule.id}`);
});

test("throttled with Retry-After: 1: the SDK waits the second the server asks for", async () => {
  const jobId = unique_job("ra");
  await add_job(jobId, { jobStatus: "COMPLETED", endedAt: 1764403500 });
  const [rule] = (await control("POST", "faults", { jobId, error: "ThrottlingException", retryAfter: 1, times: 1 })).faults;
  const client = quick_client();
  try {
    const started = performance.now();
    const out = await get(client, jobId);
    assert.equal(out.$metadata.attempts, 2);
    // Without the header the configured backoff is 10 ms; the header makes it about 1 s.
    assert.ok(out.$metadata.totalRetryDelay >= 900, `backoff ${out.$metadata.totalRetryDelay} ms`);
    assert.ok(performance.now() - started >= 900);
  } finally {
    client.destroy();
  }
  assert.deepEqual((await journal(jobId)).map((c) => c.status), [429, 200]);
  await control("DELETE", `faults/${rule.id}`);
});

test("a dropped connection is retried by the SDK; the journal shows the dropped attempt", async () => {
  const jobId = unique_job("drop");
  await add_job(jobId, { jobStatus: "COMPLETED", endedAt: 1764403500 });
  const [rule] = (await control("POST", "faults", { jobId, dropConnection: true, times: 1 })).faults;
  const client = quick_client();
  try {
    const out = await get(client, jobId);
    assert.equal(out.jobProperties.jobId, jobId);
    assert.equal(out.$metadata.attempts, 2);
  } finally {
    client.destroy();
  }
  const calls = await journal(jobId);
  assert.equal(calls.length, 2);
  assert.equal(calls[0].status, 0);
  assert.equal(calls[0].dropped, true);
  assert.equal(calls[0].faultId, rule.id);
  assert.equal(calls[1].status, 200);
  const rules = (await control("GET", "faults")).faults.filter((f) => f.id === rule.id);
  assert.equal(rules[0].fired, 1);
  assert.equal(rules[0].times, 0);
  await control("DELETE", `faults/${rule.id}`);
});
