#!/usr/bin/env bash
# The checks to run on the GPU machine (CUDA, PyTorch and CuPy, but no .NET SDK), from the repository
# root after the programs were packed here and carried there. One device call covers everything:
#
#   here:   scripts/pack-for-gpu.sh          (tests, experiments and benchmarks in one 40 MB archive)
#   there:  bash .gpu/unpack.sh && bash scripts/gpu-check.sh [STEP ...]      (carry: [".gpu"])
#
# ../shared/tools/gpu-pack.sh PROJECT.csproj [PROJECT.csproj] also works, two programs per call.
#
# STEPs (default: tests experiments fusion sine benchmarks torchcompile torchops torchsine openclhostile ptxas: the
# open issues in one call):
#   tests       the test program without its OpenCL suites: the CUDA suites first (LIMIT_TESTS_CUDA of the step's
#               LIMIT_TESTS seconds), then the others in the rest (its experiments smoke tests run the unpacked
#               experiments program)
#   experiments the experiments program's default run (100^3, the seed as written)
#   fusion      the seed fused beside eager (--fusion on,off), natural beside scoped, at 10^4, 100^3 and 256M
#               elements, with a 200 MB ballast: time, launches and peak per row (issue 18's targets)
#   lifetimes   natural beside scoped at 10^4, 100^3 and 256M elements, without and with a 200 MB ballast
#   sine        the book's step 43 on the GPU, float32 then float64, 10,000 iterations each (issue 9's target:
#               <= 280 us per iteration in float32)
#   benchmarks  BenchmarkDotNet, quick job: the operator benchmarks through the engine (Ops*), fused reductions
#               beside eager (FusedReduction*), fused launches in packs beside element at a time
#               (KernelFusedBenchmarks), and the kernel
#               matmul (cuBLAS beside the tiled kernel forced, with and without prefetching, float64 on the
#               matrix units and on the ordinary ones), and the kernel
#               layer's exp, sum of all and sum over the last axis with grids of 1, 2 and 4 waves
#               (AUTODIFF_BENCH_WAVES), then, last and only in what time is left, rand, randn and dropout through
#               the engine (RandomBenchmarks); each group of patterns a run of its own; BENCH_FILTER replaces the groups
#               (patterns separated by spaces, groups by ';')
#   torchops    baselines/torch_ops.py (PyTorch eager on the same operator cases)
#   torchsine   baselines/torch_sine.py (PyTorch eager on the same training loop)
#   torchcompile baselines/torch_compile_seed.py (torch.compile beside eager on the seed and step 43: the fusion
#               anchor)
#   torch       baselines/torch_seed.py (PyTorch eager on the seed's experiment, issue 7's reference)
#   openclhostile  the test program's hostile suite on OpenCL (PoCL on the GPU machine's CPU): issue 8's concurrent
#               launches, disposal under load and the rest
#   ptxas       registers, stack frame and spills of every kernel of the compilation tests (CUDA's ptxas -v)
# and, not in the default list:
#   opencl      the test program's OpenCL suites (PoCL compiles every kernel on the CPU: slow)
#   large       the experiments program at 645^3 (268M elements)
#   cupy        baselines/dezero_cupy_seed.py (DeZero on CuPy, the seed's experiment)
#   distributed the collectives' scenarios (tests/AutoDiff.Gpu.Distributed.Runner) on the GPU: the NCCL backend with
#               one rank (no launcher; NCCL from PyTorch's wheel when no other is found), then, where MPICH's mpiexec
#               is installed, the MPI backend with two ranks on the one GPU; output in distributed.txt
# A step whose program was not unpacked to /tmp/gpu/NAME/NAME (GPU_PROGRAMS overrides /tmp/gpu) is reported
# as skipped. Each step has its own time limit in seconds (LIMIT_* below); the default steps' limits add up to
# 585 s, under the device tool's 600 s per call (most steps take a fraction of theirs: about 350 s in all on an H200). Everything goes to $OUT (default /tmp/gpu-out); the default
# steps write 8 plain files (the device tool's limit):
#   summary.txt      device, each step's exit status and time, and the key lines of every step
#   tests.log        the test program's output
#   experiments.txt  the experiments program's default run, the sine tables, then the stderr of every CSV run
#   sine.csv         the sine runs in CSV (loss every 1000 iterations, time per iteration), one header
#   experiments.csv  the lifetimes step's rows (and the large step's), one header
#   benchmarks.log   BenchmarkDotNet's console output
#   benchmarks.md    BenchmarkDotNet's GitHub-markdown reports, concatenated
#   baselines.txt    the output of every baseline program run (torch_ops.py, torch_sine.py; torch_seed.py, ...)
# SINE_SVG=1 adds sine.svg, the float32 run's loss curve (a ninth file: leave out another step).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
root=$(pwd)
out=${OUT:-/tmp/gpu-out}
mkdir -p "$out"
programs=${GPU_PROGRAMS:-/tmp/gpu}
baselines=$root/.gpu/baselines

