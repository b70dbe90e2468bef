# slice-partition: adds that touch the same sectors through different devices wait for each other (issue
# 21; hotplug/Sharing/BackingLocks.cs keys a block device by its whole disk), proven here because the
# unit tests' host has no device-mapper. dom0 binds an image with an MBR (partition 1: sectors
# 2048-18431) with `losetup --partscan`; guest A asks for slice:path=/dev/loopN,offset=2048,sectors=4096
# (a dm slice of the whole disk, inside partition 1), guest B for /dev/loopNp1, both rw. One after the
# other in both orders, the second is refused; then both `xl create` start at the same moment, ROUNDS
# times: exactly one guest runs, the other is refused with the message of the order the lock chose.
# After every round no dm device is left and dom0's loop device is still bound with the diskseq it got
# at losetup (no add detached or rebound it); the test detaches it at the end.
. /lab/scenarios/dm-lib.sh

OFFSET=2048
SECTORS=4096
ROUNDS=3
VBD=51712

scenario() {
    local image=/data/$LAB_NAME.img disk loop diskseq slice=$LAB_NAME-slice part=$LAB_NAME-part round guest
    local slice_won=0 together_times=()
    make_image "$image" 16 "whole-disk"
    write_mbr "$image"
    # The first sector of both the slice and the partition: whichever guest runs reads it.
    put_marker "$image" $OFFSET "partition-start"
    disk=$(losetup --partscan --find --show "$image") || { fail "losetup --partscan $image"; return; }
    loop=${disk#/dev/}
    diskseq=$(cat "/sys/block/$loop/diskseq")
    if check "${disk}p1 appeared" within 5 test -b "${disk}p1"; then
        guest_config "$slice" hold "$(disk_spec rw "slice:path=$disk,offset=$OFFSET,sectors=$SECTORS")"
        guest_config "$part" hold "$(disk_spec rw "${disk}p1")"
        one_after_the_other "$slice" "$part" &&
            one_after_the_other "$part" "$slice" &&
            for round in $(seq $ROUNDS); do
                together "round $round" || break
            done
        metric won-by-slice "$slice_won/$ROUNDS"
        metric_series together-create "${together_times[@]}"
    fi
    # A failed round may leave its guests on our loop device: gone first, so it can be detached now.
    for guest in "$slice" "$part"; do domain_gone "$guest" || xl destroy "$guest"; done
    losetup -d "$disk"
    check "the test's loop device is detached" within 5 no_loop_of "$image"
}

# one_after_the_other FIRST SECOND: FIRST runs; SECOND's create, started after it, is refused.
one_after_the_other() {
    local label="$1 then $2"
    xl_create "$1" || { fail "$label: xl create $1 failed: $(xl_error "$1")"; return 1; }
    if xl_create "$2"; then
        both_run "$label"
        return 1
    fi
    metric "refused-after-${1#"$LAB_NAME-"}" "$CREATE_TIME"
    refused_by "$label" "$2" "$1" && end_round "$label" "$1"
}

# together LABEL: both creates started at the same moment (background processes, as parallel-create does).
together() {
    local label=$1 start rc_slice rc_part winner loser
    start=$(now_us)
    (xl_create "$slice"; echo $? >"$LAB_TMP/slice.rc") &
    (xl_create "$part"; echo $? >"$LAB_TMP/part.rc") &
    wait
    together_times+=("$(elapsed_s "$start")")
    rc_slice=$(cat "$LAB_TMP/slice.rc")
    rc_part=$(cat "$LAB_TMP/part.rc")
    case $rc_slice:$rc_part in
    0:0) both_run "$label"; return 1 ;;
    0:*) winner=$slice loser=$part slice_won=$((slice_won + 1)) ;;
    *:0) winner=$part loser=$slice ;;
    *) fail "$label: both creates failed (exit $rc_slice and $rc_part): $(xl_error "$slice") / $(xl_error "$part")"; return 1 ;;
    esac
    say "$label: $winner runs, $loser was refused"
    refused_by "$label" "$loser" "$winner" && end_round "$label" "$winner"
}

# refused_by LABEL LOSER WINNER: LOSER's error is the busy message of SharingRules.Busy for what WINNER
# holds, naming it; LOSER's domain is gone.
refused_by() {
    local label=$1 loser=$2 winner=$3 domid holder expected
    domid=$(domid_of "$winner")
    if [ "$loser" = "$slice" ]; then
        # The slice's disk overlaps the partition another guest's backend names: the guest rule.
        expected="Device $disk ($(hex_device_of "$disk")) overlaps ${loop}p1 ($(hex_device_of "${disk}p1")), which is"
        expected+=" mounted in a guest domain (domain $domid, backend/vbd/$domid/$VBD), and so cannot be mounted now."
    else
        # The slice's dm device holds the partition's disk (sysfs holders/): a stacked user in dom0, which
        # CheckLocal finds before other guests are asked.
        holder=$(slice_dev "$winner")
        expected="Device ${disk}p1 ($(hex_device_of "${disk}p1")) overlaps $loop ($(hex_device_of "$disk")), which is mounted in"
        expected+=" the privileged domain (held by $holder, $(dm_name_of "$winner" $VBD slice)), and so cannot be mounted by a guest."
    fi
    check_xl_error "$loser" "$expected"
    check "$label: the refused guest is gone" within 5 domain_gone "$loser"
}

# end_round LABEL WINNER: WINNER reads partition 1's first sector through the device we expect; after its
# destroy nothing of either add is left and dom0's loop device is as it was.
end_round() {
    local label=$1 winner=$2 expected
    expect_marker "$winner" xvda partition-start || return 1
    if [ "$winner" = "$slice" ]; then expected=$(dev_of "$(slice_dev "$winner")"); else expected=$(dev_of "${loop}p1"); fi
    check "$label: $winner's backend names $expected" same_nonempty "$expected" "$(backend_device "$winner" $VBD)"
    xl_destroy "$winner"
    wait_gone "$winner" || return 1
    check "$label: no dm device left" within 5 no_dm_left &&
        check "$label: dom0's $loop is still bound to the image with diskseq $diskseq, its p1 there" disk_untouched
}

# The dm device (dm-N) of GUEST's slice.
slice_dev() { DM_DISABLE_UDEV=1 dmsetup info -c --noheadings -o blkdevname "$(dm_name_of "$1" $VBD slice)" 2>/dev/null; }

# dom0's loop device is the image's only one, with its diskseq of the start: nobody detached or rebound it.
disk_untouched() {
    [ "$(loops_of "$image")" = "$loop" ] && [ "$(cat "/sys/block/$loop/diskseq")" = "$diskseq" ] && [ -b "${disk}p1" ]
}

# The defect this scenario exists for: both guests got the sectors. Shows what each backend was given.
both_run() {
    local guest
    fail "$1: both guests run, with the same sectors read-write"
    for guest in "$slice" "$part"; do
        say "$guest: physical-device $(backend_device "$guest" $VBD), status: $(status_of "$guest" $VBD | tr '\n' ' ')"
    done
    say "dm devices: $(our_dm_devices | tr '\n' ' '); $loop holders: $(ls "/sys/block/$loop/holders" | tr '\n' ' ')"
}
