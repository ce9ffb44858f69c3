#!/usr/bin/env bash
# The checks to run on the GPU machine (CUDA, PyTorch and CuPy, but no .NET SDK), from the repository
# root after the programs were packed here and carried there. One device call covers everything:
#
#   here:   scripts/pack-for-gpu.sh          (tests, experiments and benchmarks in one 40 MB archive)
#   there:  bash .gpu/unpack.sh && bash scripts/gpu-check.sh [STEP ...]      (carry: [".gpu"])
#
# ../shared/tools/gpu-pack.sh PROJECT.csproj [PROJECT.csproj] also works, two programs per call.
#
# STEPs: tests experiments benchmarks torch cupy (default: all). A step whose program was not unpacked
# to /tmp/gpu/NAME/NAME (GPU_PROGRAMS overrides /tmp/gpu) is reported as skipped. Each step has its own
# time limit in seconds (LIMIT_* below); the defaults add up to 560 s, under the device tool's 600 s per call
# Everything goes to $OUT (default /tmp/gpu-out), at most 8 plain files:
#   summary.txt          device, each step's exit status and time, and the key lines of every step
#   tests.log            the test program's output
#   experiments.txt      the experiments program, default run (100^3), then the stderr of the 645^3 run
#   experiments-645.csv  the experiments program at 645^3 (268M elements), CSV
#   benchmarks.log       BenchmarkDotNet's console output (quick job)
#   benchmarks.md        BenchmarkDotNet's GitHub-markdown reports, concatenated
#   torch.txt            baselines/torch_seed.py (PyTorch eager)
#   cupy.txt             baselines/dezero_cupy_seed.py (the seed's engine on CuPy)
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
root=$(pwd)
out=${OUT:-/tmp/gpu-out}
mkdir -p "$out"
programs=${GPU_PROGRAMS:-/tmp/gpu}
baselines=$root/.gpu/baselines

limit_tests=${LIMIT_TESTS:-120}
limit_experiments=${LIMIT_EXPERIMENTS:-45}
limit_experiments_large=${LIMIT_EXPERIMENTS_LARGE:-75}
limit_benchmarks=${LIMIT_BENCHMARKS:-200}
limit_torch=${LIMIT_TORCH:-60}
limit_cupy=${LIMIT_CUPY:-60}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(tests experiments benchmarks torch cupy)

summary=$out/summary.txt
: > "$summary"
say() { printf '%s\n' "$*" | tee -a "$summary"; }

# run NAME LIMIT LOG COMMAND...: runs COMMAND under `timeout`, stdout and stderr to LOG; records status and time.
run() {
  local name=$1 limit=$2 log=$3
  shift 3
  local start end rc
  start=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$@" > "$log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  local note=""
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    note=" (TIMED OUT after ${limit}s)"
  fi
  say "== $name: exit $rc in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s$note"
  return 0
}

# baseline STEP SCRIPT LIMIT: runs a reference program from .gpu/baselines into $out/STEP.txt.
baseline() {
  local step=$1 script=$2 limit=$3
  if [ -f "$baselines/$script" ]; then
    run "baseline $script" "$limit" "$out/$step.txt" python3 "$baselines/$script"
    tee -a "$summary" < "$out/$step.txt"
  else
    say "== $step: skipped ($baselines/$script missing: pack with scripts/pack-for-gpu.sh)"
  fi
}

program() { printf '%s/%s/%s' "$programs" "$1" "$1"; }

say "gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) steps: ${steps[*]}"
say "host: $(uname -n), $(nproc) cores"
if command -v nvidia-smi > /dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$summary"
else
  say "gpu: nvidia-smi not found"
fi

for step in "${steps[@]}"; do
  case $step in
    tests)
      exe=$(program AutoDiff.Gpu.Tests)
      if [ -x "$exe" ]; then
        run tests "$limit_tests" "$out/tests.log" "$exe"
        # xUnit v3 closes with "=== TEST EXECUTION SUMMARY ===" and a totals line per assembly.
        grep -A3 -E "TEST EXECUTION SUMMARY" "$out/tests.log" | tee -a "$summary"
        grep -E "\[FAIL\]" "$out/tests.log" | head -20 | tee -a "$summary"
      else
        say "== tests: skipped ($exe not unpacked)"
      fi
      ;;
    experiments)
      exe=$(program AutoDiff.Gpu.Experiments)
      if [ -x "$exe" ]; then
        run "experiments (default, 100^3)" "$limit_experiments" "$out/experiments.txt" "$exe"
        tail -n 25 "$out/experiments.txt" | tee -a "$summary"
        err=$(mktemp)
        start=$(date +%s.%N)
        timeout --kill-after=10 "$limit_experiments_large" "$exe" --size 645 --format csv > "$out/experiments-645.csv" 2> "$err"
        rc=$?
        end=$(date +%s.%N)
        say "== experiments (--size 645 --format csv): exit $rc in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
        { printf '\n== stderr of: --size 645 --format csv (exit %s)\n' "$rc"; cat "$err"; } >> "$out/experiments.txt"
        rm -f "$err"
        tee -a "$summary" < "$out/experiments-645.csv"
      else
        say "== experiments: skipped ($exe not unpacked)"
      fi
      ;;
    benchmarks)
      exe=$(program AutoDiff.Gpu.Benchmarks)
      if [ -x "$exe" ]; then
        artifacts=$(mktemp -d)
        run "benchmarks (--quick)" "$limit_benchmarks" "$out/benchmarks.log" "$exe" --quick --artifacts "$artifacts"
        : > "$out/benchmarks.md"
        for report in "$artifacts"/results/*-report-github.md; do
          [ -e "$report" ] || continue
          { printf '## %s\n\n' "$(basename "$report" -report-github.md)"; cat "$report"; printf '\n'; } >> "$out/benchmarks.md"
        done
        rm -rf "$artifacts"
        head -n 2 "$out/benchmarks.log" | tee -a "$summary"
        grep -E '^\|' "$out/benchmarks.log" | grep -vE '^\|[-:| ]*\|$' | tee -a "$summary"
      else
        say "== benchmarks: skipped ($exe not unpacked)"
      fi
      ;;
    torch) baseline torch torch_seed.py "$limit_torch" ;;
    cupy) baseline cupy dezero_cupy_seed.py "$limit_cupy" ;;
    *)
      say "== unknown step '$step': use tests experiments benchmarks torch cupy"
      ;;
  esac
done

say "files: $(find "$out" -maxdepth 1 -type f -printf '%f\n' | sort | tr '\n' ' ')"
