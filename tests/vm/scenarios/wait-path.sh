# wait-path: which way block-diskseq waited for blkback, on either kernel. A seed blkback writes
# `opened` = 0 at probe and 1 once it holds the device: the program must take that path (status:
# "waited via opened", the node is 1); a stock blkback has no such node: the sysfs path. status only
# says which path add chose; the evidence that blkback holds exactly the exported device comes from the
# kernel: blkback's own sysfs attribute physical_device (both kernels) names physical-device. Either way
# the loop device is delete-on-close (autoclear), no block-diskseq process (hence no fd of it) is
# left once `xl create` returns, the guest reads its disk, and after destroy autoclear has freed it.
. /lab/scenarios/dm-lib.sh

scenario() {
    local guest=$LAB_NAME image=/data/$LAB_NAME.img marker=$LAB_NAME-$RANDOM loop backend opened held
    make_image "$image" 16 "$marker"
    start_guest "$guest" hold "$(disk_spec rw "$image")" || return
    metric create "$CREATE_TIME"
    backend=$(backend_of "$(domid_of "$guest")" 51712)
    opened=$(xenstore-read "$backend/opened" 2>/dev/null || echo none)
    say "status: $(status_of "$guest" 51712 | tr '\n' '|')"
    check "status: add chose to wait via $(expected_wait_path)" [ "$(status_field "$guest" 51712 "waited via")" = "$(expected_wait_path)" ]
    held=$(cat "/sys/bus/xen-backend/devices/vbd-$(domid_of "$guest")-51712/physical_device" 2>/dev/null)
    check "the kernel: blkback holds physical-device (its sysfs attribute says ${held:-nothing})" \
        [ "${held:-none}" = "$(xenstore-read "$backend/physical-device")" ]
    if seed_kernel; then
        check "blkback's opened node is 1 (it was 0 when the program started: status would say sysfs otherwise)" [ "$opened" = 1 ]
    else
        check "a stock blkback writes no opened node" [ "$opened" = none ]
    fi
    loop=$(loops_of "$image")
    check "the loop device is delete-on-close (autoclear)" [ "$(cat "/sys/block/$loop/loop/autoclear" 2>/dev/null)" = 1 ]
    check "no block-diskseq process is left after xl create" [ -z "$(pidof block-diskseq)" ]
    expect_marker "$guest" xvda "$marker" || return
    xl_destroy "$guest"
    wait_gone "$guest"
    check "autoclear freed the loop device" within 5 no_loop_of "$image"
}
