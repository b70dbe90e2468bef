# Library of the lab's scenarios, sourced by /lab/run-scenario in dom0 (bash).
# A scenario file defines `scenario`; it names its disks' hotplug script through $LAB_SCRIPT (the
# registry's script column), records checks with `check`/`fail` and timings with `metric`.
# lab_end prints the line tests/vm/run reads: "LAB: RESULT NAME PASS|FAIL time=S key=S ...",
# preceded by one "LAB: REASON NAME text" line per failed check.

# These bound waits only for failures. On a machine whose 2 cores are shared with other QEMUs and
# builds (load 30-50) everything under TCG took 5-8 times as long as on a quiet one.
# From `xl create` to a guest's report: 5-15 s under TCG on 2 cores, 60-100 s on a busy host.
GUEST_REPORT_TIMEOUT=180
# From `xl block-attach` to the running guest's report of the new disk: 1-3 s, 10-30 s on a busy host.
HOTPLUG_REPORT_TIMEOUT=90
# From the guest's last report (or `xl destroy`) to the domain being gone with its devices removed.
DOMAIN_GONE_TIMEOUT=90
POLL_INTERVAL=0.2

LAB_FAILURES=()
LAB_METRICS=()

now_us() { echo "${EPOCHREALTIME/./}"; }

# Seconds since START (from now_us), two decimals.
elapsed_s() {
    local us=$(($(now_us) - $1))
    printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000))
}

say() { echo "[$LAB_NAME] $*"; }

fail() {
    LAB_FAILURES+=("$*")
    say "FAIL: $*"
}

# check DESCRIPTION COMMAND...: the command's status decides.
check() {
    local description=$1
    shift
    if "$@"; then
        say "ok: $description"
    else
        fail "$description"
        return 1
    fi
}

metric() {
    LAB_METRICS+=("$1=$2")
    say "$1=$2"
}

# same_nonempty A B: A is not empty and B equals it.
same_nonempty() { [ -n "$1" ] && [ "$1" = "$2" ]; }

