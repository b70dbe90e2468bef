# create: `xl create` of a guest with an image file, access $LAB_ACCESS (the registry's setting).
#   rw: the loop device is writable; the guest reads the marker dom0 wrote and writes a line that
#       dom0 finds in the image once the guest has powered off
#   ro: the loop device is read-only; the guest sees a read-only disk and its write fails; the image
#       is unchanged
# The guest powers off by itself (on_poweroff=destroy, so libxl runs the hotplug `remove`); no loop
# device remains. block-diskseq prints nothing on xl's terminal and logs its add and its remove in
# /var/log/xen/xen-hotplug.log, as Xen's own scripts do.
scenario() {
    local access=${LAB_ACCESS:-rw} guest=$LAB_NAME image=/data/$LAB_NAME.img marker=$LAB_NAME-$RANDOM
    local loop console domid ro=0 written=guest-wrote:xvda
    [ "$access" = rw ] || { ro=1; written=; }
    make_image "$image" 16 "$marker"
    start_guest "$guest" "$access" "$(disk_spec "$access" "$image")" || return
    metric create "$CREATE_TIME"
    domid=$(domid_of "$guest")
    if [ "$LAB_SCRIPT" = block-diskseq ]; then
        check "xl create printed nothing of block-diskseq" eval "! grep -q block-diskseq '$LAB_TMP/$guest.create.err' '$LAB_TMP/$guest.create.out'"
        check "the hotplug log has the add" \
            grep -q "\[[0-9]*\] block-diskseq add backend/vbd/$domid/51712: blkback holds " /var/log/xen/xen-hotplug.log
    fi
    loop=$(loops_of "$image")
    check "a loop device backs the image while the guest runs" [ -n "$loop" ]
    check "the loop device's read-only flag is $ro" [ "$(cat "/sys/block/$loop/ro" 2>/dev/null)" = $ro ]
    expect_marker "$guest" xvda "$marker" || return
    metric guest-read "$(elapsed_s "$CREATE_START")"
    wait_console "$guest" "LABGUEST: (wrote|write-failed|write-refused|write-succeeded) xvda" || return
    console=$(console_of "$guest")
    if [ "$access" = rw ]; then
        check "the guest wrote to its disk" grep -q "LABGUEST: wrote xvda" "$console"
    else
        check "the guest sees a read-only disk" grep -q "LABGUEST: ro xvda 1" "$console"
        check "the guest's write failed" grep -q "LABGUEST: write-refused xvda" "$console"
    fi
    wait_gone "$guest" || return
    metric gone "$(elapsed_s "$CREATE_START")"
    check "sector 1 of the image holds '$written'" [ "$(guest_data_in "$image")" = "$written" ]
    check "no loop device left on the image" within 5 no_loop_of "$image"
    [ "$LAB_SCRIPT" != block-diskseq ] || check "the hotplug log has the remove" within 5 \
        grep -Eq "\[[0-9]*\] block-diskseq remove backend/vbd/$domid/51712: (removed|already gone:) loop " /var/log/xen/xen-hotplug.log
}
