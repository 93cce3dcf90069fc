#!/bin/sh
# instr_budget.sh - where a replayed event's instructions go, stage by stage.
#
# Wall-clock figures on these shared machines move 10-45 % between runs; instruction counts do
# not. This runs `dragnet replay --rules` over a small generated feed under callgrind (valgrind,
# Debian package `valgrind`; not needed to build or test) and prints the instructions per event
# spent in each stage of the pipeline, counted inclusively from the stage's entry function, with
# the rule-set compilation at start-up left out. Use it to see what a change saves, and where the
# next saving must come from: at this machine's ~2 instructions per cycle, 500k events/s on one
# core leaves about 11k instructions per event for everything.
#
# Usage: bench/instr_budget.sh [BUILD_DIR [RULES_DIR [ACCOUNTS [DAYS]]]]
#        (defaults: build, rules, 10000 accounts, 30 days: about 117k events, a minute or two)
set -eu
build=${1:-build}
rules=${2:-rules}
accounts=${3:-10000}
days=${4:-30}
command -v valgrind >/dev/null || { echo "instr_budget: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/dragnet" gen --accounts "$accounts" --days "$days" --seed 11 -o "$tmp/feed.msgpack" >/dev/null 2>&1
valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
    "$build/dragnet" replay --rules "$rules" --report "$tmp/report.json" "$tmp/feed.msgpack" \
    >/dev/null 2>"$tmp/valgrind.log" || { cat "$tmp/valgrind.log" >&2; exit 1; }
callgrind_annotate --inclusive=yes --threshold=100 "$tmp/cg.out" >"$tmp/incl.txt" 2>/dev/null
python3 - "$tmp/incl.txt" "$tmp/report.json" <<'PY'
import json, re, sys

incl = {}
for line in open(sys.argv[1]):
    m = re.match(r'\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S+)', line)
    if m:
        fn = m.group(2).split(':')[-1]
        incl[fn] = max(incl.get(fn, 0), int(m.group(1).replace(',', '')))
events = json.load(open(sys.argv[2]))['events']
stages = [
    ('everything per event (replay loop)', 'dn__replay_run'),
    ('  read, split, decode and validate frames', 'dn__reader_next'),
    ('  decode outside the one pass (fallback)', 'dn__decode_msgpack'),
    ('  duplicate filter: hash', 'dn__dedupe_hash'),
    ('  duplicate filter: lookup', 'dn__dedupe_contains_hash'),
    ('  duplicate filter: insert', 'dn__dedupe_insert_hash'),
    ('  scoring (engine submit)', 'dn_engine_submit'),
    ('    reorder buffer (copy in)', 'dn__reorder_push'),
    ('    prefilter scan of text fields (memo)', 'dn__lang_event_begin_h'),
    ('    where-filters', 'dn__lang_filters'),
    ('    entity lookup', 'dn__state_touch_eh'),
    ('    state update (observe)', 'dn__state_observe'),
    ('    rules (VM, aggregates, hit records)', 'dn__lang_eval'),
]
print('%d events; instructions per event by stage (inclusive)' % events)
for label, fn in stages:
    if fn in incl:
        print('%-44s %8.0f' % (label, incl[fn] / events))
PY
