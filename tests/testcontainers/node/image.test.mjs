// Testcontainers for Node.js starting the healthimaging-local image, and the AWS SDK for JavaScript v3
// pointed at it: the way a project's own test suite would use the emulator. tests/testcontainers/run.sh
// runs it against Podman's Docker-compatible API; with Docker it runs as it is.
//
// The container gets a fixture file (copied in), a local S3 folder (bind-mounted) with one real DICOM
// file that the fixture imports at start-up, and an admin token. The test waits for the server's
// `listening on` line (printed once the fixtures and their imports are done), then runs a workflow.
//
// Environment:
//   HIL_TC_IMAGE    the image (default healthimaging-local: built locally, never pulled)
//   HIL_TC_NETWORK  "host": the container shares the host's network and listens on a free port given
//                   by HIL_PORT (run.sh uses it: Podman's bridge networking would change the machine's
//                   iptables); unset: the usual published port 7979, mapped by the engine
//   HIL_TC_DICOM    a DICOM file to import (default python3-pydicom's CT_small.dcm)
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

import {
  CreateDatastoreCommand, GetDatastoreCommand, GetDICOMImportJobCommand, GetImageSetMetadataCommand,
  ListDatastoresCommand, MedicalImagingClient, ResourceNotFoundException, SearchImageSetsCommand, StartDICOMImportJobCommand,
  paginateListDICOMImportJobs,
} from "@aws-sdk/client-medical-imaging";
import { GenericContainer, Wait } from "testcontainers";

const here = path.dirname(fileURLToPath(import.meta.url));
const image = process.env.HIL_TC_IMAGE || "healthimaging-local";
const host_network = process.env.HIL_TC_NETWORK === "host";
const dicom_file = process.env.HIL_TC_DICOM || "/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm";
const admin_token = "tc-admin-token";
const seeded_datastore = "7c0ta1e2a4f6078e9d0c1b2a3f4e5d6c";
const scripted_job = "0b7c0ntainer5f0e1d2c3b4a59687706";
const role = "arn:aws:iam::123456789012:role/HealthImagingImportRole";

