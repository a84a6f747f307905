# Helpers shared by the scripts in this directory. Sourced, never run.

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Run a command as root: directly if we are root, else through sudo. `sudo -n`
# never prompts, which matters in CI where there is no stdin.
as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        die "need root to run: $* (run as root, or configure password-less sudo)"
    fi
}

# Install Debian packages non-interactively. `apt-get update` first because a
# fresh CI image usually has no package lists.
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found; install these packages manually: $*"
    note "installing with apt-get: $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# A virtualenv at $1 holding exactly the pinned requirements file $2 (from
# PyPI); rebuilt when the file changes.
python_venv() {
    local venv=$1 want=$2
    if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
        apt_install python3 python3-venv
    fi
    local stamp=$venv/.requirements
    if [[ ! -x $venv/bin/python ]] || ! cmp -s "$want" "$stamp"; then
        rm -rf -- "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check -r "$want"
        cp "$want" "$stamp"
    fi
}

# A free TCP port on the loopback interface.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until the server at $1 answers, or dies pointing at log $2.
wait_for_server() {
    local base=$1 log=$2 tries=0
    until python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "$base/healthz" 2>/dev/null; do
        ((tries++ < 150)) || die "the server did not come up; see $log"
        sleep 0.2
    done
}

readonly CHROMIUM_BIN=/usr/bin/chromium
readonly CHROMEDRIVER_BIN=/usr/bin/chromedriver

# Debian's Chromium and chromedriver, installed when missing.
ensure_chromium() {
    if [[ ! -x $CHROMIUM_BIN || ! -x $CHROMEDRIVER_BIN ]]; then
        apt_install chromium chromium-driver
    fi
    [[ -x $CHROMIUM_BIN ]] || die "$CHROMIUM_BIN missing after installing chromium"
    [[ -x $CHROMEDRIVER_BIN ]] || die "$CHROMEDRIVER_BIN missing after installing chromium-driver"
}

# EXIT trap of the scripts that serve a throwaway demo: stops the server
# ($SERVER_PID) and removes its data directory ($DATA), keeping the exit
# status.
stop_demo_server() {
    local rc=$?
    if [[ -n ${SERVER_PID:-} ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [[ -z ${DATA:-} ]] || rm -rf -- "$DATA"
    exit "$rc"
}

# Builds the debug binary and prints its path.
build_aiwei() {
    cargo build --locked -q -p aiwei --bin aiwei
    printf '%s\n' "${CARGO_TARGET_DIR:-target}/debug/aiwei"
}

# Serves the data directory $DATA with the binary $1 on a free loopback
# port, logging to $2, and waits until it answers; sets SERVER_PID (for
# stop_demo_server) and BASE.
serve_demo() {
    local bin=$1 log=$2 port
    port=$(free_port)
    BASE="http://127.0.0.1:$port"
    AIWEI_LOG=info "$bin" --data-dir "$DATA" serve --bind "127.0.0.1:$port" >"$log" 2>&1 &
    SERVER_PID=$!
    wait_for_server "$BASE" "$log"
}
