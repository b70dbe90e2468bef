# udev-hide: dom0 runs Debian's systemd-udevd with its stock rules, lvm2, mdadm and btrfs-progs (and, with
# block-diskseq, the rule its package ships). A guest gets three disks whose contents a guest could have
# written: an LVM PV with a VG, an md member (1.2 superblock) and a btrfs filesystem.
# LAB_UDEV_FORMS says how they are attached: "images" (default) as plain images (a loop device each),
# "dm" as the three device-mapper forms: a persistent snapshot of the LVM image (origin and COW loop
# devices, a dm snapshot), a throwaway snapshot of the md image (origin loop, a loop on an unnamed COW in
# /var/tmp, a dm snapshot) and a slice of the btrfs image at offset 0 (a loop, a dm linear device); each
# dm device shows the guest's content as its loop devices do.
# With block-diskseq, udev must have probed none of the devices we created: each carries the rule's
# BLOCK_DISKSEQ_HIDDEN=1 (the rule saw it), none an ID_FS_* property or a /dev/disk link, no guest PV in
# /run/lvm/pvs_online (pvs run by hand still lists it: lvm reads every device itself, shown only), no
# array in /proc/mdstat, no btrfs device registered, no /dev/disk/by-uuid link; the same again after
# `udevadm trigger --action=change` of every one of them. On the seed kernel (strict dm ABI) each dm device has
# its marker /run/block-diskseq/udev/dm-N/DISKSEQ (its add uevent may come before dm/uuid), and dm sends no
# change uevent for our dm devices (udevadm monitor), on the stock one it does (shown).
# The guest reads each disk, writes sector 2 and reads it back past its cache (guest/init lab=rwhold); the
# write is found after the guest is gone: in the image, in the snapshot's COW, in the sliced image.
# With Xen's stock block script (images only: it has no dm forms) the same set-up shows what udev does
# (reported, not judged: infrastructure).
LVM_SYSTEM_DIR=/etc/lvm
export LVM_SYSTEM_DIR
LAB_UDEV_FORMS=${LAB_UDEV_FORMS:-images}

# The btrfs image: 132 MiB with a 128 MiB filesystem at its start (the dm form's slice is its first 128 MiB).
BTRFS_FS_MB=128
BTRFS_IMAGE_MB=132

make_guest_images() {
    local lvm=$1 md=$2 btrfs=$3 loop a b
    make_image "$lvm" 16 x && make_image "$md" 16 x && make_image "$btrfs" $BTRFS_IMAGE_MB x
    loop=$(losetup -f --show "$lvm")
    lvm pvcreate -q -y "$loop" && lvm vgcreate -q guestvg "$loop" && lvm vgchange -q -an guestvg
    losetup -d "$loop"
    a=$(losetup -f --show "$md")
    truncate -s 16M "$md.2" && b=$(losetup -f --show "$md.2")
    mdadm --create /dev/md9 --run --quiet --level=1 --raid-devices=2 --metadata=1.2 "$a" "$b" && mdadm --stop /dev/md9
    losetup -d "$a"; losetup -d "$b"; rm -f "$md.2"
    mkfs.btrfs -q -b ${BTRFS_FS_MB}M "$btrfs"
}

start_udevd() {
    mkdir -p /run/udev /run/lvm
    /usr/lib/systemd/systemd-udevd --daemon || return 1
    udevadm settle
}

stop_udevd() {
    udevadm control --exit 2>/dev/null
}

# What udev recorded for each of the guest's devices: "DEV KEY=VALUE" lines of ID_FS_* and of DEVLINKS
# naming a /dev/disk link.
udev_exposure() {
    local dev
    for dev in "$@"; do
        udevadm info --query=property --name="$dev" 2>/dev/null | grep -E '^(ID_FS_|DEVLINKS=.*/dev/disk/)' | sed "s|^|$dev |"
    done
}

# The devices in DEVICE... whose udev record lacks the rule's BLOCK_DISKSEQ_HIDDEN=1.
not_marked() {
    local dev
    for dev in "$@"; do
        udevadm info --query=property --name="$dev" 2>/dev/null | grep -qx 'BLOCK_DISKSEQ_HIDDEN=1' || echo "$dev"
    done
}

