# missing: a target that does not exist. `xl create` fails (with block-diskseq, xl's error output
# carries our hotplug-error text), and libxl's `remove` after the failed `add` leaves nothing behind
# (checked for every scenario afterwards: no domain, loop device or backend left).
scenario() {
    local guest=$LAB_NAME target=/data/$LAB_NAME-does-not-exist.img
    guest_config "$guest" hold "$(disk_spec rw "$target")"
    if xl_create "$guest"; then
        fail "xl create succeeded with a missing target"
        xl destroy "$guest"
        return
    fi
    metric failed-create "$CREATE_TIME"
    check_xl_error "$guest" "$target"
    check "the failed guest is gone" within 5 domain_gone "$guest"
}
