# destroy: `xl destroy` of a running guest that is still writing to its disks, a plain image (xvda)
# and a persistent snapshot (xvdb): libxl runs the hotplug `remove` while the guest holds both and
# blkback has them open. The guest's writes before the destroy are in the image and in the COW;
# afterwards no loop device on the image, origin or COW, no dm device, no backend, no hotplug
# process (lab_check_clean).
. /lab/scenarios/dm-lib.sh

scenario() {
    local guest=$LAB_NAME image=/data/$LAB_NAME.img origin=/data/$LAB_NAME-origin.img cow=/data/$LAB_NAME.cow
    local domid devid ticks
    make_image "$image" 16 "$LAB_NAME-$RANDOM"
    make_image "$origin" 16 "$LAB_NAME-origin-$RANDOM"
    rm -f "$cow" && truncate -s 8M "$cow"
    start_guest "$guest" tick "$(disk_spec rw "$image" xvda)" "$(disk_spec rw "snapshot:origin=$origin,cow=$cow" xvdb)" || return
    domid=$(domid_of "$guest")
    expect_marker "$guest" xvda "$(marker_in "$image")" || return
    expect_marker "$guest" xvdb "$(marker_in "$origin")" || return
    wait_console "$guest" "LABGUEST: ticking xvdb" || return
    for devid in 51712 51728; do
        check_opened_device "$domid" "$devid"
    done
    ticks=$(ticks_in "$image")
    check "the guest is still writing to xvda (tick after $ticks)" within 10 ticks_beyond "$image" "$ticks"
    check "the guest has not powered off" eval '! grep -q "LABGUEST: done" "$(console_of "$guest")"'
    xl_destroy "$guest"
    check "xl destroy of the running guest exited 0" [ $? -eq 0 ]
    metric destroy "$DESTROY_TIME"
    wait_gone "$guest" || return
    check "no loop device left on the image, the origin or the COW" \
        within 5 eval 'no_loop_of "$image" && no_loop_of "$origin" && no_loop_of "$cow"'
    check "no dm device left" within 5 no_dm_left
    check "no backend left for the destroyed domain" eval 'no_backend_of "$domid/51712" && no_backend_of "$domid/51728"'
    check "the guest's write before the destroy is in the image" [ "$(guest_data_in "$image")" = guest-wrote:xvda ]
    check "the guest's ticks reached the image" [ "$(ticks_in "$image")" -gt 0 ]
    check "the guest's write to the snapshot is in the COW" file_contains "$cow" guest-wrote:xvdb
}
