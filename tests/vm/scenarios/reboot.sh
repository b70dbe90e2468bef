# reboot: a guest with on_reboot="restart" reboots once. libxl runs `remove` for the first domain's
# disk and `add` for the new domain's, on the same image. The first boot sees no earlier write and
# writes "boot-1" to sector 1; the second boot (a new domain id) sees "boot-1" and writes "boot-2".
# While the second boot runs: the first domain's backend is gone, one loop device backs the image,
# blkback's device is the one physical-device and diskseq name, with a diskseq other than the first
# boot's. After destroy nothing is left and the image holds "boot-2".
scenario() {
    local guest=$LAB_NAME image=/data/$LAB_NAME.img marker=$LAB_NAME-$RANDOM first second seq1 seq2 start
    make_image "$image" 16 "$marker"
    GUEST_ON_REBOOT=restart start_guest "$guest" reboot "$(disk_spec rw "$image")" || return
    first=$(domid_of "$guest")
    # The guest needs seconds to boot: the first domain's backend is read before it can reboot.
    seq1=$(xenstore-read "$(backend_of "$first" 51712)/diskseq" 2>/dev/null)
    say "first boot: domain $first, diskseq node $seq1, loop $(loops_of "$image")"
    expect_marker "$guest" xvda "$marker" || return
    wait_console "$guest" "LABGUEST: rebooting" || return
    start=$(now_us)
    wait_console "$guest" "LABGUEST: wrote xvda boot-2" || return
    metric reboot-to-guest-write "$(elapsed_s "$start")"
    second=$(domid_of "$guest")
    say "second boot: domain $second; the guest reported: $(grep -o 'LABGUEST: previous.*' "$(console_of "$guest")" | tr -d '\r' | tr '\n' '|')"
    check "the guest came back as a new domain ($first, then $second)" eval '[ -n "$second" ] && [ "$second" != "$first" ]'
    check "the first boot saw no earlier boot's write" \
        eval '! grep -m 1 "LABGUEST: previous xvda" "$(console_of "$guest")" | grep -q boot-'
    check "the second boot saw the first boot's write" grep -q "LABGUEST: previous xvda guest-wrote:xvda boot-1" "$(console_of "$guest")"
    check "the first domain's backend is gone" no_backend_of "$first/51712"
    check "one loop device backs the image" [ "$(loops_of "$image" | wc -l)" -eq 1 ]
    check_opened_device "$second" 51712 "second boot"
    seq2=$(xenstore-read "$(backend_of "$second" 51712)/diskseq" 2>/dev/null)
    check "the second boot's device is a new one (diskseq $seq1, then $seq2)" eval '[ -n "$seq1" ] && [ "$seq1" != "$seq2" ]'
    xl_destroy "$guest"
    wait_gone "$guest" || return
    check "no loop device left on the image" within 5 no_loop_of "$image"
    check "the image holds the second boot's write" [ "$(guest_data_in "$image")" = "guest-wrote:xvda boot-2" ]
}
