// Every error GetDICOMImportJob declares must reach JS code as the client package's own
// modeled exception class, with the status, fault side and message the emulator sent.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  AccessDeniedException,
  ConflictException,
  GetDICOMImportJobCommand,
  InternalServerException,
  MedicalImagingServiceException,
  ResourceNotFoundException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-medical-imaging";

import { datastore_id, use_server } from "./harness.mjs";

// One attempt, so the retryable errors (429, 500) surface at once instead of after backoff.
const server = use_server({ client: { maxAttempts: 1 } });

function expect_error(input, { type, status, fault, message }) {
  return assert.rejects(server.client.send(new GetDICOMImportJobCommand(input)), (err) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err?.constructor?.name}: ${err?.message}`);
    assert.ok(err instanceof MedicalImagingServiceException);
    assert.equal(err.name, type.name);
    assert.equal(err.$fault, fault);
    assert.equal(err.$metadata.httpStatusCode, status);
    assert.equal(err.$metadata.attempts, 1);
    assert.match(err.$metadata.requestId ?? "", /\S/, "x-amzn-RequestId should reach $metadata.requestId");
    if (message instanceof RegExp) assert.match(err.message, message);
    else assert.equal(err.message, message);
    return true;
  });
}

const scripted = [
  { job: "jserraccessdenied", type: AccessDeniedException, status: 403, fault: "client" },
  { job: "jserrconflict", type: ConflictException, status: 409, fault: "client" },
  { job: "jserrthrottling", type: ThrottlingException, status: 429, fault: "client" },
  { job: "jserrinternalserver", type: InternalServerException, status: 500, fault: "server" },
];
for (const c of scripted) {
  test(`a scripted ${c.type.name} arrives as ${c.type.name} (${c.status}, $fault ${c.fault})`, () =>
    expect_error({ datastoreId: datastore_id, jobId: c.job }, {
      ...c,
      message: `Scripted ${c.type.name} for the js SDK test on job ${c.job}`,
    }));
}

test("a malformed datastoreId is a ValidationException (400) with the AWS-style message", () =>
  expect_error({ datastoreId: "ABC", jobId: "jsfull" }, {
    type: ValidationException,
    status: 400,
    fault: "client",
    message: "1 validation error detected: Value 'ABC' at 'datastoreId' failed to satisfy constraint: " +
             "Member must satisfy regular expression pattern: [0-9a-z]{32}",
  }));

test("an unknown job is a ResourceNotFoundException (404) whose message names it", () =>
  expect_error({ datastoreId: datastore_id, jobId: "jsnosuchjob" }, {
    type: ResourceNotFoundException,
    status: 404,
    fault: "client",
    message: /\bjsnosuchjob\b/,
  }));