limit_tests=${LIMIT_TESTS:-110}
limit_tests_cuda=${LIMIT_TESTS_CUDA:-75}
limit_opencl=${LIMIT_OPENCL:-300}
limit_openclhostile=${LIMIT_OPENCLHOSTILE:-40}
limit_ptxas=${LIMIT_PTXAS:-30}
limit_experiments=${LIMIT_EXPERIMENTS:-15}
limit_sine=${LIMIT_SINE:-30}
limit_benchmarks=${LIMIT_BENCHMARKS:-120}
limit_torchops=${LIMIT_TORCHOPS:-30}
limit_torchsine=${LIMIT_TORCHSINE:-40}
limit_experiments_large=${LIMIT_EXPERIMENTS_LARGE:-55}
limit_lifetimes=${LIMIT_LIFETIMES:-130}
limit_fusion=${LIMIT_FUSION:-110}
limit_torchcompile=${LIMIT_TORCHCOMPILE:-60}
limit_torch=${LIMIT_TORCH:-20}
limit_cupy=${LIMIT_CUPY:-50}
limit_distributed=${LIMIT_DISTRIBUTED:-60}
# Groups of patterns separated by ';', each its own run, in this order (the tiled products first: the furthest target).
bench_filter=${BENCH_FILTER:-*KernelMatMul*;*Ops*;*FusedReduction* *KernelFusedBenchmarks*;*KernelElementwiseBenchmarks.Exp* *KernelBroadcastReduceBenchmarks.SumAll* *KernelBroadcastReduceBenchmarks.SumLastAxis*;*RandomBenchmarks*}
# The kernel elementwise and reduction benchmarks compare these grid sizes (KernelLibrary.Waves).
export AUTODIFF_BENCH_WAVES=${AUTODIFF_BENCH_WAVES:-1,2,4}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(tests experiments fusion sine benchmarks torchcompile torchops torchsine openclhostile ptxas)

summary=$out/summary.txt
: > "$summary"
# say: to the summary and the console (fd 3), whatever the caller redirected stdout to.
exec 3>&1
say() { printf '%s\n' "$*" | tee -a "$summary" >&3; }

# run NAME LIMIT LOG COMMAND...: runs COMMAND under `timeout`, stdout and stderr to LOG; records status and time.
run() {
  local name=$1 limit=$2 log=$3
  shift 3
  timed "$name" "$limit" "$@" > "$log" 2>&1
}

# timed NAME LIMIT COMMAND...: runs COMMAND under `timeout` with the caller's redirections; says its status and time.
timed() {
  local name=$1 limit=$2
  shift 2
  local start end rc
  start=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$@"
  rc=$?
  end=$(date +%s.%N)
  local note=""
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    note=" (TIMED OUT after ${limit}s)"
  fi
  say "== $name: exit $rc in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s$note"
  return 0
}

# experiments_csv LABEL LIMIT CSV KEEP ARGS...: the experiments program with ARGS in CSV; its rows are appended to CSV
# (one header for all), its stderr to experiments.txt, and every row (KEEP=all) or the last one (KEEP=last) to the
# summary.
experiments_csv() {
  local label=$1 limit=$2 csv=$3 keep=$4
  shift 4
  local rows err
  rows=$(mktemp)
  err=$(mktemp)
  timed "$label" "$limit" "$experiments" "$@" --format csv --quiet > "$rows" 2> "$err"
  if [ -s "$csv" ]; then tail -n +2 "$rows" >> "$csv"; else cat "$rows" >> "$csv"; fi
  { printf '\n== stderr of: %s\n' "$*"; cat "$err"; } >> "$out/experiments.txt"
  if [ "$keep" = last ]; then tail -n 1 "$rows"; else cat "$rows"; fi | tee -a "$summary"
  rm -f "$rows" "$err"
}

