# dm-attach-detach: rounds of `xl block-attach` / `xl block-detach` of a persistent snapshot disk on a
# running guest. Each round the guest reads the marker dom0 wrote into the origin for that round
# (the COW stays empty: the guest only reads). After each detach: no dm device of ours in dmsetup's
# list or /sys/block/dm-*, no loop device on the origin or the COW, no backend left in Xenstore.
# LAB_ATTACH_ROUNDS overrides the number of rounds (each about 4 s under TCG).
. /lab/scenarios/dm-lib.sh
ATTACH_ROUNDS=${LAB_ATTACH_ROUNDS:-5}

scenario() {
    local guest=$LAB_NAME origin=/data/$LAB_NAME-origin.img cow=/data/$LAB_NAME.cow round domid start
    local attach_times=() detach_times=()
    make_image "$origin" 16 "none"
    start_guest "$guest" hold || return
    wait_console "$guest" "LABGUEST: up" || return
    domid=$(domid_of "$guest")
    for round in $(seq "$ATTACH_ROUNDS"); do
        set_marker "$origin" "round-$round"
        rm -f "$cow" && truncate -s 8M "$cow"
        start=$(now_us)
        if ! xl block-attach "$guest" "$(disk_spec rw "snapshot:origin=$origin,cow=$cow" xvdb)" 2>"$LAB_TMP/attach.err"; then
            fail "round $round: xl block-attach failed: $(tail -n 1 "$LAB_TMP/attach.err")"
            break
        fi
        attach_times+=("$(elapsed_s "$start")")
        dm_exists "block-diskseq-$domid-51728-snap" || fail "round $round: no dm device block-diskseq-$domid-51728-snap"
        wait_console "$guest" "LABGUEST: read xvdb round-$round([[:space:]]|$)" "$HOTPLUG_REPORT_TIMEOUT" || break
        start=$(now_us)
        if ! xl block-detach "$guest" xvdb 2>"$LAB_TMP/detach.err"; then
            fail "round $round: xl block-detach failed: $(tail -n 1 "$LAB_TMP/detach.err")"
            break
        fi
        detach_times+=("$(elapsed_s "$start")")
        wait_console_count "$guest" "LABGUEST: gone xvdb" "$round" || break
        within 5 no_dm_left || fail "round $round: dm devices left: $(our_dm_devices | tr '\n' ' ') $(ls -d /sys/block/dm-* 2>/dev/null)"
        within 5 eval 'no_loop_of "$origin" && no_loop_of "$cow"' ||
            fail "round $round: loop devices left: $(loops_of "$origin") $(loops_of "$cow")"
        no_backend_of "$domid/51728" || fail "round $round: backend/vbd/$domid/51728 left in Xenstore"
    done
    metric rounds "${#detach_times[@]}/$ATTACH_ROUNDS"
    metric_series block-attach "${attach_times[@]}"
    metric_series block-detach "${detach_times[@]}"
    xl_destroy "$guest"
    wait_gone "$guest"
}
