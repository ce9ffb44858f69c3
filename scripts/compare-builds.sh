#!/usr/bin/env bash
# Compares this checkout's engine with the engine at another commit on the cases of
# benchmarks/AutoDiff.Gpu.Compare.Cases (small training loops, a product, a sum): both builds run in one
# process, batch by batch in turn, and it prints each build's median time and the ratio base / head with its
# quartiles. Times of separate runs on a shared machine differ by more than most changes do; batches in turn
# see the same machine.
#
#   scripts/compare-builds.sh BASE_COMMIT [CASE (step43)] [SECONDS (30)] [BATCH (about 0.2 ms)]
#
# CASE: step43, spiral, matmul (1024² float32 forward), sum (16Mi float32), add (x + x, 16Mi float32).
# Two-thread cases (matmul, sum) run slower side by side than alone (here 1.6 ms against 0.9 ms for the sum):
# compare their ratios, not their times.
#
# The cases use public API only, so any commit whose API they compile against can be the base.
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
root=$(pwd)
base=$1
case=${2:-step43}
work=$(mktemp -d)
cleanup() {
  git -C "$root" worktree remove --force "$work/base" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
git worktree add --quiet --detach "$work/base" "$base"

build() { # build NAME ENGINE: the cases against ENGINE's engine, into $work/out-NAME
  dotnet build benchmarks/AutoDiff.Gpu.Compare.Cases -c Release -nologo -p:Engine="$2" \
    -o "$work/out-$1" > "$work/build-$1.log" 2>&1 || {
    grep -E "error|warning" "$work/build-$1.log" | sort -u | head -n 5 >&2
    echo "compare-builds: building the cases against $2 failed" >&2
    exit 1
  }
}
build base "$work/base"
build head "$root"
dotnet run --project benchmarks/AutoDiff.Gpu.Compare -c Release -- \
  "$work/out-base/AutoDiff.Gpu.Compare.Cases.dll" "$work/out-head/AutoDiff.Gpu.Compare.Cases.dll" "$case" "${@:3}"
