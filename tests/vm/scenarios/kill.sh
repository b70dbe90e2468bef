# kill: block-diskseq is SIGKILLed during `add` at each point dom0/block-diskseq-kill knows (the
# registry makes that wrapper the hotplug script): right away, at its lock, once its loop device
# exists, and while it waits for blkback after committing physical-device and diskseq. Each kill
# must land, `xl create` must fail, and nothing may be left: no loop device on the image, no
# backend, no domain.
KILL_POINTS="start lock loop blkback"

scenario() {
    local image=/data/$LAB_NAME.img point killed=0
    make_image "$image" 16 "$LAB_NAME-$RANDOM"
    for point in $KILL_POINTS; do
        kill_during_add "$LAB_NAME-$point" "$image" "$point" && killed=$((killed + 1))
        check "nothing left after the kill at $point" within 5 nothing_left_of "$image"
    done
    metric kills-landed "$killed/$(echo $KILL_POINTS | wc -w)"
}

nothing_left_of() { no_loop_of "$1" && [ -z "$(vbd_backends)" ] && [ "$(xl list | wc -l)" -eq 2 ]; }
