"""Image sets through boto3, made by a real import: DICOM files (python3-pydicom's test data, read by
path only) copied into a local S3 folder the server reads (--s3-dir), StartDICOMImportJob, polling,
the job's manifest and NDJSON files, SearchImageSets with its paginator, GetImageSet,
GetImageSetMetadata (gzip, which botocore does not inflate), GetImageFrame (HTJ2K; decoded with
OpenJPH's ojph_expand when installed, and checked against the metadata's CRC32),
ListImageSetVersions, tags on the image set ARN, DeleteImageSet and DeleteDatastore's refusal.

The data-plane operations carry the host prefix "runtime-"; clients here turn it off
(inject_host_prefix=False), as a user of a local endpoint must.
"""
import gzip
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
import unittest
import uuid
import zlib

import botocore.exceptions

import hil_harness
from hil_harness import ROLE_ARN

TEST_FILES = pathlib.Path("/usr/lib/python3/dist-packages/pydicom/data/test_files")
STUDY = ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "SC_rgb_rle_2frame.dcm"]
HTJ2K = "1.2.840.10008.1.2.4.202"
JPEG2000 = "1.2.840.10008.1.2.4.91"
NO_DICM = "The file is not a valid DICOM P10 file: no DICM prefix at byte 128"
OJPH_EXPAND = shutil.which("ojph_expand")
_POLL_LIMIT_S = 60


def _present(names):
    return all((TEST_FILES / n).is_file() for n in names)


def frames_of(metadata):
    """(frame id, stored syntax, frame entry) of every frame of a metadata document."""
    out = []
    for series in metadata["Study"]["Series"].values():
        for instance in series["Instances"].values():
            syntax = instance.get("StoredTransferSyntaxUID") or HTJ2K
            for frame in instance.get("ImageFrames", []):
                out.append((frame["ID"], syntax, frame))
    return out


def _ppm_pixels(data):
    """The samples of a binary PPM/PGM (P6/P5, maxval < 256)."""
    fields, at = [], 0
    while len(fields) < 4:
        while data[at:at + 1].isspace():
            at += 1
        start = at
        while not data[at:at + 1].isspace():
            at += 1
        fields.append(data[start:at])
    return data[at + 1:], int(fields[1]), int(fields[2]), int(fields[3])


