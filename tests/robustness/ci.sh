#!/usr/bin/env bash
# The fast, bounded versions of the reliability tests, for CI:
#   robustness suites (ctest: robustness, robustness_contention), 1,000-connection load,
#   SIGTERM under load, a short soak,
#   kill -9 durability (start-up loads, then POST /_emulator/fixtures at run time), SQLite
#   failures (corrupt file, disk full, read-only file, locked database), then every fuzz
#   target (FUZZ_SECONDS each, default 60).
# Long versions: see the README's reliability section.
#   HIL_ROBUST_BUILD_DIR   g++ build dir (default build-robust)
#   SKIP_FUZZ=1            skip the fuzzers
#   SKIP_SUITE=1           skip the robustness ctest suite (.ci/run has run it with every ring)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
build_dir=${HIL_ROBUST_BUILD_DIR:-build-robust}
HIL_BUILD_DIR=$build_dir scripts/build healthimaging-local
bin=$root/$build_dir/healthimaging-local
here=$root/tests/robustness
status=0
run() { echo "== $*"; "$@" || status=1; }
[[ ${SKIP_SUITE:-0} == 1 ]] || run ctest --test-dir "$build_dir" -R '^robustness(_contention)?$' --output-on-failure
run python3 "$here/load.py" "$bin" load --connections 1000 --seconds 15
run python3 "$here/load.py" "$bin" shutdown --connections 200
run python3 "$here/load.py" "$bin" soak --connections 200 --seconds 30
run python3 "$here/durability.py" "$bin" kill --iterations 10 --jobs 5000
run python3 "$here/durability.py" "$bin" kill-runtime --seconds 40 --iterations 100 --jobs 5000
run python3 "$here/durability.py" "$bin" kill-import --iterations 6
run python3 "$here/durability.py" "$bin" sqlite-failure
run python3 "$here/durability.py" "$bin" disk-full
run python3 "$here/durability.py" "$bin" read-only
run python3 "$here/durability.py" "$bin" locked
if [[ ${SKIP_FUZZ:-0} != 1 ]]; then
  run "$root/tests/fuzz/run.sh"
fi
exit $status