# kernel_name MAJ:MIN (decimal): dm-3, loop5.
kernel_name() { basename "$(readlink "/sys/dev/block/$1")"; }

# uevent_count FILE ACTION NAME: kernel uevents ACTION of block device NAME that udevadm monitor logged.
uevent_count() { grep -cE "^KERNEL\[[0-9.]+\] $2 +/devices/.*/block/$3 \(block\)" "$1"; }

scenario() {
    local guest=$LAB_NAME lvm=/data/$LAB_NAME-lvm.img md=/data/$LAB_NAME-md.img btrfs=/data/$LAB_NAME-btrfs.img
    local cow=/data/$LAB_NAME.cow devices domid specs monitor uevents dm dm_names= lvm_sum md_sum
    local disk sectors=$((BTRFS_FS_MB * 2048))
    make_guest_images "$lvm" "$md" "$btrfs" || { fail "could not make the guest images"; return; }
    set_marker "$lvm" lvm-$RANDOM; set_marker "$md" md-$RANDOM; set_marker "$btrfs" btrfs-$RANDOM
    modprobe btrfs; modprobe raid1
    case $LAB_UDEV_FORMS in
    images)
        specs=("$(disk_spec rw "$lvm")" "$(disk_spec rw "$md" xvdb)" "$(disk_spec rw "$btrfs" xvdc)") ;;
    dm)
        . /lab/scenarios/dm-lib.sh
        mkdir -p /var/tmp
        rm -f "$cow" && truncate -s 8M "$cow"
        lvm_sum=$(checksum "$lvm"); md_sum=$(checksum "$md")
        specs=("$(disk_spec rw "snapshot:origin=$lvm,cow=$cow")" "$(disk_spec rw "snapshot:origin=$md" xvdb)"
            "$(disk_spec rw "slice:path=$btrfs,offset=0,sectors=$sectors" xvdc)") ;;
    *)
        fail "LAB_UDEV_FORMS=$LAB_UDEV_FORMS: expected images or dm"; return ;;
    esac
    start_udevd || { fail "systemd-udevd did not start"; return; }
    uevents=$LAB_TMP/uevents
    udevadm monitor --kernel --subsystem-match=block >"$uevents" 2>&1 &
    monitor=$!
    start_guest "$guest" rwhold "${specs[@]}" || { kill "$monitor"; stop_udevd; return; }
    domid=$(domid_of "$guest")
    expect_marker "$guest" xvda "$(marker_in "$lvm")"
    expect_marker "$guest" xvdb "$(marker_in "$md")"
    expect_marker "$guest" xvdc "$(marker_in "$btrfs")"
    for disk in xvda xvdb xvdc; do
        wait_console "$guest" "LABGUEST: readback $disk " &&
            check "the guest wrote $disk and read its write back" grep -q "LABGUEST: readback $disk ok" "$(console_of "$guest")"
    done
    udevadm settle
    kill "$monitor"
    devices=$(for d in 51712 51728 51744; do dev=$(blkback_device "$domid" $d); [ -n "$dev" ] && echo "/dev/block/$(decimal_device "$dev")"; done)
    [ "$LAB_UDEV_FORMS" = images ] || dm_names=$(for d in $devices; do kernel_name "${d#/dev/block/}"; done)
    devices+=" $(for f in "$lvm" "$md" "$btrfs" "$cow"; do for l in $(loops_of "$f"); do echo /dev/$l; done; done)"
    devices+=" $(loop_devices | awk '$2 ~ /^\/var\/tmp\// { print "/dev/" $1 }')"
    say "devices: $(echo $devices)${dm_names:+ (dm: $(echo $dm_names))}"
    report_and_check "after attach"
    for dm in $dm_names; do
        say "uevents of $dm: add $(uevent_count "$uevents" add "$dm"), change $(uevent_count "$uevents" change "$dm")"
        if [ "$LAB_SCRIPT" = block-diskseq ] && seed_kernel; then
            check "strict dm ABI: no change uevent of $dm" [ "$(uevent_count "$uevents" change "$dm")" -eq 0 ]
            # Its only uevent, the add, may be handled before dm/uuid is in sysfs: the rule knows it by this.
            check "strict dm ABI: $dm has its udev marker (dm-N/DISKSEQ)" \
                [ -e "/run/block-diskseq/udev/$dm/$(cat "/sys/block/$dm/diskseq")" ]
        fi
    done
    # What an admin's or a coldplug's `udevadm trigger` does: a change event without dm's cookie (and on
    # the seed kernel the first change our dm devices see). The rule alone must hold.
    udevadm trigger --action=change $devices
    udevadm settle
    report_and_check "after udevadm trigger --action=change"
    xl destroy "$guest"
    wait_gone "$guest"
    case $LAB_UDEV_FORMS in
    images)
        check "the guest's writes are in the images" eval '[ "$(sector2_of "$lvm")" = guest-wrote:xvda ] &&
            [ "$(sector2_of "$md")" = guest-wrote:xvdb ] && [ "$(sector2_of "$btrfs")" = guest-wrote:xvdc ]' ;;
    dm)
        check "the snapshot's write is in its COW, the origin unchanged" \
            eval 'file_contains "$cow" guest-wrote:xvda && [ "$(checksum "$lvm")" = "$lvm_sum" ]'
        check "the throwaway snapshot left its origin unchanged" [ "$(checksum "$md")" = "$md_sum" ]
        check "the slice's write is in the btrfs image's sector 2" [ "$(sector2_of "$btrfs")" = guest-wrote:xvdc ] ;;
    esac
    mdadm --stop --scan 2>/dev/null; lvm vgchange -q -an guestvg 2>/dev/null
    stop_udevd
    rm -f "$lvm" "$md" "$btrfs" "$cow"
}

