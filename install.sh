#!/usr/bin/env bash
# Builds block-diskseq from source and installs it with the Debian package's layout:
#   $DESTDIR/usr/libexec/block-diskseq/block-diskseq     the executable
#   $DESTDIR/etc/xen/scripts/block-diskseq               a symlink to it (where libxl looks)
#   $DESTDIR/usr/share/man/man8/block-diskseq.8.gz       the man page
#   $DESTDIR/usr/lib/udev/rules.d/11-block-diskseq.rules  the udev rule that keeps dom0 off guests' disks
#   ./install.sh               install build/run dependencies if missing, publish, install
#   ./install.sh --deps-only   only the Debian packages (used by run-tests)
#   ./install.sh --uninstall   remove what ./install.sh installed
# DESTDIR empty means the real system, which must not have the Debian package installed (use apt there).
# Idempotent. packaging/build-deb builds the .deb instead.
set -euo pipefail
cd "$(dirname "$0")"

DESTDIR=${DESTDIR:-}
LIBEXEC_DIR=/usr/libexec/block-diskseq
BINARY=$LIBEXEC_DIR/block-diskseq
LINK=/etc/xen/scripts/block-diskseq
MAN_PAGE=/usr/share/man/man8/block-diskseq.8.gz
UDEV_RULE=/usr/lib/udev/rules.d/11-block-diskseq.rules
PUBLISH_DIR=artifacts/publish

# Build: a C toolchain for the AOT link, libxenstore4 to link against, libxen-dev + clang to
# regenerate the bindings, scdoc for the man page. Tests: xenstore-utils (the conformance suite drives
# the real tools), util-linux (losetup -P) and e2fsprogs (mkfs.ext2) for the partition and mount tests,
# strace (what add opens), udev (UdevRuleTests runs Debian's udevadm and rules on the shipped rule).
# Packaging (packaging/build-deb and its checks in run-tests): dpkg-dev, debhelper, lintian, and man-db's
# man to render the page with warnings on.
PACKAGES=(gcc binutils libc6-dev clang libxenstore4 libxen-dev xenstore-utils util-linux e2fsprogs strace udev
    scdoc dpkg-dev debhelper lintian man-db)

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

# On the real system the Debian package's files are dpkg's: overwriting or deleting them would leave
# its database wrong.
refuse_over_package() {
    [ -z "$DESTDIR" ] || return 0
    if dpkg-query -W -f='${Status}' block-diskseq 2>/dev/null | grep -q 'ok installed'; then
        echo "install.sh: the block-diskseq Debian package is installed; remove it with apt first" >&2
        exit 1
    fi
}

publish() {
    check_dotnet
    dotnet publish hotplug/Hotplug.csproj -c Release -o "$PUBLISH_DIR" -nologo -v quiet
}

install_files() {
    local page
    install -d -m 0755 "$DESTDIR$LIBEXEC_DIR" "$DESTDIR$(dirname "$LINK")" "$DESTDIR$(dirname "$MAN_PAGE")" \
        "$DESTDIR$(dirname "$UDEV_RULE")"
    install -m 0755 "$PUBLISH_DIR/block-diskseq" "$DESTDIR$BINARY"
    install -m 0644 "udev/$(basename "$UDEV_RULE")" "$DESTDIR$UDEV_RULE"
    # Absolute, as dh_link makes it: /etc and /usr are different top-level directories.
    ln -sfn "$BINARY" "$DESTDIR$LINK"
    page=$(mktemp)
    scdoc <docs/block-diskseq.8.scd | gzip -9n >"$page"
    install -m 0644 "$page" "$DESTDIR$MAN_PAGE"
    rm -f "$page"
    echo "install.sh: installed $DESTDIR$BINARY ($(stat -c %s "$DESTDIR$BINARY") bytes), $DESTDIR$LINK, $DESTDIR$MAN_PAGE, $DESTDIR$UDEV_RULE"
}

uninstall_files() {
    # Only our symlink: a file of someone else's at that name stays.
    if [ -L "$DESTDIR$LINK" ] && [ "$(readlink "$DESTDIR$LINK")" = "$BINARY" ]; then
        rm -f "$DESTDIR$LINK"
    fi
    # Older versions installed the executable itself there.
    if [ -f "$DESTDIR$LINK" ] && [ ! -L "$DESTDIR$LINK" ] && cmp -s <(head -c 4 "$DESTDIR$LINK") <(printf '\177ELF'); then
        rm -f "$DESTDIR$LINK"
    fi
    rm -f "$DESTDIR$BINARY" "$DESTDIR$MAN_PAGE" "$DESTDIR$UDEV_RULE"
    rmdir "$DESTDIR$LIBEXEC_DIR" 2>/dev/null || true
    echo "install.sh: removed $DESTDIR$BINARY, $DESTDIR$LINK, $DESTDIR$MAN_PAGE, $DESTDIR$UDEV_RULE"
}

case "${1:-}" in
--deps-only)
    install_packages "${PACKAGES[@]}"
    ;;
--uninstall)
    refuse_over_package
    uninstall_files
    ;;
"")
    refuse_over_package
    install_packages "${PACKAGES[@]}"
    publish
    install_files
    ;;
*)
    echo "usage: $0 [--deps-only | --uninstall]" >&2
    exit 64
    ;;
esac
