#!/usr/bin/env python3
"""Runs every example in README.md, so that none drifts from what the emulator does.

Every fenced code block in the README must be introduced by an annotation on the line before it:

  <!-- example: transcript SESSION... -->   a `$ command` transcript: each command runs in the session's
                                             shell and what it prints must be the lines below it
  <!-- example: script SESSION... -->       the block runs as it is (sh in a subshell of the session's
                                             shell, python in the session's interpreter, js as a module
                                             beside the JS SDK); with several sessions, in each of them
  <!-- example: fixture [NAME] -->       a fixture document the loader must accept; with a NAME, also
                                         the file @FILES@/NAME that sessions may load
  <!-- example: covered-by FILE... -->   run by those files: every command line of the block must be
                                         in one of them, word for word
  <!-- example: run-by FILE -->          FILE reads such blocks out of the README and runs them itself
                                         (it must name this marker)
  <!-- example: not-run REASON -->       text that cannot run here (Java, Go: no package registry for
                                         them), or that is not a program (a diagram, an outline)

A session is one emulator, started by `<!-- session NAME: FLAGS -->` (flags after the binary; paths are
relative to the repository, `@TMP@` is the session's own temporary folder, `@FILES@` the folder of the
named fixture blocks) before its first block. A `healthimaging-local ... &` line in a block stands for the
session's server and is not run. The
README's `http://127.0.0.1:7979` is the session's server; in SDK code the endpoint is replaced the same
way. Python blocks of a session share one namespace; a trailing `# -> TEXT` comment on a `print(...)`
line is the line it must print. A js block's `// -> TEXT` on a `console.log(...)` line likewise.

Transcript output is compared line by line after hiding what changes from run to run: request ids,
epoch-second timestamps, HTTP dates, journal sequence numbers and latencies; and a `…` in the README
matches any text (in `# ->` checks too).

  python3 tests/readme/readme_examples.py --binary build/healthimaging-local [--readme README.md] [-k NAME]
"""
import argparse
import contextlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = re.compile(r"^<!-- example: (\S+)(?: (.*?))? -->$")
SESSION = re.compile(r"^<!-- session (\S+):(?: (.*?))? -->$")
FENCE = re.compile(r"^```(\w*)\s*$")
LISTEN = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")
README_URL = "http://127.0.0.1:7979"


class Block:
    def __init__(self, line, lang, text, kind, args):
        self.line, self.lang, self.text, self.kind, self.args = line, lang, text, kind, args

    def where(self):
        return f"README.md:{self.line}"


def parse_readme(path):
    """The annotated blocks, and the sessions' flags. An unannotated block is an error."""
    lines = open(path, encoding="utf-8").read().split("\n")
    blocks, sessions, errors = [], {}, []
    i = 0
    while i < len(lines):
        m = SESSION.match(lines[i])
        if m:
            sessions[m.group(1)] = m.group(2) or ""
        fence = FENCE.match(lines[i])
        if fence:
            start = i
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            text = "\n".join(lines[i + 1:j])
            prev = lines[start - 1] if start > 0 else ""
            ann = EXAMPLE.match(prev)
            if not ann:
                errors.append(f"README.md:{start + 1}: a ```{fence.group(1)} block without an "
                              "`<!-- example: ... -->` line before it")
            else:
                blocks.append(Block(start + 1, fence.group(1), text, ann.group(1), (ann.group(2) or "").split()))
            i = j + 1
            continue
        i += 1
    return blocks, sessions, errors


# ---- normalising what changes from run to run --------------------------------------------------

VOLATILE = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\b1[0-9]{9}(\.[0-9]{1,3})?\b"), "<time>"),
    (re.compile(r"[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"), "<date>"),
    (re.compile(r'"sequence":[0-9]+'), '"sequence":<n>'),
    (re.compile(r'"latencyMs":[0-9.]+'), '"latencyMs":<ms>'),
    (re.compile(r"'latencyMs': [0-9.]+"), "'latencyMs': <ms>"),
]


def normalise(text):
    for pattern, repl in VOLATILE:
        text = pattern.sub(repl, text)
    return text.rstrip()


def same_line(expected, actual):
    e, a = normalise(expected), normalise(actual)
    if "…" in e:
        return re.fullmatch(".*".join(re.escape(part) for part in e.split("…")), a, re.S) is not None
    return e == a


# ---- sessions: a server, a shell, a Python namespace ---------------------------------------------

