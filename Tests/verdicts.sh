#!/usr/bin/env bash
# Verdict identity: the built-in suite's --json verdicts against both reference-app shapes and every
# seeded bug (fixed --seed, --jobs 1), one file each, with what legitimately differs between two runs
# of the same build masked: timings, ports, transcripts, app-side UUIDs, timestamps and secrets, and
# in the concurrency family the findings (a race scenario's verdict is stable; how many of its races
# show the bug is not). A refactor proves itself by `diff -r -x raw` (raw/ keeps the unmasked reports):
#   Tests/verdicts.sh BEFORE_BINARY /tmp/before; Tests/verdicts.sh AFTER_BINARY /tmp/after
#   diff -r -x raw /tmp/before /tmp/after
#   Tests/verdicts.sh --renormalize DIR   rewrites DIR's normalized files from the raw reports it keeps.
set -euo pipefail
normalize() {
  jq -S '
    def mask: gsub("127\\.0\\.0\\.1:[0-9]+"; "127.0.0.1:PORT")
      | gsub("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4,12}"; "UUID")
      | gsub("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"; "TIME")
      | gsub("\\b[a-z]{2}_[A-Za-z0-9_-]{8,}"; "SECRET");
    {summary: .summary,
     scenarios: [.scenarios[] | . as $s | {id, family, iteration, verdict, reason: (.reason | if type == "string" then mask else . end),
       references, verdict_rule,
       findings: (if $s.family == "concurrency" then "(how many races show it varies)"
                  else [.findings[] | {step, because, message: (.message | mask)}] end)}]}' "$1"
}
run_one() {  # run_one SHAPE PROFILE BUG
  local shape=$1 profile=$2 bug=$3 args=()
  [ "$bug" = correct ] || args=(--app-arg=--bug="$bug")
  "$bin" run --target "$profile" --seed 7 --jobs 1 --no-color --json "$out/raw/$shape-$bug.json" "${args[@]}" >"$out/raw/$shape-$bug.out" 2>&1 || true
  normalize "$out/raw/$shape-$bug.json" > "$out/$shape-$bug.json"
}
if [ "$1" = --renormalize ]; then
  for raw in "$2"/raw/*.json; do normalize "$raw" > "$2/$(basename "$raw")"; done
  exit 0
fi
bin=$1 out=$2
mkdir -p "$out/raw"
bugs_of() { "$bin" sample-app --help | sed -n "s/.*--bug NAME .*$1: \([^.]*\)\..*/\1/p" | tr -d ' ' | tr ',' '\n'; }
for bug in correct $(bugs_of api); do run_one api reference-app "$bug"; done
for bug in correct $(bugs_of web); do run_one web scenarios/targets/reference-web-app.json "$bug"; done
echo "verdicts: $(ls "$out"/*.json | wc -l) reports in $out"
