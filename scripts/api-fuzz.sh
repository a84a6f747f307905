#!/usr/bin/env bash
# Fuzz the JSON API against its own OpenAPI document with Schemathesis, once
# per role, with every check. Part of the test command (scripts/test-all.sh);
# runnable alone:
#
#   ./scripts/api-fuzz.sh                 # every role, default time per role
#   AIWEI_FUZZ_SECONDS=300 ./scripts/api-fuzz.sh
#   AIWEI_FUZZ_ROLES="intake admin" AIWEI_FUZZ_SEED=7 ./scripts/api-fuzz.sh
#
# What it does: builds the binary, creates a throwaway data directory with the
# demo organisation (SQLite), gives each demo account an API token, serves on
# a free loopback port, and runs `st run` with the configuration in
# scripts/api-fuzz/schemathesis.toml (where every setting says why). A run
# fails on any failure of any check. Schemathesis comes from PyPI into a
# virtualenv under target/, pinned by scripts/api-fuzz/requirements.txt.
#
# Reports (JUnit XML and the server log) are left in target/api-fuzz/.

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

readonly SECONDS_PER_ROLE=${AIWEI_FUZZ_SECONDS:-50}
readonly SEED=${AIWEI_FUZZ_SEED:-20261129}
# The demo's account of each role (crates/aiwei/src/demo/texts.toml).
readonly ALL_ROLES="intake handler dept_lead leading_group supervisor auditor admin"
readonly ROLES=${AIWEI_FUZZ_ROLES:-$ALL_ROLES}
readonly OUT=target/api-fuzz
readonly VENV=target/schemathesis-venv

declare -A ACCOUNT=(
    [intake]=jieting [handler]=jingban [dept_lead]=keshi [leading_group]=lingdao
    [supervisor]=duban [auditor]=shenji [admin]=admin
)

# The demo server and its throwaway data directory go when the script ends.
SERVER_PID=''
DATA=''
trap stop_demo_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_schemathesis() {
    step "Schemathesis (PyPI, pinned)"
    python_venv "$VENV" scripts/api-fuzz/requirements.txt
    note "$("$VENV/bin/st" --version)"
}

# GET an API path as a role; prints the body.
api() {
    # Python rather than curl: the script needs Python anyway, and a fresh
    # machine may lack curl.
    python3 - "$BASE$2" "${TOKEN[$1]}" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
sys.stdout.write(urllib.request.urlopen(req, timeout=30).read().decode())
PY
}

# Real identifiers for the dictionaries of schemathesis.toml, so the fuzzer
# reaches the handlers' own rules instead of "not found": the matters this
# role sees, and pending extensions and disclosures.
aim_at() {
    local role=$1 f
    ids() { python3 -c "import json,sys; [print(json.dumps(x['$1'])) for x in json.load(sys.stdin)['items']]"; }
    api "$role" '/api/v1/matters?limit=200' | ids number >"$OUT/matters.txt"
    api supervisor '/api/v1/extensions' | ids id >"$OUT/extensions.txt"
    api supervisor '/api/v1/disclosures?which=pending' | ids id >"$OUT/disclosures.txt"
    api "$role" '/api/v1/articles?limit=200' | ids id >"$OUT/articles.txt"
    # A dictionary must not be empty; a key that names nothing is a fair value.
    for f in matters extensions disclosures articles; do
        [[ -s $OUT/$f.txt ]] || echo '"00000000-0000-0000-0000-000000000000"' >"$OUT/$f.txt"
    done
    note "aiming at $(wc -l <"$OUT/matters.txt") matters, $(wc -l <"$OUT/extensions.txt") extensions, $(wc -l <"$OUT/disclosures.txt") disclosures, $(wc -l <"$OUT/articles.txt") articles"
}

main() {
    ensure_schemathesis

    step "Building the binary"
    local bin
    bin=$(build_aiwei)

    step "Demo organisation in a throwaway data directory"
    mkdir -p "$OUT"
    DATA=$(mktemp -d /tmp/aiwei-fuzz.XXXXXX)
    local aiwei=("$bin" --data-dir "$DATA")
    AIWEI_LOG=warn "${aiwei[@]}" demo --matters 400 --days 60 >"$OUT/demo.log" 2>&1 ||
        {
            tail -n 20 "$OUT/demo.log" >&2
            die "demo data failed"
        }
    declare -gA TOKEN
    local role
    for role in $ALL_ROLES; do
        TOKEN[$role]=$("${aiwei[@]}" token create "${ACCOUNT[$role]}" --label fuzz --days 1 2>/dev/null | tail -n 1)
        [[ ${TOKEN[$role]} == aw_* ]] || die "no token for ${ACCOUNT[$role]}"
    done

    step "Serving"
    serve_demo "$bin" "$OUT/server.log"
    note "$BASE"

    local failed=() rc
    for role in $ROLES; do
        [[ -n ${ACCOUNT[$role]:-} ]] || die "unknown role $role"
        step "Schemathesis as $role (${ACCOUNT[$role]}), ${SECONDS_PER_ROLE}s, seed $SEED"
        aim_at "$role"
        rc=0
        "$VENV/bin/st" --config-file scripts/api-fuzz/schemathesis.toml run \
            "$BASE/api/v1/openapi.json" --url "$BASE" \
            -H "Authorization: Bearer ${TOKEN[$role]}" \
            --max-time "$SECONDS_PER_ROLE" --seed "$SEED" \
            --report junit --report-junit-path "$OUT/$role.xml" \
            --no-color >"$OUT/$role.log" 2>&1 || rc=$?
        note "$(grep -A1 '^Test cases:' "$OUT/$role.log" | tail -n 1 | sed 's/^ *//')"
        if ((rc != 0)); then
            failed+=("$role")
            if grep -q FAILURES "$OUT/$role.log"; then
                sed -n '/FAILURES/,/SUMMARY/p' "$OUT/$role.log" | head -n 150
            else
                tail -n 40 "$OUT/$role.log"
            fi
        fi
    done

    if grep -q 'ERROR' "$OUT/server.log"; then
        grep 'ERROR' "$OUT/server.log" | head -n 20 >&2
        die "the server logged errors while fuzzed"
    fi
    ((${#failed[@]} == 0)) || die "Schemathesis failed for: ${failed[*]} (logs in $OUT/)"
    step "API fuzzing passed for: $ROLES"
}

main "$@"
