# demo: the main job, shown rather than only checked (the README's first command runs it).
# A guest boots with an image attached by block-diskseq; while it runs, the scenario prints what the
# program wrote to Xenstore, what `block-diskseq status` says of it and the loop device blkback holds,
# then the guest reads dom0's marker and writes, powers off, and nothing is left.
scenario() {
    local guest=$LAB_NAME image=/data/$LAB_NAME.img marker=$LAB_NAME-$RANDOM be loop
    make_image "$image" 16 "$marker"
    start_guest "$guest" rw "$(disk_spec rw "$image")" || return
    metric create "$CREATE_TIME"
    be=/local/domain/0/backend/vbd/$(domid_of "$guest")/51712
    say "--- what block-diskseq wrote under $be:"
    for key in params mode state physical-device physical-device-path diskseq node hotplug-status \
               block-diskseq/layers block-diskseq/wait; do
        say "    $key = $(xenstore-read "$be/$key" 2>/dev/null || echo '(none)')"
    done
    say "--- block-diskseq status:"
    /etc/xen/scripts/block-diskseq status "$be" 2>&1 | sed "s/^/[$LAB_NAME]     /"
    loop=$(loops_of "$image")
    say "--- $loop: diskseq $(cat "/sys/block/$loop/diskseq" 2>/dev/null), autoclear $(cat "/sys/block/$loop/loop/autoclear" 2>/dev/null)"
    check "the diskseq node is the loop device's diskseq in hex" \
        [ "$(xenstore-read "$be/diskseq")" = "$(printf '%x' "$(cat "/sys/block/$loop/diskseq")")" ]
    expect_marker "$guest" xvda "$marker" || return
    metric guest-read "$(elapsed_s "$CREATE_START")"
    wait_gone "$guest" || return
    metric gone "$(elapsed_s "$CREATE_START")"
    check "no loop device left on the image" within 5 no_loop_of "$image"
}
