#!/usr/bin/env bash
# Verdict identity: the built-in suite's --json verdicts against both reference-app shapes and every
# seeded bug (fixed --seed, --jobs 1), one file each, with what legitimately differs between two runs
# of the same build masked: timings, ports, transcripts, app-side UUIDs, timestamps and secrets, and
# in the concurrency family the findings (a race scenario's verdict is stable; how many of its races
# show the bug is not). A refactor proves itself by `diff -r -x raw` (raw/ keeps the unmasked reports):
#   Tests/verdicts.sh BEFORE_BINARY /tmp/before; Tests/verdicts.sh AFTER_BINARY /tmp/after
#   diff -r -x raw /tmp/before /tmp/after
#   Tests/verdicts.sh --renormalize DIR   rewrites DIR's normalized files from the raw reports it keeps.
# Runs pin --lanes 1 (each exclusive scenario one at a time against the shared mock, as before lanes)
# when BIN knows the option, so the mock's seeded IDs come in one sequence and reports stay comparable.
# Lane identity: the same verdicts with and without lanes (--lanes 1 vs the default); exits 1 on a difference:
#   Tests/verdicts.sh --lanes BIN DIR [all]   the correct reference shapes and two key-handling seeded
#     bugs of the API shape (CI, about a minute); with `all`, every seeded bug and the Tests/interop profiles too. A lane's mock is fresh,
#     so its seeded IDs (user_…, kids, the fresh-<run>- of fresh users' emails) differ from the shared
#     mock's next ones: those are masked too, and nothing else.
set -euo pipefail
normalize() {
  jq -S '
    def mask: gsub("127\\.0\\.0\\.1(:|%3A)[0-9]+"; "127.0.0.1:PORT")
      | gsub("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4,12}"; "UUID")
      | gsub("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"; "TIME")
      | gsub("\\b[a-z]{2}_[A-Za-z0-9_-]{8,}"; "SECRET");
    {summary: .summary,
     scenarios: [.scenarios[] | . as $s | {id, family, iteration, verdict, reason: (.reason | if type == "string" then mask else . end),
       references, verdict_rule,
       findings: (if $s.family == "concurrency" then "(how many races show it varies)"
                  else [.findings[] | {step, because, message: (.message | mask)}] end)}]}' "$1"
}
mask_ids() {  # also when a long message cut an ID short; a scenario's ${run} is 10 characters of one
  sed -E 's/\b(user|org|om|session|conn|org_domain|client|sso_oidc_key_pair|role|req|fault)_01[0-9A-HJKMNP-TV-Z]{4,24}/\1_ID/g
    s/(fresh-|unknown-kid-|dup-|session_dup_)[0-9a-hjkmnp-tv-z]{10}/\1RUN/g'
}
lanes_args=()
run_one() {  # run_one SHAPE PROFILE BUG
  local shape=$1 profile=$2 bug=$3 args=()
  [ "$bug" = correct ] || args=(--app-arg=--bug="$bug")
  "$bin" run --target "$profile" --seed 7 --jobs 1 "${lanes_args[@]}" --no-color --json "$out/raw/$shape-$bug.json" "${args[@]}" \
    >"$out/raw/$shape-$bug.out" 2>&1 || true
  normalize "$out/raw/$shape-$bug.json" > "$out/$shape-$bug.json"
}
if [ "$1" = --renormalize ]; then
  for raw in "$2"/raw/*.json; do normalize "$raw" > "$2/$(basename "$raw")"; done
  exit 0
fi
if [ "$1" = --lanes ]; then
  bin=$2 root=$3 set=${4:-ci}
  run_both() {  # run_both SHAPE PROFILE BUG: once one at a time, once in the default lanes
    for mode in one lanes; do
      out=$root/$mode; mkdir -p "$out/raw"
      if [ $mode = one ]; then lanes_args=(--lanes 1); else lanes_args=(); fi
      run_one "$@"
      mask_ids < "$out/$1-$3.json" > "$out/$1-$3.masked" && rm "$out/$1-$3.json"
    done
  }
  bugs_of() { "$bin" sample-app --help | sed -n "s/.*--bug NAME .*$1: \([^.]*\)\..*/\1/p" | tr -d ' ' | tr ',' '\n'; }
  if [ "$set" = all ]; then api_bugs=$(bugs_of api) web_bugs=$(bugs_of web); else
    api_bugs="jwks-cached-forever kid-absent-skips-signature"; web_bugs=""; fi
  for bug in correct $api_bugs; do run_both api reference-app "$bug"; done
  for bug in correct $web_bugs; do run_both web scenarios/targets/reference-web-app.json "$bug"; done
  if [ "$set" = all ]; then
    for profile in Tests/interop/*.json; do run_both "interop-$(basename "$profile" .json)" "$profile" correct; done
  fi
  grep -q '"verdict"' "$root"/lanes/*.masked || { echo "lanes: no verdicts in $root/lanes" >&2; exit 1; }
  if diff -r -x raw "$root/one" "$root/lanes"; then echo "lanes: $(ls "$root"/lanes/*.masked | wc -l) reports, identical verdicts with and without lanes"
  else echo "lanes: verdicts differ with lanes (diff above; reports in $root)" >&2; exit 1; fi
  exit 0
fi
bin=$1 out=$2
"$bin" run --help 2>&1 | grep -q -- --lanes && lanes_args=(--lanes 1)
mkdir -p "$out/raw"
bugs_of() { "$bin" sample-app --help | sed -n "s/.*--bug NAME .*$1: \([^.]*\)\..*/\1/p" | tr -d ' ' | tr ',' '\n'; }
for bug in correct $(bugs_of api); do run_one api reference-app "$bug"; done
for bug in correct $(bugs_of web); do run_one web scenarios/targets/reference-web-app.json "$bug"; done
echo "verdicts: $(ls "$out"/*.json | wc -l) reports in $out"
