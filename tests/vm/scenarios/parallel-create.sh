# parallel-create: LAB_PARALLEL_GUESTS guests (default 3), each with its own image, are created by
# as many `xl create` run at once. With block-diskseq every create succeeds; every guest reads its
# own image's marker and writes; every backend's physical-device names the device blkback opened
# and its diskseq node is that device's diskseq; the devices are distinct, one loop device per
# image. The guests are then destroyed at once; nothing is left, every image holds its guest's
# write. Metrics: creates-ok (the creates that succeeded) and, when all did, all-created (from the
# start to the last create's end), all-read (to the last guest's report of its disk), all-destroyed.
# With Xen's block script (stock-parallel-create, for the times) its global lock makes the adds
# wait for each other, and libxl kills an add still waiting after its 40 s hotplug timeout: such a
# failed create is reported and counted, not failed; the guests that were created are checked
# alike.
GUESTS=${LAB_PARALLEL_GUESTS:-3}
# The guests boot at once on one emulated CPU: their disks appear after 20-90 s, minutes on a busy
# host.
GUEST_DISK_WAIT=240
GUEST_REPORT_TIMEOUT=300

scenario() {
    local i guest start rc created=() created_after domid devices= loops=
    for i in $(seq "$GUESTS"); do
        make_image "/data/$LAB_NAME-$i.img" 16 "$LAB_NAME-$i-$RANDOM"
        guest_config "$LAB_NAME-$i" rwidle "$(disk_spec rw "/data/$LAB_NAME-$i.img")"
    done
    start=$(now_us)
    for i in $(seq "$GUESTS"); do
        (xl_create "$LAB_NAME-$i"; echo $? >"$LAB_TMP/$i.rc") &
    done
    wait
    created_after=$(elapsed_s "$start")
    for i in $(seq "$GUESTS"); do
        rc=$(cat "$LAB_TMP/$i.rc")
        if [ "$rc" = 0 ]; then
            created+=("$LAB_NAME-$i")
            continue
        fi
        rc="xl create $LAB_NAME-$i exited $rc: $(grep -e 'timeout' -e 'script:' "$LAB_TMP/$LAB_NAME-$i.create.err" | head -n 1)"
        if [ "$LAB_SCRIPT" = block ]; then say "Xen's block script: $rc"; else fail "$rc"; fi
    done
    metric creates-ok "${#created[@]}/$GUESTS"
    [ "${#created[@]}" -ne "$GUESTS" ] || metric all-created "$created_after"
    for guest in "${created[@]}"; do
        expect_marker "$guest" xvda "$(marker_in "/data/$guest.img")" || return
    done
    [ "${#created[@]}" -ne "$GUESTS" ] || metric all-read "$(elapsed_s "$start")"
    for guest in "${created[@]}"; do
        domid=$(domid_of "$guest")
        check_opened_device "$domid" 51712 "$guest"
        devices+="$(xenstore-read "$(backend_of "$domid" 51712)/physical-device" 2>/dev/null)"$'\n'
        loops+="$(loops_of "/data/$guest.img")"$'\n'
        check "$guest: one loop device backs its image" [ "$(loops_of "/data/$guest.img" | wc -l)" -eq 1 ]
    done
    say "physical-device of each guest: $(echo $devices); loop devices: $(echo $loops)"
    check "the ${#created[@]} backends name distinct devices" [ "$(printf '%s' "$devices" | grep . | sort -u | wc -l)" -eq "${#created[@]}" ]
    check "the ${#created[@]} images have distinct loop devices" [ "$(printf '%s' "$loops" | grep . | sort -u | wc -l)" -eq "${#created[@]}" ]
    for guest in "${created[@]}"; do
        wait_console "$guest" "LABGUEST: idle" || return
    done
    start=$(now_us)
    for guest in "${created[@]}"; do xl destroy "$guest" & done
    wait
    [ "${#created[@]}" -ne "$GUESTS" ] || metric all-destroyed "$(elapsed_s "$start")"
    for i in $(seq "$GUESTS"); do
        guest=$LAB_NAME-$i
        wait_gone "$guest" || return
        check "$guest: no loop device left on its image" within 5 no_loop_of "/data/$guest.img"
    done
    for guest in "${created[@]}"; do
        check "$guest: its image holds its write" [ "$(guest_data_in "/data/$guest.img")" = guest-wrote:xvda ]
    done
}