# metric_series KEY VALUE...: average, minimum and maximum of a series of seconds.
metric_series() {
    local key=$1
    shift
    [ $# -gt 0 ] || return 0
    metric "$key" "$(printf '%s\n' "$@" | awk '
        NR == 1 { min = $1; max = $1 }
        { sum += $1; if ($1 < min) min = $1; if ($1 > max) max = $1 }
        END { printf "%.2f(%.2f-%.2f)", sum / NR, min, max }')"
}

lab_begin() {
    LAB_NAME=$1
    LAB_SCRIPT=$2
    LAB_TMP=/tmp/lab/$LAB_NAME
    LAB_START=$(now_us)
    mkdir -p "$LAB_TMP" /data
    say "hotplug script: $LAB_SCRIPT"
    loop_devices >"$LAB_TMP/loops.before"
    dm_devices >"$LAB_TMP/dm.before"
}

lab_end() {
    local status=PASS reason
    [ ${#LAB_FAILURES[@]} -eq 0 ] || status=FAIL
    if [ $status = FAIL ]; then
        show_logs
        for reason in "${LAB_FAILURES[@]}"; do echo "LAB: REASON $LAB_NAME $reason"; done
    fi
    echo "LAB: RESULT $LAB_NAME $status time=$(elapsed_s "$LAB_START") ${LAB_METRICS[*]}"
}

show_logs() {
    local log
    for log in /var/log/xen/console/guest-"$LAB_NAME"*.log /var/log/xen/xl-"$LAB_NAME"*.log \
        /var/log/xen/xen-hotplug.log; do
        [ -s "$log" ] || continue
        echo "----- $log (last 40 lines)"
        tail -n 40 "$log"
    done
}

# ---- dom0 state --------------------------------------------------------------------------------

# "loopN BACKING-FILE" for every attached loop device.
loop_devices() {
    local loop
    for loop in /sys/block/loop*; do
        [ -e "$loop/loop/backing_file" ] && echo "${loop##*/} $(cat "$loop/loop/backing_file")"
    done
    return 0
}

dm_devices() { DM_DISABLE_UDEV=1 dmsetup ls 2>/dev/null | grep -v '^No devices found'; return 0; }

# Loop devices attached to FILE.
loops_of() { loop_devices | awk -v f="$1" '$2 == f { print $1 }'; }

no_loop_of() { [ -z "$(loops_of "$1")" ]; }

vbd_backends() { xenstore-list /local/domain/0/backend/vbd 2>/dev/null; return 0; }

no_backend_of() { ! xenstore-exists "/local/domain/0/backend/vbd/$1" 2>/dev/null; }

# After a failed scenario: its guests are destroyed (libxl runs the hotplug `remove`), so that
# lab_check_clean sees what that leaves and the next scenario starts clean.
destroy_leftover_guests() {
    local domain
    for domain in $(xl list | awk 'NR > 2 { print $1 }'); do
        say "destroying $domain, left by the failed scenario"
        xl destroy "$domain"
    done
}

# What every scenario must leave behind: its guests gone, no loop or dm device and no vbd backend
# that was not there before it started, no hotplug program still running.
lab_check_clean() {
    local leaked
    leaked=$(xl list | awk 'NR > 2 { print $1 }')
    [ -z "$leaked" ] || fail "domains left running: $(echo $leaked)"
    leaked=$(loop_devices | grep -vxF -f "$LAB_TMP/loops.before")
    [ -z "$leaked" ] || fail "loop devices left: $(echo $leaked)"
    leaked=$(dm_devices | grep -vxF -f "$LAB_TMP/dm.before")
    [ -z "$leaked" ] || fail "dm devices left: $(echo $leaked)"
    leaked=$(vbd_backends)
    [ -z "$leaked" ] || fail "vbd backends left in Xenstore for domains: $(echo $leaked)"
    leaked=$(xenstore-list /libxl 2>/dev/null)
    [ -z "$leaked" ] || fail "libxl's Xenstore records left for domains: $(echo $leaked)"
    leaked=$(pidof block-diskseq block)
    [ -z "$leaked" ] || fail "hotplug processes still running: $leaked"
}

# within SECONDS COMMAND...: whether COMMAND succeeds within SECONDS (for what the kernel tears
# down asynchronously, e.g. an autoclear loop device after its last close).
within() {
    local deadline=$(($(now_us) + $1 * 1000000))
    shift
    until "$@"; do
        [ "$(now_us)" -le "$deadline" ] || return 1
        sleep $POLL_INTERVAL
    done
}

# ---- images ------------------------------------------------------------------------------------

# make_image PATH SIZE_MB MARKER: a raw image whose first sector starts with "lab-marker:MARKER".
make_image() {
    rm -f "$1"
    truncate -s "$2M" "$1"
    set_marker "$1" "$3"
}

set_marker() { put_marker "$1" 0 "$2"; }

# put_marker PATH SECTOR TEXT: "lab-marker:TEXT" at the start of that sector.
put_marker() { printf 'lab-marker:%s\n' "$3" | dd of="$1" bs=512 seek="$2" conv=notrunc,sync status=none; }

# write_mbr IMAGE: a DOS partition table with one Linux partition, sectors 2048-18431 (8 MiB).
write_mbr() {
    printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x00\x40\x00\x00' |
        dd of="$1" bs=1 seek=446 conv=notrunc status=none
    printf '\x55\xaa' | dd of="$1" bs=1 seek=510 conv=notrunc status=none
}

# The marker in PATH's first sector.
marker_in() { dd if="$1" bs=512 count=1 status=none | head -n 1 | sed -n 's/^lab-marker://p'; }

# A block device's number as Xen's physical-device node spells it: hex major:minor.
hex_device_of() { stat -L -c '%t:%T' "$1"; }

# What the guest wrote to sector 1 of PATH (see guest/init).
guest_data_in() { dd if="$1" bs=512 skip=1 count=1 status=none | tr -d '\0' | head -n 1; }

# ---- guests ------------------------------------------------------------------------------------

# disk_spec ACCESS TARGET [VDEV]: an xl disk spec using this scenario's hotplug script.
disk_spec() {
    echo "format=raw, vdev=${3:-xvda}, access=$1, script=$LAB_SCRIPT, target=$2"
}

# guest_config NAME ACTION [DISK-SPEC...]: ACTION is what the guest's /init does (see guest/init).
# GUEST_ON_REBOOT (default destroy) is the config's on_reboot; GUEST_DISK_WAIT (seconds) overrides
# how long the guest waits for its disks at boot.
guest_config() {
    local name=$1 action=$2 spec disks=
    shift 2
    for spec in "$@"; do disks+="${disks:+, }'$spec'"; done
    cat >"$LAB_TMP/$name.cfg" <<EOF
name = "$name"
type = "pv"
kernel = "/lab/guest/vmlinux"
ramdisk = "/lab/guest/initrd.cpio"
extra = "console=hvc0 loglevel=4 lab=$action disks=$#${GUEST_DISK_WAIT:+ diskwait=$GUEST_DISK_WAIT}"
memory = 128
vcpus = 1
on_poweroff = "destroy"
on_reboot = "${GUEST_ON_REBOOT:-destroy}"
on_crash = "destroy"
disk = [ $disks ]
EOF
}

# xl_create NAME [XL-CREATE-OPTION...]: `xl create` of NAME's config; its stderr is kept in
# $LAB_TMP/NAME.create.err. Sets CREATE_TIME (seconds) and CREATE_START (now_us at the start).
xl_create() {
    local name=$1 rc
    shift
    rm -f "/var/log/xen/console/guest-$name.log"
    CREATE_START=$(now_us)
    xl create "$@" "$LAB_TMP/$name.cfg" >"$LAB_TMP/$name.create.out" 2>"$LAB_TMP/$name.create.err"
    rc=$?
    CREATE_TIME=$(elapsed_s "$CREATE_START")
    say "xl create $name: exit $rc after ${CREATE_TIME}s"
    [ $rc -eq 0 ] || sed "s/^/[$LAB_NAME]   xl: /" "$LAB_TMP/$name.create.err"
    return $rc
}

# start_guest NAME ACTION [DISK-SPEC...]: config and `xl create`; a failed create fails the scenario.
start_guest() {
    guest_config "$@"
    xl_create "$1" && return 0
    fail "xl create $1 failed: $(grep -v '^Parsing config' "$LAB_TMP/$1.create.err" | tail -n 1)"
    return 1
}

# check_xl_error NAME TEXT: NAME's failed `xl create` reported the script's hotplug-error and it
# mentions TEXT (the target). Xen's stock block script writes none for a missing target, so this is
# for block-diskseq only.
check_xl_error() {
    say "xl reported: script: $(xl_error "$1")"
    [ "$LAB_SCRIPT" = block ] && return
    check "xl's error output carries the hotplug-error text, naming $2" xl_error_mentions "$1" "$2"
}

xl_error_mentions() { [[ "$(xl_error "$1")" == *"$2"* ]]; }

# xl_error NAME: what xl's error output of NAME's failed create says about the hotplug script.
xl_error() { script_error "$LAB_TMP/$1.create.err"; }

# script_error FILE: the hotplug-error text in an xl command's saved stderr (libxl reports the script's
# hotplug-error node as "script: TEXT").
script_error() { sed -n 's/.*script: //p' "$1" | head -n 1; }

console_of() { echo "/var/log/xen/console/guest-$1.log"; }

# wait_console NAME REGEX [TIMEOUT]: until the guest's console has a line matching REGEX. Gives up
# at once when the guest reported that its disks never appeared: nothing else will come then.
wait_console() {
    local name=$1 regex=$2 timeout=${3:-$GUEST_REPORT_TIMEOUT} console deadline
    deadline=$(($(now_us) + timeout * 1000000))
    console=$(console_of "$name")
    until grep -qE "$regex" "$console" 2>/dev/null; do
        if grep -q "LABGUEST: missing disks" "$console" 2>/dev/null; then
            fail "$name: $(grep -m 1 -o 'missing disks.*' "$console" | tr -d '\r')"
            return 1
        fi
        if [ "$(now_us)" -gt "$deadline" ]; then
            fail "$name: no '$regex' on its console after ${timeout}s"
            return 1
        fi
        sleep $POLL_INTERVAL
    done
}

# wait_console_count NAME REGEX COUNT: until the running guest's console has COUNT lines matching
# REGEX (hot-plug reports).
wait_console_count() {
    local name=$1 regex=$2 count=$3 deadline=$(($(now_us) + HOTPLUG_REPORT_TIMEOUT * 1000000))
    until [ "$(grep -cE "$regex" "$(console_of "$name")" 2>/dev/null)" -ge "$count" ]; do
        if [ "$(now_us)" -gt "$deadline" ]; then
            fail "$name: fewer than $count '$regex' on its console after ${HOTPLUG_REPORT_TIMEOUT}s"
            return 1
        fi
        sleep $POLL_INTERVAL
    done
}

# expect_marker NAME DISK MARKER: waits for the guest's report of DISK's first sector and checks it.
expect_marker() {
    wait_console "$1" "LABGUEST: read $2 " &&
        check "guest $1 read dom0's marker on $2" [ "$(console_field "$1" "LABGUEST: read $2 ([^[:space:]]*)")" = "$3" ]
}

# The part of the guest's report matching REGEX (first match), e.g. "LABGUEST: read xvda (.*)".
console_field() { sed -nE "s/.*$2.*/\1/p" "$(console_of "$1")" | head -n 1 | tr -d '\r'; }

domid_of() { xl domid "$1" 2>/dev/null; }

domain_gone() { ! xl domid "$1" >/dev/null 2>&1; }

# wait_gone NAME: until the domain is destroyed (libxl runs the hotplug `remove` before that).
wait_gone() {
    local deadline=$(($(now_us) + DOMAIN_GONE_TIMEOUT * 1000000))
    until domain_gone "$1"; do
        if [ "$(now_us)" -gt "$deadline" ]; then
            fail "domain $1 still there after ${DOMAIN_GONE_TIMEOUT}s"
            return 1
        fi
        sleep $POLL_INTERVAL
    done
}

# kill_during_add GUEST TARGET POINT: `xl create` of GUEST with TARGET as its disk while the
# registry's kill wrapper (dom0/block-diskseq-kill) SIGKILLs block-diskseq at POINT of its `add`.
# Fails the scenario unless the kill landed and the create failed; returns 0 when the kill landed.
kill_during_add() {
    local guest=$1 target=$2 point=$3 report
    echo "$point" >/run/lab/kill-point
    rm -f /run/lab/kill-report
    guest_config "$guest" hold "$(disk_spec rw "$target")"
    if xl_create "$guest"; then
        fail "xl create succeeded although the script was run to be killed at $point"
        xl destroy "$guest"
    fi
    rm -f /run/lab/kill-point
    report=$(cat /run/lab/kill-report 2>/dev/null)
    say "kill at $point: ${report:-no report}; xl said: script: $(xl_error "$guest")"
    case $report in
    killed*) return 0 ;;
    *)
        fail "the kill at $point did not land: ${report:-no report}"
        return 1
        ;;
    esac
}

# xl_destroy NAME: sets DESTROY_TIME.
xl_destroy() {
    local start rc
    start=$(now_us)
    xl destroy "$1" 2>"$LAB_TMP/$1.destroy.err"
    rc=$?
    DESTROY_TIME=$(elapsed_s "$start")
    say "xl destroy $1: exit $rc after ${DESTROY_TIME}s"
    return $rc
}

# The backend directory of NAME's disk VDEV-number DEVID (xvda = 51712, xvdb = 51728, ...).
backend_of() { echo "/local/domain/0/backend/vbd/$1/$2"; }

# The block device (major:minor, decimal) a backend node physical-device (hex) names.
decimal_device() {
    local major=${1%%:*} minor=${1##*:}
    echo "$((16#$major)):$((16#$minor))"
}

# blkback_device DOMID DEVID: the device (MAJ:MIN, hex as blkback prints it) blkback opened for a vbd
# of this domain, from its sysfs physical_device attribute (stock and seed blkback alike).
blkback_device() { cat "/sys/bus/xen-backend/devices/vbd-$1-$2/physical_device" 2>/dev/null; }

# diskseq_of HEX-MAJ:MIN: that block device's diskseq (decimal).
diskseq_of() { cat "/sys/dev/block/$(decimal_device "$1")/diskseq" 2>/dev/null; }

# check_opened_device DOMID DEVID [LABEL]: the backend's physical-device names the device blkback
# opened and its diskseq node is that device's diskseq (Xen's block script writes no diskseq: only
# the first check then).
check_opened_device() {
    local be opened label=${3:-vbd $2}
    be=$(backend_of "$1" "$2")
    opened=$(blkback_device "$1" "$2")
    say "$label: blkback opened $opened (diskseq $(diskseq_of "$opened")); Xenstore physical-device" \
        "$(xenstore-read "$be/physical-device" 2>&1), diskseq $(xenstore-read "$be/diskseq" 2>&1)"
    check "$label: physical-device names the device blkback opened" \
        same_nonempty "$opened" "$(xenstore-read "$be/physical-device" 2>/dev/null)"
    [ "$LAB_SCRIPT" != block ] || return 0
    check "$label: diskseq is that device's diskseq" \
        same_nonempty "$(diskseq_of "$opened")" "$(printf '%d' "0x$(xenstore-read "$be/diskseq" 2>/dev/null)")"
}

# The number N of the last "tick:N" a guest (lab=tick) wrote to sector 2 of PATH, 0 before any.
ticks_in() {
    local text
    text=$(dd if="$1" bs=512 skip=2 count=1 status=none | tr -d '\0' | head -n 1)
    case $text in tick:[0-9]*) echo "${text#tick:}" ;; *) echo 0 ;; esac
}

# ticks_beyond PATH N: the guest has written a tick after N.
ticks_beyond() { [ "$(ticks_in "$1")" -gt "$2" ]; }

# vdev_number NAME: xvda -> 51712 (Xen's vbd numbering for xvd[a-p]).
vdev_number() {
    local letter=${1#xvd}
    printf '%d' $((202 * 256 + ($(printf '%d' "'$letter") - 97) * 16))
}