const free_port = () => new Promise((resolve, reject) => {
  const server = net.createServer();
  server.once("error", reject);
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let container;
let endpoint;
let client;
let s3_dir;

before(async () => {
  // The local S3 folder: s3://tc-inbox/ct/ct.dcm is <s3_dir>/tc-inbox/ct/ct.dcm. The image's user
  // (uid 65532) writes the job outputs into it.
  s3_dir = fs.mkdtempSync(path.join(os.tmpdir(), "hil-tc-s3-"));
  fs.mkdirSync(path.join(s3_dir, "tc-inbox", "ct"), { recursive: true });
  fs.mkdirSync(path.join(s3_dir, "tc-results"));
  fs.copyFileSync(dicom_file, path.join(s3_dir, "tc-inbox", "ct", "ct.dcm"));
  for (const dir of [s3_dir, path.join(s3_dir, "tc-inbox"), path.join(s3_dir, "tc-inbox", "ct"), path.join(s3_dir, "tc-results")]) {
    fs.chmodSync(dir, 0o777);
  }

  const port = host_network ? await free_port() : 7979;
  let definition = new GenericContainer(image)
    .withEnvironment({
      HIL_FIXTURES: "/fixtures/testcontainers.json",
      HIL_S3_DIR: "/s3",
      HIL_ADMIN_TOKEN: admin_token,
      // HIL_PORT, not --port: the image's HEALTHCHECK probes the port HIL_PORT names.
      HIL_PORT: String(port),
    })
    .withCopyFilesToContainer([{ source: path.join(here, "../fixtures/testcontainers.json"), target: "/fixtures/testcontainers.json" }])
    .withBindMounts([{ source: s3_dir, target: "/s3", mode: "rw" }])
    // Printed once the fixtures are loaded, their imports have ended and connections are accepted.
    .withWaitStrategy(Wait.forLogMessage(/listening on http:\/\//))
    .withStartupTimeout(30_000);
  definition = host_network ? definition.withNetworkMode("host") : definition.withExposedPorts(7979);
  container = await definition.start();
  endpoint = host_network ? `http://127.0.0.1:${port}` : `http://${container.getHost()}:${container.getMappedPort(7979)}`;

  client = new MedicalImagingClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
    // The image-set operations would otherwise go to runtime-127.0.0.1 (or runtime-localhost).
    disableHostPrefix: true,
  });
});

after(async () => {
  await container?.stop();
  if (s3_dir) fs.rmSync(s3_dir, { recursive: true, force: true });
});

const control = (method, route, token) => fetch(`${endpoint}/_emulator/${route}`, {
  method, headers: token ? { Authorization: `Bearer ${token}` } : {},
});

test("the health check needs no token, even with HIL_ADMIN_TOKEN set", async () => {
  const res = await control("GET", "health");
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, "ready");
});

test("the fixture's datastore and scripted job, through the SDK", async () => {
  const { datastoreProperties } = await client.send(new GetDatastoreCommand({ datastoreId: seeded_datastore }));
  assert.equal(datastoreProperties.datastoreName, "testcontainers-seeded");
  assert.equal(datastoreProperties.datastoreStatus, "ACTIVE");
  const { jobProperties } = await client.send(new GetDICOMImportJobCommand({ datastoreId: seeded_datastore, jobId: scripted_job }));
  assert.equal(jobProperties.jobStatus, "COMPLETED");
  assert.equal(jobProperties.jobName, "scripted-batch");
  assert.deepEqual(jobProperties.endedAt, new Date(1767225660250));
});

test("the start-up import from the mounted S3 folder made an image set", async () => {
  const { imageSetsMetadataSummaries } = await client.send(new SearchImageSetsCommand({ datastoreId: seeded_datastore }));
  assert.equal(imageSetsMetadataSummaries.length, 1);
  const { imageSetMetadataBlob, contentEncoding } = await client.send(new GetImageSetMetadataCommand({
    datastoreId: seeded_datastore, imageSetId: imageSetsMetadataSummaries[0].imageSetId,
  }));
  assert.equal(contentEncoding, "gzip");
  const metadata = JSON.parse(gunzipSync(await imageSetMetadataBlob.transformToByteArray()).toString());
  assert.equal(metadata.Patient.DICOM.PatientID, "1CT1");
});

test("a new datastore and a real import into it, then the list", async () => {
  const { datastoreId } = await client.send(new CreateDatastoreCommand({ datastoreName: "from-testcontainers" }));
  let status;
  for (let i = 0; i < 100 && status !== "ACTIVE"; ++i) {
    ({ datastoreProperties: { datastoreStatus: status } } = await client.send(new GetDatastoreCommand({ datastoreId })));
    if (status !== "ACTIVE") await sleep(20);
  }
  assert.equal(status, "ACTIVE");
  const { jobId } = await client.send(new StartDICOMImportJobCommand({
    datastoreId, jobName: "ct-again", dataAccessRoleArn: role,
    inputS3Uri: "s3://tc-inbox/ct/", outputS3Uri: "s3://tc-results/again/",
  }));
  let job;
  for (let i = 0; i < 500; ++i) {
    ({ jobProperties: job } = await client.send(new GetDICOMImportJobCommand({ datastoreId, jobId })));
    if (job.jobStatus === "COMPLETED" || job.jobStatus === "FAILED") break;
    await sleep(20);
  }
  assert.equal(job.jobStatus, "COMPLETED", job.message);
  // The job's outputs are in the mounted folder, on the host.
  const manifest = JSON.parse(fs.readFileSync(
    path.join(s3_dir, "tc-results", "again", `${datastoreId}-DicomImport-${jobId}`, "job-output-manifest.json"), "utf8"));
  assert.equal(manifest.jobSummary.numberOfImportedFiles, 1);
  const listed = [];
  for await (const page of paginateListDICOMImportJobs({ client, pageSize: 1 }, { datastoreId })) {
    listed.push(...page.jobSummaries.map((j) => [j.jobId, j.jobStatus]));
  }
  assert.deepEqual(listed, [[jobId, "COMPLETED"]]);
});

test("reset needs the admin token, and returns to the fixtures", async () => {
  const refused = await control("POST", "reset");
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get("x-amzn-errortype"), "UnauthorizedException");
  const done = await control("POST", "reset", admin_token);
  assert.equal(done.status, 200);
  const body = await done.json();
  assert.equal(body.status, "reset");
  assert.equal(body.datastores, 1);
  // The start-up import's image set is part of the state reset returns to.
  const { imageSetsMetadataSummaries } = await client.send(new SearchImageSetsCommand({ datastoreId: seeded_datastore }));
  assert.equal(imageSetsMetadataSummaries.length, 1);
  const { datastoreSummaries } = await client.send(new ListDatastoresCommand({}));
  assert.deepEqual(datastoreSummaries.map((d) => d.datastoreId), [seeded_datastore]);
});

test("the image's HEALTHCHECK is the binary's own --probe", async () => {
  const { output, exitCode } = await container.exec(["/healthimaging-local", "--probe"]);
  assert.equal(exitCode, 0, output);
  assert.match(output, /probe: 200/);
});

test("an unknown datastore is the SDK's ResourceNotFoundException", async () => {
  await assert.rejects(client.send(new GetDatastoreCommand({ datastoreId: "0".repeat(32) })), ResourceNotFoundException);
});
