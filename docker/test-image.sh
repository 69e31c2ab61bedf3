#!/usr/bin/env bash
# Builds the Docker image with Podman (no Docker engine needed) and tests it for real: the binary in it
# runs from scratch with only its shared libraries (no shell), the container answers, its HEALTHCHECK passes, both SDK suites pass against it, and
# `podman stop` (SIGTERM) ends it promptly with exit code 0. Run as root from anywhere:
#   docker/test-image.sh
# Environment:
#   HIL_PODMAN_ROOT=DIR   podman storage kept between runs, so the base image and the build stage's
#                         package layer are reused (default /var/tmp/hil-podman); "temp" = a fresh
#                         temporary store, removed at the end
#   HIL_IMAGE=NAME        image tag (default healthimaging-local)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
image=${HIL_IMAGE:-healthimaging-local}
base=localhost/bookworm-min

say() { printf '== %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
t_all=$(now)

# --- tools ---------------------------------------------------------------------------------------
missing=()
for p in podman buildah runc debootstrap curl file; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- podman configuration, all outside /etc ------------------------------------------------------
conf_dir=$(mktemp -d /tmp/hil-podman-conf.XXXXXX)
if [[ ${HIL_PODMAN_ROOT:-} == temp ]]; then
  store=$(mktemp -d /var/tmp/hil-podman-tmp.XXXXXX)
  keep_store=0
else
  store=${HIL_PODMAN_ROOT:-/var/tmp/hil-podman}
  keep_store=1
fi
mkdir -p "$store"
container=""
cleanup() {
  local rc=$?
  if [[ -n $container ]]; then podman rm -f -t 0 "$container" "$container-s3" >/dev/null 2>&1 || true; fi
  if ((keep_store == 0)); then
    podman system reset -f >/dev/null 2>&1 || true
    rm -rf "$store"
  fi
  rm -rf "$conf_dir"
  exit "$rc"
}
trap cleanup EXIT

# crun refuses this kind of host's hybrid cgroups, and podman's default ulimits exceed what it allows.
cat >"$conf_dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$store/tmp"
EOF
export CONTAINERS_CONF=$conf_dir/containers.conf

# A store keeps the driver it was made with; a new one gets overlay if the kernel mounts it here.
if [[ -f $store/driver ]]; then
  driver=$(<"$store/driver")
else
  driver=vfs
  probe=$(mktemp -d "$store/overlay-probe.XXXXXX")
  mkdir -p "$probe"/{l,u,w,m}
  if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
    umount "$probe/m"
    driver=overlay
  fi
  rm -rf "$probe"
  echo "$driver" >"$store/driver"
fi
cat >"$conf_dir/storage.conf" <<EOF
[storage]
driver = "$driver"
graphroot = "$store/graph"
runroot = "$store/run"
EOF
export CONTAINERS_STORAGE_CONF=$conf_dir/storage.conf
say "podman $(podman version --format '{{.Client.Version}}'), storage $driver in $store"

# --- base image: debootstrap, since no image registry is reachable ---------------------------------
if podman image exists "$base"; then
  say "base image $base: cached"
else
  # The mirror apt already uses on this machine, read at run time.
  mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
  [[ -n $mirror ]] || mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit } $1 == "deb" { print $3; exit }' /etc/apt/sources.list 2>/dev/null)
  [[ -n $mirror ]] || { echo "no Debian mirror found in apt's sources" >&2; exit 1; }
  t=$(now)
  rootfs=$(mktemp -d /var/tmp/hil-rootfs.XXXXXX)
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  tar --numeric-owner -C "$rootfs" -c . | podman import -q - "$base" >/dev/null
  rm -rf "$rootfs"
  say "base image $base: debootstrap + import in $(since "$t") s"
fi
podman tag "$base" docker.io/library/debian:bookworm-slim

# --- build -----------------------------------------------------------------------------------------
t=$(now)
# --format docker: the OCI format has no HEALTHCHECK, and podman would drop it.
podman build --isolation chroot --pull=never --format docker -f docker/Dockerfile -t "$image" .
t_build=$(since "$t")
size=$(podman image inspect --format '{{.Size}}' "$image")
say "build: $t_build s; image size $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1e6 }') MB)"
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
podman rm "$tmp_ctr" >/dev/null
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
t=$(now)
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
t_first=$(since "$t")
say "first answer $t_first s after podman run"
podman logs "$container" 2>&1 | grep -q "listening on http://0.0.0.0:$port" ||
  { podman logs "$container" >&2; echo "no 'listening on' line" >&2; exit 1; }
podman inspect --format '{{.Config.User}}' "$container" | grep -qx '65532:65532' || { echo "not running as 65532" >&2; exit 1; }
podman healthcheck run "$container" || { echo "HEALTHCHECK failed" >&2; exit 1; }
say "healthcheck: healthy"

# --- both SDK suites against the container --------------------------------------------------------
(cd tests/sdk/js && { [[ -d node_modules && node_modules/.package-lock.json -nt package-lock.json ]] ||
  npm ci --no-audit --no-fund --loglevel=error; })
t=$(now)
(cd tests/sdk/js && HIL_SDK_ENDPOINT=$endpoint node --test)
say "SDK for JavaScript v3 suite passed ($(since "$t") s)"
t=$(now)
(cd tests/sdk/python && HIL_SDK_ENDPOINT=$endpoint PYTHONDONTWRITEBYTECODE=1 \
  python3 -m unittest discover -s . -p "test_*.py")
say "boto3 suite passed ($(since "$t") s)"

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
say "a real import inside the image passed"

# --- SIGTERM -------------------------------------------------------------------------------------
t=$(now)
podman stop -t 10 "$container" >/dev/null
t_stop=$(since "$t")
code=$(podman inspect --format '{{.State.ExitCode}}' "$container")
podman logs "$container" 2>&1 | tail -n 3
[[ $code == 0 ]] || { echo "exit code $code after SIGTERM (want 0)" >&2; exit 1; }
awk -v s="$t_stop" 'BEGIN { exit !(s < 5) }' || { echo "podman stop took $t_stop s: SIGTERM was not handled" >&2; exit 1; }
say "podman stop: exit code 0 in $t_stop s"

say "image OK: size $size bytes, build $t_build s, first answer $t_first s, whole run $(since "$t_all") s"
