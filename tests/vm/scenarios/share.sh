# share: two guests use one image read-only at the same time (both read dom0's marker, every loop
# device on it is read-only); then, with a third guest using another image rw, a fourth guest asking
# for that image rw is refused: its `xl create` fails and xl's error output carries the script's
# hotplug-error text. Nothing is left afterwards.
scenario() {
    local shared=/data/$LAB_NAME-ro.img exclusive=/data/$LAB_NAME-rw.img loop
    local reader_a=$LAB_NAME-ro-a reader_b=$LAB_NAME-ro-b writer=$LAB_NAME-rw-a refused=$LAB_NAME-rw-b
    make_image "$shared" 16 "$LAB_NAME-ro-$RANDOM"
    make_image "$exclusive" 16 "$LAB_NAME-rw-$RANDOM"

    if start_guest "$reader_a" hold "$(disk_spec ro "$shared")" &&
        start_guest "$reader_b" hold "$(disk_spec ro "$shared")"; then
        metric second-ro-create "$CREATE_TIME"
        expect_marker "$reader_a" xvda "$(marker_in "$shared")"
        expect_marker "$reader_b" xvda "$(marker_in "$shared")"
        for loop in $(loops_of "$shared"); do
            check "$loop on the shared image is read-only" [ "$(cat "/sys/block/$loop/ro")" = 1 ]
        done
    fi
    xl destroy "$reader_a" 2>/dev/null
    xl destroy "$reader_b" 2>/dev/null
    check "no loop device left on the shared image" within 5 no_loop_of "$shared"

    if start_guest "$writer" hold "$(disk_spec rw "$exclusive")"; then
        expect_marker "$writer" xvda "$(marker_in "$exclusive")"
        guest_config "$refused" hold "$(disk_spec rw "$exclusive")"
        if xl_create "$refused"; then
            fail "a second guest got rw access to an image in use rw"
            xl destroy "$refused"
        else
            metric refused-create "$CREATE_TIME"
            check_xl_error "$refused" "$exclusive"
        fi
        check "the first guest still has its disk" [ -n "$(loops_of "$exclusive")" ]
        xl destroy "$writer"
    fi
    check "no loop device left on the rw image" within 5 no_loop_of "$exclusive"
}
