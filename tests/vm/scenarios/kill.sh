# kill: block-diskseq is SIGKILLed during `add` at each point dom0/block-diskseq-kill knows (the
# registry makes that wrapper the hotplug script): right away, at its lock, once its loop device
# exists, and while it waits for blkback after committing physical-device and diskseq. Each kill
# must land, `xl create` must fail, and nothing may be left: no loop device on the image, no
# backend, no domain.
KILL_POINTS="start lock loop blkback"

scenario() {
    local image=/data/$LAB_NAME.img point guest report killed=0
    make_image "$image" 16 "$LAB_NAME-$RANDOM"
    for point in $KILL_POINTS; do
        guest=$LAB_NAME-$point
        echo "$point" >/run/lab/kill-point
        rm -f /run/lab/kill-report
        guest_config "$guest" hold "$(disk_spec rw "$image")"
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
        check "nothing left after the kill at $point" within 5 nothing_left_of "$image"
    done
    metric kills-landed "$killed/$(echo $KILL_POINTS | wc -w)"
    rm -f /run/lab/kill-point
}

nothing_left_of() { no_loop_of "$1" && [ -z "$(vbd_backends)" ] && [ "$(xl list | wc -l)" -eq 2 ]; }
