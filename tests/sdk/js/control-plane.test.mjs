// The control plane through the AWS SDK for JavaScript v3: data stores (create, poll to ACTIVE,
// list with the paginator, delete), import jobs started through the API (poll to COMPLETED or
// FAILED, list with the paginator), tags, idempotency tokens and the list operations' errors.
//
// Works against a server this suite starts and against HIL_SDK_ENDPOINT, which other suites use
// at the same time: every test creates its own data stores (names and client tokens unique to this
// run), and every assertion about a list is about the data stores and jobs the test created.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";

import {
  ConflictException,
  CreateDatastoreCommand,
  DeleteDatastoreCommand,
  GetDatastoreCommand,
  GetDICOMImportJobCommand,
  ListDatastoresCommand,
  ListDICOMImportJobsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  StartDICOMImportJobCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ValidationException,
  paginateListDatastores,
  paginateListDICOMImportJobs,
} from "@aws-sdk/client-medical-imaging";

import { datastore_id as fixture_datastore_id, use_server } from "./harness.mjs";

const server = use_server({ client: {} });
const send = (command) => server.client.send(command);

const run = randomBytes(4).toString("hex");
const unique_name = (tag) => `sdk-js-cp-${tag}-${run}`;
const unique_token = (tag) => `js-${tag}-${randomBytes(12).toString("hex")}`;

const role_arn = "arn:aws:iam::123456789012:role/HealthImagingImportRole";
const input_s3_uri = "s3://sdk-js-inbox/control-plane/";
const output_s3_uri = "s3://sdk-js-outbox/control-plane/";
const failing_input_s3_uri = "s3://sdk-failing-inbox/batch-1/";
// The importRules entry of fixtures/sdk-scenario.json.
const failing_message = "Input prefix s3://sdk-failing-inbox/ is not readable by the data access role";

const arn_of = (datastoreId) => `arn:aws:medical-imaging:us-east-1:123456789012:datastore/${datastoreId}`;
const unknown_datastore_id = `${"0".repeat(31)}1`;

// Polling as user code does it: every 0.1 s, at most 20 times.
const poll_interval_ms = 100;
const max_polls = 20;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll(what, read, done) {
  const seen = [];
  for (;;) {
    const value = await read();
    seen.push(value.status);
    if (done(value.status)) return { seen, last: value.last };
    assert.ok(seen.length < max_polls, `${what}: not done after ${max_polls} polls: ${seen}`);
    await sleep(poll_interval_ms);
  }
}

// Polls GetDatastore until the data store reaches `status`; answers every status seen, in order.
const poll_datastore = (datastoreId, status) =>
  poll(`data store ${datastoreId} to ${status}`, async () => {
    const props = (await send(new GetDatastoreCommand({ datastoreId }))).datastoreProperties;
    return { status: props.datastoreStatus, last: props };
  }, (s) => s === status);

// Polls GetDICOMImportJob until the job is COMPLETED or FAILED.
const poll_job = (datastoreId, jobId) =>
  poll(`job ${jobId}`, async () => {
    const job = (await send(new GetDICOMImportJobCommand({ datastoreId, jobId }))).jobProperties;
    return { status: job.jobStatus, last: job };
  }, (s) => s === "COMPLETED" || s === "FAILED");

async function create_datastore(tag, extra = {}) {
  const datastoreName = unique_name(tag);
  const out = await send(new CreateDatastoreCommand({ datastoreName, ...extra }));
  return { datastoreName, ...out };
}

async function create_active_datastore(tag, extra) {
  const created = await create_datastore(tag, extra);
  await poll_datastore(created.datastoreId, "ACTIVE");
  return created;
}

const job_input = (datastoreId, tag, extra = {}) => ({
  datastoreId,
  jobName: `sdk-js-cp-${tag}`,
  dataAccessRoleArn: role_arn,
  inputS3Uri: input_s3_uri,
  outputS3Uri: output_s3_uri,
  ...extra,
});

const start_job = (input) => send(new StartDICOMImportJobCommand(input));

// `promise` must reject with the client package's `type`; `check` may look further at the error.
function expect_error(promise, type, check = () => {}) {
  return assert.rejects(promise, (err) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.name, type.name);
    check(err);
    return true;
  });
}

