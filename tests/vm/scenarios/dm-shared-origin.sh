# dm-shared-origin: two guests use snapshots of one origin, each with its own COW, at the same time.
# Guest A holds its disk; guest B starts while A's snapshot is live, reads the origin's marker and
# writes. B's write lands in B's COW only; A's COW and the origin stay unchanged; two dm devices
# exist while both run, each over its own COW, both over read-only loop devices of the origin.
. /lab/scenarios/dm-lib.sh

scenario() {
    local origin=/data/$LAB_NAME-origin.img marker=$LAB_NAME-$RANDOM before a=$LAB_NAME-a b=$LAB_NAME-b
    local cow_a=/data/$LAB_NAME-a.cow cow_b=/data/$LAB_NAME-b.cow
    make_image "$origin" 16 "$marker"
    rm -f "$cow_a" "$cow_b" && truncate -s 8M "$cow_a" "$cow_b"
    before=$(checksum "$origin")
    two_snapshots
    xl destroy "$a" 2>/dev/null
    check "B's write landed in B's COW" file_contains "$cow_b" "guest-wrote:xvda"
    check "A's COW holds no write of B" eval '! file_contains "$cow_a" "guest-wrote:xvda"'
    check "the origin is unchanged" [ "$(checksum "$origin")" = "$before" ]
    check "no dm device left" within 5 no_dm_left
    check "no loop device left on the origin or the COWs" within 5 eval 'no_loop_of "$origin" && no_loop_of "$cow_a" && no_loop_of "$cow_b"'
}

# Guest A holds its snapshot while guest B boots on its own, reads and writes, and powers off.
two_snapshots() {
    local loop
    start_guest "$a" hold "$(disk_spec rw "snapshot:origin=$origin,cow=$cow_a")" || return
    expect_marker "$a" xvda "$marker" || return
    start_guest "$b" rw "$(disk_spec rw "snapshot:origin=$origin,cow=$cow_b")" || return
    metric second-create "$CREATE_TIME"
    check "both snapshots exist at once" eval 'dm_exists "$(dm_name_of "$a" 51712 snap)" && dm_exists "$(dm_name_of "$b" 51712 snap)"'
    check "the origin has a loop device per snapshot" [ "$(loops_of "$origin" | wc -l)" -eq 2 ]
    for loop in $(loops_of "$origin"); do
        check "$loop on the origin is read-only" [ "$(cat "/sys/block/$loop/ro")" = 1 ]
    done
    expect_marker "$b" xvda "$marker" || return
    wait_console "$b" "LABGUEST: (wrote|write-failed) xvda" || return
    check "guest B wrote to its snapshot" grep -q "LABGUEST: wrote xvda" "$(console_of "$b")"
    wait_gone "$b" || return
    check "guest A still has its snapshot after B is gone" dm_exists "$(dm_name_of "$a" 51712 snap)"
}
