# share: two guests use one image read-only at the same time (both read dom0's marker, every loop
# device on it is read-only); then, with a third guest using another image rw, a fourth guest asking
# for that image rw is refused: its `xl create` fails and xl's error output carries the script's
# hotplug-error text. Nothing is left afterwards.
scenario() {
    local shared=/data/$LAB_NAME-ro.img exclusive=/data/$LAB_NAME-rw.img
    make_image "$shared" 16 "$LAB_NAME-ro-$RANDOM"
    make_image "$exclusive" 16 "$LAB_NAME-rw-$RANDOM"
    two_readers "$LAB_NAME-ro-a" "$LAB_NAME-ro-b"
    xl destroy "$LAB_NAME-ro-a" 2>/dev/null
    xl destroy "$LAB_NAME-ro-b" 2>/dev/null
    check "no loop device left on the shared image" within 5 no_loop_of "$shared"
    second_writer_refused "$LAB_NAME-rw-a" "$LAB_NAME-rw-b"
    xl destroy "$LAB_NAME-rw-a" 2>/dev/null
    check "no loop device left on the rw image" within 5 no_loop_of "$exclusive"
}

two_readers() {
    local loop
    start_guest "$1" hold "$(disk_spec ro "$shared")" || return
    start_guest "$2" hold "$(disk_spec ro "$shared")" || return
    metric second-ro-create "$CREATE_TIME"
    expect_marker "$1" xvda "$(marker_in "$shared")" || return
    expect_marker "$2" xvda "$(marker_in "$shared")" || return
    for loop in $(loops_of "$shared"); do
        check "$loop on the shared image is read-only" [ "$(cat "/sys/block/$loop/ro")" = 1 ]
    done
}

second_writer_refused() {
    local writer=$1 refused=$2
    start_guest "$writer" hold "$(disk_spec rw "$exclusive")" || return
    expect_marker "$writer" xvda "$(marker_in "$exclusive")" || return
    guest_config "$refused" hold "$(disk_spec rw "$exclusive")"
    if xl_create "$refused"; then
        fail "a second guest got rw access to an image in use rw"
        xl destroy "$refused"
        return
    fi
    metric refused-create "$CREATE_TIME"
    check_xl_error "$refused" "$exclusive"
    check "the first guest still has its disk" [ -n "$(loops_of "$exclusive")" ]
}
