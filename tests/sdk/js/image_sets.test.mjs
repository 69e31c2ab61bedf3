// Image sets through the AWS SDK for JavaScript v3, made by a real import: DICOM files
// (python3-pydicom's test data, read by path) copied into a local S3 folder the server reads
// (--s3-dir), StartDICOMImportJob, polling, the job's manifest and NDJSON files, SearchImageSets
// with its paginator, GetImageSet, GetImageSetMetadata (gzip, which the SDK does not inflate),
// GetImageFrame (HTJ2K; single-component frames decoded with OpenJPH's ojph_expand when installed
// and checked against the metadata's CRC32), ListImageSetVersions, tags on the image set ARN,
// DeleteImageSet and DeleteDatastore's refusal, and a folder of broken files.
//
// The data-plane commands carry the host prefix "runtime-"; the client turns it off
// (disableHostPrefix), as a user of a local endpoint must.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import zlib from "node:zlib";

import {
  ConflictException,
  CreateDatastoreCommand,
  DeleteDatastoreCommand,
  DeleteImageSetCommand,
  GetDatastoreCommand,
  GetDICOMImportJobCommand,
  GetImageFrameCommand,
  GetImageSetCommand,
  GetImageSetMetadataCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  SearchImageSetsCommand,
  StartDICOMImportJobCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ValidationException,
  paginateListImageSetVersions,
  paginateSearchImageSets,
} from "@aws-sdk/client-medical-imaging";

import { can_start_server, use_server } from "./harness.mjs";

const test_files = "/usr/lib/python3/dist-packages/pydicom/data/test_files";
const study = ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "SC_rgb_rle_2frame.dcm"];
const htj2k = "1.2.840.10008.1.2.4.202";
const jpeg2000 = "1.2.840.10008.1.2.4.91";
const no_dicm = "The file is not a valid DICOM P10 file: no DICM prefix at byte 128";
const role_arn = "arn:aws:iam::123456789012:role/HealthImagingImportRole";

const present = [...study, "no_meta.dcm"].every((n) => fs.existsSync(path.join(test_files, n)));
const skip = !can_start_server() ? "needs HIL_BINARY (a server of its own with --s3-dir)"
           : !present ? `python3-pydicom's test files are absent from ${test_files}` : false;
const ojph_expand = ["/usr/bin/ojph_expand", "/usr/local/bin/ojph_expand"].find((p) => fs.existsSync(p));

const s3_dir = fs.mkdtempSync(path.join(os.tmpdir(), "hil-sdk-js-s3-"));
const server = skip ? {} : use_server({ flags: ["--s3-dir", s3_dir], client: { disableHostPrefix: true } });
after(() => fs.rmSync(s3_dir, { recursive: true, force: true }));
const send = (command) => server.client.send(command);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const unique = () => `js-${randomBytes(6).toString("hex")}`;

function put(prefix, key, name) {
  const target = path.join(s3_dir, "sdk-in", prefix, key);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(path.join(test_files, name), target);
  return target;
}
function put_bytes(prefix, key, bytes) {
  const target = path.join(s3_dir, "sdk-in", prefix, key);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, bytes);
  return target;
}
function read_s3(uri) {
  assert.ok(uri.startsWith("s3://"), uri);
  return fs.readFileSync(path.join(s3_dir, uri.slice("s3://".length)));
}
function ndjson(uri) {
  const text = read_s3(uri).toString("utf8");
  assert.ok(text === "" || text.endsWith("\n"));
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}

async function new_datastore(name) {
  const { datastoreId } = await send(new CreateDatastoreCommand({ datastoreName: name, clientToken: unique() }));
  for (let i = 0; i < 5; ++i) {
    const { datastoreProperties } = await send(new GetDatastoreCommand({ datastoreId }));
    if (datastoreProperties.datastoreStatus === "ACTIVE") return datastoreId;
  }
  assert.fail(`datastore ${datastoreId} did not become ACTIVE`);
}

// StartDICOMImportJob on s3://sdk-in/<prefix>/<folder>, polled every 50 ms until it ends (60 s at most).
async function run_import(datastoreId, prefix, folder) {
  const started = await send(new StartDICOMImportJobCommand({
    jobName: prefix, datastoreId, dataAccessRoleArn: role_arn, clientToken: unique(),
    inputS3Uri: `s3://sdk-in/${prefix}/${folder}`, outputS3Uri: `s3://sdk-out/${prefix}/`,
  }));
  assert.equal(started.jobStatus, "SUBMITTED");
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { jobProperties } = await send(new GetDICOMImportJobCommand({ datastoreId, jobId: started.jobId }));
    if (jobProperties.jobStatus === "COMPLETED" || jobProperties.jobStatus === "FAILED") return jobProperties;
    assert.ok(Date.now() < deadline, `job ${started.jobId} still ${jobProperties.jobStatus}`);
    await sleep(50);
  }
}
async function completed_import(datastoreId, prefix, folder) {
  const job = await run_import(datastoreId, prefix, folder);
  assert.equal(job.jobStatus, "COMPLETED", job.message);
  return job;
}
const manifest_of = (job) => JSON.parse(read_s3(`${job.outputS3Uri}job-output-manifest.json`)).jobSummary;

