#!/usr/bin/env bash
# The benchmark: builds a Release binary into build-bench/, then runs tests/bench/bench.py
# (emulator and nginx side by side, interleaved rounds, medians) and writes
# tests/bench/results/latest.{md,json}. Extra arguments go to bench.py, e.g.
#   tests/bench/run.sh --rounds 5 --duration 10
#   tests/bench/run.sh --data /tmp/hil-bench-data     # keep and reuse the generated files
#   tests/bench/run.sh --hot                          # the hot reads, each against nginx serving one cached file
#   tests/bench/run.sh --load [--data DIR] [--repeats N]        # start-up and bulk load (load_bench.py)
#   tests/bench/run.sh --contention [--data DIR] [--repeats N]  # reads during long writes (contention_bench.py)
#   tests/bench/run.sh --targets                     # issue 12's targets: --hot, --load, --contention (~25 min)
# Needs wrk, nginx and taskset (Debian: wrk nginx util-linux) and 2 or more CPUs.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools=(wrk nginx taskset python3)
[[ ${1:-} != --load && ${1:-} != --contention ]] || tools=(python3)
if [[ ${1:-} == --targets ]]; then
  shift
  [[ $# -eq 0 ]] || { echo "run.sh: --targets takes no other argument (run the parts alone to tune them)" >&2; exit 2; }
  # One build, then each part with its defaults; each writes its own results file.
  "$0" --hot && HIL_BENCH_NO_BUILD=1 "$0" --load && HIL_BENCH_NO_BUILD=1 "$0" --contention
  exit
fi
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "run.sh: '$tool' is missing (apt-get install wrk nginx)" >&2; exit 1; }
done
if [[ $(nproc) -lt 2 ]]; then echo "run.sh: needs 2 CPUs (server on one, wrk on the other)" >&2; exit 1; fi
build_dir=${HIL_BENCH_BUILD_DIR:-build-bench}
# GCC 12's optimizer reports false positives (-Wnull-dereference inside Boost.Asio's strand,
# -Wrestrict in std::string concatenation) that only optimized builds see; keep them warnings.
if [[ -z ${HIL_BENCH_NO_BUILD:-} ]]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="-Wno-error=null-dereference -Wno-error=restrict" >/dev/null
  HIL_BUILD_DIR="$build_dir" HIL_BUILD_TYPE=Release HIL_BUILD_TESTS=OFF HIL_BUILD_JOBS=${HIL_BUILD_JOBS:-2} \
    scripts/build healthimaging-local
fi
# --hot: the hot reads against nginx serving each body as one cached file (tests/bench/hot_reads.py),
# instead of the mixed run against nginx serving every job's file (tests/bench/bench.py).
if [[ ${1:-} == --hot ]]; then
  shift
  exec python3 tests/bench/hot_reads.py --binary "$build_dir/healthimaging-local" --command "tests/bench/run.sh --hot $*" "$@"
fi
# --load: start-up, the first writes after a big load, and the same load through POST /_emulator/fixtures
# (tests/bench/load_bench.py -> results/load.{md,json}); --contention: reads while a long write runs or
# another process holds the --db file's write lock (tests/bench/contention_bench.py ->
# results/contention.{md,json}). Neither needs wrk or nginx.
case ${1:-} in
  --load|--contention)
    mode=${1#--}; shift
    exec python3 "tests/bench/${mode}_bench.py" --binary "$build_dir/healthimaging-local" \
      --command "tests/bench/run.sh --$mode $*" "$@" ;;
esac
exec python3 tests/bench/bench.py --binary "$build_dir/healthimaging-local" --command "tests/bench/run.sh $*" "$@"
