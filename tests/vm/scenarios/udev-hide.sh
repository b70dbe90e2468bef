# udev-hide: dom0 runs Debian's systemd-udevd with its stock rules, lvm2, mdadm and btrfs-progs (and, with
# block-diskseq, the rule its package ships). A guest gets three images whose contents a guest could have
# written: an LVM PV with a VG, an md member (1.2 superblock) and a btrfs filesystem. With block-diskseq,
# udev must have probed none of them: no ID_FS_* on any device, no guest PV in /run/lvm/pvs_online (pvs run
# by hand still lists it: lvm reads every device itself, shown only),
# no array in /proc/mdstat, no btrfs device registered, no /dev/disk link to them; the guest reads each.
# With Xen's stock block script the same set-up shows what udev does (reported, not judged: infrastructure).
LVM_SYSTEM_DIR=/etc/lvm
export LVM_SYSTEM_DIR

make_guest_images() {
    local lvm=$1 md=$2 btrfs=$3 loop a b
    make_image "$lvm" 16 x && make_image "$md" 16 x && make_image "$btrfs" 128 x
    loop=$(losetup -f --show "$lvm")
    lvm pvcreate -q -y "$loop" && lvm vgcreate -q guestvg "$loop" && lvm vgchange -q -an guestvg
    losetup -d "$loop"
    a=$(losetup -f --show "$md")
    truncate -s 16M "$md.2" && b=$(losetup -f --show "$md.2")
    mdadm --create /dev/md9 --run --quiet --level=1 --raid-devices=2 --metadata=1.2 "$a" "$b" && mdadm --stop /dev/md9
    losetup -d "$a"; losetup -d "$b"; rm -f "$md.2"
    mkfs.btrfs -q "$btrfs"
}

start_udevd() {
    mkdir -p /run/udev /run/lvm
    /usr/lib/systemd/systemd-udevd --daemon || return 1
    udevadm settle
}

stop_udevd() {
    udevadm control --exit 2>/dev/null
}

# What udev recorded for each of the guest's devices: "DEV KEY=VALUE" lines of ID_FS_* and DEVLINKS.
udev_exposure() {
    local dev
    for dev in "$@"; do
        udevadm info --query=property --name="$dev" 2>/dev/null | grep -E '^(ID_FS_|DEVLINKS=.*/dev/disk/by-(uuid|label|id))' | sed "s|^|$dev |"
    done
}

scenario() {
    local guest=$LAB_NAME lvm=/data/$LAB_NAME-lvm.img md=/data/$LAB_NAME-md.img btrfs=/data/$LAB_NAME-btrfs.img
    local devices exposure domid btrfs_ready
    make_guest_images "$lvm" "$md" "$btrfs" || { fail "could not make the guest images"; return; }
    set_marker "$lvm" lvm-$RANDOM; set_marker "$md" md-$RANDOM; set_marker "$btrfs" btrfs-$RANDOM
    modprobe btrfs; modprobe raid1
    start_udevd || { fail "systemd-udevd did not start"; return; }
    start_guest "$guest" hold "$(disk_spec rw "$lvm")" "$(disk_spec rw "$md" xvdb)" "$(disk_spec rw "$btrfs" xvdc)" || { stop_udevd; return; }
    domid=$(domid_of "$guest")
    expect_marker "$guest" xvda "$(marker_in "$lvm")"
    expect_marker "$guest" xvdb "$(marker_in "$md")"
    expect_marker "$guest" xvdc "$(marker_in "$btrfs")"
    udevadm settle
    devices=$(for d in 51712 51728 51744; do dev=$(blkback_device "$domid" $d); [ -n "$dev" ] && echo "/dev/block/$(decimal_device "$dev")"; done)
    devices+=" $(for f in "$lvm" "$md" "$btrfs"; do for l in $(loops_of "$f"); do echo /dev/$l; done; done)"
    say "devices: $(echo $devices)"
    exposure=$(udev_exposure $devices)
    say "udev: $(echo ${exposure:-nothing})"
    say "pvs_online: $(ls /run/lvm/pvs_online 2>/dev/null | tr '\n' ' ')"
    say "mdstat: $(grep ^md /proc/mdstat | tr '\n' ';')"
    # 64-btrfs.rules' builtin ("btrfs ready": BTRFS_IOC_DEVICES_READY registers the member with the kernel) sets ID_BTRFS_READY.
    btrfs_ready=$(for d in $devices; do udevadm info --query=property --name="$d" 2>/dev/null | grep '^ID_BTRFS_READY='; done | wc -l)
    say "btrfs members udev registered: $btrfs_ready"
    # Not udev: lvm run by hand reads every block device (Debian 12's lvm.conf: no devices file). Shown only.
    say "pvs run by hand (not udev-driven): $(lvm pvs --noheadings 2>&1 | tr '\n' ';')"
    say "by-uuid: $(ls /dev/disk/by-uuid 2>/dev/null | tr '\n' ' ')"
    if [ "$LAB_SCRIPT" = block-diskseq ]; then
        check "udev recorded no ID_FS_* and no /dev/disk link for any device we created" [ -z "$exposure" ]
        check "no guest PV is online in dom0" eval '[ -z "$(ls /run/lvm/pvs_online 2>/dev/null)" ]'
        check "no guest VG activated in dom0" eval '! ls /dev/mapper 2>/dev/null | grep -q guestvg'
        check "no md array assembled from a guest's disk" eval '! grep -q "^md" /proc/mdstat'
        check "no btrfs member registered by udev" [ "$btrfs_ready" -eq 0 ]
        check "no /dev/disk/by-uuid link" eval '[ -z "$(ls /dev/disk/by-uuid 2>/dev/null)" ]'
    fi
    xl destroy "$guest"
    wait_gone "$guest"
    mdadm --stop --scan 2>/dev/null; lvm vgchange -q -an guestvg 2>/dev/null
    stop_udevd
    rm -f "$lvm" "$md" "$btrfs"
}
