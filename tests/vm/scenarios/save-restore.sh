# save-restore: `xl save` of a guest that keeps writing to its disk, then `xl restore`. The save
# detaches the disk (libxl runs `remove`: no loop device, no backend left while the guest is saved),
# the restore attaches it again (`add`, a new loop device). After the restore physical-device names
# the device blkback opened and the diskseq node is that device's diskseq, a new one; the restored
# guest writes on through it (its tick count in the image grows). After destroy nothing is left.
scenario() {
    local guest=$LAB_NAME image=/data/$LAB_NAME.img saved=/data/$LAB_NAME.save first second seq1 seq2 ticks start
    make_image "$image" 16 "$LAB_NAME-$RANDOM"
    start_guest "$guest" tick "$(disk_spec rw "$image")" || return
    first=$(domid_of "$guest")
    expect_marker "$guest" xvda "$(marker_in "$image")" || return
    wait_console "$guest" "LABGUEST: ticking xvda" || return
    check_opened_device "$first" 51712 "before save"
    seq1=$(xenstore-read "$(backend_of "$first" 51712)/diskseq" 2>/dev/null)
    start=$(now_us)
    xl save "$guest" "$saved" >"$LAB_TMP/save.out" 2>&1 || { fail "xl save failed: $(tail -n 1 "$LAB_TMP/save.out")"; return; }
    metric save "$(elapsed_s "$start")"
    check "the saved domain is gone" within 5 domain_gone "$guest"
    check "no loop device on the image while the guest is saved" within 5 no_loop_of "$image"
    check "no backend left while the guest is saved" no_backend_of "$first/51712"
    ticks=$(ticks_in "$image")
    start=$(now_us)
    xl restore "$saved" >"$LAB_TMP/restore.out" 2>&1 || { fail "xl restore failed: $(tail -n 1 "$LAB_TMP/restore.out")"; rm -f "$saved"; return; }
    metric restore "$(elapsed_s "$start")"
    rm -f "$saved"
    second=$(domid_of "$guest")
    check "the guest runs again as domain $second" [ -n "$second" ]
    check_opened_device "$second" 51712 "after restore"
    seq2=$(xenstore-read "$(backend_of "$second" 51712)/diskseq" 2>/dev/null)
    check "the restore attached a new device (diskseq $seq1, then $seq2)" eval '[ -n "$seq1" ] && [ "$seq1" != "$seq2" ]'
    check "the restored guest writes on (tick after $ticks)" within 20 ticks_beyond "$image" "$ticks"
    xl_destroy "$guest"
    wait_gone "$guest" || return
    check "no loop device left on the image" within 5 no_loop_of "$image"
}
