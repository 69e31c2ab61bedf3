// GetDICOMImportJob success path through the AWS SDK for JavaScript v3.
import assert from "node:assert/strict";
import { test } from "node:test";

import { datastore_id, get_job, use_server } from "./harness.mjs";

const server = use_server({ client: {} });

test("a job with every member comes back complete, timestamps as Dates with milliseconds", async () => {
  const out = await get_job(server.client, "jsfull");
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.equal(out.$metadata.attempts, 1);
  assert.match(out.$metadata.requestId ?? "", /\S/, "x-amzn-RequestId should reach $metadata.requestId");
  assert.deepEqual(out.jobProperties, {
    jobId: "jsfull",
    jobName: "jsfull-import",
    jobStatus: "FAILED",
    datastoreId: datastore_id,
    dataAccessRoleArn: "arn:aws:iam::123456789012:role/HealthImagingImportRole",
    endedAt: new Date("2026-01-01T00:01:01.456Z"),
    submittedAt: new Date("2026-01-01T00:00:00.123Z"),
    inputS3Uri: "s3://sdk-test-inbox/js/jsfull/",
    outputS3Uri: `s3://sdk-test-results/imports/${datastore_id}-DicomImport-jsfull/`,
    message: "Access denied to input bucket s3://sdk-test-inbox/ - check the data access role",
  });
  assert.ok(out.jobProperties.submittedAt instanceof Date);
  assert.equal(out.jobProperties.submittedAt.getTime(), 1767225600123);
  assert.equal(out.jobProperties.endedAt.getTime(), 1767225661456);
});

test("a job without the optional members comes back without them", async () => {
  const out = await get_job(server.client, "jsminimal");
  const props = out.jobProperties;
  assert.deepEqual(props, {
    jobId: "jsminimal",
    jobName: "jsminimal-import",
    jobStatus: "SUBMITTED",
    datastoreId: datastore_id,
    dataAccessRoleArn: "arn:aws:iam::123456789012:role/HealthImagingImportRole",
    inputS3Uri: "s3://sdk-test-inbox/js/jsminimal/",
    outputS3Uri: `s3://sdk-test-results/imports/${datastore_id}-DicomImport-jsminimal/`,
  });
  for (const member of ["submittedAt", "endedAt", "message"]) assert.ok(!(member in props), `${member} should be absent`);
});