async function search(datastoreId, searchCriteria, pageSize) {
  const pages = [];
  for await (const page of paginateSearchImageSets({ client: server.client, pageSize }, { datastoreId, searchCriteria })) {
    pages.push(page);
  }
  return { found: pages.flatMap((p) => p.imageSetsMetadataSummaries), pages };
}
async function of_patient(datastoreId, patient) {
  const { found } = await search(datastoreId, { filters: [{ values: [{ DICOMPatientId: patient }], operator: "EQUAL" }] });
  assert.equal(found.length, 1, JSON.stringify(found));
  return found[0].imageSetId;
}

async function metadata_of(datastoreId, imageSetId, versionId) {
  const out = await send(new GetImageSetMetadataCommand({ datastoreId, imageSetId, versionId }));
  assert.equal(out.contentType, "application/json");
  assert.equal(out.contentEncoding, "gzip");
  const blob = Buffer.from(await out.imageSetMetadataBlob.transformToByteArray());
  assert.deepEqual([...blob.subarray(0, 2)], [0x1f, 0x8b], "the SDK hands over the gzip bytes as they came");
  return JSON.parse(zlib.gunzipSync(blob).toString("utf8"));
}

// Every frame of a metadata document, with its instance's stored syntax and samples per pixel.
function frames_of(metadata) {
  const out = [];
  for (const series of Object.values(metadata.Study.Series)) {
    for (const instance of Object.values(series.Instances)) {
      for (const frame of instance.ImageFrames ?? []) {
        out.push({ frame, syntax: instance.StoredTransferSyntaxUID ?? htj2k,
                   components: Number(instance.DICOM.SamplesPerPixel ?? 1) });
      }
    }
  }
  return out;
}

