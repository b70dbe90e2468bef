# dm-kill: block-diskseq is SIGKILLed during `add` of a persistent snapshot disk, at each point
# dom0/block-diskseq-kill knows that matters for device-mapper: right away; at the origin's loop
# device; after DEV_CREATE, before the table is loaded and the deferred remove armed (only the
# device's name leads to it: libxl's remove sweeps it); and while it waits for blkback. Each kill
# must land, `xl create` must fail, and nothing may be left: no dm device, no loop device on the
# origin or the COW, no backend, no domain.
. /lab/scenarios/dm-lib.sh
KILL_POINTS="start loop dm-table blkback"

scenario() {
    local origin=/data/$LAB_NAME-origin.img cow=/data/$LAB_NAME.cow point killed=0
    make_image "$origin" 16 "$LAB_NAME-$RANDOM"
    rm -f "$cow" && truncate -s 8M "$cow"
    for point in $KILL_POINTS; do
        kill_during_add "$LAB_NAME-$point" "snapshot:origin=$origin,cow=$cow" "$point" && killed=$((killed + 1))
        [ "$point" != dm-table ] || check "libxl's remove swept the unarmed dm device the kill left (hotplug log)" \
            grep -q "block-diskseq remove backend/vbd/[0-9]*/51712: removed leftover dm device block-diskseq-[0-9]*-51712-snap" \
            /var/log/xen/xen-hotplug.log
        check "nothing left after the kill at $point" within 5 nothing_left "$origin" "$cow"
    done
    metric kills-landed "$killed/$(echo $KILL_POINTS | wc -w)"
}

nothing_left() {
    no_loop_of "$1" && no_loop_of "$2" && no_dm_left && [ -z "$(vbd_backends)" ] && [ "$(xl list | wc -l)" -eq 2 ]
}
