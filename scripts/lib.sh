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

# A Python virtualenv at $1 with the exact pins of requirements file $2 ($3 names it in messages),
# reinstalled only when that file (or the interpreter) changed.
ensure_venv() {
    local venv="$1" requirements="$2" label="$3"
    local stamp="$venv/.$label-requirements.sha256"
    # A usable venv: its python runs and has pip. Debian's python3 needs python3-venv for ensurepip.
    if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -m pip --version >/dev/null 2>&1; }; then
        rm -rf "$venv"
        if ! python3 -m venv "$venv" >/dev/null 2>&1; then
            rm -rf "$venv"
            local python_venv_pkg="python3-venv" version
            version="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
            apt-cache show "python$version-venv" >/dev/null 2>&1 && python_venv_pkg="python$version-venv"
            ensure_debian_packages python3-venv "$python_venv_pkg"
            python3 -m venv "$venv"
        fi
    fi
    local want
    want="$( { sha256sum "$requirements" | cut -d' ' -f1; "$venv/bin/python" --version; } 2>&1 | sha256sum | cut -d' ' -f1)"
    [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
    echo "== $label: installing $requirements into $venv" >&2
    local log
    log="$(mktemp)"
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log" "$stamp"
        return 1
    fi
    rm -f "$log"
    echo "$want" >"$stamp"
}
