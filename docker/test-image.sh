#!/usr/bin/env bash
# Builds the Docker image with Podman (no Docker engine needed) and tests it for real: the binary in it
# runs from scratch with only its shared libraries (no shell), the container answers, its HEALTHCHECK passes, both SDK suites pass against it, and
# `podman stop` (SIGTERM) ends it promptly with exit code 0. Run as root from anywhere:
#   docker/test-image.sh
# Environment:
#   HIL_PODMAN_ROOT, HIL_IMAGE, HIL_IMAGE_BINARY: see docker/podman-env.sh (the podman set-up this
#   script shares with tests/testcontainers/run.sh); e.g. HIL_IMAGE_BINARY=build/healthimaging-local
#   builds the image around that binary instead of compiling it again
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
source docker/podman-env.sh
image=$hil_image
t_all=$(hil_now)

container=""
cleanup() {
  local rc=$?
  if [[ -n $container ]]; then podman rm -f -t 0 "$container" "$container-s3" "$container-readme" >/dev/null 2>&1 || true; fi
  hil_podman_cleanup
  exit "$rc"
}
trap cleanup EXIT
hil_podman_setup
conf_dir=$hil_podman_conf_dir

# --- build -----------------------------------------------------------------------------------------
hil_build_image
t_build=$hil_build_seconds
size=$(podman image inspect --format '{{.Size}}' "$image")
hil_say "build: $t_build s; image size $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB)"
podman image inspect --format '{{json .Config.Healthcheck}}' "$image" | grep -q -- '--probe' ||
  { echo "the image has no HEALTHCHECK" >&2; exit 1; }

# Scratch holds the binary and the shared libraries it loads, nothing more: no shell, no package manager.
bin_dir=$(mktemp -d "$conf_dir/bin.XXXXXX")
tmp_ctr=$(podman create "$image")
podman cp "$tmp_ctr:/healthimaging-local" "$bin_dir/healthimaging-local"
for absent in /bin/sh /usr/bin/apt-get /usr/bin/dpkg; do
  if podman cp "$tmp_ctr:$absent" "$bin_dir/absent" 2>/dev/null; then
    echo "the image holds $absent" >&2; podman rm "$tmp_ctr" >/dev/null; exit 1
  fi
done
# The server's user owns /s3 (for job outputs when nothing is mounted there) and may write to /tmp.
listing=$(podman export "$tmp_ctr" | tar -tvf -)
podman rm "$tmp_ctr" >/dev/null
grep -Eq '^drwx[^ ]* 65532/65532 .* s3/$' <<<"$listing" || { echo "the image's /s3 is not owned by 65532" >&2; exit 1; }
grep -Eq '^drwxrwxrwt .* tmp/$' <<<"$listing" || { echo "the image's /tmp is not mode 1777" >&2; exit 1; }
file "$bin_dir/healthimaging-local"

# --- run -------------------------------------------------------------------------------------------
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint=http://127.0.0.1:$port
container=hil-image-test-$$
# A local S3 folder with one real DICOM file, writable by the image's user, for a real import.
s3_dir=$(mktemp -d "$conf_dir/s3.XXXXXX")
mkdir -p "$s3_dir/image-test-input/ct" "$s3_dir/image-test-output"
cp /usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm "$s3_dir/image-test-input/ct/"
chmod -R a+rwX "$s3_dir"
t=$(hil_now)
# HIL_PORT as well as --port: the HEALTHCHECK's --probe reads the port from the environment.
podman run -d --name "$container" --network host -e HIL_PORT="$port" \
  -v "$repo/tests/sdk/fixtures:/fixtures:ro" \
  "$image" --port "$port" --fixtures /fixtures/sdk-scenario.json >/dev/null
until curl -fsS -o /dev/null "$endpoint/_emulator/health" 2>/dev/null; do
  if [[ $(podman inspect --format '{{.State.Running}}' "$container") != true ]] || (($(date +%s) - ${t%.*} > 20)); then
    podman logs "$container" >&2 || true
    echo "the container did not answer on $endpoint" >&2
    exit 1
  fi
  sleep 0.01
