# driver-domain: a storage driver domain serves a guest's disks with block-diskseq.
# The driver domain (driver/init) is a PV domain with driver_domain=1, booted from dom0's root
# image: it loads xen-blkback, loop and dm-mod and runs `xl devd`, as Xen's xendriverdomain service
# does. The guests' disks say backend=<driver domain>, script=...; dom0's libxl writes the backend
# directory under the driver domain's home (owned by it, readable by the guest) with the `script`
# node as dom0's absolute path, and runs no hotplug script itself; devd in the driver domain runs
# add and remove with XENBUS_PATH relative to the driver domain's home. dom0 checks Xenstore and
# the guests' consoles; the driver domain checks itself (loop and dm devices, sysfs, processes),
# through dd_run.
# One guest has two disks stored in the driver domain:
#   xvda, an image with script=block-diskseq. While the guest runs: the script ran there
#         (hotplug-status connected, no backend and no loop device in dom0), physical-device names
#         the device the driver domain's blkback opened and diskseq is its diskseq, `block-diskseq
#         status` there agrees, no hotplug process is left, the guest reads the marker and writes on.
#   xvdb, a persistent snapshot (a dm device over two loop devices) with
#         script=block-diskseq-lose-record: the real program, but on remove the backend directory,
#         with the program's record, is deleted first.
# After `xl destroy` of the guest: remove ran for xvdb with the directory gone and exited 0, and
# nothing is left in the driver domain (no loop device, dm device, backend directory or hotplug
# process): for xvda remove tore down what its record names, for xvdb autoclear and deferred
# remove freed the devices once blkback let go. The guest's writes are in the image and the COW.
# This file is also sourced in the driver domain (driver/init), for its helpers.

# From `xl create` of the driver domain to devd running there: about 25 s under TCG, minutes on a
# busy host.
DD_READY_TIMEOUT=420
# A command in the driver domain, to its rc line on the console: 1-2 s, a minute on a busy host.
DD_COMMAND_TIMEOUT=120
# xl create returns before devd has run the scripts in the driver domain: the guest may boot before
# its disks are connected (30-120 s on a busy host).
GUEST_DISK_WAIT=240
GUEST_REPORT_TIMEOUT=300
# From `xl create -p` to devd's adds done in the driver domain: 2-5 s, a minute on a busy host.
DD_ADDS_TIMEOUT=120
DD_MEMORY=384

# ---- run in the driver domain ------------------------------------------------------------------

# nothing_left_here FILE...: in this domain, no loop device on any FILE, no dm device, no vbd
# backend directory and no hotplug process.
nothing_left_here() {
    local file
    for file in "$@"; do no_loop_of "$file" || return 1; done
    [ -z "$(dm_devices)" ] && [ -z "$(xenstore-list backend/vbd 2>/dev/null)" ] && [ -z "$(pidof block-diskseq)" ]
}

# removes_with_record_gone N: the lost-record wrapper saw N removes run with the directory gone,
# each exiting 0.
removes_with_record_gone() { [ "$(grep -c 'directory gone, exit 0' /run/lab/lose-record.log 2>/dev/null)" -eq "$1" ]; }

# ---- run in dom0 -------------------------------------------------------------------------------

# dd_disk_spec SCRIPT TARGET VDEV: a disk of the driver domain.
dd_disk_spec() { echo "format=raw, vdev=$3, access=rw, backend=$DD, script=$1, target=$2"; }

dd_start() {
    cat >"$LAB_TMP/$DD.cfg" <<EOF_CFG
name = "$DD"
type = "pv"
kernel = "/lab/guest/vmlinux"
ramdisk = "/lab/driver/initrd.cpio"
extra = "console=hvc0 loglevel=4"
memory = $DD_MEMORY
vcpus = 1
driver_domain = 1
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "destroy"
EOF_CFG
    xl_create "$DD" || { fail "xl create of the driver domain failed: $(tail -n 1 "$LAB_TMP/$DD.create.err")"; return 1; }
    wait_console "$DD" "LABDD: ready" "$DD_READY_TIMEOUT" || return 1
    DD_ID=$(domid_of "$DD")
    DD_HOME=/local/domain/$DD_ID
    say "driver domain: $(grep -o 'LABDD: ready.*' "$(console_of "$DD")" | tr -d '\r')"
    ! grep -q "LABDD: FATAL" "$(console_of "$DD")" || { fail "driver domain: $(grep -o 'LABDD: FATAL.*' "$(console_of "$DD")" | tr -d '\r')"; return 1; }
}