// Every summary of `ids` across the pages, and the pages themselves. A nextToken seen twice
// would make the paginator loop for ever, so that fails at once; so do more than `max_pages` pages.
async function collect(paginator, id_of, ids, max_pages = 1000) {
  const pages = [];
  const tokens = new Set();
  for await (const page of paginator) {
    pages.push(page);
    if (page.nextToken === undefined) continue;
    assert.ok(!tokens.has(page.nextToken), `nextToken repeated after ${pages.length} pages: ${page.nextToken}`);
    tokens.add(page.nextToken);
    assert.ok(pages.length < max_pages, `more than ${max_pages} pages`);
  }
  const items = pages.flatMap((p) => p.datastoreSummaries ?? p.jobSummaries ?? []);
  return { pages, mine: items.filter((item) => ids.includes(id_of(item))) };
}

const count = (list, value) => list.filter((v) => v === value).length;

test("CreateDatastore answers a new id and CREATING; GetDatastore goes CREATING, then ACTIVE", async () => {
  const created = await create_datastore("create");
  assert.match(created.datastoreId, /^[0-9a-z]{32}$/);
  assert.equal(created.datastoreStatus, "CREATING");
  assert.equal(created.$metadata.httpStatusCode, 200);

  const { seen, last: props } = await poll_datastore(created.datastoreId, "ACTIVE");
  assert.equal(seen[0], "CREATING", `the first GetDatastore after create: ${seen}`);
  assert.ok(seen.slice(0, -1).every((s) => s === "CREATING"), `only CREATING before ACTIVE: ${seen}`);
  assert.equal(props.datastoreId, created.datastoreId);
  assert.equal(props.datastoreName, created.datastoreName);
  assert.equal(props.datastoreStatus, "ACTIVE");
  assert.equal(props.datastoreArn, arn_of(created.datastoreId));
  assert.ok(props.createdAt instanceof Date, `createdAt: ${props.createdAt}`);
  assert.ok(props.updatedAt instanceof Date, `updatedAt: ${props.updatedAt}`);
  assert.ok(props.updatedAt >= props.createdAt, `updatedAt ${props.updatedAt} before createdAt ${props.createdAt}`);
});

test("paginateListDatastores yields each new data store once; the datastoreStatus filter holds for them", async () => {
  // `creating` is never polled, so it stays CREATING; the other two are polled to ACTIVE.
  const active = [await create_active_datastore("list-a"), await create_active_datastore("list-b")];
  const creating = await create_datastore("list-c");
  const ids = [...active.map((d) => d.datastoreId), creating.datastoreId];
  const id_of = (s) => s.datastoreId;

  const only_creating = await collect(
    paginateListDatastores({ client: server.client, pageSize: 1 }, { datastoreStatus: "CREATING" }), id_of, ids);
  assert.deepEqual(only_creating.mine.map(id_of), [creating.datastoreId],
                   `CREATING filter, among ours: ${JSON.stringify(only_creating.mine)}`);
  assert.ok(only_creating.pages.every((p) => (p.datastoreSummaries ?? []).length <= 1), "pageSize 1 honoured");

  const only_active = await collect(
    paginateListDatastores({ client: server.client, pageSize: 1 }, { datastoreStatus: "ACTIVE" }), id_of, ids);
  for (const d of active) {
    assert.equal(count(only_active.mine.map(id_of), d.datastoreId), 1, `${d.datastoreId} once under ACTIVE`);
  }
  assert.ok(only_active.mine.every((s) => s.datastoreStatus === "ACTIVE"), JSON.stringify(only_active.mine));

  const all = await collect(paginateListDatastores({ client: server.client, pageSize: 2 }, {}), id_of, ids);
  assert.ok(all.pages.every((p) => (p.datastoreSummaries ?? []).length <= 2), "pageSize 2 honoured");
  for (const id of ids) assert.equal(count(all.mine.map(id_of), id), 1, `${id} exactly once across the pages`);
  for (const s of all.mine) {
    const d = [...active, creating].find((x) => x.datastoreId === s.datastoreId);
    assert.equal(s.datastoreName, d.datastoreName);
    assert.equal(s.datastoreArn, arn_of(s.datastoreId));
  }
});

