#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 under ASan + UBSan and runs each for a bounded
# time, after replaying every saved crash input in regressions/<target>/ (those must pass).
# A new crash fails the run and its input is copied into regressions/<target>/ so it is
# replayed from then on (commit it with the fix).
#   FUZZ_SECONDS=60        time per target (default 60)
#   FUZZ_TARGETS="a b"     which targets (default: all)
#   HIL_FUZZ_BUILD_DIR     build dir (default build-fuzz)
#   HIL_BUILD_JOBS         parallel build jobs
# Prints one line per target: executions, seconds, corpus size.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=${HIL_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-fuzz_router fuzz_fixture fuzz_http fuzz_sigv4 fuzz_query fuzz_fault_rules fuzz_control}
cxx=${CXX_FUZZ:-$(command -v clang++-14 || command -v clang++)}

cmake -S "$here" -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" ${HIL_BUILD_JOBS:+-j "$HIL_BUILD_JOBS"} --target $targets

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
declare -A max_len=([fuzz_router]=4096 [fuzz_fixture]=16384 [fuzz_http]=20000 [fuzz_sigv4]=1024 [fuzz_query]=2048
                    [fuzz_fault_rules]=8192 [fuzz_control]=16384)
failed=0
summary=()
for t in $targets; do
  bin=$build_dir/$t
  regress=$here/regressions/$t
  if compgen -G "$regress/*" >/dev/null; then
    echo "== $t: replaying $(ls "$regress" | wc -l) regression input(s)"
    if ! "$bin" "$regress"/* >"$build_dir/$t.replay.log" 2>&1; then
      echo "!! $t: a regression input fails again:"; tail -40 "$build_dir/$t.replay.log"; failed=1; continue
    fi
  fi
  # Fuzz into a scratch copy of the seed corpus so the repository keeps only the seeds.
  work=$build_dir/corpus/$t artifacts=$build_dir/artifacts/$t/
  mkdir -p "$work" "$artifacts"
  rm -f "$artifacts"/*
  echo "== $t: fuzzing for ${seconds}s"
  set +e
  "$bin" -max_total_time="$seconds" -max_len="${max_len[$t]:-4096}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "$work" "$here/corpus/$t" >"$build_dir/$t.log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build_dir/$t.log" | grep -o '[0-9]*$' | tail -1)
  corpus=$(ls "$work" | wc -l)
  summary+=("$t: ${runs:-?} executions in ${seconds}s, corpus $corpus, exit $rc")
  if [[ $rc != 0 ]] || compgen -G "$artifacts*" >/dev/null; then
    failed=1
    mkdir -p "$regress"
    cp "$artifacts"* "$regress"/ 2>/dev/null || true
    echo "!! $t found a failure (exit $rc); input(s) saved in $regress:"
    grep -E 'ERROR|fuzz check failed|runtime error|SUMMARY' "$build_dir/$t.log" | head -20
  fi
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit $failed
