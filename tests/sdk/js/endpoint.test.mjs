// A client built with no endpoint at all finds the emulator through the environment, the way
// code under test usually does (contract section 9). Runs in its own process (node --test
// runs each file separately), so the variables cannot leak into the other tests.
import assert from "node:assert/strict";
import { after, test } from "node:test";

import { GetDICOMImportJobCommand, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";

import { datastore_id, use_server } from "./harness.mjs";

const server = use_server();
after(() => {
  delete process.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING;
  delete process.env.AWS_ENDPOINT_URL;
});

async function get_without_endpoint(jobId) {
  // Region and keys come from the environment too (set by the harness).
  const client = new MedicalImagingClient({});
  try {
    return await client.send(new GetDICOMImportJobCommand({ datastoreId: datastore_id, jobId }));
  } finally {
    client.destroy();
  }
}

test("AWS_ENDPOINT_URL_MEDICAL_IMAGING points a client without endpoint at the emulator", async () => {
  process.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING = server.endpoint;
  try {
    const out = await get_without_endpoint("jsenvservice");
    assert.equal(out.jobProperties.jobStatus, "IN_PROGRESS");
    assert.equal(out.jobProperties.submittedAt.getTime(), 1767225600000);
  } finally {
    delete process.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING;
  }
});

test("AWS_ENDPOINT_URL (all services) works too", async () => {
  process.env.AWS_ENDPOINT_URL = server.endpoint;
  try {
    const out = await get_without_endpoint("jsenvgeneric");
    assert.equal(out.jobProperties.jobId, "jsenvgeneric");
  } finally {
    delete process.env.AWS_ENDPOINT_URL;
  }
});