# csv_run NAME LIMIT ARGS...: the seed's experiment; rows to experiments.csv, all of them to the summary.
csv_run() {
  local name=$1 limit=$2
  shift 2
  experiments_csv "experiments ($name)" "$limit" "$out/experiments.csv" all "$@"
}

# baseline STEP SCRIPT LIMIT: runs a reference program from .gpu/baselines; its output is appended to
# $out/baselines.txt and the summary.
baseline() {
  local step=$1 script=$2 limit=$3
  if [ -f "$baselines/$script" ]; then
    local log
    log=$(mktemp)
    run "baseline $script" "$limit" "$log" python3 "$baselines/$script"
    { printf '== %s\n' "$script"; cat "$log"; printf '\n'; } >> "$out/baselines.txt"
    tee -a "$summary" < "$log"
    rm -f "$log"
  else
    say "== $step: skipped ($baselines/$script missing: pack with scripts/pack-for-gpu.sh)"
  fi
}

# sine_run DTYPE LIMIT [ARGS...]: the sine command; rows to sine.csv, the last (time per iteration, final loss) to
# the summary.
sine_run() {
  local dtype=$1 limit=$2
  shift 2
  experiments_csv "sine ($dtype)" "$limit" "$out/sine.csv" last sine --dtype "$dtype" "$@"
}

program() { printf '%s/%s/%s' "$programs" "$1" "$1"; }

say "gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) steps: ${steps[*]}"
say "host: $(uname -n), $(nproc) cores"
if command -v nvidia-smi > /dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv,noheader 2>&1 | sed 's/^/gpu: /' | tee -a "$summary"
else
  say "gpu: nvidia-smi not found"
fi

# cuBLAS: ILGPU.Algorithms names libcublas.so.12 and older; point the engine at the machine's own library.
if [ -z "${AUTODIFF_CUBLAS:-}" ]; then
  for lib in /usr/local/cuda/lib64/libcublas.so.13 /usr/local/cuda/lib64/libcublas.so.12 \
             $(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null)/libcublas.so.1[23]; do
    if [ -f "$lib" ]; then export AUTODIFF_CUBLAS=$lib; break; fi
  done
fi
say "cublas: ${AUTODIFF_CUBLAS:-none found (the tiled kernel runs)}"

