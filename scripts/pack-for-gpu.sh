#!/usr/bin/env bash
# Packs the test program, the experiments program and the benchmarks for the GPU machine (no .NET there) into
# one archive that fits the 64 MiB carry limit: each is published self-contained for linux-x64, files that are
# identical across programs (the .NET runtime) are stored once as hard links, and the whole is xz-compressed.
#
#   scripts/pack-for-gpu.sh                 # writes .gpu/programs.txz, .gpu/unpack.sh, .gpu/baselines/, .gpu/gpu-check.sh
#
# On the GPU machine (run with carry: [".gpu"]):
#   bash .gpu/unpack.sh && bash .gpu/gpu-check.sh
# Programs land in /tmp/gpu/NAME/NAME, as with ../shared/tools/gpu-pack.sh.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
[ -d .gpu ] && chmod -R u+w .gpu
rm -rf .gpu && mkdir -p .gpu/stage
projects=(tests/AutoDiff.Gpu.Tests/AutoDiff.Gpu.Tests.csproj
          src/AutoDiff.Gpu.Experiments/AutoDiff.Gpu.Experiments.csproj
          benchmarks/AutoDiff.Gpu.Benchmarks/AutoDiff.Gpu.Benchmarks.csproj
          tests/AutoDiff.Gpu.Distributed.Runner/AutoDiff.Gpu.Distributed.Runner.csproj)
first=""
for proj in "${projects[@]}"; do
  [ -f "$proj" ] || continue
  name=$(basename "$proj" .csproj)
  dotnet publish "$proj" -c Release -r linux-x64 --self-contained true -o ".gpu/stage/$name" -v quiet -nologo >&2
  if [ -z "$first" ]; then
    first=$name
  else
    # Replace files identical to the first program's by hard links: tar stores them once.
    (cd ".gpu/stage/$name" && find . -type f | while read -r f; do
      if [ -f "../$first/$f" ] && cmp -s "$f" "../$first/$f"; then ln -f "../$first/$f" "$f"; fi
    done)
  fi
done
tar cf - -C .gpu/stage . | xz -9 -T2 > .gpu/programs.txz
rm -rf .gpu/stage
here=$(cd "$(dirname "$0")" && pwd)
shared="$root/../shared"
[ -d "$shared/baselines" ] && cp -r "$shared/baselines" .gpu/baselines && chmod -R u+w .gpu/baselines
[ -f "$here/gpu-check.sh" ] && cp "$here/gpu-check.sh" .gpu/gpu-check.sh
cat > .gpu/unpack.sh <<'UNPACK'
#!/usr/bin/env bash
# Unpacks .gpu/programs.txz into /tmp/gpu/NAME.
set -e
cd "$(dirname "$0")"
mkdir -p /tmp/gpu && tar xJf programs.txz -C /tmp/gpu
UNPACK
chmod +x .gpu/unpack.sh
du -sh .gpu