# dd_run COMMAND: runs COMMAND in the driver domain (bash, lab library and this file's helpers);
# prints its output and returns its status (99: no answer). The command's number is the time in
# microseconds: unique, also when dd_run runs in a subshell.
dd_run() {
    local console deadline status seq
    seq=$(now_us)
    console=$(console_of "$DD")
    xenstore-write "$DD_HOME/data/lab-command" "$seq $*" || return 99
    deadline=$(($(now_us) + DD_COMMAND_TIMEOUT * 1000000))
    until grep -q "LABDD: $seq rc=" "$console" 2>/dev/null; do
        if [ "$(now_us)" -gt "$deadline" ]; then
            say "driver domain: no answer to '$*' after ${DD_COMMAND_TIMEOUT}s"
            return 99
        fi
        sleep $POLL_INTERVAL
    done
    sed -n "s/.*LABDD: $seq | //p" "$console" | tr -d '\r'
    status=$(grep -o "LABDD: $seq rc=[0-9]*" "$console" | head -n 1)
    return "${status##*=}"
}

# After a failure: what devd logged and the driver domain's backends, in the serial log.
dd_show_state() {
    say "--- driver domain after the failure: its backends in Xenstore, devd's log, kernel log"
    xenstore-ls -f "$DD_HOME/backend" 2>&1 | tail -n 40 | sed "s/^/[$LAB_NAME]     /"
    dd_run "grep -v -e watchfd_callback -e nested_ao -e ao__destroy /var/log/xen/xldevd.log | tail -n 40; dmesg | tail -n 10" \
        | sed "s/^/[$LAB_NAME]     /"
}

# dd_check DESCRIPTION COMMAND: a check made in the driver domain.
dd_check() { check "driver domain: $1" dd_quiet "$2"; }

dd_quiet() { dd_run "$@" >/dev/null; }

