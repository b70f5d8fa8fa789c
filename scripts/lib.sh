# Shared by scripts/run, scripts/test, scripts/bench and scripts/e2e. Source it; do not run it.

# Installs the given Debian packages when they are missing and we may (apt-get, root or sudo).
ensure_debian_packages() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "missing packages ${missing[*]} and no apt-get: install them with your package manager" >&2
        return 1
    fi
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing ${missing[*]}" >&2
    local log
    log="$(mktemp)"
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"; } \
        >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

# Installs the Debian packages the build links against, when they are missing and we may.
ensure_system_packages() {
    ensure_debian_packages libsqlite3-dev sqlite3 libcurl4-openssl-dev
}
