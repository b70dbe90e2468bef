# dm-throwaway: a guest boots with a disposable snapshot (snapshot:origin= only) and writes. While it
# runs the COW is an unnamed file in $BLOCK_DISKSEQ_COWDIR (default /var/tmp): a loop device backs a
# deleted file there, and the directory lists nothing. After poweroff: no dm device, no loop device
# (so the unnamed file is freed), nothing in /var/tmp, the origin unchanged.
. /lab/scenarios/dm-lib.sh

scenario() {
    local guest=$LAB_NAME origin=/data/$LAB_NAME-origin.img marker=$LAB_NAME-$RANDOM before name cow_loops
    make_image "$origin" 16 "$marker"
    mkdir -p /var/tmp
    before=$(checksum "$origin")
    start_guest "$guest" rw "$(disk_spec rw "snapshot:origin=$origin")" || return
    metric create "$CREATE_TIME"
    name=$(dm_name_of "$guest" 51712 snap)
    check "the snapshot $name exists while the guest runs" dm_exists "$name"
    check "its table is a transient snapshot" same_nonempty "$(dm_table "$name" | awk '{ print $3, $6 }')" "snapshot N"
    cow_loops=$(loop_devices | awk '$2 ~ /^\/var\/tmp\// { print $1 }')
    say "COW loop device(s): $(loop_devices | grep '/var/tmp/' | tr '\n' ' ')"
    check "a loop device backs an unnamed file in /var/tmp" [ -n "$cow_loops" ]
    check "/var/tmp lists no file" [ -z "$(ls -A /var/tmp)" ]
    expect_marker "$guest" xvda "$marker" || return
    wait_console "$guest" "LABGUEST: (wrote|write-failed) xvda" || return
    check "the guest wrote to its throwaway disk" grep -q "LABGUEST: wrote xvda" "$(console_of "$guest")"
    wait_gone "$guest" || return
    metric gone "$(elapsed_s "$CREATE_START")"
    check "no dm device left" within 5 no_dm_left
    check "no loop device left on a /var/tmp file" within 5 eval '[ -z "$(loop_devices | grep " /var/tmp/")" ]'
    check "no loop device left on the origin" within 5 no_loop_of "$origin"
    check "/var/tmp is empty" [ -z "$(ls -A /var/tmp)" ]
    check "the origin is unchanged" [ "$(checksum "$origin")" = "$before" ]
}
