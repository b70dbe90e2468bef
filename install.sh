#!/usr/bin/env bash
# Builds block-diskseq with NativeAOT and installs it as $DESTDIR/etc/xen/scripts/block-diskseq.
#   ./install.sh               install build/run dependencies if missing, publish, install
#   ./install.sh --deps-only   only the Debian packages (used by run-tests)
#   ./install.sh --uninstall   remove the installed script
# DESTDIR empty means the real system. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"

DESTDIR=${DESTDIR:-}
SCRIPT_DIR="$DESTDIR/etc/xen/scripts"
TARGET="$SCRIPT_DIR/block-diskseq"
PUBLISH_DIR=artifacts/publish

# Build: a C toolchain for the AOT link, libxenstore4 to link against, libxen-dev + clang to
# regenerate the bindings. Tests: xenstore-utils (the conformance suite drives the real tools), util-linux
# (losetup -P) and e2fsprogs (mkfs.ext2) for the partition and mount tests, strace (what add opens).
PACKAGES=(gcc binutils libc6-dev clang libxenstore4 libxen-dev xenstore-utils util-linux e2fsprogs strace)

missing_packages() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

install_packages() {
    local missing
    missing=$(missing_packages "$@")
    [ -z "$missing" ] && return 0
    echo "install.sh: installing from Debian: $missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    # A fresh machine has no package lists yet; a stale list may lack a version: update once.
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q -o DPkg::Lock::Timeout=600 $missing >/dev/null
}

check_dotnet() {
    command -v dotnet >/dev/null || {
        echo "install.sh: the .NET SDK (10.0) is needed to build; see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
        exit 1
    }
}

publish() {
    check_dotnet
    dotnet publish hotplug/Hotplug.csproj -c Release -o "$PUBLISH_DIR" -nologo -v quiet
}

case "${1:-}" in
--deps-only)
    install_packages "${PACKAGES[@]}"
    ;;
--uninstall)
    rm -f "$TARGET"
    echo "install.sh: removed $TARGET"
    ;;
"")
    install_packages "${PACKAGES[@]}"
    publish
    install -d -m 0755 "$SCRIPT_DIR"
    install -m 0755 "$PUBLISH_DIR/block-diskseq" "$TARGET"
    echo "install.sh: installed $TARGET ($(stat -c %s "$TARGET") bytes)"
    ;;
*)
    echo "usage: $0 [--deps-only | --uninstall]" >&2
    exit 64
    ;;
esac
