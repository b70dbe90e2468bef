# diskseq: for a guest with an image file (a loop device the script creates) and a block device
# (dom0's own loop device), each backend's diskseq node is the diskseq of the very device blkback
# opened: blkback's physical_device in sysfs gives its major:minor, /sys/dev/block/M:m/diskseq its
# sequence number; physical-device in Xenstore names the same device.
scenario() {
    local image=/data/$LAB_NAME-file.img device_image=/data/$LAB_NAME-dev.img loop
    make_image "$image" 16 "$LAB_NAME-file-$RANDOM"
    make_image "$device_image" 16 "$LAB_NAME-dev-$RANDOM"
    loop=$(losetup -f --show "$device_image")
    check_backends_of "$LAB_NAME"
    xl destroy "$LAB_NAME" 2>/dev/null
    losetup -d "$loop"
}

check_backends_of() {
    local guest=$1 domid devid
    start_guest "$guest" hold "$(disk_spec rw "$image" xvda)" "$(disk_spec rw "$loop" xvdb)" || return
    domid=$(domid_of "$guest")
    # Both disks readable in the guest: blkback has opened both devices.
    expect_marker "$guest" xvda "$(marker_in "$image")" || return
    expect_marker "$guest" xvdb "$(marker_in "$device_image")" || return
    for devid in 51712 51728; do
        check_opened_device "$domid" "$devid"
    done
}
