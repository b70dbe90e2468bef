# seed-diskseq-refused (--kernel=seed only): block-diskseq's gated test hook writes a diskseq one
# above the device's (BLOCK_DISKSEQ_TEST_HOOKS + BLOCK_DISKSEQ_TEST_DISKSEQ_OFFSET, inherited by the
# hotplug script through xl). The seed blkback must refuse the device ("incorrect sequence number"
# in the kernel log), the program must report it (xl shows its hotplug-error naming the refusal),
# `xl create` fails, and nothing is left. A plain image, then a slice (a dm device), the same way.
. /lab/scenarios/dm-lib.sh

refused_create() {
    local guest=$1 target=$2 what=$3
    guest_config "$guest" hold "$(disk_spec rw "$target")"
    if BLOCK_DISKSEQ_TEST_HOOKS=break-my-disks BLOCK_DISKSEQ_TEST_DISKSEQ_OFFSET=1 xl_create "$guest"; then
        fail "$what: xl create succeeded with a wrong diskseq"
        xl destroy "$guest"
        return
    fi
    say "$what: xl said: script: $(xl_error "$guest")"
    check "$what: xl reports the program's error: blkback refused the diskseq" \
        xl_error_mentions "$guest" "did not carry the diskseq we wrote"
}

scenario() {
    local image=/data/$LAB_NAME.img kernel_log before
    make_image "$image" 16 "$LAB_NAME-$RANDOM"
    before=$(dmesg | grep -c "incorrect sequence number")
    refused_create "$LAB_NAME-loop" "$image" "loop"
    check "loop: nothing left" within 5 eval 'no_loop_of "$image" && [ -z "$(vbd_backends)" ]'
    refused_create "$LAB_NAME-slice" "slice:path=$image,offset=0,sectors=2048" "slice"
    check "slice: nothing left" within 5 eval 'no_loop_of "$image" && no_dm_left && [ -z "$(vbd_backends)" ]'
    kernel_log=$(($(dmesg | grep -c "incorrect sequence number") - before))
    check "the kernel logged blkback's refusal twice ($kernel_log)" [ "$kernel_log" -eq 2 ]
}
