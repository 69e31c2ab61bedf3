# Sourced (not run) by docker/test-image.sh and tests/testcontainers/run.sh: Podman set up for this kind
# of machine, with no Docker engine, no image registry and nothing changed under /etc. As root:
#   source docker/podman-env.sh    then   hil_podman_setup; ...; hil_build_image; ...; hil_podman_cleanup
# hil_podman_setup installs the tools if missing, writes containers.conf (runc, ulimits) and storage.conf
# to a temporary folder and exports CONTAINERS_CONF / CONTAINERS_STORAGE_CONF (every podman command of the
# caller, `podman system service` among them, then uses them). hil_build_image builds the image (from
# source, after making the debian:bookworm-slim base image with debootstrap if the store has none; or
# around HIL_IMAGE_BINARY, which needs no base image). The caller's EXIT trap calls hil_podman_cleanup.
# Environment:
#   HIL_PODMAN_ROOT=DIR    podman storage kept between runs, so the base image and the build stage's
#                          package layer are reused (default /var/tmp/hil-podman); "temp" = a fresh
#                          temporary store, removed by hil_podman_cleanup
#   HIL_IMAGE=NAME         image tag (default healthimaging-local)
#   HIL_IMAGE_BINARY=FILE  put this healthimaging-local, built on this machine (Debian bookworm), into the
#                          image with the shared libraries it loads here, instead of compiling it again in
#                          the Dockerfile's build stage (default: from source)

hil_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
hil_image=${HIL_IMAGE:-healthimaging-local}
hil_podman_conf_dir=""
hil_podman_store=""
hil_podman_keep_store=1

hil_say() { printf '== %s\n' "$*"; }
hil_now() { date +%s.%N; }
hil_since() { awk -v a="$1" -v b="$(hil_now)" 'BEGIN { printf "%.2f", b - a }'; }

hil_podman_setup() {
  local missing=() p
  for p in podman buildah runc debootstrap curl file; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    hil_say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi

  hil_podman_conf_dir=$(mktemp -d /tmp/hil-podman-conf.XXXXXX)
  if [[ ${HIL_PODMAN_ROOT:-} == temp ]]; then
    hil_podman_store=$(mktemp -d /var/tmp/hil-podman-tmp.XXXXXX)
    hil_podman_keep_store=0
  else
    hil_podman_store=${HIL_PODMAN_ROOT:-/var/tmp/hil-podman}
    hil_podman_keep_store=1
  fi
  mkdir -p "$hil_podman_store"

  # crun refuses this kind of host's hybrid cgroups, and podman's default ulimits exceed what it allows.
  cat >"$hil_podman_conf_dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$hil_podman_store/tmp"
EOF
  export CONTAINERS_CONF=$hil_podman_conf_dir/containers.conf

  # A store keeps the driver it was made with; a new one gets overlay if the kernel mounts it here.
  local driver probe
  if [[ -f $hil_podman_store/driver ]]; then
    driver=$(<"$hil_podman_store/driver")
  else
    driver=vfs
    probe=$(mktemp -d "$hil_podman_store/overlay-probe.XXXXXX")
    mkdir -p "$probe"/{l,u,w,m}
    if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
      umount "$probe/m"
      driver=overlay
    fi
    rm -rf "$probe"
    echo "$driver" >"$hil_podman_store/driver"
  fi
  cat >"$hil_podman_conf_dir/storage.conf" <<EOF
[storage]
driver = "$driver"
graphroot = "$hil_podman_store/graph"
runroot = "$hil_podman_store/run"
EOF
  export CONTAINERS_STORAGE_CONF=$hil_podman_conf_dir/storage.conf
  hil_say "podman $(podman version --format '{{.Client.Version}}'), storage $driver in $hil_podman_store"

}

# The debian:bookworm-slim base image, made with debootstrap since no image registry is reachable.
hil_base_image() {
  local base=localhost/bookworm-min
  if podman image exists "$base"; then
    hil_say "base image $base: cached"
  else
    # The mirror apt already uses on this machine, read at run time.
    local mirror t rootfs
    mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
    [[ -n $mirror ]] || mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit } $1 == "deb" { print $3; exit }' /etc/apt/sources.list 2>/dev/null)
    [[ -n $mirror ]] || { echo "no Debian mirror found in apt's sources" >&2; return 1; }
    t=$(hil_now)
    rootfs=$(mktemp -d /var/tmp/hil-rootfs.XXXXXX)
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
    tar --numeric-owner -C "$rootfs" -c . | podman import -q - "$base" >/dev/null
    rm -rf "$rootfs"
    hil_say "base image $base: debootstrap + import in $(hil_since "$t") s"
  fi
  podman tag "$base" docker.io/library/debian:bookworm-slim
}

# Builds $hil_image from docker/Dockerfile: from source, or around $HIL_IMAGE_BINARY. Sets hil_build_seconds.
# The prebuilt way replaces the Dockerfile's `build` stage by the files collect-rootfs.sh gathers here
# (no base image, no compiler) and keeps its last stage as it is: the same image settings either way.
hil_build_image() {
  local t dockerfile=docker/Dockerfile args=()
  t=$(hil_now)
  if [[ -n ${HIL_IMAGE_BINARY:-} ]]; then
    local rootfs=$hil_podman_conf_dir/rootfs
    rm -rf "$rootfs"
    "$hil_repo/docker/collect-rootfs.sh" "$HIL_IMAGE_BINARY" "$rootfs"
    dockerfile=$hil_podman_conf_dir/Dockerfile.prebuilt
    { printf 'FROM scratch AS build\nCOPY --from=hil-rootfs / /rootfs/\n'
      awk '/^FROM / { last = "" } { last = last $0 "\n" } END { printf "%s", last }' "$hil_repo/docker/Dockerfile"
    } >"$dockerfile"
    grep -q '^COPY --from=build /rootfs/ /$' "$dockerfile" ||
      { echo "docker/Dockerfile's last stage no longer copies /rootfs/ from the build stage" >&2; return 1; }
    args=(--build-context "hil-rootfs=$rootfs")
    hil_say "image around the prebuilt $HIL_IMAGE_BINARY"
  else
    hil_base_image
  fi
  # --format docker: the OCI format has no HEALTHCHECK, and podman would drop it.
  (cd "$hil_repo" && podman build --isolation chroot --pull=never --format docker "${args[@]}" \
     -f "$dockerfile" -t "$hil_image" .)
  hil_build_seconds=$(hil_since "$t")
}

hil_podman_cleanup() {
  if ((hil_podman_keep_store == 0)) && [[ -n $hil_podman_store ]]; then
    podman system reset -f >/dev/null 2>&1 || true
    rm -rf "$hil_podman_store"
  fi
  [[ -z $hil_podman_conf_dir ]] || rm -rf "$hil_podman_conf_dir"
}
