# partition: dom0 mounts a partition of a disk (a loop device with a partition scan over an image with
# an MBR); `xl create` of a guest on the whole disk is refused (busy): the guest would overwrite the
# filesystem dom0 has mounted. xl's error output carries our hotplug-error, which names the mounted
# partition. Afterwards dom0's mount and loop device are untouched, and the test removes them.
scenario() {
    local image=/data/$LAB_NAME.img mnt=$LAB_TMP/mnt disk guest=$LAB_NAME mounted=
    make_image "$image" 16 "$LAB_NAME-$RANDOM"
    write_mbr "$image"
    disk=$(losetup --partscan --find --show "$image") || { fail "losetup --partscan $image"; return; }
    if check "${disk}p1 appeared" within 5 test -b "${disk}p1"; then
        refused_on_whole_disk
    fi
    [ -z "$mounted" ] || umount "$mnt"
    losetup -d "$disk"
    check "the test's loop device is detached" within 5 no_loop_of "$image"
}

refused_on_whole_disk() {
    modprobe ext4 || { fail "modprobe ext4"; return; }
    mke2fs -q "${disk}p1" >/dev/null || { fail "mke2fs ${disk}p1"; return; }
    mkdir -p "$mnt"
    mount "${disk}p1" "$mnt" || { fail "mount ${disk}p1"; return; }
    mounted=yes
    echo "dom0's file" >"$mnt/dom0-file"
    guest_config "$guest" hold "$(disk_spec rw "$disk")"
    if xl_create "$guest"; then
        fail "xl create succeeded on a disk whose partition dom0 has mounted"
        xl destroy "$guest"
        return
    fi
    metric refused-create "$CREATE_TIME"
    check_xl_error "$guest" "overlaps ${disk#/dev/}p1"
    check "xl's error names the mount point" xl_error_mentions "$guest" "$mnt"
    check "the refused guest is gone" within 5 domain_gone "$guest"
    check "dom0's filesystem is still mounted and intact" [ "$(cat "$mnt/dom0-file")" = "dom0's file" ]
}
