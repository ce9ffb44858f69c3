#!/usr/bin/env bash
# Checks the NuGet package as a new user meets it: packs src/AutoDiff.Gpu (Release), creates a fresh console
# project in a temporary folder, adds the package from a local folder feed, pastes the README's quick start (its
# first ```csharp block) as Program.cs, runs it and compares what it prints with the block's comments: each
# `Console.WriteLine(…); // text` line must print `text` (a text ending in … is a prefix). It also checks that the
# symbol package holds both pdbs and that the package names its git commit. One line on success;
# the logs of the failing step otherwise. Needs NuGet for ILGPU unless the global packages folder has it.
#
#   scripts/package-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
feed=$work/feed
app=$work/QuickStart
log=$work/log.txt

step() { # step NAME COMMAND...: runs a step quietly; on failure shows its output and stops
  local name=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    echo "package check: $name failed:" >&2
    cat "$log" >&2
    exit 1
  fi
}

step "dotnet pack" dotnet pack src/AutoDiff.Gpu -c Release -o "$feed" -nologo
package=$(find "$feed" -name 'AutoDiff.Gpu.*.nupkg' ! -name '*.snupkg' | head -n 1)
version=$(basename "$package" .nupkg)
version=${version#AutoDiff.Gpu.}

# Symbols and provenance: the .snupkg holds both assemblies' pdbs, and the package names the commit it was built from.
symbols=${package%.nupkg}.snupkg
listing=$(python3 -m zipfile -l "$symbols" 2>/dev/null || true)
for pdb in AutoDiff.Gpu.pdb AutoDiff.Gpu.Kernels.pdb; do
  if ! grep -q "lib/net10.0/$pdb" <<<"$listing"; then
    echo "package check: $(basename "$symbols") lacks lib/net10.0/$pdb" >&2
    exit 1
  fi
done
nuspec=$(python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode("utf-8-sig"))' \
  "$package" AutoDiff.Gpu.nuspec)
if ! grep -qE '<repository type="git"[^>]* commit="[0-9a-f]{40}"' <<<"$nuspec"; then
  echo "package check: the nuspec names no git commit:" >&2
  echo "$nuspec" >&2
  exit 1
fi

# The user's project: outside this repository (none of its build settings apply), its own packages folder (a stale
# package of the same version cannot be picked up), with the machine's packages folder as a read-only fallback.
step "dotnet new console" dotnet new console -o "$app" -n QuickStart --no-restore
global=$(dotnet nuget locals global-packages --list | sed -E 's/^global-packages: *//')
cat >"$app/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
  <fallbackPackageFolders>
    <add key="machine" value="$global" />
  </fallbackPackageFolders>
</configuration>
EOF
export NUGET_PACKAGES=$work/packages
step "dotnet add package" dotnet add "$app/QuickStart.csproj" package AutoDiff.Gpu --version "$version"

# The quick start, as the README shows it, and the lines its comments promise.
awk '/^```csharp/ { inside = 1; next } inside && /^```/ { exit } inside { print }' README.md >"$app/Program.cs"
if [ ! -s "$app/Program.cs" ]; then
  echo "package check: README.md has no \`\`\`csharp block" >&2
  exit 1
fi
sed -nE 's|^.*Console\.WriteLine\(.*\);[[:space:]]*//[[:space:]]?(.*)$|\1|p' "$app/Program.cs" >"$work/expected.txt"

step "dotnet run" dotnet run --project "$app/QuickStart.csproj"
grep -v '^[[:space:]]*$' "$log" >"$work/actual.txt" || true
mapfile -t expected <"$work/expected.txt"
mapfile -t actual <"$work/actual.txt"
same=$(( ${#expected[@]} > 0 && ${#expected[@]} == ${#actual[@]} ))
for i in "${!expected[@]}"; do
  want=${expected[$i]}
  got=${actual[$i]-}
  if [[ $want == *… ]]; then
    [[ $got == "${want%…}"* ]] || same=0
  else
    [[ $got == "$want" ]] || same=0
  fi
done
if [ "$same" != 1 ]; then
  echo "package check: the quick start printed" >&2
  cat "$work/actual.txt" >&2
  echo "instead of" >&2
  cat "$work/expected.txt" >&2
  exit 1
fi
echo "package: AutoDiff.Gpu $version (symbols, commit) from a local feed runs the README's quick start" \
  "(${#expected[@]} lines as expected)"
