#!/usr/bin/env bash
# Runs the benchmark suite from a bundle made by pack.sh, on a machine with
# no Node and no Redis: unpacks to a temporary folder, pins redis-server, the
# servers and the load generator to separate cores, runs every Node of the
# bundle in rotating rounds, and writes Markdown and JSON under $OUT (or
# ./bench-out). Extra arguments go to run.mjs (after the defaults, so they
# win), e.g. `bash .quiet/run.sh --rounds 3`.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$PWD/bench-out}
W=$(mktemp -d /tmp/pancake-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$OUT" "$W/bin"
started=$(date +%s)
xz -dc "$HERE/nodes.tar.xz" | tar -x -C "$W/bin" &
xz -dc "$HERE/code.tar.xz" | tar -x -C "$W" &
xz -dc "$HERE/redis.tar.xz" | tar -x -C "$W" &
wait
echo "unpacked in $(( $(date +%s) - started )) s" >&2

# redis-server through its own loader and libraries, under the name the
# suite starts.
mkdir -p "$W/path"
cat > "$W/path/redis-server" <<SH
#!/bin/sh
exec "$W/redis/ld-linux-x86-64.so.2" --library-path "$W/redis/lib" "$W/redis/redis-server" "\$@"
SH
chmod +x "$W/path/redis-server"
NODES=$(ls "$W/bin" | sort -V | sed "s|^|$W/bin/|" | paste -sd, -)
MAIN=$(ls "$W/bin" | sort -V | tail -1)
if ! "$W/bin/$MAIN" --version > /dev/null 2>&1; then
  export LD_LIBRARY_PATH="$W/redis/nodelib"
fi
export PATH="$W/path:$W/bin:$PATH"
export BENCH_COMMIT=$(cat "$W/code/COMMIT") BENCH_LIB_CHANGES=$(cat "$W/code/LIB_CHANGES")

# Core 0 is left to the system; Redis on 1, every server (one runs at a
# time) on 2, the suite and its load generator on 3-4.
CPUS=$(nproc)
PIN=()
SUITE=()
if [ "$CPUS" -ge 6 ] && command -v taskset > /dev/null; then
  PIN=(--pin-redis 1 --pin-server 2)
  SUITE=(taskset -c 3-4)
fi
cd "$W/code"
"${SUITE[@]}" "$W/bin/$MAIN" test/bench/run.mjs \
  --nodes "$NODES" --only throughput,cost \
  --variants R0,R1,R3,R4,R5,R6,Rf,Rz,R3r,Ru,Rg \
  --rounds 3 --duration 2 --warmup 1 \
  "${PIN[@]}" \
  --out "$OUT/bench.json" --md "$OUT/bench.md" "$@" 2> >(tee "$OUT/bench.log" >&2)
echo "done in $(( $(date +%s) - started )) s" >&2
