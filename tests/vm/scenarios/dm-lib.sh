# Shared by the dm-* scenarios (sourced by them; not a scenario itself): block-diskseq's
# device-mapper forms (snapshot, throwaway snapshot, slice) checked against dom0's real dm-mod.
# The kernel loads target modules through /sbin/modprobe, which dom0's busybox layout lacks, so the
# snapshot target is loaded here (dm-mod itself comes from dom0/init).
modprobe dm-snapshot || fail "modprobe dm-snapshot"

# Our dm devices: "NAME MAJ:MIN" for each block-diskseq-* device dmsetup lists.
our_dm_devices() {
    DM_DISABLE_UDEV=1 dmsetup ls 2>/dev/null | awk '$1 ~ /^block-diskseq-/ { gsub(/[()]/, "", $2); print $1, $2 }'
}

# The dm device block-diskseq made for GUEST's vbd DEVID with LAYER (snap or slice).
dm_name_of() { echo "block-diskseq-$(domid_of "$1")-$2-$3"; }

dm_exists() { DM_DISABLE_UDEV=1 dmsetup info "$1" >/dev/null 2>&1; }

# No dm device of ours in dmsetup's list nor in /sys/block (deferred removal runs from a workqueue).
no_dm_left() { [ -z "$(our_dm_devices)" ] && ! ls -d /sys/block/dm-* >/dev/null 2>&1; }

# The table of dm device NAME, with its devices as dmsetup prints them (MAJ:MIN decimal).
dm_table() { DM_DISABLE_UDEV=1 dmsetup table "$1" 2>/dev/null; }

# The loop device (loopN) attached to FILE, exactly one expected.
loop_dev_of() { loops_of "$1" | head -n 1; }

# MAJ:MIN (decimal) of /dev/NAME; a partition too (/sys/block lists only whole disks).
dev_of() { cat "/sys/class/block/$1/dev" 2>/dev/null; }

# Whether FILE (anywhere in it) contains TEXT: a COW file stores the guest's chunks at some offset.
file_contains() { grep -aq -- "$2" "$1"; }

# checksum FILE
checksum() { sha256sum "$1" | cut -d' ' -f1; }

# The backend's physical-device (hex) of GUEST's DEVID, as MAJ:MIN decimal.
backend_device() { decimal_device "$(xenstore-read "$(backend_of "$(domid_of "$1")" "$2")/physical-device" 2>/dev/null)"; }

# block-diskseq's status of GUEST's vbd DEVID (the program's view of what it created).
status_of() { /etc/xen/scripts/block-diskseq status "backend/vbd/$(domid_of "$1")/$2" 2>&1; }

# What block-diskseq must report for this dom0's kernel: the seed modules (out-of-tree, taint OE)
# have blkback's `opened` node and the strict dm ABI; stock ones neither.
seed_kernel() { [ "$(cat /sys/module/dm_mod/taint 2>/dev/null)" = OE ]; }
expected_wait_path() { if seed_kernel; then echo opened; else echo sysfs; fi; }
expected_dm_abi() { if seed_kernel; then echo strict; else echo legacy; fi; }

# status_field GUEST DEVID LABEL: the value status prints on LABEL's line.
status_field() { status_of "$1" "$2" | sed -n "s/^  $3  *//p" | head -n 1; }