done
t_first=$(hil_since "$t")
hil_say "first answer $t_first s after podman run"
podman logs "$container" 2>&1 | grep -q "listening on http://0.0.0.0:$port" ||
  { podman logs "$container" >&2; echo "no 'listening on' line" >&2; exit 1; }
podman inspect --format '{{.Config.User}}' "$container" | grep -qx '65532:65532' || { echo "not running as 65532" >&2; exit 1; }
podman healthcheck run "$container" || { echo "HEALTHCHECK failed" >&2; exit 1; }
hil_say "healthcheck: healthy"

# --- both SDK suites against the container --------------------------------------------------------
(cd tests/sdk/js && { [[ -d node_modules && node_modules/.package-lock.json -nt package-lock.json ]] ||
  npm ci --no-audit --no-fund --loglevel=error; })
t=$(hil_now)
(cd tests/sdk/js && HIL_SDK_ENDPOINT=$endpoint node --test)
hil_say "SDK for JavaScript v3 suite passed ($(hil_since "$t") s)"
t=$(hil_now)
(cd tests/sdk/python && HIL_SDK_ENDPOINT=$endpoint PYTHONDONTWRITEBYTECODE=1 \
  python3 -m unittest discover -s . -p "test_*.py")
hil_say "boto3 suite passed ($(hil_since "$t") s)"

# --- a real import inside the image: DCMTK, OpenJPH and the dictionary are all there -----------------
# A second container, since --s3-dir changes what StartDICOMImportJob does for the suites above.
s3_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
s3_container=$container-s3
podman run -d --name "$s3_container" --network host -e HIL_PORT="$s3_port" -v "$s3_dir:/s3" -e HIL_S3_DIR=/s3 \
  "$image" --port "$s3_port" --empty >/dev/null
for _ in $(seq 1 200); do curl -fsS -o /dev/null "http://127.0.0.1:$s3_port/_emulator/health" 2>/dev/null && break; sleep 0.05; done
python3 - "http://127.0.0.1:$s3_port" "$s3_dir" <<'PY'
import json, sys, time, urllib.request
base, s3 = sys.argv[1], sys.argv[2]
def call(method, path, body=None):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None, method=method)
    with urllib.request.urlopen(req) as r:
        return r.read(), r.headers
ds = json.loads(call("POST", "/datastore", {"clientToken": "image-test"})[0])["datastoreId"]
while json.loads(call("GET", "/datastore/" + ds)[0])["datastoreProperties"]["datastoreStatus"] != "ACTIVE":
    time.sleep(0.05)
job = json.loads(call("POST", "/startDICOMImportJob/datastore/" + ds, {
    "clientToken": "image-test", "dataAccessRoleArn": "arn:aws:iam::123456789012:role/r",
    "inputS3Uri": "s3://image-test-input/ct/", "outputS3Uri": "s3://image-test-output/"})[0])["jobId"]
for _ in range(600):
    props = json.loads(call("GET", "/getDICOMImportJob/datastore/%s/job/%s" % (ds, job))[0])["jobProperties"]
    if props["jobStatus"] in ("COMPLETED", "FAILED"):
        break
    time.sleep(0.05)
assert props["jobStatus"] == "COMPLETED", props
manifest = json.load(open("%s/image-test-output/%s-DicomImport-%s/job-output-manifest.json" % (s3, ds, job)))
assert manifest["jobSummary"]["numberOfImportedFiles"] == 1, manifest
image_set = manifest["jobSummary"]["imageSetsSummary"][0]["imageSetId"]
import gzip
meta = json.loads(gzip.decompress(call("POST", "/datastore/%s/imageSet/%s/getImageSetMetadata" % (ds, image_set))[0]))
assert meta["Patient"]["DICOM"]["PatientID"] == "1CT1", meta["Patient"]
frame = [f for s in meta["Study"]["Series"].values() for i in s["Instances"].values() for f in i["ImageFrames"]][0]
body, headers = call("POST", "/datastore/%s/imageSet/%s/getImageFrame" % (ds, image_set), {"imageFrameId": frame["ID"]})
assert headers["Content-Type"] == "image/jph" and body[:2] == b"\xff\x4f" and len(body) == frame["FrameSizeInBytes"], headers
print("import in the image: 1 file, image set %s, frame of %d bytes" % (image_set, len(body)))
PY
podman rm -f "$s3_container" >/dev/null
hil_say "a real import inside the image passed"

