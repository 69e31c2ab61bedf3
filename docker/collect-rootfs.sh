#!/usr/bin/env bash
# Collects the image's root file system from a healthimaging-local binary: the binary and the codecs plugin
# beside it (healthimaging-local-codecs.so, which the binary loads for its first import), both stripped;
# every shared library ldd names for either (the dynamic loader among them), from the machine it runs on;
# the dictionary DCMTK reads keywords from; empty /s3 and /tmp. The Dockerfile's build stage runs it on the binary it
# compiled, and docker/podman-env.sh on the host for HIL_IMAGE_BINARY (same Debian release, so the same
# libraries the binary was linked with). Run it as root: /s3 belongs to the image's user (uid 65532).
#   docker/collect-rootfs.sh BINARY DEST
set -euo pipefail
[[ $# == 2 ]] || { echo "usage: $0 BINARY DEST" >&2; exit 2; }
bin=$1 dest=$2
[[ -f $bin && -x $bin ]] || { echo "$0: '$bin' is not an executable file" >&2; exit 2; }
codecs=$(dirname "$bin")/healthimaging-local-codecs.so
[[ -f $codecs ]] || { echo "$0: '$codecs' is missing (the build puts it beside the binary)" >&2; exit 2; }
libs=$(ldd "$bin" && ldd "$codecs") || { echo "$0: ldd cannot read '$bin' or '$codecs'" >&2; exit 1; }
if grep -q 'not found' <<<"$libs"; then
  echo "$0: '$bin' needs libraries this machine does not have:" >&2; grep 'not found' <<<"$libs" >&2; exit 1
fi
# A sanitizer build would carry its runtime and abort on the first leak report: not an image binary.
if grep -Eq 'lib(a|ub|t)san' <<<"$libs"; then echo "$0: '$bin' is a sanitizer build" >&2; exit 1; fi
mkdir -p "$dest/s3" "$dest/tmp"
cp "$bin" "$dest/healthimaging-local"
cp "$codecs" "$dest/healthimaging-local-codecs.so"
strip "$dest/healthimaging-local" "$dest/healthimaging-local-codecs.so"
"$dest/healthimaging-local" --version
grep -o '/[^ ]*' <<<"$libs" | sort -u | xargs -I{} cp --parents -L {} "$dest/"
cp --parents -r /usr/share/libdcmtk17 "$dest/"
chmod 1777 "$dest/tmp"
chown 65532:65532 "$dest/s3"
