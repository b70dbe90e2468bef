# dm-faults: the syscall fault sweep of tests/Reliability, for the device-mapper forms, which need
# dom0's real dm-mod. For each form (persistent snapshot, throwaway snapshot, slice) and each verb,
# a counting round first finds how many device-mapper requests (ioctls on /dev/mapper/control) the
# verb makes; then for every one of them, three rounds of `xl block-attach` / `xl block-detach` on a
# running guest inject, through the registry's wrapper (dom0/block-diskseq-faults), EIO, EBUSY or a
# SIGKILL into that request. After each round:
#   - the program exited 0 or 1 (137 only for the SIGKILL it was sent);
#   - a failed add or remove reported why: xl prints the script's hotplug-error ("script: ...");
#   - a successful add exported one of our dm devices, and its diskseq;
#   - a failed add (exit 1) left no device: it undoes what it made before it exits;
#   - after the detach no dm device of ours, no loop device on the form's files, no vbd backend and
#     no file in /var/tmp is left. A failed block-attach leaves its backend in Xenstore (libxl removes
#     a device's Xenstore directories only after a remove: docs/protocol-facts.md §1), so there the
#     detach is the admin's `xl block-detach`, which runs remove after the failed add.
# LAB_FAULT_FORMS overrides the forms (snapshot throwaway slice).
. /lab/scenarios/dm-lib.sh
FAULTS="error=EIO error=EBUSY signal=SIGKILL"
VDEV=xvdb
DEVID=51728

ORIGIN=/data/$LAB_NAME-origin.img
COW=/data/$LAB_NAME.cow

scenario() {
    local guest=$LAB_NAME form
    mkdir -p /var/tmp
    make_image "$ORIGIN" 16 "$LAB_NAME"
    start_guest "$guest" hold || return
    wait_console "$guest" "LABGUEST: up" || return
    DOMID=$(domid_of "$guest")
    for form in ${LAB_FAULT_FORMS:-snapshot throwaway slice}; do
        sweep_form "$guest" "$form" || break
    done
    metric trials "$TRIALS"
    metric injected "$INJECTED"
    metric exits "add-0:${EXITS[add-0]:-0},add-1:${EXITS[add-1]:-0},add-137:${EXITS[add-137]:-0},remove-0:${EXITS[remove-0]:-0},remove-1:${EXITS[remove-1]:-0},remove-137:${EXITS[remove-137]:-0}"
    xl_destroy "$guest"
    wait_gone "$guest"
}

TRIALS=0
INJECTED=0
declare -A EXITS # VERB-STATUS: how the injected runs ended

# sweep_form GUEST FORM: the counting round, then every request of add and of remove with each fault.
sweep_form() {
    local guest=$1 form=$2 target add_calls remove_calls verb n fault
    target=$(form_target "$form")
    [ "$form" != snapshot ] || fresh_cow
    fault_set add count
    attach "$guest" "$target" || { fail "$form: the counting attach failed: $(script_error "$LAB_TMP/attach.err")"; return 1; }
    add_calls=$(report_field 3)
    fault_set remove count
    detach "$guest"
    remove_calls=$(report_field 3)
    check "$form: nothing left after the counting round" within 10 nothing_left
    metric "$form-requests" "add:$add_calls,remove:$remove_calls"
    [ "${add_calls:-0}" -gt 0 ] || { fail "$form: add made no device-mapper request"; return 1; }
    for verb in add remove; do
        local count=$add_calls
        [ $verb = add ] || count=$remove_calls
        for n in $(seq "${count:-0}"); do
            for fault in $FAULTS; do
                trial "$guest" "$form" "$target" $verb "$fault" "$n"
            done
        done
    done
}

form_target() {
    case $1 in
    snapshot) echo "snapshot:origin=$ORIGIN,cow=$COW" ;;
    throwaway) echo "snapshot:origin=$ORIGIN" ;;
    slice) echo "slice:path=$ORIGIN,offset=2048,sectors=4096" ;;
    esac
}

# An empty COW before each snapshot round: one the last round wrote to would no longer be "persistent, new".
fresh_cow() { rm -f "$COW" && truncate -s 8M "$COW"; }