class Session:
    def __init__(self, name, flags, binary, files):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix=f"hil-readme-{name}-")
        args = [a.replace("@TMP@", self.tmp).replace("@FILES@", files) for a in shlex.split(flags)]
        for a in args:
            if a.startswith(self.tmp) and not os.path.exists(a):
                os.makedirs(a, exist_ok=True)
        self.proc = subprocess.Popen([binary, "--port", "0", *args], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(self.tmp, "server.log"), "wb"))
        line = self.proc.stdout.readline().decode()
        m = LISTEN.search(line)
        if not m:
            raise RuntimeError(f"session {name}: no 'listening on' line ({line!r}); log: "
                               + open(os.path.join(self.tmp, "server.log")).read()[-2000:])
        self.url = f"http://127.0.0.1:{m.group(1)}"
        self.port = m.group(1)
        self.namespace = {"__name__": f"readme_{name}"}
        env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                   AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true")
        for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_MEDICAL_IMAGING", "AWS_PROFILE"):
            env.pop(k, None)
        self.env = env
        # One bash for the session, so variables set in one block are there in the next.
        self.marker = 0
        self.shell = subprocess.Popen(["bash", "--norc", "--noprofile"], cwd=self.tmp, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True, bufsize=1)
        # The README's paths are the repository's: its fixtures are there for the examples to name.
        os.symlink(os.path.join(ROOT, "fixtures"), os.path.join(self.tmp, "fixtures"))
        self.shell_run(f"cd {shlex.quote(self.tmp)}; export HIL_README_ROOT={shlex.quote(ROOT)}")
        # Python blocks run here, in this process: the same environment as the shell's.
        self.saved_env = dict(os.environ)

    def here(self, text):
        return text.replace(README_URL, self.url).replace("127.0.0.1:7979", f"127.0.0.1:{self.port}")

    def shell_run(self, command, timeout=120):
        """Runs one command in the session's bash; returns what it printed (stdout and stderr)."""
        self.marker += 1
        end = f"__HIL_README_END_{self.marker}__"
        self.shell.stdin.write(self.here(command) + f"\necho; echo {end}\n")
        self.shell.stdin.flush()
        out = []
        deadline = time.time() + timeout
        while True:
            line = self.shell.stdout.readline()
            if not line:
                raise RuntimeError("the session's shell ended")
            if line.rstrip("\n") == end:
                break
            out.append(line.rstrip("\n"))
            if time.time() > deadline:
                raise RuntimeError(f"timed out: {command}")
        if out and out[-1] == "":
            out.pop()  # the echo before the marker
        return out

    def close(self):
        with contextlib.suppress(Exception):
            self.shell.stdin.close()
            self.shell.wait(timeout=5)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---- the kinds of block ------------------------------------------------------------------------------

SERVER_LINE = re.compile(r"^\s*(\$ )?healthimaging-local\b.*&\s*$")

def transcript_steps(text):
    """(command, expected lines) pairs of a `$ ` transcript; a command may continue with a trailing \\."""
    steps, command, expected = [], None, []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            if command is not None:
                steps.append((command, expected))
            command, expected = line[2:], []
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command = command + "\n" + lines[i]
            heredoc = re.search(r"<<-?'?(\w+)'?", command)
            if heredoc:  # the document is part of the command, up to its end word
                while i + 1 < len(lines):
                    i += 1
                    command += "\n" + lines[i]
                    if lines[i] == heredoc.group(1):
                        break
        elif command is not None:
            expected.append(line)
        i += 1
    if command is not None:
        steps.append((command, expected))
    return steps


def run_transcript(block, session, rewrite=None):
    """Runs the steps; with `rewrite` (a dict), records the block as the emulator printed it."""
    failures = []
    written = []
    for command, expected in transcript_steps(block.text):
        written.append("$ " + command)
        if SERVER_LINE.match(command):  # the session's server stands in for it
            written += expected
            continue
        actual = session.shell_run(command)
        same = len(actual) == len(expected) and all(same_line(e, a) for e, a in zip(expected, actual))
        written += expected if same else actual
        if not same:
            failures.append(f"$ {command}\n  README says:\n    " + "\n    ".join(expected) +
                            "\n  the emulator printed:\n    " + "\n    ".join(actual))
    if rewrite is not None and failures:
        rewrite[block.line] = "\n".join(written)
    return failures


PRINT_CHECK = re.compile(r"^(\s*)print\((.*)\)\s*# -> (.*)$")
LOG_CHECK = re.compile(r"^(\s*)console\.log\((.*)\);?\s*// -> (.*)$")


def with_checks(source, pattern, call_end=""):
    """The source with each checked print line turned into a call of __readme_check(index, values),
    and the lines the README says they print, by index."""
    checks = []
    lines = source.split("\n")
    for n, line in enumerate(lines):
        m = pattern.match(line)
        if m:
            checks.append(m.group(3))
            lines[n] = f"{m.group(1)}__readme_check({len(checks) - 1}, {m.group(2)}){call_end}"
    return "\n".join(lines), checks


