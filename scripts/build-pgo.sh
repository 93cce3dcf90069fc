#!/usr/bin/env bash
# Builds Dragnet with profile-guided and link-time optimisation into BUILD_DIR (default
# build-pgo): an instrumented build replays a generated training feed (its own seed, not the
# benchmarks') with the shipped packs and with the every-construct rule set, in msgpack and in
# NDJSON, then the same tree is rebuilt from that profile. The engine is the same code; gcc lays
# it out for the paths a replay takes and inlines across its files (some 5–15 % faster on
# bench/bench_rules). Needs what the plain build needs; takes two builds and a few seconds of
# training.
# The build is for the machine that builds it: -march=native (set DRAGNET_MARCH to another
# -march value, e.g. x86-64-v3, to build for a fleet), with -ffp-contract=off so that fused
# multiply-adds never change a computed value: alerts stay byte-identical to the plain build's.
# Usage: scripts/build-pgo.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-pgo}
jobs=$(nproc)
train=$(mktemp -d)
trap 'rm -rf "$train"' EXIT

echo "== PGO: instrumented build in $dir"
if [ -d "$dir" ]; then
    find "$dir" -name '*.gcda' -delete
fi
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DDRAGNET_PGO=generate \
    -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON \
    -DCMAKE_C_FLAGS="-march=${DRAGNET_MARCH:-native} -ffp-contract=off" >/dev/null
cmake --build "$dir" -j"$jobs" --target dragnet

echo "== PGO: training"
"$dir/dragnet" gen --accounts 20000 --days 30 --seed 7 -o "$train/feed.msgpack" >/dev/null
"$dir/dragnet" gen --accounts 2000 --days 30 --seed 8 -o "$train/feed.ndjson" >/dev/null
"$dir/dragnet" replay --rules rules "$train/feed.msgpack" >/dev/null
"$dir/dragnet" replay --rules bench/rules-every-construct "$train/feed.msgpack" >/dev/null
"$dir/dragnet" replay --rules rules "$train/feed.ndjson" >/dev/null

echo "== PGO: optimised build in $dir"
cmake -S . -B "$dir" -DDRAGNET_PGO=use >/dev/null
cmake --build "$dir" -j"$jobs"
