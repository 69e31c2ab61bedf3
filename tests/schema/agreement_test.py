#!/usr/bin/python3
"""fixtures/schema.json and the fixture loader agree: every document below is accepted by both or
refused by both.

The schema's verdict comes from Debian's python3-jsonschema (Draft202012Validator), the loader's from
`healthimaging-local --check-fixtures --fixtures FILE` (exit 0 accepted, 1 refused, never listening).
Corpus:
  - every fixture in the repository (each *.json whose top level has a fixture member), each file
    alone and each folder of them at once; all must be accepted and name the schema in "$schema";
  - every fixture document in a ```json block of README.md (read-only);
  - the fixture fuzz target's corpus and regressions (many are not JSON at all);
  - tests/schema/invalid/: one refusal each that the schema can express; `expected.tsv` names the
    place the loader must report, and the schema must report an error at or around the same place;
  - generated: every operation with every error and every label in a fault rule, and an unknown
    member in every kind of object, whose "expected one of" list must be the schema's members (and
    likewise the loader's lists of operations and errors, the schema's enums);
  - tests/schema/loader-only/: what only the loader checks (cross-references, duplicates across
    files, order of two times, ...): the schema accepts these and the loader refuses them.

Run by ctest (test `schema_agreement`) with the binary's path, or by hand:
    /usr/bin/python3 tests/schema/agreement_test.py build/healthimaging-local
Debian's python3-jsonschema is importable from /usr/bin/python3, not from a pyenv python3 that may
come first on PATH; hence the explicit interpreter.

Two things the text of a document decides and JSON Schema's data model cannot see are applied the
way the loader (RapidJSON) reads JSON, before and beside the schema:
  - the text must be I-JSON (RFC 7493): UTF-8, no lone surrogate, no member name twice, finite
    numbers; a document that is not is refused before the schema is consulted;
  - a whole number is a number written without a fraction or exponent: JSON Schema's "integer"
    also counts 1.0, which the loader refuses, so the validator's "integer" type is the literal's.
And JSON Schema's patterns are ECMA-262 regular expressions, in which `$` is the end of the text;
Python's `re` also lets `$` match before a final newline, so the validator gets ECMA's `$`.
"""

import concurrent.futures
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
from jsonschema import validators

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "tests", "schema")
SCHEMA_PATH = os.path.join(ROOT, "fixtures", "schema.json")
TOP_MEMBERS = {"accountId", "region", "datastores", "jobs", "importRules", "imports", "faults", "credentials",
               "policies"}


# --- the schema's side ---

class NotIJson(ValueError):
    pass


def _no_duplicates(pairs):
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise NotIJson(f"member {k!r} given twice")
        seen[k] = v
    return seen


def _refuse_constant(name):
    raise NotIJson(f"{name} is not JSON")


def _finite_float(text):
    v = float(text)
    if not math.isfinite(v):
        raise NotIJson(f"number {text[:20]} is too big")
    return v


def _lone_surrogate(value):
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) > sys.float_info.max  # no double holds it: RapidJSON refuses the text
    return False


def read_ijson(data):
    """The document as Python values, or NotIJson."""
    try:
        text = data.decode("utf-8")
        if text.startswith("\ufeff"):
            text = text[1:]  # a byte-order mark, which RFC 8259 lets a parser ignore, and RapidJSON does
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant,
                           parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError) as e:  # json.JSONDecodeError and NotIJson are ValueErrors
        raise NotIJson(str(e)) from e
    if _lone_surrogate(value):
        raise NotIJson("a lone surrogate, or a number too big for a double")
    return value


_DOLLAR = re.compile(r"\\.|\[(?:\\.|[^\]\\])*\]|\$", re.S)


def ecma_pattern(pattern):
    """`pattern` with ECMA-262's `$` (the end of the text) written as Python's \\Z."""
    return _DOLLAR.sub(lambda m: r"\Z" if m.group(0) == "$" else m.group(0), pattern)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not re.search(ecma_pattern(pattern), instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _literal_integer(checker, instance):
    return isinstance(instance, int) and not isinstance(instance, bool)


with open(SCHEMA_PATH, encoding="utf-8") as f:
    SCHEMA = json.load(f)
jsonschema.Draft202012Validator.check_schema(SCHEMA)
Validator = validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _pattern},
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _literal_integer))
# No member of the format has a "format": the loader checks patterns, not formats; the checker is
# given anyway so that one added later is enforced here.
VALIDATOR = Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def pointer(path):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def schema_errors(data):
    """(accepted, [reasons], [pointers of the errors, nested ones included])."""
    try:
        doc = read_ijson(data)
    except NotIJson as e:
        return False, [f"not I-JSON: {e}"], [""]
    errors = list(VALIDATOR.iter_errors(doc))
    places = []
    stack = list(errors)
    while stack:
        e = stack.pop()
        places.append(pointer(e.absolute_path))
        stack.extend(e.context or [])
    return not errors, [f"{pointer(e.absolute_path) or '/'}: {e.message[:300]}" for e in errors], places