# --- the README's own `docker run` lines, through Podman -------------------------------------------
# Every `docker run` of the README blocks marked `run-by docker/test-image.sh`, as written, with two
# substitutions: podman for docker, and host networking on a free port (HIL_PORT) for
# `-p 127.0.0.1:7979:7979` (a published port needs Podman's bridge, which changes the machine's
# iptables). The mounts are a copy of fixtures/ (as `fixtures` and `my-fixtures`), an S3 folder and
# the README's creds.json. Each container must answer /_emulator/health, then stops.
readme_dir=$(mktemp -d "$conf_dir/readme.XXXXXX")
cp -r fixtures "$readme_dir/fixtures"
cp -r fixtures "$readme_dir/my-fixtures"
mkdir -p "$readme_dir/s3"
chmod -R a+rX "$readme_dir" && chmod a+rwX "$readme_dir/s3"   # the image's user reads the mounts
python3 - "$repo/README.md" "$readme_dir" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
# The README's creds.json block (the fixture of the credentials examples).
m = re.search(r"<!-- example: fixture creds\.json -->\n```json\n(.*?)\n```", text, re.S)
open(f"{sys.argv[2]}/creds.json", "w").write(m.group(1))
runs = []
for block in re.findall(r"<!-- example: run-by docker/test-image\.sh -->\n```sh\n(.*?)\n```", text, re.S):
    for line in block.replace("\\\n", " ").split("\n"):
        line = re.sub(r"\s+#\s.*$", "", line).strip()
        if line.startswith("docker run "):
            runs.append(line)
open(f"{sys.argv[2]}/runs.txt", "w").write("\n".join(runs) + "\n")
PY
chmod a+r "$readme_dir/creds.json"
readme_runs=0
while IFS= read -r line; do
  [[ -n $line ]] || continue
  p=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cmd=${line/docker run --rm -p 127.0.0.1:7979:7979/podman run -d --name $container-readme --network host -e HIL_PORT=$p}
  [[ $cmd != "$line" ]] || { echo "README line not in the expected form: $line" >&2; exit 1; }
  (cd "$readme_dir" && eval "$cmd") >/dev/null
  ok=0
  for _ in $(seq 100); do
    if curl -sf "http://127.0.0.1:$p/_emulator/health" >/dev/null; then ok=1; break; fi
    sleep 0.1
  done
  [[ $ok == 1 ]] || { echo "README: no answer from: $line" >&2; podman logs "$container-readme" >&2; exit 1; }
  podman rm -f -t 5 "$container-readme" >/dev/null
  readme_runs=$((readme_runs + 1))
done <"$readme_dir/runs.txt"
((readme_runs >= 5)) || { echo "found only $readme_runs docker run lines in the README" >&2; exit 1; }
hil_say "the README's $readme_runs docker run lines answered"

# --- SIGTERM -------------------------------------------------------------------------------------
t=$(hil_now)
podman stop -t 10 "$container" >/dev/null
t_stop=$(hil_since "$t")
code=$(podman inspect --format '{{.State.ExitCode}}' "$container")
podman logs "$container" 2>&1 | tail -n 3
[[ $code == 0 ]] || { echo "exit code $code after SIGTERM (want 0)" >&2; exit 1; }
awk -v s="$t_stop" 'BEGIN { exit !(s < 5) }' || { echo "podman stop took $t_stop s: SIGTERM was not handled" >&2; exit 1; }
hil_say "podman stop: exit code 0 in $t_stop s"

hil_say "image OK: size $size bytes, build $t_build s, first answer $t_first s, whole run $(hil_since "$t_all") s"
