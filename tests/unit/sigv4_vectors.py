#!/usr/bin/env python3
"""Signs the requests of sigv4_test.cpp's "botocore vectors" with the real botocore signer
(botocore.auth.SigV4Auth / SigV4QueryAuth) at a fixed time and prints them as C++ for that file.

    python3 tests/unit/sigv4_vectors.py > /tmp/vectors.inc   # then paste over the generated block
    python3 tests/unit/sigv4_vectors.py --aws-suite DIR       # the AWS test suite's cases instead

DIR is the aws-sig-v4-test-suite as botocore ships it (tests/unit/auth/aws4_testsuite in the
botocore repository; also in awslabs/aws-c-auth tests/aws-signing-test-suite/v4).

Each vector is what botocore would put on the wire: method, target (path and query exactly as
sent), header fields in order (Host first, as urllib3 sends it), body, plus the canonical request
botocore computed, so the test can compare ours to it byte for byte.
"""
import datetime
import hashlib
import os
import sys
from unittest import mock

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.compat import urlsplit
from botocore.credentials import Credentials

ACCESS_KEY = "AKIAHILVECTORS000001"
SECRET_KEY = "hil/Vectors+Secret/0123456789EXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEHIL//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+session/token=="
NOW = datetime.datetime(2026, 12, 2, 1, 30, 0, tzinfo=datetime.timezone.utc)
HOST = "medical-imaging.us-east-1.amazonaws.com"
REGION = "us-east-1"
SERVICE = "medical-imaging"

ARN = "arn%3Aaws%3Amedical-imaging%3Aus-east-1%3A123456789012%3Adatastore%2Fabc"

VECTORS = [
    # name, method, path?query, extra headers, body, options
    ("tags_arn", "GET", f"/tags/{ARN}", [], b"", {}),
    ("space_and_slashes", "GET", "/datastore//a%20b/./c/../imageSet/x%2Fy/", [], b"", {}),
    ("query_empty_and_repeated", "GET", "/datastore?maxResults=5&empty=&flag&b=2&b=1&nextToken=a%2Bb%3D%3D&%C3%A9=%E2%9C%93",
     [], b"", {}),
    ("header_spaces", "GET", "/datastore/ds1",
     [("X-Hil-Spaces", "  a   b \t c  "), ("X-Hil-Repeat", "one"), ("X-Hil-Repeat", "  two  three ")], b"", {}),
    ("session_token", "GET", "/datastore/ds1", [], b"", {"token": TOKEN}),
    ("unsigned_payload", "POST", "/datastore/ds1/imageSet/is1/getImageSet?version=2",
     [("Content-Type", "application/json")], b'{"a":1}', {"unsigned": True}),
    ("post_json", "POST", "/datastore",
     [("Content-Type", "application/json"), ("amz-sdk-invocation-id", "0f5a9a8e-1c1a-4d0b-9a39-6c3cfbb0a001"),
      ("amz-sdk-request", "attempt=1; max=3")],
     b'{"datastoreName":"my store","clientToken":"tok-1","tags":{"k":"v w"}}', {}),
    ("post_json_content_sha", "POST", "/datastore/ds1/imageSet/is1/updateImageSet?latestVersion=1",
     [("Content-Type", "application/json")], b'{"updateImageSetMetadataUpdates":{}}', {"content_sha": True}),
    # A Date header instead of X-Amz-Date: botocore then writes Date in RFC 2822 form ("-0000").
    ("date_header", "GET", "/datastore/ds1/imageSet/is1", [("Date", "replaced by the signer")], b"", {}),
    ("presigned", "GET", "/datastore/ds1?maxResults=2", [], b"", {"presign": 300, "token": TOKEN}),
]


def cxx(s):
    """A C++ string literal of the bytes or text s (octal escapes never run on into the next char)."""
    if isinstance(s, str):
        s = s.encode("utf-8")
    out = ['"']
    for b in s:
        c = chr(b)
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif 0x20 <= b < 0x7F and c != "?":  # '?' escaped: no trigraph surprises
            out.append(c)
        else:
            out.append("\\%03o" % b)
    out.append('"')
    return "".join(out)


def sign(name, method, target, extra, body, options):
    creds = Credentials(ACCESS_KEY, SECRET_KEY, options.get("token"))
    request = AWSRequest(method=method, url=f"https://{HOST}{target}", data=body)
    request.headers["Host"] = HOST
    for key, value in extra:
        request.headers[key] = value  # HTTPHeaders (an email Message) appends: repeats are kept
    if options.get("unsigned"):
        request.context["payload_signing_enabled"] = False
    if options.get("content_sha"):
        request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    if "presign" in options:
        signer = botocore.auth.SigV4QueryAuth(creds, SERVICE, REGION, expires=options["presign"])
    else:
        signer = botocore.auth.SigV4Auth(creds, SERVICE, REGION)
    # The canonical request exactly as add_auth computes and signs it.
    signed = []
    compute = signer.canonical_request
    signer.canonical_request = lambda r: signed.append(compute(r)) or signed[-1]
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=NOW):
        signer.add_auth(request)
    (canonical,) = signed
    parts = urlsplit(request.url)
    sent_target = parts.path + ("?" + parts.query if parts.query else "")
    headers = list(request.headers.items())
    return sent_target, headers, canonical