def decoded_crc32(codestream, components, width, height):
    """CRC32 of the frame decoded by ojph_expand, in the layout AWS's checksum covers (little-endian
    samples, components interleaved); None when this frame's shape is not one ojph_expand writes so."""
    with tempfile.TemporaryDirectory(prefix="hil-ojph-") as tmp:
        source = pathlib.Path(tmp, "frame.j2c")
        source.write_bytes(codestream)
        target = pathlib.Path(tmp, "frame.raw" if components == 1 else "frame.ppm")
        subprocess.run([OJPH_EXPAND, "-i", str(source), "-o", str(target)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
        data = target.read_bytes()
        if components == 1:
            return zlib.crc32(data)
        pixels, w, h, maxval = _ppm_pixels(data)
        if maxval > 255 or (w, h) != (width, height):
            return None
        return zlib.crc32(pixels)


@unittest.skipUnless(hil_harness.can_start_server(), "needs HIL_BINARY (a server of its own with --s3-dir)")
@unittest.skipUnless(_present(STUDY + ["no_meta.dcm"]), f"python3-pydicom's test files are absent from {TEST_FILES}")
class ImageSetsTest(hil_harness.ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls._folder = tempfile.TemporaryDirectory(prefix="hil-sdk-s3-")
        cls.s3_dir = pathlib.Path(cls._folder.name)
        cls.server_flags = ("--s3-dir", str(cls.s3_dir))
        try:
            super().setUpClass()
        except BaseException:
            cls._folder.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls._folder.cleanup()

    def setUp(self):
        self.client = self.make_client(inject_host_prefix=False)
        self.prefix = f"py-{uuid.uuid4().hex[:12]}"  # this test's own input folder

    # -- helpers ------------------------------------------------------------------------------

    def put(self, key, name):
        target = self.s3_dir / "sdk-in" / self.prefix / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TEST_FILES / name, target)
        return target

    def put_bytes(self, key, data):
        target = self.s3_dir / "sdk-in" / self.prefix / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return target

    def read_s3(self, uri):
        self.assertTrue(uri.startswith("s3://"), uri)
        return (self.s3_dir / uri[len("s3://"):]).read_bytes()

    def new_datastore(self):
        ds = self.client.create_datastore(datastoreName=self.prefix, clientToken=uuid.uuid4().hex)["datastoreId"]
        for _ in range(5):
            if self.client.get_datastore(datastoreId=ds)["datastoreProperties"]["datastoreStatus"] == "ACTIVE":
                return ds
        self.fail(f"datastore {ds} did not become ACTIVE")

    def run_import(self, ds, folder=""):
        """StartDICOMImportJob on this test's folder (or a sub-folder), polled until it ends."""
        job = self.client.start_dicom_import_job(
            jobName=self.prefix, datastoreId=ds, dataAccessRoleArn=ROLE_ARN, clientToken=uuid.uuid4().hex,
            inputS3Uri=f"s3://sdk-in/{self.prefix}/{folder}", outputS3Uri=f"s3://sdk-out/{self.prefix}/")
        self.assertEqual(job["jobStatus"], "SUBMITTED")
        deadline = time.monotonic() + _POLL_LIMIT_S
        while True:
            props = self.client.get_dicom_import_job(datastoreId=ds, jobId=job["jobId"])["jobProperties"]
            if props["jobStatus"] in ("COMPLETED", "FAILED"):
                return props
            self.assertLess(time.monotonic(), deadline, f"job {job['jobId']} still {props['jobStatus']}")
            time.sleep(0.05)

    def completed_import(self, ds, folder=""):
        props = self.run_import(ds, folder)
        self.assertEqual(props["jobStatus"], "COMPLETED", props.get("message"))
        return props

    def manifest(self, job):
        return json.loads(self.read_s3(job["outputS3Uri"] + "job-output-manifest.json"))["jobSummary"]

    def ndjson(self, uri):
        text = self.read_s3(uri).decode()
        self.assertTrue(text == "" or text.endswith("\n"))
        return [json.loads(line) for line in text.splitlines()]

    def search(self, ds, criteria=None, page_size=None):
        """Every summary, through the paginator, and how many pages it took."""
        kwargs = {"datastoreId": ds}
        if criteria is not None:
            kwargs["searchCriteria"] = criteria
        if page_size:
            kwargs["PaginationConfig"] = {"PageSize": page_size}
        pages = list(self.client.get_paginator("search_image_sets").paginate(**kwargs))
        return [s for p in pages for s in p["imageSetsMetadataSummaries"]], pages

    def of_patient(self, ds, patient):
        found, _ = self.search(ds, {"filters": [{"values": [{"DICOMPatientId": patient}], "operator": "EQUAL"}]})
        self.assertEqual(len(found), 1, found)
        return found[0]["imageSetId"]

    def metadata(self, ds, image_set_id, **extra):
        out = self.client.get_image_set_metadata(datastoreId=ds, imageSetId=image_set_id, **extra)
        self.assertEqual(out["contentType"], "application/json")
        self.assertEqual(out["contentEncoding"], "gzip")
        blob = out["imageSetMetadataBlob"].read()
        self.assertEqual(blob[:2], b"\x1f\x8b", "botocore hands over the gzip bytes as they came")
        return json.loads(gzip.decompress(blob))

    def check_frames(self, ds, image_set_id, metadata):
        """GetImageFrame of every frame: a codestream of FrameSizeInBytes, SOC first, that decodes (HTJ2K,
        when ojph_expand is installed) to the checksum the metadata gives. Answers how many were decoded."""
        decoded = 0
        for frame_id, syntax, entry in frames_of(metadata):
            with self.subTest(frame=frame_id):
                out = self.client.get_image_frame(datastoreId=ds, imageSetId=image_set_id,
                                                  imageFrameInformation={"imageFrameId": frame_id})
                self.assertEqual(out["contentType"], "image/j2c" if syntax == JPEG2000 else "image/jph")
                body = out["imageFrameBlob"].read()
                self.assertEqual(body[:2], b"\xff\x4f")
                self.assertEqual(len(body), entry["FrameSizeInBytes"])
                if OJPH_EXPAND and syntax == HTJ2K:
                    full = max(entry["PixelDataChecksumFromBaseToFullResolution"], key=lambda c: c["Width"])
                    instance_components = 3 if metadata_components(metadata, frame_id) == 3 else 1
                    crc = decoded_crc32(body, instance_components, full["Width"], full["Height"])
                    if crc is not None:
                        self.assertEqual(crc, full["Checksum"])
                        decoded += 1
        return decoded

    # -- tests --------------------------------------------------------------------------------

    def test_import_then_the_whole_data_plane(self):
        for name in STUDY + ["no_meta.dcm"]:
            self.put(f"study/{name}", name)
        ds = self.new_datastore()
        job = self.completed_import(ds, "study/")
        self.assertEqual(job["outputS3Uri"], f"s3://sdk-out/{self.prefix}/{ds}-DicomImport-{job['jobId']}/")
        self.assertNotIn("message", job)

        # The manifest and the NDJSON files.
        summary = self.manifest(job)
        self.assertEqual(summary["jobId"], job["jobId"])
        self.assertEqual(summary["datastoreId"], ds)
        self.assertEqual(summary["successOutputS3Uri"], job["outputS3Uri"] + "SUCCESS/")
        self.assertEqual(summary["failureOutputS3Uri"], job["outputS3Uri"] + "FAILURE/")
        self.assertEqual((summary["numberOfScannedFiles"], summary["numberOfImportedFiles"],
                          summary["numberOfFilesWithCustomerError"], summary["numberOfFilesWithServerError"],
                          summary["numberOfGeneratedImageSets"]), (5, 4, 1, 0, 4))
        ids = {s["imageSetId"] for s in summary["imageSetsSummary"]}
        self.assertEqual(len(ids), 4)
        for s in summary["imageSetsSummary"]:
            self.assertEqual((s["numberOfMatchedSOPInstances"], s["imageSetVersion"], s["isPrimary"]), (1, 1, True))
        successes = self.ndjson(summary["successOutputS3Uri"] + "success.ndjson")
        self.assertEqual(sorted(s["inputFile"] for s in successes), sorted(f"{self.prefix}/study/{n}" for n in STUDY))
        self.assertEqual({s["importResponse"]["imageSetId"] for s in successes}, ids)
        failures = self.ndjson(summary["failureOutputS3Uri"] + "failure.ndjson")
        self.assertEqual(failures, [{"inputFile": f"{self.prefix}/study/no_meta.dcm",
                                     "exception": {"exceptionType": "ValidationException", "message": NO_DICM}}])

        # SearchImageSets: one page, and one summary a page through the paginator.
        everything, pages = self.search(ds)
        self.assertEqual({s["imageSetId"] for s in everything}, ids)
        self.assertEqual(len(pages), 1)
        paged, pages = self.search(ds, page_size=1)
        self.assertEqual(sorted(s["imageSetId"] for s in paged), sorted(ids))
        self.assertGreaterEqual(len(pages), 4)
        self.assertTrue(all(len(p["imageSetsMetadataSummaries"]) <= 1 for p in pages))
        by_date, pages = self.search(ds, {"sort": {"sortOrder": "ASC", "sortField": "DICOMStudyDateAndTime"}}, 2)
        dates = [s["DICOMTags"]["DICOMStudyDate"] for s in by_date]
        self.assertEqual(dates, sorted(dates))
        self.assertEqual((dates[0], dates[-1]), ("20040119", "20170101"))
        self.assertEqual(pages[0]["sort"], {"sortOrder": "ASC", "sortField": "DICOMStudyDateAndTime"})
        ct = self.of_patient(ds, "1CT1")
        ct_summary = next(s for s in everything if s["imageSetId"] == ct)
        self.assertEqual(ct_summary["DICOMTags"]["DICOMSeriesModality"], "CT")
        self.assertEqual(ct_summary["version"], 1)
        self.assertTrue(ct_summary["isPrimary"])
        for bad in ({"filters": [{"values": [{"DICOMPatientId": "a"}, {"DICOMPatientId": "b"}], "operator": "EQUAL"}]},
                    {"filters": [{"values": [{"DICOMPatientId": "a"}, {"DICOMPatientId": "b"}],
                                  "operator": "BETWEEN"}]}):
            with self.subTest(criteria=bad), self.assertRaises(self.client.exceptions.ValidationException):
                self.client.search_image_sets(datastoreId=ds, searchCriteria=bad)

        # GetImageSet.
        got = self.client.get_image_set(datastoreId=ds, imageSetId=ct)
        self.assertEqual((got["versionId"], got["imageSetState"], got["imageSetWorkflowStatus"]),
                         ("1", "ACTIVE", "IMPORTED"))
        self.assertEqual(got["imageSetArn"],
                         f"arn:aws:medical-imaging:us-east-1:123456789012:datastore/{ds}/imageset/{ct}")
        self.assertTrue(got["isPrimary"])

        # GetImageSetMetadata and GetImageFrame, for every image set.
        decoded = 0
        frame_count = 0
        for image_set_id in ids:
            metadata = self.metadata(ds, image_set_id)
            self.assertEqual(metadata["ImageSetID"], image_set_id)
            self.assertIn("PatientID", metadata["Patient"]["DICOM"])
            frame_count += len(frames_of(metadata))
            decoded += self.check_frames(ds, image_set_id, metadata)
        self.assertEqual(frame_count, 5)  # CT, MR, NM and the RGB instance's two
        if OJPH_EXPAND:
            self.assertEqual(decoded, 4, "every HTJ2K frame (all but the JPEG 2000 one) is checked")
        ct_metadata = self.metadata(ds, ct)
        series = ct_metadata["Study"]["Series"]
        self.assertEqual(list(series), ["1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322"])
        self.assertEqual(ct_metadata["Patient"]["DICOM"]["PatientID"], "1CT1")

        # A second import of the CT file: version 2 of the same image set.
        self.put("again/ct.dcm", "CT_small.dcm")
        again = self.manifest(self.completed_import(ds, "again/"))
        self.assertEqual([(s["imageSetId"], s["imageSetVersion"]) for s in again["imageSetsSummary"]], [(ct, 2)])
        versions = [v for p in self.client.get_paginator("list_image_set_versions").paginate(
            datastoreId=ds, imageSetId=ct, PaginationConfig={"PageSize": 1}) for v in p["imageSetPropertiesList"]]
        self.assertEqual([v["versionId"] for v in versions], ["2", "1"])
        self.assertTrue(all(v["imageSetState"] == "ACTIVE" for v in versions))
        self.assertEqual(self.client.get_image_set(datastoreId=ds, imageSetId=ct, versionId="1")["versionId"], "1")
        self.assertEqual(len(frames_of(self.metadata(ds, ct, versionId="1"))), 1)

        # Tags on the image set's ARN.
        arn = got["imageSetArn"]
        self.client.tag_resource(resourceArn=arn, tags={"study": "chest", "reader": "dr-a"})
        self.assertEqual(self.client.list_tags_for_resource(resourceArn=arn)["tags"],
                         {"study": "chest", "reader": "dr-a"})
        self.client.untag_resource(resourceArn=arn, tagKeys=["reader"])
        self.assertEqual(self.client.list_tags_for_resource(resourceArn=arn)["tags"], {"study": "chest"})

        # DeleteImageSet; the datastore cannot go while image sets remain.
        with self.assertRaises(self.client.exceptions.ConflictException):
            self.client.delete_datastore(datastoreId=ds)
        frame_id = frames_of(ct_metadata)[0][0]
        deleted = self.client.delete_image_set(datastoreId=ds, imageSetId=ct)
        self.assertEqual((deleted["imageSetState"], deleted["imageSetWorkflowStatus"]), ("LOCKED", "DELETING"))
        after = self.client.get_image_set(datastoreId=ds, imageSetId=ct)
        self.assertEqual(after["imageSetState"], "DELETED")
        self.assertIn("deletedAt", after)
        with self.assertRaises(self.client.exceptions.ResourceNotFoundException):
            self.client.get_image_frame(datastoreId=ds, imageSetId=ct, imageFrameInformation={"imageFrameId": frame_id})
        remaining, _ = self.search(ds)
        self.assertEqual({s["imageSetId"] for s in remaining}, ids - {ct})
        for image_set_id in ids - {ct}:
            self.client.delete_image_set(datastoreId=ds, imageSetId=image_set_id)
        self.assertEqual(self.client.delete_datastore(datastoreId=ds)["datastoreStatus"], "DELETING")

    def test_unknown_and_malformed_image_set_ids(self):
        ds = self.new_datastore()
        with self.assertRaises(self.client.exceptions.ResourceNotFoundException):
            self.client.get_image_set(datastoreId=ds, imageSetId="0123456789abcdef0123456789abcdef")
        with self.assertRaises(self.client.exceptions.ResourceNotFoundException):
            self.client.get_image_set_metadata(datastoreId=ds, imageSetId="0123456789abcdef0123456789abcdef")
        # botocore has no client-side pattern check, so the server's message comes back.
        with self.assertRaises(self.client.exceptions.ValidationException) as caught:
            self.client.get_image_set(datastoreId=ds, imageSetId="not-an-id")
        self.assertEqual(caught.exception.response["Error"]["Message"],
                         "1 validation error detected: Value 'not-an-id' at 'imageSetId' failed to satisfy constraint: "
                         "Member must satisfy regular expression pattern: [0-9a-z]{32}")

    def test_folder_of_broken_files(self):
        self.put("mixed/good.dcm", "CT_small.dcm")
        self.put("mixed/no_meta.dcm", "no_meta.dcm")
        self.put_bytes("mixed/notes.txt", b"not DICOM at all")
        self.put_bytes("mixed/cut.dcm", (TEST_FILES / "MR_small.dcm").read_bytes()[:600])
        os.symlink("/etc/passwd", self.s3_dir / "sdk-in" / self.prefix / "mixed" / "passwd.dcm")
        ds = self.new_datastore()
        job = self.completed_import(ds, "mixed/")
        summary = self.manifest(job)
        self.assertEqual((summary["numberOfScannedFiles"], summary["numberOfImportedFiles"],
                          summary["numberOfFilesWithCustomerError"], summary["numberOfGeneratedImageSets"]),
                         (5, 1, 4, 1))
        failures = {f["inputFile"]: f["exception"] for f in self.ndjson(summary["failureOutputS3Uri"] + "failure.ndjson")}
        base = f"{self.prefix}/mixed/"
        self.assertEqual(sorted(failures), sorted(base + n for n in ("cut.dcm", "no_meta.dcm", "notes.txt", "passwd.dcm")))
        self.assertEqual(failures[base + "notes.txt"]["message"], NO_DICM)
        for exception in failures.values():
            self.assertEqual(exception["exceptionType"], "ValidationException")
            self.assertNotIn("root:", exception["message"])
        found, _ = self.search(ds)
        self.assertEqual([s["DICOMTags"]["DICOMPatientId"] for s in found], ["1CT1"])

    def test_missing_input_prefix_fails_the_job(self):
        ds = self.new_datastore()
        job = self.run_import(ds, "never-written/")
        self.assertEqual(job["jobStatus"], "FAILED")
        self.assertEqual(job["message"], f"The input S3 location s3://sdk-in/{self.prefix}/never-written/ does not exist")
        self.assertIn("endedAt", job)

    def test_host_prefix_is_what_the_switch_turns_off(self):
        """With the host prefix on, botocore aims the data plane at runtime-<host>, which a local
        endpoint does not answer; the control plane has none."""
        ds = self.new_datastore()
        prefixed = self.make_client(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=2)
        with self.assertRaises(botocore.exceptions.EndpointConnectionError) as caught:
            prefixed.search_image_sets(datastoreId=ds)
        self.assertIn("runtime-", str(caught.exception))
        self.assertEqual(prefixed.get_datastore(datastoreId=ds)["datastoreProperties"]["datastoreId"], ds)


def metadata_components(metadata, frame_id):
    """SamplesPerPixel of the instance holding the frame (1 when absent)."""
    for series in metadata["Study"]["Series"].values():
        for instance in series["Instances"].values():
            if any(f["ID"] == frame_id for f in instance.get("ImageFrames", [])):
                return int(instance["DICOM"].get("SamplesPerPixel", 1))
    return 1


if __name__ == "__main__":
    unittest.main()
