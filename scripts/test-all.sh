#!/usr/bin/env bash
# Run the whole Aiwei Desk test suite: formatting, lints and every test,
# including the PostgreSQL-backed and browser tests.
#
#   ./scripts/test-all.sh              # fmt + clippy + all tests
#   ./scripts/test-all.sh matter       # extra arguments go to `cargo test`
#   ./scripts/test-all.sh --quick ...  # skip fmt and clippy, only run tests
#
# The script provides the services the tests need instead of assuming them:
#   * PostgreSQL: uses $AIWEI_TEST_PG_URL (default: local server on 5432); if
#     nothing answers there it starts a throwaway cluster in /tmp and stops it
#     again on exit.
#   * Chromium + chromedriver (Debian packages): installed with apt-get when
#     missing, because the browser test is mandatory here
#     (AIWEI_REQUIRE_BROWSER=1 turns its "skip" into a failure).
#   * Schemathesis (PyPI, pinned) for the API fuzzing of scripts/api-fuzz.sh,
#     installed into a virtualenv under target/.
#   * aiosmtpd (PyPI, pinned), the SMTP server the e-mail tests start,
#     likewise in a virtualenv under target/.
#
# It is also what CI runs (.ci/run), so it must work unattended: no prompts,
# no stdin, possibly as root on a fresh machine.

set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

readonly DEFAULT_PG_URL='postgres://postgres@127.0.0.1:5432/postgres'
# First port tried for the throwaway cluster; chosen to be far from 5432 so it
# never collides with a regular server.
readonly THROWAWAY_PG_FIRST_PORT=55432

# State of the throwaway cluster, read by the EXIT trap.
PG_TMP_DATA=''
PG_TMP_BINDIR=''

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

# Hide the password part of a connection URL so it never ends up in CI logs.
redact_url() {
    sed -E 's#(://[^:/@]*):[^/]*@#\1:***@#' <<<"$1"
}

# psql that never reads ~/.psqlrc (its settings could change the output we
# parse) and gives up quickly on a dead host instead of hanging.
pg() {
    PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 "$@"
}

pg_answers() {
    pg "$1" -Atc 'select 1' >/dev/null 2>&1
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

# Directory with initdb/pg_ctl. Debian keeps them out of PATH under
# /usr/lib/postgresql/<version>/bin; take the newest version installed.
find_pg_bindir() {
    local dir
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin \
        2>/dev/null | sort -V | tail -n 1)
    if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
        printf '%s\n' "$dir"
    elif command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
    else
        return 1
    fi
}