def main():
    print(f"// Generated by tests/unit/sigv4_vectors.py with botocore {botocore.__version__}; do not edit by hand.")
    print("// Signed by botocore.auth.SigV4Auth (SigV4QueryAuth for 'presigned') at 20261202T013000Z,")
    print(f"// access key {ACCESS_KEY}, region {REGION}, service {SERVICE}.")
    print("const sdk_vector k_sdk_vectors[] = {")
    for vector in VECTORS:
        name, method, target, extra, body, options = vector
        sent_target, headers, canonical = sign(*vector)
        print("    {")
        print(f"        {cxx(name)},")
        print(f"        {cxx(method)},")
        print(f"        {cxx(sent_target)},")
        print("        {")
        for key, value in headers:
            print(f"            {{{cxx(key)}, {cxx(value)}}},")
        print("        },")
        print(f"        {cxx(body)},")
        print(f"        {cxx(canonical)},")
        print(f"        {'true' if options.get('token') else 'false'},")
        print("    },")
    print("};")


# The suite's cases that apply to a non-S3 service's server (all of them but the S3-only ones
# the suite does not ship here). A case's request is its .req, plus the headers its .sreq adds
# but Authorization, plus the Authorization of its .authz (the .sreq of
# get-vanilla-with-session-token carries get-vanilla's signature; the .authz is the right one).
SUITE_CASES = [
    "get-header-key-duplicate", "get-header-value-multiline", "get-header-value-order", "get-header-value-trim",
    "get-unreserved", "get-utf8", "get-vanilla", "get-vanilla-empty-query-key", "get-vanilla-query",
    "get-vanilla-query-order-encoded", "get-vanilla-query-order-key", "get-vanilla-query-order-key-case",
    "get-vanilla-query-order-value", "get-vanilla-query-unreserved", "get-vanilla-utf8-query",
    "get-vanilla-with-session-token", "normalize-path/get-relative", "normalize-path/get-relative-relative",
    "normalize-path/get-slash", "normalize-path/get-slash-dot-slash", "normalize-path/get-slash-pointless-dot",
    "normalize-path/get-slashes", "normalize-path/get-space", "normalize-path/get-special-character",
    "post-header-key-case", "post-header-key-sort", "post-header-value-case", "post-sts-token/post-sts-header-after",
    "post-sts-token/post-sts-header-before", "post-vanilla", "post-vanilla-empty-query-value", "post-vanilla-query",
    "post-x-www-form-urlencoded", "post-x-www-form-urlencoded-parameters",
]


def read_raw_request(text):
    """(method, target, [(name, value)], body) of a suite .req; continuation lines join with '\n'."""
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    method, rest = lines[0].split(" ", 1)
    target = rest.rsplit(" ", 1)[0]
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + line)
        elif line:
            name, _, value = line.partition(":")
            headers.append((name, value))
    return method, target, headers, body


def suite(root):
    def read(case, ext):
        with open(os.path.join(root, case, os.path.basename(case) + ext), encoding="utf-8") as f:
            return f.read()

    print("// Transcribed by tests/unit/sigv4_vectors.py --aws-suite from the aws-sig-v4-test-suite as")
    print("// botocore ships it (tests/unit/auth/aws4_testsuite, Apache-2.0, (c) Amazon.com, Inc.);")
    print("// AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830T123600Z, us-east-1, service.")
    print("const suite_vector k_suite_vectors[] = {")
    for case in SUITE_CASES:
        method, target, headers, body = read_raw_request(read(case, ".req"))
        names = {n.lower() for n, _ in headers}
        _, _, signed_headers, _ = read_raw_request(read(case, ".sreq"))
        for name, value in signed_headers:
            if name.lower() not in names and name.lower() != "authorization":
                headers.append((name, value))
        authz = read(case, ".authz").strip()
        headers.append(("Authorization", authz))
        token = next((v for n, v in headers if n.lower() == "x-amz-security-token"), "")
        print("    {")
        print(f"        {cxx(case)},")
        print(f"        {cxx(method)},")
        print(f"        {cxx(target)},")
        print("        {")
        for name, value in headers:
            print(f"            {{{cxx(name)}, {cxx(value)}}},")
        print("        },")
        print(f"        {cxx(body)},")
        print(f"        {cxx(read(case, '.creq'))},")
        print(f"        {cxx(read(case, '.sts'))},")
        print(f"        {cxx(authz)},")
        print(f"        {cxx(token)},")
        print("    },")
    print("};")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--aws-suite":
        suite(sys.argv[2])
    else:
        main()