test("StartDICOMImportJob: Conflict while CREATING; once ACTIVE, SUBMITTED, then IN_PROGRESS, COMPLETED", async () => {
  const { datastoreId } = await create_datastore("import");
  await expect_error(start_job(job_input(datastoreId, "too-early")), ConflictException,
                     (err) => assert.equal(err.$metadata.httpStatusCode, 409));

  await poll_datastore(datastoreId, "ACTIVE");
  const input = job_input(datastoreId, "import");
  const started = await start_job(input);
  assert.equal(started.datastoreId, datastoreId);
  assert.match(started.jobId, /^[0-9a-z]{1,32}$/);
  assert.equal(started.jobStatus, "SUBMITTED");
  assert.ok(started.submittedAt instanceof Date, `submittedAt: ${started.submittedAt}`);

  const { seen, last: job } = await poll_job(datastoreId, started.jobId);
  assert.deepEqual(seen, ["IN_PROGRESS", "COMPLETED"]);
  assert.equal(job.jobId, started.jobId);
  assert.equal(job.datastoreId, datastoreId);
  assert.equal(job.jobName, input.jobName);
  assert.equal(job.inputS3Uri, input.inputS3Uri);
  assert.equal(job.dataAccessRoleArn, input.dataAccessRoleArn);
  assert.equal(job.outputS3Uri, `${output_s3_uri}${datastoreId}-DicomImport-${started.jobId}/`);
  assert.ok(job.submittedAt instanceof Date);
  assert.ok(job.endedAt instanceof Date, "a COMPLETED job carries endedAt");
  assert.ok(job.endedAt >= job.submittedAt, `endedAt ${job.endedAt} before submittedAt ${job.submittedAt}`);
  assert.ok(!("message" in job), `no message on a COMPLETED job: ${job.message}`);
});

test("an input prefix matched by the fixture's importRules fails the job with the rule's message", async () => {
  const { datastoreId } = await create_active_datastore("failing");
  const started = await start_job(job_input(datastoreId, "failing", { inputS3Uri: failing_input_s3_uri }));
  assert.equal(started.jobStatus, "SUBMITTED");

  const { seen, last: job } = await poll_job(datastoreId, started.jobId);
  assert.deepEqual(seen, ["IN_PROGRESS", "FAILED"]);
  assert.equal(job.message, failing_message);
  assert.equal(job.inputS3Uri, failing_input_s3_uri);
  assert.ok(job.endedAt instanceof Date, "a FAILED job carries endedAt");
});

test("paginateListDICOMImportJobs: each job once, newest first; jobStatus COMPLETED keeps only those", async () => {
  const { datastoreId } = await create_active_datastore("jobs");
  const ids = [];
  for (const n of [1, 2, 3]) {
    if (n > 1) await sleep(20);  // distinct submittedAt values, so "newest first" has one answer
    ids.push((await start_job(job_input(datastoreId, `list-${n}`))).jobId);
  }
  // The first two are polled to COMPLETED; the third is never polled.
  for (const jobId of ids.slice(0, 2)) {
    assert.equal((await poll_job(datastoreId, jobId)).last.jobStatus, "COMPLETED");
  }
  const id_of = (s) => s.jobId;

  // Three jobs in this data store only: one page each, perhaps an empty last one.
  const all = await collect(paginateListDICOMImportJobs({ client: server.client, pageSize: 1 }, { datastoreId }),
                            id_of, ids, 10);
  assert.ok(all.pages.every((p) => p.jobSummaries.length <= 1), "pageSize 1 honoured");
  assert.deepEqual(all.mine.map(id_of), [...ids].reverse(), "each job once, newest first");
  for (let i = 1; i < all.mine.length; i++) {
    assert.ok(all.mine[i - 1].submittedAt >= all.mine[i].submittedAt, `submittedAt not non-increasing at ${i}`);
  }
  all.mine.forEach((s) => {
    const n = ids.indexOf(s.jobId) + 1;
    assert.equal(s.jobName, `sdk-js-cp-list-${n}`);
    assert.equal(s.datastoreId, datastoreId);
    assert.ok(s.submittedAt instanceof Date, `submittedAt of ${s.jobId}`);
    assert.match(s.jobStatus, n < 3 ? /^COMPLETED$/ : /^(SUBMITTED|IN_PROGRESS)$/, `status of job ${n}`);
  });

  const completed = await collect(
    paginateListDICOMImportJobs({ client: server.client, pageSize: 1 }, { datastoreId, jobStatus: "COMPLETED" }),
    id_of, ids, 10);
  assert.deepEqual(completed.mine.map(id_of), [ids[1], ids[0]], "only the two COMPLETED jobs, newest first");
  assert.ok(completed.mine.every((s) => s.jobStatus === "COMPLETED"));
});

test("tags: set at creation, added by TagResource, removed by UntagResource", async () => {
  const { datastoreId } = await create_datastore("tags", { tags: { project: "x" } });
  const resourceArn = arn_of(datastoreId);
  const tags = async () => (await send(new ListTagsForResourceCommand({ resourceArn }))).tags;

  assert.deepEqual(await tags(), { project: "x" });
  await send(new TagResourceCommand({ resourceArn, tags: { team: "y" } }));
  assert.deepEqual(await tags(), { project: "x", team: "y" });
  await send(new UntagResourceCommand({ resourceArn, tagKeys: ["project"] }));
  assert.deepEqual(await tags(), { team: "y" });
});