# trial GUEST FORM TARGET VERB FAULT N: one injected round, checked.
trial() {
    local guest=$1 form=$2 target=$3 verb=$4 fault=$5 n=$6 what attached=0
    what="$form, $verb, request $n, $fault"
    TRIALS=$((TRIALS + 1))
    if [ "$verb" = add ]; then
        fault_set add "$fault $n"
        attach "$guest" "$target" && attached=1
        check_report "$what" add "$LAB_TMP/attach.err"
        [ $attached -eq 0 ] || [ "$(report_field 2)" = 0 ] || fail "$what: xl attached although the script exited $(report_field 2)"
        [ $attached -eq 1 ] || [ "$(report_field 2)" != 0 ] || fail "$what: the script exited 0 but xl failed the attach: $(tail -n 1 "$LAB_TMP/attach.err")"
        fault_clear
        if [ $attached -eq 1 ]; then
            check "$what: the add that went on exported our dm device" exported_ours
            detach "$guest" || fail "$what: xl block-detach failed: $(tail -n 1 "$LAB_TMP/detach.err")"
        elif ! no_backend_of "$DOMID/$DEVID"; then
            # libxl leaves the backend of a failed block-attach in Xenstore (docs/protocol-facts.md §1):
            # an admin's block-detach runs remove, which must clean up after the add. An add that failed
            # (exit 1, not killed) has already undone what it made: no device of its may wait for that.
            [ "$(report_field 2)" != 1 ] || within 5 devices_gone || fail "$what: the failed add left: $(leftovers)"
            detach "$guest"
        fi
    else
        fault_clear
        attach "$guest" "$target" || { fail "$what: the attach before the remove failed: $(script_error "$LAB_TMP/attach.err")"; return; }
        fault_set remove "$fault $n"
        detach "$guest"
        check_report "$what" remove "$LAB_TMP/detach.err"
    fi
    fault_clear
    within 10 nothing_left || fail "$what: left behind: $(leftovers)"
    [ "$form" != snapshot ] || fresh_cow
}

# check_report WHAT VERB XL-STDERR: the wrapper's report of the program's exit.
check_report() {
    local what=$1 verb=$2 xl_stderr=$3 status report
    report=$(cat /run/lab/fault-report 2>/dev/null)
    status=$(report_field 2)
    [ "$(report_field 4)" != injected ] || INJECTED=$((INJECTED + 1))
    EXITS[$verb-$status]=$((${EXITS[$verb-$status]:-0} + 1))
    case $status in
    0 | 1) ;;
    137) [[ $what == *SIGKILL* ]] || fail "$what: killed (137) without a SIGKILL sent" ;;
    *) fail "$what: exit ${status:-none} (report: ${report:-none})" ;;
    esac
    if [ "$status" = 1 ]; then
        [ -n "$(script_error "$xl_stderr")" ] || fail "$what: exit 1 but xl printed no hotplug-error"
    fi
}

fault_set() { echo "$1 /dev/mapper/control ioctl $2" >/run/lab/fault; rm -f /run/lab/fault-report; }
fault_clear() { rm -f /run/lab/fault; }
report_field() { awk -v f="$1" '{ print $f }' /run/lab/fault-report 2>/dev/null; }

attach() { xl block-attach "$1" "$(disk_spec rw "$2" $VDEV)" 2>"$LAB_TMP/attach.err"; }
detach() { xl block-detach "$1" $VDEV 2>"$LAB_TMP/detach.err"; }

# The backend's physical-device is one of our dm devices and its diskseq node is that device's.
exported_ours() {
    local backend device
    backend=$(backend_of "$DOMID" $DEVID)
    device=$(decimal_device "$(xenstore-read "$backend/physical-device" 2>/dev/null)")
    our_dm_devices | awk '{ print $2 }' | grep -qxF "$device" &&
        same_nonempty "$(xenstore-read "$backend/diskseq" 2>/dev/null)" "$(cat "/sys/dev/block/$device/diskseq" 2>/dev/null)"
}

nothing_left() { devices_gone && no_backend_of "$DOMID/$DEVID"; }

devices_gone() {
    no_dm_left && no_loop_of "$ORIGIN" && no_loop_of "$COW" &&
        [ -z "$(loop_devices | grep ' /var/tmp/')" ] && [ -z "$(ls -A /var/tmp)" ]
}

leftovers() {
    echo "dm: $(our_dm_devices | tr '\n' ' ') loops: $(loop_devices | tr '\n' ' ')" \
        "backend: $(xenstore-list "$(backend_of "$DOMID" $DEVID)" 2>/dev/null | tr '\n' ' ') /var/tmp: $(ls -A /var/tmp | tr '\n' ' ')"
}