# initdb and pg_ctl refuse to run as root, so when we are root run them as the
# `postgres` system user (created by Debian's postgresql packages).
as_pg_user() {
    if [[ $(id -u) -ne 0 ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        # cd / so the postgres user is not left in a directory it cannot read.
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
    fi
}

# Is something already listening on 127.0.0.1:$1? Uses bash's /dev/tcp so it
# needs no extra tools.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

stop_throwaway_pg() {
    [[ -n $PG_TMP_DATA ]] || return 0
    note "stopping throwaway PostgreSQL cluster ($PG_TMP_DATA)"
    # No postmaster.pid: the server never started (e.g. initdb failed), so
    # there is nothing to stop. -m fast: tests may still hold connections.
    if [[ ! -e $PG_TMP_DATA/data/postmaster.pid ]] ||
        as_pg_user "$PG_TMP_BINDIR/pg_ctl" stop -D "$PG_TMP_DATA/data" -m fast -w -s; then
        rm -rf -- "$PG_TMP_DATA"
    else
        # Deleting the data of a running server would only hide the problem.
        printf 'warning: could not stop the throwaway PostgreSQL cluster; left in %s\n' \
            "$PG_TMP_DATA" >&2
    fi
    PG_TMP_DATA=''
}

# Start a disposable cluster on a free local port with trust auth and export
# AIWEI_TEST_PG_URL pointing at it. It lives in /tmp and is removed on exit.
start_throwaway_pg() {
    local port=$THROWAWAY_PG_FIRST_PORT

    if ! PG_TMP_BINDIR=$(find_pg_bindir); then
        apt_install postgresql
        PG_TMP_BINDIR=$(find_pg_bindir) || die "PostgreSQL server binaries not found after install"
    fi

    if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        die "running as root but there is no 'postgres' user to run initdb as"
    fi

    while port_in_use "$port"; do
        port=$((port + 1))
        ((port < THROWAWAY_PG_FIRST_PORT + 100)) || die "no free port for the throwaway PostgreSQL cluster"
    done

    PG_TMP_DATA=$(mktemp -d /tmp/aiwei-test-pg.XXXXXX)
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$PG_TMP_DATA"
    fi
    chmod 700 "$PG_TMP_DATA"

    note "starting throwaway PostgreSQL ($PG_TMP_BINDIR) on 127.0.0.1:$port, data in $PG_TMP_DATA"
    # UTF8 + C locale: works on any machine (no locale packages needed) and
    # stores any text. --no-sync: nothing here is worth an fsync.
    as_pg_user "$PG_TMP_BINDIR/initdb" -D "$PG_TMP_DATA/data" -U postgres \
        --auth=trust --encoding=UTF8 --no-locale --no-sync >"$PG_TMP_DATA/initdb.log" 2>&1 || {
        cat "$PG_TMP_DATA/initdb.log" >&2
        die "initdb failed"
    }

    # Socket in the data dir: Debian's default /var/run/postgresql may not exist
    # or be writable. Durability is off because the cluster is discarded.
    if ! as_pg_user "$PG_TMP_BINDIR/pg_ctl" start -D "$PG_TMP_DATA/data" -w -t 60 -s \
        -l "$PG_TMP_DATA/server.log" \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP_DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"; then
        tail -n 30 "$PG_TMP_DATA/server.log" >&2 || true
        die "could not start the throwaway PostgreSQL cluster"
    fi

    AIWEI_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
    pg_answers "$AIWEI_TEST_PG_URL" || die "throwaway PostgreSQL started but does not accept connections"
}

ensure_postgres() {
    step "PostgreSQL"
    local url=${AIWEI_TEST_PG_URL:-$DEFAULT_PG_URL}

    # psql is needed both to probe the server and to clean up old databases.
    command -v psql >/dev/null 2>&1 || apt_install postgresql-client

    if pg_answers "$url"; then
        note "using $(redact_url "$url")"
        AIWEI_TEST_PG_URL=$url
    else
        note "nothing usable answers on $(redact_url "$url"); starting a throwaway cluster"
        start_throwaway_pg
        note "using $AIWEI_TEST_PG_URL"
    fi
    export AIWEI_TEST_PG_URL
}

# Tests create aiwei_test_* databases and drop them when done; a crashed or
# interrupted run leaves them behind. Remove those so they do not pile up.
# Best effort: a failure here must not stop the test run.
drop_leftover_test_dbs() {
    local names name
    # `\_` makes the underscores literal instead of LIKE wildcards.
    names=$(pg "$AIWEI_TEST_PG_URL" -Atc \
        "select datname from pg_database where datname like 'aiwei\_test\_%'" 2>/dev/null) || return 0
    [[ -n $names ]] || return 0
    while IFS= read -r name; do
        [[ -n $name ]] || continue
        note "dropping leftover database $name"
        # Quote as an identifier (double any embedded double quote); WITH
        # (FORCE) (PostgreSQL 13+) kicks out connections a dead run left open.
        pg "$AIWEI_TEST_PG_URL" -c "DROP DATABASE IF EXISTS \"${name//\"/\"\"}\" WITH (FORCE)" \
            >/dev/null 2>&1 || note "  (could not drop $name, ignoring)"
    done <<<"$names"
}

# ---------------------------------------------------------------------------
# Browser
# ---------------------------------------------------------------------------

ensure_browser() {
    step "Chromium + chromedriver"
    ensure_chromium
    note "$("$CHROMEDRIVER_BIN" --version 2>/dev/null | head -n 1 || echo "$CHROMEDRIVER_BIN")"

    export AIWEI_CHROMIUM=$CHROMIUM_BIN
    export AIWEI_CHROMEDRIVER=$CHROMEDRIVER_BIN
    # Make the browser test fail instead of silently skipping.
    export AIWEI_REQUIRE_BROWSER=1
}

# A real SMTP server for the e-mail tests: aiosmtpd (PyPI, pinned) in a
# virtualenv under target/, started by the tests themselves on loopback.
ensure_mail_sink() {
    step "aiosmtpd (SMTP server for the e-mail tests)"
    python_venv target/mail-venv scripts/mail-sink/requirements.txt
    AIWEI_TEST_MAIL_PYTHON=$(pwd)/target/mail-venv/bin/python
    export AIWEI_TEST_MAIL_PYTHON
    # Make the mail tests fail instead of silently skipping.
    export AIWEI_REQUIRE_MAIL=1
}

# ---------------------------------------------------------------------------
# Personal data in logs and error bodies
# ---------------------------------------------------------------------------

# The canary caller's phone number, name and organisation (defined once, in
# the test helpers) must appear nowhere in what the suite logged or received
# as error bodies.
check_canary() {
    step "Canary caller in the suite's log and error bodies"
    local helpers=crates/aiwei/tests/api/helpers.rs value found=0
    [[ -s $AIWEI_TEST_LOG_FILE ]] || die "the suite wrote no log to $AIWEI_TEST_LOG_FILE"
    for name in CANARY_PHONE CANARY_NAME CANARY_ORG; do
        value=$(sed -nE "s/^pub const $name: &str = \"([^\"]+)\";/\1/p" "$helpers")
        [[ -n $value ]] || die "$name not found in $helpers"
        if grep -qF -- "$value" "$AIWEI_TEST_LOG_FILE"; then
            printf 'error: %s (%s) found in %s\n' "$name" "$value" "$AIWEI_TEST_LOG_FILE" >&2
            found=1
        fi
    done
    ((found == 0)) || exit 1
    note "$(wc -l <"$AIWEI_TEST_LOG_FILE") lines searched, $(grep -c '^error body' "$AIWEI_TEST_LOG_FILE" || true) error bodies among them"
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

on_exit() {
    local rc=$?
    stop_throwaway_pg
    exit "$rc"
}

main() {
    local quick=0
    if [[ ${1:-} == --quick ]]; then
        quick=1
        shift
    fi

    cd "$(dirname "${BASH_SOURCE[0]}")/.."

    trap on_exit EXIT
    # Turn Ctrl-C / kill into a normal exit so the EXIT trap stops PostgreSQL.
    trap 'exit 130' INT
    trap 'exit 143' TERM

    # Services first, so every cargo step (and anything it builds) sees the
    # same environment the tests get.
    ensure_postgres
    ensure_browser
    ensure_mail_sink

    if ((quick)); then
        step "--quick: skipping cargo fmt and cargo clippy"
    else
        step "cargo fmt --all -- --check"
        cargo fmt --all -- --check

        step "cargo clippy --workspace --all-targets --locked -- -D warnings"
        cargo clippy --workspace --all-targets --locked -- -D warnings
    fi

    step "Cleaning up leftover test databases"
    drop_leftover_test_dbs

    step "cargo test --workspace --locked $*"
    # The tests append the app's log and every error body they receive to
    # this file; afterwards it must not hold the canary caller.
    AIWEI_TEST_LOG_FILE=$(pwd)/target/test-suite.log
    export AIWEI_TEST_LOG_FILE
    mkdir -p target
    : >"$AIWEI_TEST_LOG_FILE"
    # Not exec: the EXIT trap still has to stop the throwaway cluster. With
    # `set -e` a test failure exits here with cargo's status.
    cargo test --workspace --locked "$@"

    check_canary

    # The API against its own document, once per role. Only on a whole run:
    # a run narrowed to some tests (`--quick NAME`) is for a quick look.
    if (($# == 0)); then
        ./scripts/api-fuzz.sh
    else
        step "Tests narrowed to '$*': skipping the API fuzzing (./scripts/api-fuzz.sh)"
    fi

    step "All checks passed"
}

# Only run when executed, so the functions can be sourced for debugging.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
