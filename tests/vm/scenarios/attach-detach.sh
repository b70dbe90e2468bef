# attach-detach: `xl block-attach` and `xl block-detach` of an image on a running guest, round after
# round. Each round the guest reports the marker dom0 wrote for that round; after each detach the
# guest has lost the disk, no loop device remains on the image, and the backend, frontend and libxl
# Xenstore nodes of the disk are gone. block-diskseq binds a loop device it has just made for every attach and
# deletes it at detach (docs/design.md, "Loop devices nobody may be handed"): after all rounds dom0 has no more
# loop devices than before them (Xen's script reuses free ones: the same holds, shown for both).
# 20 rounds take about 90 s under TCG; LAB_ATTACH_ROUNDS overrides.
ATTACH_ROUNDS=${LAB_ATTACH_ROUNDS:-20}

scenario() {
    local guest=$LAB_NAME image=/data/$LAB_NAME.img round domid start node pool_before
    local attach_times=() seen_times=() detach_times=()
    make_image "$image" 16 "none"
    start_guest "$guest" hold || return
    metric create "$CREATE_TIME"
    wait_console "$guest" "LABGUEST: up" || return
    domid=$(domid_of "$guest")
    pool_before=$(loop_device_count)
    for round in $(seq "$ATTACH_ROUNDS"); do
        set_marker "$image" "round-$round"
        start=$(now_us)
        if ! xl block-attach "$guest" "$(disk_spec rw "$image" xvdb)" 2>"$LAB_TMP/attach.err"; then
            fail "round $round: xl block-attach failed: $(tail -n 1 "$LAB_TMP/attach.err")"
            break
        fi
        attach_times+=("$(elapsed_s "$start")")
        wait_console "$guest" "LABGUEST: read xvdb round-$round([[:space:]]|$)" "$HOTPLUG_REPORT_TIMEOUT" || break
        seen_times+=("$(elapsed_s "$start")")
        start=$(now_us)
        if ! xl block-detach "$guest" xvdb 2>"$LAB_TMP/detach.err"; then
            fail "round $round: xl block-detach failed: $(tail -n 1 "$LAB_TMP/detach.err")"
            break
        fi
        detach_times+=("$(elapsed_s "$start")")
        say "round $round: block-attach ${attach_times[-1]}s, guest sees it after ${seen_times[-1]}s, block-detach ${detach_times[-1]}s"
        wait_console_count "$guest" "LABGUEST: gone xvdb" "$round" || break
        within 5 no_loop_of "$image" || fail "round $round: loop device left on the image: $(loops_of "$image")"
        no_backend_of "$domid/51728" || fail "round $round: backend/vbd/$domid/51728 left in Xenstore"
        for node in "/libxl/$domid/device/vbd/51728" "/local/domain/$domid/device/vbd/51728"; do
            ! xenstore-exists "$node" 2>/dev/null || fail "round $round: $node left in Xenstore"
        done
    done
    metric rounds "${#detach_times[@]}/$ATTACH_ROUNDS"
    metric loop-devices "$pool_before->$(loop_device_count)"
    check "no more loop devices than before the rounds ($pool_before)" within 5 pool_at_most "$pool_before"
    metric_series block-attach "${attach_times[@]}"
    metric_series guest-sees "${seen_times[@]}"
    metric_series block-detach "${detach_times[@]}"
    xl_destroy "$guest"
    wait_gone "$guest"
}

loop_device_count() { ls -d /sys/block/loop* 2>/dev/null | wc -l; }
pool_at_most() { [ "$(loop_device_count)" -le "$1" ]; }
