# blockdev: block-device targets. dom0 attaches two loop devices itself; the guest gets one by its
# /dev path and the other through a symlink to it, reads and writes both. The backends use those
# very devices (no loop on top), and after the guest is gone dom0's loop devices are still attached:
# the script must not tear down what it did not create.
scenario() {
    local by_path=/data/$LAB_NAME-path.img by_link=/data/$LAB_NAME-link.img link=/data/$LAB_NAME-device
    local loop_path loop_link
    make_image "$by_path" 16 "$LAB_NAME-path-$RANDOM"
    make_image "$by_link" 16 "$LAB_NAME-link-$RANDOM"
    loop_path=$(losetup -f --show "$by_path")
    loop_link=$(losetup -f --show "$by_link")
    ln -sf "$loop_link" "$link"
    say "dom0's own loop devices: $loop_path ($by_path), $loop_link ($by_link, via $link)"
    guest_uses_devices "$LAB_NAME" || xl destroy "$LAB_NAME" 2>/dev/null
    check "dom0's $loop_path is still attached to its image" [ "$(loops_of "$by_path")" = "${loop_path#/dev/}" ]
    check "dom0's $loop_link is still attached to its image" [ "$(loops_of "$by_link")" = "${loop_link#/dev/}" ]
    losetup -d "$loop_path" "$loop_link"
    rm -f "$link"
}

# The guest's part: xvda is $loop_path, xvdb is $link; it powers off by itself.
guest_uses_devices() {
    local guest=$1 domid
    start_guest "$guest" rw "$(disk_spec rw "$loop_path" xvda)" "$(disk_spec rw "$link" xvdb)" || return
    metric create "$CREATE_TIME"
    domid=$(domid_of "$guest")
    check "xvda's backend uses $loop_path itself" \
        [ "$(xenstore-read "$(backend_of "$domid" 51712)/physical-device")" = "$(hex_device_of "$loop_path")" ]
    check "xvdb's backend uses $loop_link itself" \
        [ "$(xenstore-read "$(backend_of "$domid" 51728)/physical-device")" = "$(hex_device_of "$loop_link")" ]
    expect_marker "$guest" xvda "$(marker_in "$by_path")" || return
    expect_marker "$guest" xvdb "$(marker_in "$by_link")" || return
    metric guest-read "$(elapsed_s "$CREATE_START")"
    wait_console "$guest" "LABGUEST: done" || return
    wait_gone "$guest" || return
    metric gone "$(elapsed_s "$CREATE_START")"
    check "dom0 finds the guest's line behind $loop_path" [ "$(guest_data_in "$by_path")" = "guest-wrote:xvda" ]
    check "dom0 finds the guest's line behind $loop_link" [ "$(guest_data_in "$by_link")" = "guest-wrote:xvdb" ]
}
