# Sourced by tests/vm/seed/{build,dm-selftest,blkback-selftest}: the pieces they share.

# The dom0 kernel the lab boots: the one linux-image-amd64 depends on (as tests/vm/build picks it),
# unless SEED_KERNEL_VERSION says otherwise; 6.1.0-56-amd64 (Debian 6.1.192-2) before it is installed.
seed_kernel_version() {
    local depends
    if [ -n "${SEED_KERNEL_VERSION:-}" ]; then
        echo "$SEED_KERNEL_VERSION"
        return
    fi
    depends=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null || true)
    depends=$(grep -o 'linux-image-[0-9][^ ,]*' <<<"$depends" | head -n 1 || true)
    echo "${depends:-linux-image-6.1.0-56-amd64}" | sed 's/^linux-image-//'
}

# Installs the Debian packages named that are missing. Another process may hold the dpkg lock for
# minutes (the lab installs its own packages); a fresh machine needs one `apt-get update` first.
seed_install_packages() {
    local missing=() p apt
    for p in "$@"; do
        [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "seed: installing ${missing[*]}" >&2
    apt=(apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends)
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}" >&2 && return 0
    apt-get -o DPkg::Lock::Timeout=600 update >&2 &&
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" "${missing[@]}" >&2
}

# Prints the PASS/FAIL lines of a VM's console log and "N passed, N failed"; fails if any check
# failed or the VM did not reach its closing markers (a VM that died half-way prints fewer lines,
# not FAIL lines).
seed_summarize() {
    local log=$1 passed failed
    tr -d '\r' <"$log" | grep -E '^(PASS|FAIL): ' || true
    passed=$(tr -d '\r' <"$log" | grep -c '^PASS: ' || true)
    failed=$(tr -d '\r' <"$log" | grep -c '^FAIL: ' || true)
    if ! tr -d '\r' <"$log" | grep -qE '^[0-9]+ passed, [0-9]+ failed$' ||
       ! tr -d '\r' <"$log" | grep -q '^seed-vm: done'; then
        echo "FAIL: the VM did not finish the selftest; console:"
        tail -n 40 "$log"
        failed=$((failed + 1))
    fi
    if [ "$failed" -gt 0 ]; then
        cp "$log" "/tmp/$(basename "$0").console.log"
        echo "console log: /tmp/$(basename "$0").console.log"
    fi
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# The directory of seed modules: the argument if given, else what tests/vm/seed/build prints.
seed_module_dir() {
    if [ -n "${1:-}" ]; then
        echo "$1"
    else
        "$(dirname "${BASH_SOURCE[0]}")/build" | tail -n 1
    fi
}