def compare_checks(checks, seen, what):
    failures = []
    for index, expected in enumerate(checks):
        if index not in seen:
            failures.append(f"`{what}  -> {expected}` never ran")
        elif not same_line(expected, seen[index]):
            failures.append(f"printed {seen[index]!r}, the README says {expected!r}")
    return failures


def run_python(block, session):
    source, checks = with_checks(session.here(block.text), PRINT_CHECK)
    seen = {}

    def check(index, *values):
        seen[index] = " ".join(str(v) for v in values)
    session.namespace["__readme_check"] = check
    out = io.StringIO()
    os.environ.clear()
    os.environ.update(session.env)
    cwd = os.getcwd()
    os.chdir(session.tmp)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(source, f"{block.where()} (python)", "exec"), session.namespace)
    except Exception:
        return [f"raised:\n{traceback.format_exc()}"]
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(session.saved_env)
    return compare_checks(checks, seen, "print(...)  #")


def run_js(block, session):
    source, checks = with_checks(session.here(block.text), LOG_CHECK, ";")
    prelude = ("const __seen = {};\n"
               "const __readme_check = (i, ...v) => { __seen[i] = v.map((x) => typeof x === 'string' ? x : "
               "JSON.stringify(x)).join(' '); };\n"
               "process.on('exit', () => console.log('__HIL_README_SEEN__' + JSON.stringify(__seen)));\n")
    js_dir = os.path.join(ROOT, "tests", "sdk", "js")
    path = os.path.join(js_dir, f".readme-example-{os.getpid()}-{block.line}.mjs")
    with open(path, "w") as f:
        f.write(prelude + source + "\n")
    try:
        out = subprocess.run(["node", path], cwd=js_dir, env=session.env, capture_output=True, text=True, timeout=120)
    finally:
        os.unlink(path)
    if out.returncode != 0:
        return [f"node exited {out.returncode}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"]
    m = re.search(r"^__HIL_README_SEEN__(.*)$", out.stdout, re.M)
    seen = {int(k): v for k, v in json.loads(m.group(1)).items()} if m else {}
    return compare_checks(checks, seen, "console.log(...)  //")


def run_script(block, session):
    if block.lang == "python":
        return run_python(block, session)
    if block.lang == "js":
        return run_js(block, session)
    if block.lang in ("sh", "bash", "console"):
        text = "\n".join(line for line in block.text.split("\n") if not SERVER_LINE.match(line))
        out = session.shell_run("( set -e\n" + text + "\n) ; echo \"__HIL_README_RC=$?\"", timeout=300)
        rc = out[-1] if out else ""
        if rc != "__HIL_README_RC=0":
            return ["the script failed:\n    " + "\n    ".join(out[-40:])]
        return []
    return [f"cannot run a ```{block.lang} block as a script"]


def run_fixture(block, binary, files):
    if block.args:
        with open(os.path.join(files, block.args[0]), "w") as f:
            f.write(block.text)
    with tempfile.TemporaryDirectory(prefix="hil-readme-fixture-") as tmp:
        path = os.path.join(tmp, "example.json")
        with open(path, "w") as f:
            f.write(block.text)
        s3 = os.path.join(tmp, "s3")
        os.makedirs(s3)
        out = subprocess.run([binary, "--check-fixtures", "--fixtures", path, "--s3-dir", s3],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            return [f"the loader refused it: {out.stderr.strip() or out.stdout.strip()}"]
    return []


def command_lines(text):
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        line = line[2:] if line.startswith("$ ") else line
        yield re.sub(r"\s+#\s.*$", "", line).strip()


ENV_PREFIX = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)+")


def bare_command(line):
    """A command line without a trailing comment and without leading VAR=value assignments."""
    return ENV_PREFIX.sub("", re.sub(r"\s+#\s.*$", "", line).strip())


def run_covered_by(block):
    """Each command of the block must be a command line of one of the files (the same words, or
    those words followed by more arguments), leading variable assignments aside on both sides."""
    files = block.args
    if not files:
        return ["covered-by names no file"]
    ran = set()
    for f in files:
        p = os.path.join(ROOT, f)
        if not os.path.isfile(p):
            return [f"covered-by names {f}, which does not exist"]
        ran |= {bare_command(line) for line in open(p, encoding="utf-8").read().split("\n")}
    missing = [c for c in command_lines(block.text)
               if not any(r == bare_command(c) or r.startswith(bare_command(c) + " ") for r in ran)]
    return [f"not run by {' or '.join(files)}: {c}" for c in missing]