for step in "${steps[@]}"; do
  case $step in
    tests | opencl | openclhostile)
      exe=$(program AutoDiff.Gpu.Tests)
      if [ -x "$exe" ]; then
        # Each run's output is appended to tests.log; the summary gets its totals and failures.
        log=$(mktemp)
        case $step in
          tests)
            # The CUDA suites first (what only this machine can check; CI runs the CPU ones), then the rest in what is left.
            AUTODIFF_EXPERIMENTS=$(program AutoDiff.Gpu.Experiments) run "tests (CUDA suites)" "$limit_tests_cuda" "$log" "$exe" -class '*Cuda*'
            rest=$(mktemp)
            AUTODIFF_EXPERIMENTS=$(program AutoDiff.Gpu.Experiments) run "tests (the others but OpenCL)" "$((limit_tests - limit_tests_cuda))" "$rest" "$exe" -class- '*Cuda*' -class- 'AutoDiff.Gpu.Tests.OpenCL*'
            cat "$rest" >> "$log"
            rm -f "$rest"
            ;;
          opencl) run "tests (OpenCL suites)" "$limit_opencl" "$log" "$exe" -class 'AutoDiff.Gpu.Tests.OpenCL*' ;;
          openclhostile) run "tests (OpenCL hostile suite)" "$limit_openclhostile" "$log" "$exe" -class 'AutoDiff.Gpu.Tests.OpenCLHostileTests' ;;
        esac
        { printf '== %s\n' "$step"; cat "$log"; } >> "$out/tests.log"
        # xUnit v3 closes with "=== TEST EXECUTION SUMMARY ===" and a totals line per assembly.
        grep -A3 -E "TEST EXECUTION SUMMARY" "$log" | tee -a "$summary"
        grep -E "\[FAIL\]" "$log" | head -20 | tee -a "$summary"
        rm -f "$log"
      else
        say "== $step: skipped ($exe not unpacked)"
      fi
      ;;
    ptxas)
      # Registers, stack frame and spills of every kernel the compilation tests build (PTX for SM 9.0), from CUDA's
      # ptxas: what occupancy the unrolled loops keep, and which kernels use local memory.
      exe=$(program AutoDiff.Gpu.Tests)
      ptxas=$(command -v ptxas || echo /usr/local/cuda/bin/ptxas)
      if [ -x "$exe" ] && [ -x "$ptxas" ]; then
        dir=$(mktemp -d)
        log=$(mktemp)
        AUTODIFF_PTX_DIR=$dir run "ptx of the compilation tests" "$limit_ptxas" "$log" "$exe" -class 'AutoDiff.Gpu.Tests.KernelCompilationTests'
        rm -f "$log"
        for f in "$dir"/*.ptx; do
          [ -e "$f" ] || continue
          info=$("$ptxas" -arch=sm_90 -v -o /dev/null "$f" 2>&1 | grep -oE '[0-9]+ bytes stack frame|[0-9]+ bytes spill stores|Used [0-9]+ registers' | tr '\n' ' ')
          say "ptxas $(basename "$f" .ptx): $info"
        done
        rm -rf "$dir"
      else
        say "== ptxas: skipped (test program or ptxas missing)"
      fi
      ;;
    experiments)
      experiments=$(program AutoDiff.Gpu.Experiments)
      if [ -x "$experiments" ]; then
        run "experiments (default, 100^3)" "$limit_experiments" "$out/experiments.txt" "$experiments"
        tail -n 25 "$out/experiments.txt" | tee -a "$summary"
        "$experiments" devices 2>&1 | tee -a "$out/experiments.txt" "$summary"
      else
        say "== experiments: skipped ($experiments not unpacked)"
      fi
      ;;
    large)
      experiments=$(program AutoDiff.Gpu.Experiments)
      if [ -x "$experiments" ]; then
        csv_run "--size 645" "$limit_experiments_large" --size 645 --reps 20
      else
        say "== large: skipped ($experiments not unpacked)"
      fi
      ;;
    sine)
      # Issue 9: the book's step 43 on the GPU, float32 (the target) then float64; the float32 run draws its curve.
      experiments=$(program AutoDiff.Gpu.Experiments)
      if [ -x "$experiments" ]; then
        if [ "${SINE_SVG:-0}" = 1 ]; then
          sine_run float32 $(( limit_sine / 2 )) --svg "$out/sine.svg"
        else
          sine_run float32 $(( limit_sine / 2 ))
        fi
        sine_run float64 $(( limit_sine / 2 ))
      else
        say "== sine: skipped ($experiments not unpacked)"
      fi
      ;;
    lifetimes)
      # Issue 7: the seed as written (natural) beside the same in a TensorScope, per size, with and without a
      # live 200 MB ballast; the rows hold median, mean, reserved bytes and the pool's collections.
      experiments=$(program AutoDiff.Gpu.Experiments)
      if [ -x "$experiments" ]; then
        # Small sizes are launch-bound and the host's noise moves a row by up to 40 % between runs: each small
        # case runs three times (natural and scoped back to back within each run; compare ratios per run).
        small=$(( limit_lifetimes * 9 / 150 )) large=$(( limit_lifetimes * 22 / 150 ))
        for ballast in 0 200MB; do
          for round in 1 2 3; do
            csv_run "10^4, ballast $ballast, round $round" "$small" --elements 10000 --reps 2000 --lifetime natural,scoped --modes backward,nograd --ballast "$ballast"
            csv_run "100^3, ballast $ballast, round $round" "$small" --size 100 --reps 1000 --lifetime natural,scoped --modes backward,nograd --ballast "$ballast"
          done
          csv_run "256M, ballast $ballast" "$large" --elements 256000000 --reps 50 --lifetime natural,scoped --modes backward,nograd --ballast "$ballast"
        done
      else
        say "== lifetimes: skipped ($experiments not unpacked)"
      fi
      ;;
    fusion)
      # Issue 18: fused beside eager and natural beside scoped in one run per size; the 256M rows time the bytes.
      experiments=$(program AutoDiff.Gpu.Experiments)
      if [ -x "$experiments" ]; then
        small=$(( limit_fusion * 25 / 110 )) large=$(( limit_fusion * 55 / 110 ))
        csv_run "fusion 10^4" "$small" --elements 10000 --reps 2000 --fusion on,off --lifetime natural,scoped --modes backward,nograd --ballast 200MB
        csv_run "fusion 100^3" "$small" --size 100 --reps 1000 --fusion on,off --lifetime natural,scoped --modes backward,nograd --ballast 200MB
        csv_run "fusion 256M" "$large" --elements 256000000 --reps 30 --fusion on,off --lifetime scoped --modes backward,nograd
      else
        say "== fusion: skipped ($experiments not unpacked)"
      fi
      ;;
    benchmarks)
      exe=$(program AutoDiff.Gpu.Benchmarks)
      if [ -x "$exe" ]; then
        artifacts=$(mktemp -d)
        : > "$out/benchmarks.log"
        # One run per group of patterns, in order, sharing the step's limit: BenchmarkDotNet prints its tables when a
        # run ends, so a run cut short by the limit loses its own tables only.
        deadline=$(( $(date +%s) + limit_benchmarks ))
        IFS=';' read -r -a groups <<< "$bench_filter"
        for group in "${groups[@]}"; do
          left=$(( deadline - $(date +%s) ))
          if [ "$left" -le 5 ]; then
            say "== benchmarks ($group): skipped, the step's ${limit_benchmarks} s are spent"
            continue
          fi
          read -r -a filters <<< "$group"  # patterns, split on spaces, never expanded as file names
          log=$(mktemp)
          run "benchmarks (--quick, $group)" "$left" "$log" "$exe" --quick --artifacts "$artifacts" --filter "${filters[@]}"
          cat "$log" >> "$out/benchmarks.log"
          head -n 2 "$log" | tee -a "$summary"
          grep -E '^\|' "$log" | grep -vE '^\|[-:| ]*\|$' | tee -a "$summary"
          rm -f "$log"
        done
        : > "$out/benchmarks.md"
        for report in "$artifacts"/results/*-report-github.md; do
          [ -e "$report" ] || continue
          { printf '## %s\n\n' "$(basename "$report" -report-github.md)"; cat "$report"; printf '\n'; } >> "$out/benchmarks.md"
        done
        rm -rf "$artifacts"
      else
        say "== benchmarks: skipped ($exe not unpacked)"
      fi
      ;;
    distributed)
      # Issue 21. NCCL refuses two ranks on one GPU: more ranks need more GPUs (mpiexec -n GPUS RUNNER SCENARIOS).
      runner=$(program AutoDiff.Gpu.Distributed.Runner)
      scenarios=(allreduce broadcast allgather reducescatter pending barrier)
      if [ -x "$runner" ]; then
        if [ -z "${AUTODIFF_NCCL:-}" ]; then
          lib=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib", "libnccl.so.2"))' 2>/dev/null)
          [ -n "$lib" ] && [ -f "$lib" ] && export AUTODIFF_NCCL=$lib
        fi
        say "nccl: ${AUTODIFF_NCCL:-as the loader finds it}"
        AUTODIFF_COLLECTIVES=nccl timed "distributed (nccl, 1 rank)" "$limit_distributed" "$runner" "${scenarios[@]}" >> "$out/distributed.txt" 2>&1
        if command -v mpiexec > /dev/null 2>&1; then
          AUTODIFF_COLLECTIVES=mpi timed "distributed (mpi, 2 ranks on one GPU)" "$limit_distributed" mpiexec -n 2 "$runner" "${scenarios[@]}" >> "$out/distributed.txt" 2>&1
        else
          say "== distributed (mpi, 2 ranks): skipped, no mpiexec on this machine (apt-get install mpich)"
        fi
        grep -E " ok \(| WRONG|rror|xception" "$out/distributed.txt" | head -40 | tee -a "$summary"
      else
        say "== distributed: skipped ($runner not unpacked)"
      fi
      ;;
    torchops) baseline torchops torch_ops.py "$limit_torchops" ;;
    torchsine) baseline torchsine torch_sine.py "$limit_torchsine" ;;
    torch) baseline torch torch_seed.py "$limit_torch" ;;
    torchcompile) baseline torchcompile torch_compile_seed.py "$limit_torchcompile" ;;
    cupy) baseline cupy dezero_cupy_seed.py "$limit_cupy" ;;
    *)
      say "== unknown step '$step': use tests opencl openclhostile ptxas experiments fusion lifetimes sine benchmarks torchops torchsine torch large cupy distributed"
      ;;
  esac
done

say "files: $(find "$out" -maxdepth 1 -type f -printf '%f\n' | sort | tr '\n' ' ')"
