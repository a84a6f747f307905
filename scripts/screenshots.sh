#!/usr/bin/env bash
# Screenshots of the main pages as each demo role sees them, at 1366×768 in
# headless Chromium, from a freshly built demo:
#
#   ./scripts/screenshots.sh              # into target/screenshots/
#   ./scripts/screenshots.sh --readme     # and refresh docs/screenshots/
#
# What it does: builds the binary, creates the demo organisation in a
# throwaway data directory (SQLite), serves it on a free loopback port, logs
# in as each demo account and saves one PNG per page (`<role>-<page>.png`).
# Chromium and chromedriver are Debian's (installed when missing); the
# WebDriver client is Selenium from PyPI, pinned in
# scripts/screenshots/requirements.txt, driving that chromedriver (nothing is
# downloaded from anywhere else).

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

readonly OUT=target/screenshots
readonly VENV=target/screenshots-venv
# The README shows these three.
readonly README_SHOTS="intake-work handler-matter intake-intake"

# The demo server and its throwaway data directory go when the script ends.
SERVER_PID=''
DATA=''
trap stop_demo_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

main() {
    local readme=false
    [[ ${1:-} == --readme ]] && readme=true

    step "Chromium, chromedriver, a Chinese font and Selenium"
    ensure_chromium
    # Without a CJK font every Chinese character is a box.
    if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
        apt_install fonts-wqy-zenhei
    fi
    python_venv "$VENV" scripts/screenshots/requirements.txt

    step "Building the binary"
    local bin
    bin=$(build_aiwei)

    step "Demo organisation in a throwaway data directory"
    mkdir -p "$OUT"
    DATA=$(mktemp -d /tmp/aiwei-shots.XXXXXX)
    local aiwei=("$bin" --data-dir "$DATA")
    # The accounts and their one-time passwords go to a file only the
    # screenshot run reads, inside the throwaway directory.
    AIWEI_LOG=warn "${aiwei[@]}" demo --matters 600 --days 45 >"$DATA/accounts.txt" 2>"$OUT/demo.log" ||
        die "demo data failed; see $OUT/demo.log"

    step "Serving"
    serve_demo "$bin" "$OUT/server.log"
    note "$BASE"

    step "Screenshots"
    SE_OFFLINE=true "$VENV/bin/python" scripts/screenshots/shoot.py \
        --base "$BASE" --accounts "$DATA/accounts.txt" --out "$OUT" \
        --chromium "$CHROMIUM_BIN" --chromedriver "$CHROMEDRIVER_BIN"

    if $readme; then
        mkdir -p docs/screenshots
        local s
        for s in $README_SHOTS; do
            cp "$OUT/$s.png" "docs/screenshots/$s.png"
        done
        note "docs/screenshots/ refreshed"
    fi
    step "Screenshots in $OUT/"
}

main "$@"