def run_by(block):
    if len(block.args) != 1:
        return ["run-by names one file"]
    path = os.path.join(ROOT, block.args[0])
    if not os.path.isfile(path):
        return [f"run-by names {block.args[0]}, which does not exist"]
    if f"run-by {block.args[0]}" not in open(path, encoding="utf-8").read():
        return [f"{block.args[0]} does not read the README's `run-by {block.args[0]}` blocks"]
    return []


def heading_slug(text):
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def contents_of(lines):
    """The contents list the README's headings call for (## and ###, outside code)."""
    toc, in_code = [], False
    for line in lines:
        if line.startswith("```"):
            in_code = not in_code
        m = None if in_code else re.match(r"^(##|###) (.*)$", line)
        if m and m.group(2) != "Contents":
            toc.append(("" if m.group(1) == "##" else "  ") + f"- [{m.group(2)}](#{heading_slug(m.group(2))})")
    return toc


def check_contents(path, rewrite):
    """The `## Contents` list must be the headings, in order; `rewrite` makes it so."""
    lines = open(path, encoding="utf-8").read().split("\n")
    if "## Contents" not in lines:
        return ["README.md has no ## Contents"]
    start = lines.index("## Contents") + 2
    end = start
    while end < len(lines) and lines[end].lstrip().startswith("- ["):
        end += 1
    want = contents_of(lines)
    if lines[start:end] == want:
        return []
    if rewrite:
        lines[start:end] = want
        open(path, "w", encoding="utf-8").write("\n".join(lines))
        return []
    missing = [w for w in want if w not in lines[start:end]]
    extra = [h for h in lines[start:end] if h not in want]
    return [f"## Contents is not the headings (missing {missing[:5]}, not headings {extra[:5]}; --rewrite fixes it)"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--readme", default=os.path.join(ROOT, "README.md"))
    ap.add_argument("-k", help="only the sessions whose name contains this")
    ap.add_argument("--rewrite", action="store_true",
                    help="write what the emulator printed into the README's failing transcripts (then read the diff)")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    os.environ["PATH"] = os.path.dirname(binary) + os.pathsep + os.environ["PATH"]
    errors = check_contents(a.readme, a.rewrite)
    blocks, sessions, parse_errors = parse_readme(a.readme)
    errors += parse_errors
    failures = [(e, []) for e in errors]
    counts = {}
    live = {}
    rewrites = {}
    files = tempfile.mkdtemp(prefix="hil-readme-files-")
    started = time.time()
    try:
        for block in blocks:
            counts[block.kind] = counts.get(block.kind, 0) + 1
            problems = []
            if block.kind in ("transcript", "script"):
                if not block.args:
                    problems = [f"{block.kind} names no session"]
                for name in block.args:
                    if a.k and a.k not in name:
                        continue
                    if name not in sessions:
                        problems.append(f"session {name} is not declared (<!-- session {name}: FLAGS -->)")
                        continue
                    if name not in live:
                        live[name] = Session(name, sessions[name], binary, files)
                    if block.kind == "transcript":
                        found = run_transcript(block, live[name], rewrites if a.rewrite else None)
                    else:
                        found = run_script(block, live[name])
                    problems += [f"[session {name}] {p}" for p in found]
            elif block.kind == "fixture":
                problems = run_fixture(block, binary, files)
            elif block.kind == "covered-by":
                problems = run_covered_by(block)
            elif block.kind == "run-by":
                problems = run_by(block)
            elif block.kind == "not-run":
                if not block.args:
                    problems = ["not-run gives no reason"]
            else:
                problems = [f"unknown kind of example: {block.kind}"]
            if problems:
                failures.append((f"{block.where()} ({block.kind} {' '.join(block.args)})", problems))
    finally:
        for s in live.values():
            s.close()
        shutil.rmtree(files, ignore_errors=True)
    if rewrites:
        lines = open(a.readme, encoding="utf-8").read().split("\n")
        for start in sorted(rewrites, reverse=True):  # `start` is the fence's line, 1-based
            end = start
            while not lines[end].startswith("```"):
                end += 1
            lines[start:end] = rewrites[start].split("\n")
        open(a.readme, "w", encoding="utf-8").write("\n".join(lines))
        print(f"rewrote {len(rewrites)} transcript(s) in {a.readme}")
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    if failures:
        for where, problems in failures:
            print(f"FAIL {where}")
            for p in problems:
                print("  " + p.replace("\n", "\n  "))
        print(f"readme_examples: {len(failures)} failing of {len(blocks)} blocks ({summary}) in {time.time() - started:.1f} s")
        return 1
    print(f"readme_examples: all {len(blocks)} blocks pass ({summary}) in {time.time() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
