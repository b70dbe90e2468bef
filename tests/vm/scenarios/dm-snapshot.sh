# dm-snapshot: a guest boots with a persistent snapshot disk (snapshot:origin=,cow=) and writes.
# While it runs: block-diskseq-D-51712-snap is what blkback was handed, its table is a persistent
# snapshot of the origin's loop device (read-only) over the COW's loop device. The guest reads the
# origin's marker through the snapshot; its write lands in the COW file and the origin is unchanged.
# After poweroff no dm or loop device remains.
. /lab/scenarios/dm-lib.sh

scenario() {
    local guest=$LAB_NAME origin=/data/$LAB_NAME-origin.img cow=/data/$LAB_NAME.cow marker=$LAB_NAME-$RANDOM
    local before name origin_loop cow_loop dm
    make_image "$origin" 16 "$marker"
    rm -f "$cow" && truncate -s 8M "$cow"
    before=$(checksum "$origin")
    start_guest "$guest" rw "$(disk_spec rw "snapshot:origin=$origin,cow=$cow")" || return
    metric create "$CREATE_TIME"
    name=$(dm_name_of "$guest" 51712 snap)
    origin_loop=$(loop_dev_of "$origin")
    cow_loop=$(loop_dev_of "$cow")
    if dm_exists "$name"; then
        dm=$(our_dm_devices | awk -v n="$name" '$1 == n { print $2 }')
        say "$name ($dm): $(dm_table "$name")"
        check "blkback was handed $name" same_nonempty "$dm" "$(backend_device "$guest" 51712)"
        check "its table is a persistent snapshot of the origin's loop over the COW's loop" \
            same_nonempty "$(dm_table "$name" | awk '{ print $3, $4, $5, $6 }')" "snapshot $(dev_of "$origin_loop") $(dev_of "$cow_loop") P"
        check "the origin's loop device is read-only" [ "$(cat "/sys/block/$origin_loop/ro" 2>/dev/null)" = 1 ]
        check "the COW's loop device is writable" [ "$(cat "/sys/block/$cow_loop/ro" 2>/dev/null)" = 0 ]
        say "status: $(status_of "$guest" 51712 | tr '\n' '|')"
        check "status: add used the $(expected_dm_abi) dm ABI" [ "$(status_field "$guest" 51712 "dm ABI")" = "$(expected_dm_abi)" ]
    else
        fail "no dm device $name while the guest runs (dmsetup ls: $(our_dm_devices | tr '\n' ' '))"
    fi
    expect_marker "$guest" xvda "$marker" || return
    wait_console "$guest" "LABGUEST: (wrote|write-failed) xvda" || return
    check "the guest wrote to its snapshot disk" grep -q "LABGUEST: wrote xvda" "$(console_of "$guest")"
    wait_gone "$guest" || return
    metric gone "$(elapsed_s "$CREATE_START")"
    check "the guest's write landed in the COW" file_contains "$cow" "guest-wrote:xvda"
    check "the origin is unchanged" [ "$(checksum "$origin")" = "$before" ]
    check "no dm device left" within 5 no_dm_left
    check "no loop device left on the origin or the COW" within 5 eval 'no_loop_of "$origin" && no_loop_of "$cow"'
}
