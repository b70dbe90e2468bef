# dm-kill: block-diskseq is SIGKILLed during `add` of a persistent snapshot disk, at each point
# dom0/block-diskseq-kill knows that matters for device-mapper: right away; at the origin's loop
# device; after DEV_CREATE, before the table is loaded and the deferred remove armed (only the
# device's name leads to it: libxl's remove sweeps it); and while it waits for blkback. Each kill
# must land, `xl create` must fail, and nothing may be left: no dm device, no loop device on the
# origin or the COW, no backend, no domain.
. /lab/scenarios/dm-lib.sh
KILL_POINTS="start loop dm-table blkback"

scenario() {
    local origin=/data/$LAB_NAME-origin.img cow=/data/$LAB_NAME.cow point guest report killed=0
    make_image "$origin" 16 "$LAB_NAME-$RANDOM"
    rm -f "$cow" && truncate -s 8M "$cow"
    for point in $KILL_POINTS; do
        guest=$LAB_NAME-$point
        echo "$point" >/run/lab/kill-point
        rm -f /run/lab/kill-report
        guest_config "$guest" hold "$(disk_spec rw "snapshot:origin=$origin,cow=$cow")"
        if xl_create "$guest"; then
            fail "xl create succeeded although the script was run to be killed at $point"
            xl destroy "$guest"
        fi
        report=$(cat /run/lab/kill-report 2>/dev/null)
        say "kill at $point: ${report:-no report}; xl said: script: $(xl_error "$guest")"
        case $report in
        killed*) killed=$((killed + 1)) ;;
        *) fail "the kill at $point did not land: ${report:-no report}" ;;
        esac
        [ "$point" != dm-table ] || check "libxl's remove swept the unarmed dm device the kill left" \
            grep -q "removed leftover dm device block-diskseq-[0-9]*-51712-snap" "$LAB_TMP/$guest.create.err"
        check "nothing left after the kill at $point" within 5 nothing_left "$origin" "$cow"
    done
    metric kills-landed "$killed/$(echo $KILL_POINTS | wc -w)"
    rm -f /run/lab/kill-point
}

nothing_left() {
    no_loop_of "$1" && no_loop_of "$2" && no_dm_left && [ -z "$(vbd_backends)" ] && [ "$(xl list | wc -l)" -eq 2 ]
}