// CRC32 of a single-component HTJ2K frame decoded by ojph_expand (raw: little-endian samples).
function decoded_crc32(codestream) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hil-ojph-"));
  try {
    fs.writeFileSync(path.join(dir, "frame.j2c"), codestream);
    const r = spawnSync(ojph_expand, ["-i", path.join(dir, "frame.j2c"), "-o", path.join(dir, "frame.raw")],
                        { stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 });
    assert.equal(r.status, 0, String(r.stderr));
    return zlib.crc32(fs.readFileSync(path.join(dir, "frame.raw"))) >>> 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// GetImageFrame of every frame; answers how many were decoded and checked.
async function check_frames(datastoreId, imageSetId, metadata) {
  let decoded = 0;
  for (const { frame, syntax, components } of frames_of(metadata)) {
    const out = await send(new GetImageFrameCommand({ datastoreId, imageSetId,
                                                      imageFrameInformation: { imageFrameId: frame.ID } }));
    assert.equal(out.contentType, syntax === jpeg2000 ? "image/j2c" : "image/jph");
    const body = Buffer.from(await out.imageFrameBlob.transformToByteArray());
    assert.deepEqual([...body.subarray(0, 2)], [0xff, 0x4f], "a bare codestream, SOC first");
    assert.equal(body.length, frame.FrameSizeInBytes);
    if (ojph_expand && syntax === htj2k && components === 1) {
      const levels = frame.PixelDataChecksumFromBaseToFullResolution;
      const full = levels.reduce((a, b) => (b.Width > a.Width ? b : a));
      assert.equal(decoded_crc32(body), full.Checksum);
      ++decoded;
    }
  }
  return decoded;
}

test("import, then search, metadata, frames, versions, tags and delete", { skip }, async () => {
  const prefix = unique();
  for (const name of [...study, "no_meta.dcm"]) put(prefix, `study/${name}`, name);
  const ds = await new_datastore(prefix);
  const job = await completed_import(ds, prefix, "study/");
  assert.equal(job.outputS3Uri, `s3://sdk-out/${prefix}/${ds}-DicomImport-${job.jobId}/`);
  assert.ok(job.endedAt instanceof Date);

  const summary = manifest_of(job);
  assert.equal(summary.jobId, job.jobId);
  assert.deepEqual([summary.numberOfScannedFiles, summary.numberOfImportedFiles, summary.numberOfFilesWithCustomerError,
                    summary.numberOfFilesWithServerError, summary.numberOfGeneratedImageSets], [5, 4, 1, 0, 4]);
  const ids = new Set(summary.imageSetsSummary.map((s) => s.imageSetId));
  assert.equal(ids.size, 4);
  for (const s of summary.imageSetsSummary) {
    assert.deepEqual([s.numberOfMatchedSOPInstances, s.imageSetVersion, s.isPrimary], [1, 1, true]);
  }
  const successes = ndjson(`${summary.successOutputS3Uri}success.ndjson`);
  assert.deepEqual(successes.map((s) => s.inputFile).sort(), study.map((n) => `${prefix}/study/${n}`).sort());
  assert.deepEqual(new Set(successes.map((s) => s.importResponse.imageSetId)), ids);
  assert.deepEqual(ndjson(`${summary.failureOutputS3Uri}failure.ndjson`),
                   [{ inputFile: `${prefix}/study/no_meta.dcm`,
                      exception: { exceptionType: "ValidationException", message: no_dicm } }]);

  // SearchImageSets through the paginator: one summary a page, then sorted by study date.
  const { found: everything, pages } = await search(ds, undefined, 1);
  assert.deepEqual(new Set(everything.map((s) => s.imageSetId)), ids);
  assert.equal(everything.length, 4);
  assert.ok(pages.length >= 4);
  assert.ok(pages.every((p) => p.imageSetsMetadataSummaries.length <= 1));
  const sorted = await search(ds, { sort: { sortOrder: "ASC", sortField: "DICOMStudyDateAndTime" } });
  const dates = sorted.found.map((s) => s.DICOMTags.DICOMStudyDate);
  assert.deepEqual(dates, [...dates].sort());
  assert.deepEqual([dates[0], dates.at(-1)], ["20040119", "20170101"]);
  assert.deepEqual(sorted.pages[0].sort, { sortOrder: "ASC", sortField: "DICOMStudyDateAndTime" });
  assert.ok(everything.every((s) => s.createdAt instanceof Date && s.version === 1 && s.isPrimary === true));
  await assert.rejects(send(new SearchImageSetsCommand({ datastoreId: ds, searchCriteria: {
    filters: [{ values: [{ DICOMPatientId: "a" }, { DICOMPatientId: "b" }], operator: "EQUAL" }] } })),
  ValidationException);
  await assert.rejects(send(new SearchImageSetsCommand({ datastoreId: ds, searchCriteria: {
    filters: [{ values: [{ DICOMPatientId: "a" }, { DICOMPatientId: "b" }], operator: "BETWEEN" }] } })),
  ValidationException);

  // GetImageSet.
  const ct = await of_patient(ds, "1CT1");
  const got = await send(new GetImageSetCommand({ datastoreId: ds, imageSetId: ct }));
  assert.deepEqual([got.versionId, got.imageSetState, got.imageSetWorkflowStatus, got.isPrimary],
                   ["1", "ACTIVE", "IMPORTED", true]);
  assert.equal(got.imageSetArn, `arn:aws:medical-imaging:us-east-1:123456789012:datastore/${ds}/imageset/${ct}`);
  assert.ok(got.createdAt instanceof Date);

  // GetImageSetMetadata and GetImageFrame for every image set.
  let frames = 0;
  let decoded = 0;
  for (const id of ids) {
    const metadata = await metadata_of(ds, id);
    assert.equal(metadata.ImageSetID, id);
    assert.equal(metadata.DatastoreID, ds);
    assert.ok("PatientID" in metadata.Patient.DICOM);
    frames += frames_of(metadata).length;
    decoded += await check_frames(ds, id, metadata);
  }
  assert.equal(frames, 5);  // CT, MR, NM and the RGB instance's two
  if (ojph_expand) assert.equal(decoded, 2, "the CT and MR frames are decoded and checked");
  const ct_metadata = await metadata_of(ds, ct);
  assert.deepEqual(Object.keys(ct_metadata.Study.Series), ["1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322"]);
  assert.equal(ct_metadata.Patient.DICOM.PatientID, "1CT1");

  // The same CT file again: version 2 of the same image set.
  put(prefix, "again/ct.dcm", "CT_small.dcm");
  const again = manifest_of(await completed_import(ds, prefix, "again/"));
  assert.deepEqual(again.imageSetsSummary.map((s) => [s.imageSetId, s.imageSetVersion]), [[ct, 2]]);
  const versions = [];
  for await (const page of paginateListImageSetVersions({ client: server.client, pageSize: 1 },
                                                         { datastoreId: ds, imageSetId: ct })) {
    versions.push(...page.imageSetPropertiesList);
  }
  assert.deepEqual(versions.map((v) => v.versionId), ["2", "1"]);
  assert.equal((await send(new GetImageSetCommand({ datastoreId: ds, imageSetId: ct, versionId: "1" }))).versionId, "1");
  assert.equal(frames_of(await metadata_of(ds, ct, "1")).length, 1);

  // Tags on the image set ARN.
  const arn = got.imageSetArn;
  await send(new TagResourceCommand({ resourceArn: arn, tags: { study: "chest", reader: "dr-a" } }));
  assert.deepEqual((await send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { reader: "dr-a", study: "chest" });
  await send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["reader"] }));
  assert.deepEqual((await send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { study: "chest" });

  // DeleteImageSet; the data store cannot go while image sets remain.
  await assert.rejects(send(new DeleteDatastoreCommand({ datastoreId: ds })), ConflictException);
  const frame_id = frames_of(ct_metadata)[0].frame.ID;
  const deleted = await send(new DeleteImageSetCommand({ datastoreId: ds, imageSetId: ct }));
  assert.deepEqual([deleted.imageSetState, deleted.imageSetWorkflowStatus], ["LOCKED", "DELETING"]);
  const after_delete = await send(new GetImageSetCommand({ datastoreId: ds, imageSetId: ct }));
  assert.equal(after_delete.imageSetState, "DELETED");
  assert.ok(after_delete.deletedAt instanceof Date);
  await assert.rejects(send(new GetImageFrameCommand({ datastoreId: ds, imageSetId: ct,
                                                       imageFrameInformation: { imageFrameId: frame_id } })),
                       ResourceNotFoundException);
  const { found: remaining } = await search(ds);
  assert.deepEqual(new Set(remaining.map((s) => s.imageSetId)), new Set([...ids].filter((i) => i !== ct)));
  for (const s of remaining) await send(new DeleteImageSetCommand({ datastoreId: ds, imageSetId: s.imageSetId }));
  assert.equal((await send(new DeleteDatastoreCommand({ datastoreId: ds }))).datastoreStatus, "DELETING");
});

