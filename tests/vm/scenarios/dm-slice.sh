# dm-slice: slice:path=,offset=2048,sectors=4096 of a 16 MiB image. dom0 writes distinct markers in
# the sectors just before, at the start of, at the end of and just after the window. The guest reads
# the start marker as its first sector and writes its sector 1, which must land at image sector
# 2049 (not 1); `status` names the dm ABI and wait path this kernel calls for; blkback reports 4096 sectors (its `sectors` node); dom0 reads the end marker at the dm device's last sector.
. /lab/scenarios/dm-lib.sh

OFFSET=2048
SECTORS=4096

marker_at() { dd if="$1" bs=512 skip="$2" count=1 status=none | head -n 1 | sed -n 's/^lab-marker://p'; }
data_at() { dd if="$1" bs=512 skip="$2" count=1 status=none | tr -d '\0' | head -n 1; }

scenario() {
    local guest=$LAB_NAME image=/data/$LAB_NAME.img name dev last=$((OFFSET + SECTORS - 1))
    make_image "$image" 16 "whole-image"
    put_marker "$image" $((OFFSET - 1)) "before-window"
    put_marker "$image" $OFFSET "window-start"
    put_marker "$image" $last "window-end"
    put_marker "$image" $((OFFSET + SECTORS)) "after-window"
    start_guest "$guest" rw "$(disk_spec rw "slice:path=$image,offset=$OFFSET,sectors=$SECTORS")" || return
    metric create "$CREATE_TIME"
    name=$(dm_name_of "$guest" 51712 slice)
    dev=$(DM_DISABLE_UDEV=1 dmsetup info -c --noheadings -o blkdevname "$name" 2>/dev/null)
    say "$name ($dev): $(dm_table "$name")"
    check "the slice $name exists while the guest runs" [ -n "$dev" ]
    check "its table is linear over the image's loop at $OFFSET" \
        same_nonempty "$(dm_table "$name" | awk '{ print $1, $2, $3, $4, $5 }')" "0 $SECTORS linear $(dev_of "$(loop_dev_of "$image")") $OFFSET"
    check "status: add used the $(expected_dm_abi) dm ABI" [ "$(status_field "$guest" 51712 "dm ABI")" = "$(expected_dm_abi)" ]
    check "status: add waited via $(expected_wait_path)" [ "$(status_field "$guest" 51712 "waited via")" = "$(expected_wait_path)" ]
    check "the slice has $SECTORS sectors" [ "$(cat "/sys/block/$dev/size" 2>/dev/null)" = $SECTORS ]
    check "the slice's last sector is the window's last" [ "$(marker_at "/dev/$dev" $((SECTORS - 1)))" = window-end ]
    expect_marker "$guest" xvda "window-start" || return
    # blkback writes `sectors` when the frontend connects, so after the guest has read its disk.
    check "blkback reports $SECTORS sectors to the guest" \
        [ "$(xenstore-read "$(backend_of "$(domid_of "$guest")" 51712)/sectors" 2>/dev/null)" = $SECTORS ]
    wait_console "$guest" "LABGUEST: (wrote|write-failed) xvda" || return
    check "the guest wrote to its slice" grep -q "LABGUEST: wrote xvda" "$(console_of "$guest")"
    wait_gone "$guest" || return
    metric gone "$(elapsed_s "$CREATE_START")"
    check "the guest's sector 1 is image sector $((OFFSET + 1))" [ "$(data_at "$image" $((OFFSET + 1)))" = guest-wrote:xvda ]
    check "image sector 1 is untouched" [ -z "$(data_at "$image" 1)" ]
    check "the markers outside the window are untouched" \
        eval '[ "$(marker_at "$image" $((OFFSET - 1)))" = before-window ] && [ "$(marker_at "$image" $((OFFSET + SECTORS)))" = after-window ]'
    check "no dm device left" within 5 no_dm_left
    check "no loop device left on the image" within 5 no_loop_of "$image"
}