# report_and_check WHEN: what udev, lvm2, mdadm and btrfs made of $devices (the caller's), shown; with
# block-diskseq also judged.
report_and_check() {
    local when=$1 exposure btrfs_ready
    exposure=$(udev_exposure $devices)
    say "$when: udev: $(echo ${exposure:-nothing})"
    say "$when: pvs_online: $(ls /run/lvm/pvs_online 2>/dev/null | tr '\n' ' ')"
    say "$when: mdstat: $(grep ^md /proc/mdstat | tr '\n' ';')"
    # 64-btrfs.rules' builtin ("btrfs ready": BTRFS_IOC_DEVICES_READY registers the member with the kernel) sets ID_BTRFS_READY.
    btrfs_ready=$(for d in $devices; do udevadm info --query=property --name="$d" 2>/dev/null | grep '^ID_BTRFS_READY='; done | wc -l)
    say "$when: btrfs members udev registered: $btrfs_ready"
    # Not udev: lvm run by hand reads every block device (Debian 12's lvm.conf: no devices file). Shown only.
    say "$when: pvs run by hand (not udev-driven): $(lvm pvs --noheadings 2>&1 | tr '\n' ';')"
    say "$when: by-uuid: $(ls /dev/disk/by-uuid 2>/dev/null | tr '\n' ' ')"
    [ "$LAB_SCRIPT" = block-diskseq ] || return 0
    check "$when: the rule marked every device we created (BLOCK_DISKSEQ_HIDDEN=1)" \
        eval '[ -z "$(not_marked $devices)" ] || { say "not marked: $(echo $(not_marked $devices))"; false; }'
    check "$when: udev recorded no ID_FS_* and no /dev/disk link for any device we created" [ -z "$exposure" ]
    check "$when: no guest PV is online in dom0" eval '[ -z "$(ls /run/lvm/pvs_online 2>/dev/null)" ]'
    check "$when: no guest VG activated in dom0" eval '! dm_devices | grep -q guestvg'
    check "$when: no md array assembled from a guest's disk" eval '! grep -q "^md" /proc/mdstat'
    check "$when: no btrfs member registered by udev" [ "$btrfs_ready" -eq 0 ]
    check "$when: no /dev/disk/by-uuid link" eval '[ -z "$(ls /dev/disk/by-uuid 2>/dev/null)" ]'
}

# The line the guest wrote to sector 2 of PATH, without the padding.
sector2_of() { dd if="$1" bs=512 skip=2 count=1 status=none | tr -d '\0' | head -n 1; }
