# seed-blkback (--kernel=seed only): the seed blkback's own checks, tests/vm/seed/blkback-selftest-dom0,
# in the lab's dom0: dom0 plays toolstack and hotplug script through Xenstore (opened 0/1, diskseq
# match, mismatch, malformed values, a loop freed and reused before blkback's open).
scenario() {
    local line summary=
    while IFS= read -r line; do
        case $line in
        "PASS: "*) say "ok: ${line#PASS: }" ;;
        "FAIL: "*) fail "${line#FAIL: }" ;;
        *" passed, "*" failed") summary=$line ;;
        *) say "$line" ;;
        esac
    done < <(sh /lab/seed/blkback-selftest-dom0 2>&1)
    check "blkback-selftest-dom0 finished ($summary)" [ -n "$summary" ]
}
