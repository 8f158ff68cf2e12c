#!/usr/bin/env bash
# Follows README.md's "Use it in your CI" section as written, on a clean checkout: the commands of
# its sh blocks in order, then the `mockidp run` line its CI examples share, in a stand-in app
# repository whose app is MockIdP's own reference app. Exit 0 when every step worked.
#   bash Tests/readme-ci.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mockidp-readme-ci.XXXXXX")
trap 'rm -rf "$work"' EXIT
say() { echo "readme-ci: $*"; }

# The section ends at the next heading of any level: its subsections (From pytest) are other uses.
section=$(awk '/^## Use it in your CI/ { on = 1; next } /^##+ / { on = 0 } on' "$repo/README.md")
mapfile -t commands < <(printf '%s\n' "$section" | awk '/^ *```sh/ { on = 1; next } /^ *```/ { on = 0 } on && NF { sub(/^ +/, ""); print }')
mapfile -t ci_lines < <(printf '%s\n' "$section" | awk '/^ *```yaml/ { on = 1; next } /^ *```/ { on = 0 } on' | grep -o 'mockidp run .*' | sort -u)
if [ "${#commands[@]}" -ne 4 ] || [ "${#ci_lines[@]}" -ne 1 ]; then
  say "expected 4 shell commands (build, install, init, check) and one CI line, found:"
  printf '  %s\n' "${commands[@]}" "${ci_lines[@]}"
  exit 1
fi

# 1. Build and install, in a clean checkout of this commit (no .build, nothing untracked), with a
#    HOME of its own so the install lands in this run's folder.
mkdir -p "$work/mockidp" "$work/home"
git -C "$repo" archive HEAD | tar -x -C "$work/mockidp"
export HOME="$work/home"
export PATH="$HOME/.local/bin:$PATH"
cd "$work/mockidp"
for command in "${commands[@]:0:2}"; do say "\$ $command"; eval "$command"; done
[ "$(command -v mockidp)" = "$HOME/.local/bin/mockidp" ] || { say "mockidp is not the installed binary"; exit 1; }

# 2. An app repository. Its app, `python3 -m myapp`, is the reference app started with the
#    settings the profile hands over; only the edits the README asks for are made to the profile.
mkdir -p "$work/app/myapp"
cat > "$work/app/myapp/__main__.py" <<'PY'
import os, sys
port = sys.argv[sys.argv.index("--port") + 1]
env = os.environ
os.execvp("mockidp", ["mockidp", "sample-app", "--port", port, "--idp", env["WORKOS_BASE_URL"],
                      "--client-id", env["WORKOS_CLIENT_ID"], "--api-key", env["WORKOS_API_KEY"],
                      "--issuer", env["WORKOS_BASE_URL"], "--jwks-ttl-ms", env["MYAPP_JWKS_TTL_MS"],
                      "--jwks-cooldown-ms", env["MYAPP_JWKS_COOLDOWN_MS"], "--test-mode"])
PY
cd "$work/app"
say "\$ ${commands[2]}"; eval "${commands[2]}"
# "edit callback, response and capabilities": this app's are the reference profile's.
mockidp scenarios export "$work/reference" >/dev/null
python3 - "$work/reference/targets/reference-app.json" mockidp.json <<'PY'
import json, sys
reference, profile = (json.load(open(path)) for path in sys.argv[1:])
for key in ("callback", "response", "capabilities"):
    profile[key] = reference[key]
# The app's cache settings are its own; the profile declares them (the reference values, so the
# copied capabilities stay true of this app).
capabilities = reference["capabilities"]
profile["start"].setdefault("env", {})["MYAPP_JWKS_TTL_MS"] = str(round(capabilities["jwks_cache_ttl_seconds"] * 1000))
profile["start"]["env"]["MYAPP_JWKS_COOLDOWN_MS"] = str(round(capabilities["jwks_refetch_cooldown_seconds"] * 1000))
json.dump(profile, open(sys.argv[2], "w"), indent=2)
PY
say "\$ ${commands[3]}"; eval "${commands[3]}"

# 3. The CI line.
say "\$ ${ci_lines[0]}"; eval "${ci_lines[0]}"
grep -q '<testsuites' mockidp-junit.xml || { say "no JUnit report"; exit 1; }
say "every step of the README's CI section worked"