test("unknown and malformed image set ids", { skip }, async () => {
  const ds = await new_datastore(unique());
  await assert.rejects(send(new GetImageSetCommand({ datastoreId: ds, imageSetId: "0123456789abcdef0123456789abcdef" })),
                       ResourceNotFoundException);
  await assert.rejects(send(new GetImageSetCommand({ datastoreId: ds, imageSetId: "not-an-id" })), (e) => {
    assert.ok(e instanceof ValidationException);
    assert.equal(e.message, "1 validation error detected: Value 'not-an-id' at 'imageSetId' failed to satisfy " +
                            "constraint: Member must satisfy regular expression pattern: [0-9a-z]{32}");
    return true;
  });
});

test("a folder of broken files: each refused in failure.ndjson, the good one imported", { skip }, async () => {
  const prefix = unique();
  put(prefix, "mixed/good.dcm", "MR_small.dcm");
  put(prefix, "mixed/no_meta.dcm", "no_meta.dcm");
  put_bytes(prefix, "mixed/notes.txt", Buffer.from("not DICOM at all"));
  put_bytes(prefix, "mixed/cut.dcm", fs.readFileSync(path.join(test_files, "CT_small.dcm")).subarray(0, 600));
  fs.symlinkSync("/etc/passwd", path.join(s3_dir, "sdk-in", prefix, "mixed", "passwd.dcm"));
  const ds = await new_datastore(prefix);
  const summary = manifest_of(await completed_import(ds, prefix, "mixed/"));
  assert.deepEqual([summary.numberOfScannedFiles, summary.numberOfImportedFiles, summary.numberOfFilesWithCustomerError,
                    summary.numberOfGeneratedImageSets], [5, 1, 4, 1]);
  const failures = Object.fromEntries(ndjson(`${summary.failureOutputS3Uri}failure.ndjson`)
    .map((f) => [f.inputFile, f.exception]));
  const base = `${prefix}/mixed/`;
  assert.deepEqual(Object.keys(failures).sort(), ["cut.dcm", "no_meta.dcm", "notes.txt", "passwd.dcm"].map((n) => base + n));
  assert.equal(failures[`${base}notes.txt`].message, no_dicm);
  for (const e of Object.values(failures)) {
    assert.equal(e.exceptionType, "ValidationException");
    assert.ok(!e.message.includes("root:"), e.message);
  }
  const { found } = await search(ds);
  assert.deepEqual(found.map((s) => s.DICOMTags.DICOMPatientId), ["4MR1"]);
});

test("an input prefix that does not exist fails the job with a message", { skip }, async () => {
  const prefix = unique();
  const ds = await new_datastore(prefix);
  const job = await run_import(ds, prefix, "never-written/");
  assert.equal(job.jobStatus, "FAILED");
  assert.equal(job.message, `The input S3 location s3://sdk-in/${prefix}/never-written/ does not exist`);
  assert.ok(job.endedAt instanceof Date);
});