# One guest, two disks stored in the driver domain: xvda an image with script=block-diskseq, xvdb
# a persistent snapshot with script=block-diskseq-lose-record. The guest is created paused and runs
# once devd's adds are done: on a busy host they compete with its boot, and libxl kills an add
# after 40 s.
served_disks() {
    local image=/data/$LAB_NAME.img origin=/data/$LAB_NAME-origin.img cow=/data/$LAB_NAME.cow
    local marker=$LAB_NAME-$RANDOM domid be key ticks opened lose=block-diskseq-lose-record
    dd_run "make_image $image 16 $marker && make_image $origin 16 origin-$RANDOM && rm -f $cow && truncate -s 8M $cow" \
        || { fail "driver domain: cannot make the images"; return 1; }
    guest_config "$GUEST" tick "$(dd_disk_spec block-diskseq "$image" xvda)" \
        "$(dd_disk_spec "$lose" "snapshot:origin=$origin,cow=$cow" xvdb)"
    xl_create "$GUEST" -p || { fail "xl create $GUEST failed: $(tail -n 1 "$LAB_TMP/$GUEST.create.err")"; return 1; }
    metric create "$CREATE_TIME"
    domid=$(domid_of "$GUEST")
    be=$DD_HOME/backend/vbd/$domid/51712
    check "devd ran both adds in the driver domain (hotplug-status connected)" within "$DD_ADDS_TIMEOUT" eval \
        '[ "$(xenstore-read "$be/hotplug-status" 2>/dev/null)" = connected ] && [ "$(xenstore-read "$DD_HOME/backend/vbd/$domid/51728/hotplug-status" 2>/dev/null)" = connected ]' \
        || return 1
    metric adds-done "$(elapsed_s "$CREATE_START")"
    xl unpause "$GUEST"
    expect_marker "$GUEST" xvda "$marker" || return 1
    metric guest-read "$(elapsed_s "$CREATE_START")"
    expect_marker "$GUEST" xvdb "$(dd_run "marker_in $origin")" || return 1
    wait_console "$GUEST" "LABGUEST: ticking xvdb" || return 1
    say "--- xvda's backend in the driver domain, $be:"
    for key in script params physical-device diskseq hotplug-status block-diskseq/layers; do
        say "    $key = $(xenstore-read "$be/$key" 2>/dev/null || echo '(none)')"
    done
    check "dom0's libxl wrote the script node as the absolute path" [ "$(xenstore-read "$be/script" 2>/dev/null)" = /etc/xen/scripts/block-diskseq ]
    check "block-diskseq ran in the driver domain (hotplug-status connected)" [ "$(xenstore-read "$be/hotplug-status" 2>/dev/null)" = connected ]
    check "dom0 has no backend for the guest's disks" [ -z "$(vbd_backends)" ]
    check "dom0 attached no loop device" [ -z "$(loop_devices | grep -vxF -f "$LAB_TMP/loops.before")" ]
    opened=$(dd_run "blkback_device $domid 51712")
    say "driver domain: loop $(dd_run "loops_of $image"), blkback opened $opened, diskseq $(dd_run "diskseq_of $opened")"
    check "physical-device names the device the driver domain's blkback opened" \
        same_nonempty "$opened" "$(xenstore-read "$be/physical-device" 2>/dev/null)"
    check "diskseq is that device's diskseq in the driver domain" \
        same_nonempty "$(dd_run "diskseq_of $opened")" "$(printf '%d' "0x$(xenstore-read "$be/diskseq" 2>/dev/null)")"
    say "--- block-diskseq status in the driver domain:"
    dd_run "/etc/xen/scripts/block-diskseq status backend/vbd/$domid/51712" | sed "s/^/[$LAB_NAME]     /"
    dd_check "block-diskseq status finds its loop device as recorded" \
        "/etc/xen/scripts/block-diskseq status backend/vbd/$domid/51712 | grep -q 'as recorded'"
    dd_check "the snapshot is a dm device" '[ -n "$(dm_devices)" ]'
    dd_check "no block-diskseq process left after the adds" '[ -z "$(pidof block-diskseq)" ]'
    # Xen's same_vm rule (the sharing checks) reads the guests' vm nodes: shown, not checked.
    say "driver domain reading the guest's vm node: $(dd_run "xenstore-read /local/domain/$domid/vm 2>&1")"
    ticks=$(dd_run "ticks_in $image")
    dd_check "the guest writes on (tick after $ticks)" "within 30 ticks_beyond $image $ticks"
    xl_destroy "$GUEST"
    metric destroy "$DESTROY_TIME"
    wait_gone "$GUEST" || return 1
    say "driver domain: $(dd_run 'cat /run/lab/lose-record.log' | tr '\n' '|')"
    dd_check "xvdb: remove ran with the backend directory gone, and exited 0" "within 30 removes_with_record_gone 1"
    dd_check "nothing left: no loop device on the image, origin or COW, no dm device, no backend, no process" \
        "within 30 nothing_left_here $image $origin $cow"
    dd_check "the guest's write is in the image" "[ \"\$(guest_data_in $image)\" = guest-wrote:xvda ]"
    dd_check "the guest's write to the snapshot is in the COW" "grep -aq guest-wrote:xvdb $cow"
    check "no backend directory left under the driver domain" within 5 eval '[ -z "$(xenstore-list "$DD_HOME/backend/vbd" 2>/dev/null)" ]'
}

scenario() {
    local start
    DD=$LAB_NAME-dd
    GUEST=$LAB_NAME-guest
    start=$(now_us)
    dd_start || return
    metric driver-domain-ready "$(elapsed_s "$start")"
    served_disks
    [ ${#LAB_FAILURES[@]} -eq 0 ] || dd_show_state
    xl destroy "$DD"
    wait_gone "$DD"
}
