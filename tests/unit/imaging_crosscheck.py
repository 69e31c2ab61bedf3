#!/usr/bin/python3
"""Cross-checks hil_imaging against two independent implementations.

For each sample file: imaging_dump writes our stored HTJ2K frames; ojph_expand (openjph-tools)
decodes them; pydicom (Debian's, with numpy) decodes the original file. The two pixel buffers
must be equal byte for byte, and zlib.crc32 of pydicom's pixels must be our checksum. And the
metadata: every top-level element pydicom reads (text, numbers, UIDs, dates; not sequences,
binary or private ones) is in our document at one of its levels, with the same value.

usage: imaging_crosscheck.py --dump PATH/TO/imaging_dump [--files DIR]
Exit status: 0 all equal, 1 a mismatch, 77 skipped (a tool or module is missing).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

try:
    import numpy
    import pydicom
    MISSING = None
except ImportError as e:
    MISSING = str(e)

SKIP = 77
# Files pydicom decodes with numpy alone (no JPEG / JPEG 2000 plug-ins in Debian's set).
SAMPLES = [
    "CT_small.dcm",
    "MR_small.dcm",
    "MR_small_implicit.dcm",
    "MR_small_bigendian.dcm",
    "MR_small_RLE.dcm",
    "SC_rgb_rle_2frame.dcm",
    "SC_rgb_rle_16bit_2frame.dcm",
    "SC_rgb_small_odd.dcm",
    "image_dfl.dcm",
]


def expanded_pixels(ojph_expand, codestream, work, colour):
    """Our frame as ojph_expand decodes it, little-endian samples interleaved."""
    # ojph_expand writes colour only as PPM (16-bit samples big-endian); grey as raw samples.
    out = os.path.join(work, "expanded.ppm" if colour else "expanded.raw")
    subprocess.run([ojph_expand, "-i", codestream, "-o", out], check=True, capture_output=True)
    with open(out, "rb") as f:
        data = f.read()
    if not colour:
        return data
    fields, pos = [], 0  # the header: magic, width, height, maxval, each followed by whitespace
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        start = pos
        while not data[pos:pos + 1].isspace():
            pos += 1
        fields.append(data[start:pos])
    body = data[pos + 1:]
    if int(fields[3]) > 255:
        body = numpy.frombuffer(body, dtype=">u2").astype("<u2").tobytes()
    return body


TEXT_VRS = {"AE", "AS", "CS", "DA", "DT", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"}
NUMBER_VRS = {"US", "UL", "SS", "SL", "FL", "FD", "IS", "DS"}


def metadata_mismatches(ds, document):
    """The elements of `ds` whose value our metadata document does not carry, as messages."""
    levels = [document["Patient"]["DICOM"], document["Study"]["DICOM"]]
    for series in document["Study"]["Series"].values():
        levels.append(series["DICOM"])
        for instance in series["Instances"].values():
            levels.append(instance["DICOM"])
    ours = {}
    for level in levels:
        ours.update(level)
    problems, compared = [], 0
    for elem in ds:
        if elem.tag.is_private or elem.VR not in TEXT_VRS | NUMBER_VRS or not elem.keyword:
            continue
        if elem.keyword in ("PixelData",):
            continue
        compared += 1
        if elem.keyword not in ours:
            problems.append(f"{elem.keyword} missing")
            continue
        theirs = elem.value
        mine = ours[elem.keyword]
        values = list(theirs) if isinstance(theirs, (list, pydicom.multival.MultiValue)) else [theirs]
        mine_values = mine if isinstance(mine, list) else [mine]
        if elem.VM == 0 or theirs in (None, ""):
            if mine not in (None, "", []):
                problems.append(f"{elem.keyword}: empty in the file, {mine!r} in ours")
            continue
        if len(values) != len(mine_values):
            problems.append(f"{elem.keyword}: {len(values)} values in the file, {len(mine_values)} in ours")
            continue
        for a, b in zip(values, mine_values):
            if elem.VR in NUMBER_VRS:
                if b is None or abs(float(a) - float(b)) > 1e-9 * max(1.0, abs(float(a))):
                    problems.append(f"{elem.keyword}: {a!r} in the file, {b!r} in ours")
            elif str(a).strip() != str(b).strip():
                problems.append(f"{elem.keyword}: {str(a)!r} in the file, {b!r} in ours")
    return compared, problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dump", required=True)
    parser.add_argument("--files", default="/usr/lib/python3/dist-packages/pydicom/data/test_files")
    args = parser.parse_args()
    if MISSING:
        print(f"skipped: {MISSING} (python3-pydicom, python3-numpy)")
        return SKIP
    ojph_expand = shutil.which("ojph_expand")
    if ojph_expand is None:
        print("skipped: ojph_expand is not installed (openjph-tools)")
        return SKIP

    failures = checked = 0
    for name in SAMPLES:
        path = os.path.join(args.files, name)
        if not os.path.exists(path):
            print(f"{name}: absent, skipped")
            continue
        ds = pydicom.dcmread(path)
        try:
            array = ds.pixel_array
        except Exception as e:  # pydicom lacks a handler for this syntax here
            print(f"{name}: pydicom cannot decode it ({e}), skipped")
            continue
        frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
        samples = int(ds.SamplesPerPixel)
        if frames == 1:
            array = array[numpy.newaxis, ...]
        dtype = ("<i" if int(ds.PixelRepresentation) == 1 else "<u") + ("1" if int(ds.BitsAllocated) == 8 else "2")
        with tempfile.TemporaryDirectory() as work:
            listing = subprocess.run([args.dump, path, work], check=True, capture_output=True, text=True).stdout
            lines = [line.split() for line in listing.splitlines()]
            if len(lines) != frames:
                print(f"{name}: {len(lines)} frames stored, pydicom sees {frames}")
                failures += 1
                continue
            with open(os.path.join(work, "metadata.json")) as f:
                compared, problems = metadata_mismatches(ds, json.load(f))
            if problems:
                print(f"{name}: metadata differs from pydicom's reading: {problems[:5]}")
                failures += 1
            else:
                print(f"{name}: {compared} elements equal to pydicom's reading")
            for index, width, height, checksum, _syntax in lines:
                expected = array[int(index)].astype(dtype).tobytes()
                got = expanded_pixels(ojph_expand, os.path.join(work, f"frame_{index}.j2c"), work, samples == 3)
                checked += 1
                if got != expected:
                    print(f"{name} frame {index}: ojph_expand's pixels differ from pydicom's")
                    failures += 1
                elif zlib.crc32(expected) != int(checksum):
                    print(f"{name} frame {index}: checksum {checksum}, pydicom's pixels give {zlib.crc32(expected)}")
                    failures += 1
                else:
                    print(f"{name} frame {index}: {width}x{height} equal, crc32 {checksum}")
    print(f"{checked} frames checked, {failures} failures")
    if checked == 0:
        return SKIP
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