test("ListTagsForResource on the ARN of an unknown data store is a ResourceNotFoundException", () =>
  expect_error(send(new ListTagsForResourceCommand({ resourceArn: arn_of(unknown_datastore_id) })),
               ResourceNotFoundException, (err) => assert.equal(err.$metadata.httpStatusCode, 404)));

test("CreateDatastore, repeated clientToken: same name, same data store; another name, ConflictException", async () => {
  const clientToken = unique_token("create");
  const datastoreName = unique_name("idem");
  const first = await send(new CreateDatastoreCommand({ datastoreName, clientToken }));
  const again = await send(new CreateDatastoreCommand({ datastoreName, clientToken }));
  assert.equal(again.datastoreId, first.datastoreId);
  await expect_error(send(new CreateDatastoreCommand({ datastoreName: `${datastoreName}-other`, clientToken })),
                     ConflictException);
});

test("StartDICOMImportJob with a repeated clientToken and the same members answers the same job", async () => {
  const { datastoreId } = await create_active_datastore("idem-job");
  const input = job_input(datastoreId, "idem", { clientToken: unique_token("job") });
  const first = await start_job(input);
  const again = await start_job(input);
  assert.equal(again.jobId, first.jobId);
  assert.equal(again.datastoreId, datastoreId);
});

test("DeleteDatastore: Conflict with a job in flight; after it COMPLETED, DELETING, then DELETED", async () => {
  const { datastoreId } = await create_active_datastore("delete");
  const { jobId } = await start_job(job_input(datastoreId, "delete"));
  await expect_error(send(new DeleteDatastoreCommand({ datastoreId })), ConflictException,
                     (err) => assert.equal(err.$metadata.httpStatusCode, 409));

  assert.equal((await poll_job(datastoreId, jobId)).last.jobStatus, "COMPLETED");
  const deleted = await send(new DeleteDatastoreCommand({ datastoreId }));
  assert.equal(deleted.datastoreId, datastoreId);
  assert.equal(deleted.datastoreStatus, "DELETING");

  const { seen } = await poll_datastore(datastoreId, "DELETED");
  assert.equal(seen[0], "DELETING", `the first GetDatastore after delete: ${seen}`);
  assert.ok(seen.slice(0, -1).every((s) => s === "DELETING"), `only DELETING before DELETED: ${seen}`);
});

test("GetDatastore of an unknown data store is a ResourceNotFoundException", () =>
  expect_error(send(new GetDatastoreCommand({ datastoreId: unknown_datastore_id })), ResourceNotFoundException,
               (err) => assert.equal(err.$metadata.httpStatusCode, 404)));

// The JS SDK does not check ranges, so these reach the server.
for (const [value, constraint] of [[0, "greater than or equal to 1"], [51, "less than or equal to 50"]]) {
  test(`ListDICOMImportJobs with maxResults ${value} is a ValidationException with the AWS-style message`, () =>
    expect_error(send(new ListDICOMImportJobsCommand({ datastoreId: fixture_datastore_id, maxResults: value })),
                 ValidationException, (err) => {
                   assert.equal(err.$metadata.httpStatusCode, 400);
                   assert.equal(err.message, `1 validation error detected: Value '${value}' at 'maxResults' ` +
                                             `failed to satisfy constraint: Member must have value ${constraint}`);
                 }));
}

test("a forged nextToken is a ValidationException (Invalid pagination token)", async () => {
  const forged = (command) => expect_error(send(command), ValidationException,
                                           (err) => assert.match(err.message, /^Invalid pagination token/));
  await forged(new ListDICOMImportJobsCommand({ datastoreId: fixture_datastore_id, nextToken: "forged" }));
  await forged(new ListDatastoresCommand({ nextToken: "forged" }));
});

test("a ListDatastores nextToken passed to ListDICOMImportJobs is a ValidationException", async () => {
  // The fixture holds two data stores, so one per page leaves a nextToken.
  const page = await send(new ListDatastoresCommand({ maxResults: 1 }));
  assert.ok(page.nextToken, "ListDatastores with maxResults 1 should answer a nextToken");
  await expect_error(
    send(new ListDICOMImportJobsCommand({ datastoreId: fixture_datastore_id, nextToken: page.nextToken })),
    ValidationException);
});