# --- the loader's side ---

BINARY = None


def loader_verdict(path):
    """(accepted, message) from --check-fixtures on `path` (a file or a folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIL_")}
    p = subprocess.run([BINARY, "--check-fixtures", "--fixtures", path], capture_output=True, env=env, timeout=60)
    out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    if p.returncode == 0:
        if out or err:
            raise AssertionError(f"--check-fixtures accepted {path} but printed: {out}{err}")
        return True, ""
    if p.returncode != 1 or "fixture " not in err:
        raise AssertionError(f"--check-fixtures on {path}: exit {p.returncode}, said: {out}{err}")
    return False, err.strip()


# --- the corpus ---

class Case:
    def __init__(self, name, data=None, path=None, want=None, place=None, schema_place=None, schema_want=None):
        self.name, self.data, self.path = name, data, path
        self.schema_place = schema_place or place  # where the schema reports it, when a pair makes it elsewhere
        self.want = want                # None: any verdict, as long as both agree
        self.place = place              # invalid/: the pointer the loader must name
        self.schema_want = schema_want  # loader-only/: the schema's own verdict


def repository_json():
    """Every *.json of the source tree (not build folders, .git or node_modules), relative to ROOT."""
    out = []
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in (".git", "node_modules")
                         and not os.path.exists(os.path.join(top, d, "CMakeCache.txt")))
        out += [os.path.relpath(os.path.join(top, f), ROOT) for f in sorted(files) if f.endswith(".json")]
    return out


def repository_fixtures():
    cases, folders = [], set()
    for rel in repository_json():
        # Benchmark results are reports, not fixtures (load.json has a "jobs" member).
        if rel.startswith(("tests/schema/", "tests/bench/results/")) or rel == "fixtures/schema.json":
            continue
        with open(os.path.join(ROOT, rel), "rb") as f:
            data = f.read()
        try:
            doc = json.loads(data)
        except ValueError:
            continue
        if not isinstance(doc, dict) or not TOP_MEMBERS & doc.keys():
            continue
        named = doc.get("$schema")
        where = os.path.normpath(os.path.join(os.path.dirname(os.path.join(ROOT, rel)), str(named)))
        if where != SCHEMA_PATH:
            raise AssertionError(f"{rel}: \"$schema\" is {named!r}, not the relative path of fixtures/schema.json")
        cases.append(Case(rel, data=data, path=os.path.join(ROOT, rel), want=True))
        folders.add(os.path.dirname(rel))
    # A folder is what --fixtures loads at once (duplicates across its files are refused).
    for d in sorted(folders):
        cases.append(Case(d + "/", path=os.path.join(ROOT, d), want=True))
    return cases


FENCE = re.compile(r"^```json[^\n]*\n(.*?)^```", re.M | re.S)


def readme_examples():
    cases = []
    for rel in ["README.md"]:
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            text = f.read()
        for n, m in enumerate(FENCE.finditer(text)):
            block = m.group(1)
            try:
                doc = json.loads(block)
            except ValueError:
                continue  # an abridged sketch ("[...]"), not a document
            # A fixture document: an object with a top-level fixture member (not a lone rule or job).
            if isinstance(doc, dict) and TOP_MEMBERS & doc.keys():
                line = text.count("\n", 0, m.start()) + 1
                cases.append(Case(f"{rel}:{line}", data=block.encode(), want=True))
    return cases


def fuzz_corpus():
    cases = []
    for d in ("tests/fuzz/corpus/fuzz_fixture", "tests/fuzz/regressions/fuzz_fixture"):
        for f in sorted(os.listdir(os.path.join(ROOT, d))):
            with open(os.path.join(ROOT, d, f), "rb") as fh:
                cases.append(Case(f"{d}/{f}", data=fh.read()))
    return cases


def invalid_corpus():
    folder = os.path.join(HERE, "invalid")
    expected = {}
    with open(os.path.join(folder, "expected.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, *places = line.rstrip("\n").split("\t")
                expected[name] = places
    files = sorted(f for f in os.listdir(folder) if f.endswith(".json"))
    if sorted(expected) != files:
        raise AssertionError(f"tests/schema/invalid/expected.tsv and the folder differ: {sorted(set(expected) ^ set(files))}")
    cases = []
    for f in files:
        with open(os.path.join(folder, f), "rb") as fh:
            loader_place, *schema_place = expected[f]
            cases.append(Case(f"invalid/{f}", data=fh.read(), want=False, place=loader_place,
                              schema_place=schema_place[0] if schema_place else loader_place))
    return cases


def loader_only_corpus():
    folder = os.path.join(HERE, "loader-only")
    cases = []
    for f in sorted(os.listdir(folder)):
        full = os.path.join(folder, f)
        if os.path.isdir(full):  # several files loaded together: the schema sees each alone
            parts = [open(os.path.join(full, p), "rb").read() for p in sorted(os.listdir(full)) if p.endswith(".json")]
            cases.append(Case(f"loader-only/{f}/", path=full, want=False, schema_want=True, data=parts))
        elif f.endswith(".json"):
            with open(full, "rb") as fh:
                cases.append(Case(f"loader-only/{f}", data=fh.read(), want=False, schema_want=True))
    return cases


def operation_table():
    fault = SCHEMA["$defs"]["Fault"]
    ops = fault["properties"]["operation"]["enum"]
    errors = fault["properties"]["error"]["enum"]
    labels = {"datastoreId": "a" * 32, "jobId": "j1", "imageSetId": "b" * 32, "sourceImageSetId": "c" * 32,
              "resourceArn": "arn:aws:medical-imaging:us-east-1:123456789012:datastore/" + "a" * 32}
    if set(labels) != {k for k, v in fault["properties"].items() if v.get("description", "").startswith("Match: the request's URI label")}:
        raise AssertionError("the generated cases do not cover the schema's labels")
    cases = []
    for op in ops:
        for e in errors:
            cases.append(Case(f"generated: {op} with {e}", data=json.dumps({"faults": [{"operation": op, "error": e}]}).encode()))
        for label, value in labels.items():
            cases.append(Case(f"generated: {op} with {label}",
                              data=json.dumps({"faults": [{"operation": op, label: value, "delayMs": 1}]}).encode()))
    for e in errors + ["NoSuchException", "UnknownOperationException"]:
        cases.append(Case(f"generated: any operation with {e}", data=json.dumps({"faults": [{"error": e}]}).encode()))
    # The loader lists what it knows when it refuses a name: those lists must be the schema's enums.
    cases[-1].listed = (r"is not an error of the API \(([^)]*)\)", errors)
    cases.append(Case("generated: a byte-order mark first", data=b"\xef\xbb\xbf" + json.dumps({"faults": [{"delayMs": 1}]}).encode(), want=True))
    cases.append(Case("generated: an unknown operation", data=b'{"faults": [{"operation": "Nope", "delayMs": 1}]}'))
    cases[-1].listed = (r"is not an operation this emulator serves \(([^)]*)\)", ops)
    return cases


# One valid object of each kind, and where it sits: an unknown member in it must be refused by
# both, and the loader's "expected one of" list must be the schema's members.
DS = {"datastoreId": "a" * 32, "datastoreName": "n", "datastoreStatus": "ACTIVE"}
JOB = {"jobId": "j1", "datastoreId": "a" * 32, "jobName": "j", "jobStatus": "SUBMITTED",
       "dataAccessRoleArn": "arn:aws:iam::123456789012:role/r", "inputS3Uri": "s3://input/x/", "outputS3Uri": "s3://output/y/"}
KINDS = [
    ("", "", {}),
    ("Datastore", "/datastores/0", {"datastores": [DS]}),
    ("Job", "/jobs/0", {"datastores": [DS], "jobs": [JOB]}),
    ("JobStep", "/jobs/0/progression/0", {"datastores": [DS], "jobs": [dict(JOB, progression=[{"jobStatus": "FAILED", "afterPolls": 1}])]}),
    ("DatastoreStep", "/datastores/0/progression/0", {"datastores": [dict(DS, progression=[{"datastoreStatus": "ACTIVE", "afterPolls": 1}])]}),
    ("Progress", "/jobs/0/progress", {"datastores": [DS], "jobs": [dict(JOB, progression=[{"jobStatus": "FAILED", "afterPolls": 1}], progress={})]}),
    ("ImportRule", "/importRules/0", {"importRules": [{"inputS3UriPrefix": "s3://x/"}]}),
    ("SeededImport", "/imports/0", {"datastores": [DS], "imports": [{"datastoreId": "a" * 32, "inputS3Uri": "s3://input/x/", "outputS3Uri": "s3://output/y/"}]}),
    ("Fault", "/faults/0", {"faults": [{"delayMs": 1}]}),
    ("Credential", "/credentials/0", {"credentials": [{"accessKeyId": "AKID", "secretAccessKey": "s", "accountId": "123456789012"}]}),
    ("Policy", "/policies/0", {"policies": [{"effect": "Allow", "principal": "*", "actions": ["*"], "resources": ["*"]}]}),
]


def at(doc, place):
    for part in place.split("/")[1:]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def member_lists():
    cases = []
    for kind, place, doc in KINDS:
        schema_props = (SCHEMA if not kind else SCHEMA["$defs"][kind])["properties"]
        d = json.loads(json.dumps(doc))
        at(d, place)["zzUnknown"] = 1
        cases.append(Case(f"generated: an unknown member in {kind or 'the document'}", data=json.dumps(d).encode(),
                          want=False, place=place + "/zzUnknown"))
        cases[-1].members = list(schema_props)
        cases.append(Case(f"generated: a valid {kind or 'document'}", data=json.dumps(doc).encode(), want=True))
    return cases


# --- the check ---

def run_case(case, scratch):
    if case.path is not None and case.data is None or isinstance(case.data, list):
        loader = loader_verdict(case.path)
    else:
        path = os.path.join(scratch, f"case{id(case)}.json")
        with open(path, "wb") as f:
            f.write(case.data)
        loader = loader_verdict(path)
    if isinstance(case.data, list):
        verdicts = [schema_errors(part) for part in case.data]
        schema = (all(v[0] for v in verdicts), sum((v[1] for v in verdicts), []), sum((v[2] for v in verdicts), []))
    elif case.data is not None:
        schema = schema_errors(case.data)
    else:
        schema = (True, [], [])  # a folder of repository fixtures: each file is also checked alone
    return case, loader, schema


def judge(case, loader, schema):
    """What is wrong with this case's verdicts, or None."""
    (l_ok, l_msg), (s_ok, s_msg, s_places) = loader, schema
    want_schema = case.want if case.schema_want is None else case.schema_want
    problems = []
    if case.schema_want is None and l_ok != s_ok:
        problems.append("the schema and the loader disagree")
    if case.want is not None and l_ok != case.want:
        problems.append(f"the loader {'accepted' if l_ok else 'refused'} it, expected {'accepted' if case.want else 'refused'}")
    if want_schema is not None and s_ok != want_schema:
        problems.append(f"the schema {'accepted' if s_ok else 'refused'} it, expected {'accepted' if want_schema else 'refused'}")
    if case.place == "-" and not l_ok:  # not JSON at all
        if "malformed JSON" not in l_msg:
            problems.append("the loader did not refuse it as malformed JSON")
        if not s_ok and not s_msg[0].startswith("not I-JSON"):
            problems.append("the schema's side read it as JSON")
    elif case.place is not None and not l_ok:
        if f": {case.place}: " not in l_msg:
            problems.append(f"the loader refused it elsewhere than {case.place}")
        if not any(case.schema_place.startswith(p) or p.startswith(case.schema_place) for p in s_places):
            problems.append(f"the schema refused it elsewhere than {case.schema_place}: {s_places}")
    listed = getattr(case, "listed", None)
    if listed is not None:
        m = re.search(listed[0], l_msg)
        if not m or sorted(m.group(1).split(", ")) != sorted(listed[1]):
            problems.append(f"the loader's list ({m and m.group(1)}) is not the schema's enum ({', '.join(listed[1])})")
    members = getattr(case, "members", None)
    if members is not None:
        m = re.search(r"expected one of: ([^)]*)\)", l_msg)
        if not m or sorted(m.group(1).split(", ")) != sorted(members):
            problems.append(f"the loader's members ({m and m.group(1)}) are not the schema's ({', '.join(members)})")
    if not problems:
        return None
    shown = case.data if not isinstance(case.data, list) else b"\n---\n".join(case.data)
    shown = (shown or b"(folder)")[:1500].decode("utf-8", errors="backslashreplace")
    return (f"{case.name}: {'; '.join(problems)}\n  document: {shown}\n"
            f"  loader: {'accepted' if l_ok else 'refused: ' + l_msg}\n"
            f"  schema: {'accepted' if s_ok else 'refused: ' + ' | '.join(s_msg[:5])}")


def main():
    global BINARY
    if len(sys.argv) != 2:
        sys.exit("usage: agreement_test.py PATH/TO/healthimaging-local")
    BINARY = os.path.abspath(sys.argv[1])
    groups = {
        "repository fixtures": repository_fixtures(),
        "README examples": readme_examples(),
        "fuzz corpus": fuzz_corpus(),
        "invalid documents": invalid_corpus(),
        "loader-only documents": loader_only_corpus(),
        "operations, errors and labels": operation_table(),
        "members of each object": member_lists(),
    }
    for name, cases in groups.items():
        if not cases:
            raise AssertionError(f"no {name} found: the corpus is not where this test looks")
    failures = []
    with tempfile.TemporaryDirectory() as scratch, concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for name, cases in groups.items():
            results = list(pool.map(lambda c: run_case(c, scratch), cases))
            bad = [j for j in (judge(*r) for r in results) if j]
            accepted = sum(1 for _, loader, _ in results if loader[0])
            print(f"{name}: {len(cases)} documents, {accepted} accepted, {len(cases) - accepted} refused, "
                  f"{len(bad)} wrong")
            failures += bad
    for f in failures:
        print("\nFAIL " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
