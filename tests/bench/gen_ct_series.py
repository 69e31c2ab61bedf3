#!/usr/bin/python3
"""Writes a synthetic CT series for the import benchmark: N slices of ROWSxCOLS 16-bit signed
pixels (a body-like ellipse with noise, as a scanner's output compresses), Explicit VR Little
Endian, one study and series. Runs with Debian's python3-pydicom and python3-numpy.
  gen_ct_series.py OUT_DIR [--slices 300] [--size 512]"""
import argparse
import os

import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--slices", type=int, default=300)
    p.add_argument("--size", type=int, default=512)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(7)
    n = a.size
    y, x = np.mgrid[0:n, 0:n]
    body = ((x - n / 2) / (n * 0.42)) ** 2 + ((y - n / 2) / (n * 0.33)) ** 2 <= 1
    study, series = generate_uid(), generate_uid()
    for k in range(a.slices):
        pixels = np.where(body, 40 + 30 * np.sin((x + k) / 23.0) * np.cos(y / 31.0), -1000)
        pixels = (pixels + rng.normal(0, 12, (n, n))).astype(np.int16)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CT_IMAGE_STORAGE
        sop = generate_uid()
        meta.MediaStorageSOPInstanceUID = sop
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID, ds.SOPInstanceUID = CT_IMAGE_STORAGE, sop
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.PatientID, ds.PatientName, ds.StudyDate, ds.StudyTime = "BENCH", "Bench^CT", "20260101", "120000"
        ds.Modality, ds.SeriesNumber, ds.InstanceNumber, ds.StudyID = "CT", "1", str(k + 1), "1"
        ds.Rows = ds.Columns = n
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.RescaleIntercept, ds.RescaleSlope = "0", "1"
        ds.PixelData = pixels.tobytes()
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(os.path.join(a.out, "slice%04d.dcm" % k), write_like_original=False)


if __name__ == "__main__":
    main()
