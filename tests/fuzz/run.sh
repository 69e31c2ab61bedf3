#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan: the root project with HIL_FUZZ=1, the
# same build dir as `HIL_SANITIZE=1 scripts/test`) and runs each for a bounded time, after
# replaying every saved crash input in regressions/<target>/ (those must pass). Targets run
# FUZZ_JOBS at a time (default: one per core). A new crash fails the run and its input is
# copied into regressions/<target>/ so it is replayed from then on (commit it with the fix).
#   FUZZ_SECONDS=60        time per target (default 60)
#   FUZZ_TARGETS="a b"     which targets (default: all)
#   FUZZ_JOBS=N            targets fuzzed at once (default: the number of cores)
#   HIL_FUZZ_BUILD_DIR     build dir (default build-asan)
#   HIL_BUILD_JOBS         parallel build jobs
# Prints one line per target: executions, seconds, corpus size.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=${HIL_FUZZ_BUILD_DIR:-$root/build-asan}
[[ $build_dir = /* ]] || build_dir=$root/$build_dir
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-fuzz_router fuzz_fixture fuzz_http fuzz_sigv4 fuzz_query fuzz_fault_rules fuzz_control}
jobs=${FUZZ_JOBS:-$(nproc)}

# shellcheck disable=SC2086
HIL_FUZZ=1 HIL_SANITIZE=1 HIL_BUILD_DIR="$build_dir" "$root/scripts/build" $targets

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
declare -A max_len=([fuzz_router]=4096 [fuzz_fixture]=16384 [fuzz_http]=20000 [fuzz_sigv4]=1024 [fuzz_query]=2048
                    [fuzz_fault_rules]=8192 [fuzz_control]=16384)
out=$build_dir/fuzz
mkdir -p "$out"

# One target: replay its regressions, then fuzz. Writes $out/<target>.result (one summary line)
# and exits non-zero on a failure.
fuzz_one() {
  local t=$1 bin=$out/$1 regress=$here/regressions/$1
  if compgen -G "$regress/*" >/dev/null; then
    echo "== $t: replaying $(ls "$regress" | wc -l) regression input(s)"
    if ! "$bin" "$regress"/* >"$out/$t.replay.log" 2>&1; then
      echo "!! $t: a regression input fails again:"; tail -40 "$out/$t.replay.log"
      echo "$t: a regression input fails again" >"$out/$t.result"
      return 1
    fi
  fi
  # Fuzz into a scratch copy of the seed corpus so the repository keeps only the seeds.
  local work=$out/corpus/$t artifacts=$out/artifacts/$t/ rc runs corpus
  mkdir -p "$work" "$artifacts"
  rm -f "$artifacts"/*
  echo "== $t: fuzzing for ${seconds}s"
  set +e
  "$bin" -max_total_time="$seconds" -max_len="${max_len[$t]:-4096}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "$here/corpus/$t" >"$out/$t.log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$' | tail -1)
  corpus=$(ls "$work" | wc -l)
  echo "$t: ${runs:-?} executions in ${seconds}s, corpus $corpus, exit $rc" >"$out/$t.result"
  if [[ $rc != 0 ]] || compgen -G "$artifacts*" >/dev/null; then
    mkdir -p "$regress"
    cp "$artifacts"* "$regress"/ 2>/dev/null || true
    echo "!! $t found a failure (exit $rc); input(s) saved in $regress:"
    grep -E 'ERROR|fuzz check failed|runtime error|SUMMARY' "$out/$t.log" | head -20
    return 1
  fi
}

failed=0
running=()
for t in $targets; do
  rm -f "$out/$t.result"
  fuzz_one "$t" &
  running+=($!)
  if ((${#running[@]} >= jobs)); then
    wait "${running[0]}" || failed=1
    running=("${running[@]:1}")
  fi
done
for pid in "${running[@]}"; do wait "$pid" || failed=1; done
echo "== fuzz summary"
for t in $targets; do cat "$out/$t.result" 2>/dev/null || echo "$t: no result"; done
exit $failed
