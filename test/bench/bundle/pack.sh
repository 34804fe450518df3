#!/usr/bin/env bash
# Builds a self-contained copy of the benchmark suite for a machine that has
# no Node, no Redis and no network: Node binaries (stripped, xz), redis-server
# with its libraries and loader, and dist/ + test/bench + the node_modules the
# suite needs, in one folder (default .quiet/, ignored by git).
#
#   test/bench/bundle/pack.sh [folder] [node binaries...]
#
# Node binaries default to the machine's node plus Node 24 and 26 from the
# npm registry (.bench/node/, fetched by `node test/bench/run.mjs --nodes`).
# Run it there with `bash <folder>/run.sh` (see run.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
OUTDIR=$(realpath -m "${1:-$ROOT/.quiet}")
shift || true
NODES=("$@")
if [ ${#NODES[@]} -eq 0 ]; then
  NODES=("$(command -v node)" "$ROOT/.bench/node/24/package/bin/node" "$ROOT/.bench/node/26/package/bin/node")
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUTDIR"
[ -f "$OUTDIR/.gitignore" ] || echo '*' > "$OUTDIR/.gitignore"

# 1. Node binaries, one tar compressed as one stream with a large dictionary:
#    the versions share much (ICU data above all), which -T1 and a dictionary
#    bigger than one binary let xz find.
mkdir -p "$WORK/bin"
for node in "${NODES[@]}"; do
  version=$("$node" --version)
  strip -o "$WORK/bin/node-$version" "$node"
done
stamp=$(cd "$WORK/bin" && ls | sort | tr '\n' ' ')
if [ "$(cat "$OUTDIR/nodes.txt" 2>/dev/null)" != "$stamp" ] || [ ! -f "$OUTDIR/nodes.tar.xz" ]; then
  echo "pack: compressing $stamp(takes minutes)" >&2
  tar -C "$WORK/bin" -cf - . | xz -9e -T1 --lzma2=preset=9e,dict=384MiB > "$OUTDIR/nodes.tar.xz"
  echo "$stamp" > "$OUTDIR/nodes.txt"
fi

# 2. redis-server, every library it links and the loader.
mkdir -p "$WORK/redis/lib"
cp "$(command -v redis-server)" "$WORK/redis/redis-server"
ldd "$(command -v redis-server)" | awk '/=> \//{ print $3 }' | xargs -I{} cp -L {} "$WORK/redis/lib/"
cp -L /lib64/ld-linux-x86-64.so.2 "$WORK/redis/"
# Node's own C++ runtime libraries, in case that machine lacks them (only
# used when a binary does not start without them).
mkdir -p "$WORK/redis/nodelib"
for node in "${NODES[@]}"; do
  ldd "$node" | awk '/=> \//{ print $3 }' | grep -E 'lib(stdc\+\+|gcc_s|atomic)' | xargs -r -I{} cp -L {} "$WORK/redis/nodelib/"
done
tar -C "$WORK" -cJf "$OUTDIR/redis.tar.xz" redis

# 3. The code: dist/, the suite, and the packages it loads, at the versions
#    installed here.
(cd "$ROOT" && npm run build --silent)
mkdir -p "$WORK/code/test"
cp -r "$ROOT/dist" "$WORK/code/"
cp -r "$ROOT/test/bench" "$ROOT/test/helpers" "$WORK/code/test/"
node -e '
  const root = process.argv[1]
  const pkg = require(root + "/package.json")
  const version = (name) => require(root + "/node_modules/" + name + "/package.json").version
  const deps = { ...pkg.dependencies }
  for (const name of ["fastify", "autocannon", "@fastify/request-context", "unleash-client", "@growthbook/growthbook"]) deps[name] = version(name)
  for (const name of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies ?? {})]) deps[name] = version(name)
  console.log(JSON.stringify({ name: "fastify-pancake-bench", private: true, type: "commonjs", dependencies: deps }, null, 2))
' "$ROOT" > "$WORK/code/package.json"
(cd "$WORK/code" && npm install --omit=dev --prefer-offline --no-audit --no-fund --no-package-lock --silent)
find "$WORK/code/node_modules" \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.md' -o -name '*.ts' \) -type f -delete
find "$WORK/code/dist" -name '*.map' -delete
(cd "$ROOT" && git rev-parse --short HEAD > "$WORK/code/COMMIT" && git status --porcelain lib | wc -l > "$WORK/code/LIB_CHANGES")
tar -C "$WORK" -cf - code | xz -9 -T2 > "$OUTDIR/code.tar.xz"

cp "$ROOT/test/bench/bundle/run.sh" "$OUTDIR/run.sh"
du -cb "$OUTDIR"/*.xz "$OUTDIR/run.sh" | tail -1 | awk '{ printf "pack: %s, %.1f MiB\n", dir, $1 / 1048576 }' dir="$OUTDIR" >&2
