/*
 * dm-selftest: checks the strict device-mapper ioctl ABI of the seed dm-mod.ko
 * (patches/dm-ioctl-strict.patch, docs/protocol-facts.md §7) and that the legacy ABI is
 * unchanged.  Runs as /init's child inside the throwaway VM that
 * tests/vm/seed/dm-selftest boots; built statically by tests/vm/seed/build
 * against the patched <linux/dm-ioctl.h>.  A test tool, never shipped.
 *
 * Needs: dm-mod (seed), the stock dm-zero and dm-snapshot loaded, devtmpfs on
 * /dev, no other dm devices (the first one created must be dm-0).
 * Prints one PASS/FAIL line per check and ends with "N passed, N failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <linux/netlink.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Fails to compile against an unpatched header: the test must see the new ABI. */
_Static_assert(sizeof(struct dm_ioctl) == 312, "struct dm_ioctl size");
_Static_assert(offsetof(struct dm_ioctl, diskseq_low) == 36, "diskseq_low");
_Static_assert(offsetof(struct dm_ioctl, diskseq_high) == 308, "diskseq_high");

enum { LEGACY = DM_VERSION_MAJOR, STRICT = DM_VERSION_MAJOR_STRICT };
#define STRICT_MINOR 49		/* what the seed kernel answers for major 5 */
#define LEGACY_MINOR 47		/* 6.1's DM_VERSION_MINOR, which must not move */
#define LEGACY_SIZE offsetof(struct dm_ioctl, data)	/* 305 */
#define SECTORS 2048
#define UEVENT_WAIT_MS 500
/* A deferred remove runs from a workqueue after the last close: 5 s covers a loaded TCG guest. */
#define DEFERRED_REMOVE_POLLS 50
#define DEFERRED_REMOVE_POLL_US 100000

struct request {
	union {
		struct dm_ioctl io;
		char bytes[4096];
	};
};

static int control = -1;
static int uevents = -1;
static int passed, failed;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		passed++;
	else
		failed++;
}

static uint64_t get_diskseq(const struct dm_ioctl *io)
{
	return (uint64_t)io->diskseq_high << 32 | io->diskseq_low;
}

static void set_diskseq(struct dm_ioctl *io, uint64_t diskseq)
{
	io->diskseq_low = (uint32_t)diskseq;
	io->diskseq_high = (uint32_t)(diskseq >> 32);
}

/* A zeroed request for one device (by name) with no payload. */
static void init(struct request *rq, int major, const char *name)
{
	memset(rq, 0, sizeof(*rq));
	rq->io.version[0] = major;
	rq->io.version[1] = major == STRICT ? STRICT_MINOR : 0;
	rq->io.data_size = sizeof(struct dm_ioctl);
	if (name)
		snprintf(rq->io.name, sizeof(rq->io.name), "%s", name);
}

/* 0 or the errno of the ioctl. */
static int call(unsigned long request, struct request *rq)
{
	return ioctl(control, request, &rq->io) ? errno : 0;
}

/* Appends one target spec laid out as strict mode demands; returns its size. */
static uint32_t add_target(struct request *rq, const char *type, const char *params)
{
	size_t offset = rq->io.data_size;
	struct dm_target_spec *spec = (void *)(rq->bytes + offset);
	size_t used = sizeof(*spec) + strlen(params) + 1;
	uint32_t size = (used + 7) & ~(size_t)7;

	if (!rq->io.data_start)
		rq->io.data_start = offset;
	spec->sector_start = 0;
	spec->length = SECTORS;
	spec->next = size;
	snprintf(spec->target_type, sizeof(spec->target_type), "%s", type);
	memcpy(rq->bytes + offset + sizeof(*spec), params, strlen(params) + 1);
	rq->io.data_size += size;
	rq->io.target_count++;
	return size;
}

static int create(int major, const char *name, const char *uuid, uint32_t flags,
		  struct request *rq)
{
	init(rq, major, name);
	snprintf(rq->io.uuid, sizeof(rq->io.uuid), "%s", uuid);
	rq->io.flags = flags;
	return call(DM_DEV_CREATE, rq);
}

static int load(int major, const char *name, const char *type, const char *params)
{
	struct request rq;

	init(&rq, major, name);
	add_target(&rq, type, params);
	return call(DM_TABLE_LOAD, &rq);
}

/* DEV_SUSPEND without DM_SUSPEND_FLAG = resume. */
static int resume(int major, const char *name, struct request *rq)
{
	init(rq, major, name);
	return call(DM_DEV_SUSPEND, rq);
}

static int status(int major, const char *name, uint64_t expected, struct request *rq)
{
	init(rq, major, name);
	set_diskseq(&rq->io, expected);
	return call(DM_DEV_STATUS, rq);
}

static int remove_dev(int major, const char *name, uint64_t expected, uint32_t flags)
{
	struct request rq;

	init(&rq, major, name);
	set_diskseq(&rq.io, expected);
	rq.io.flags = flags;
	return call(DM_DEV_REMOVE, &rq);
}

/* create + zero table + resume, strict; returns the status after resume. */
static bool make_zero(const char *name, const char *uuid, uint32_t flags, struct request *rq)
{
	return !create(STRICT, name, uuid, flags, rq) && !load(STRICT, name, "zero", "") &&
	       !resume(STRICT, name, rq);
}

static int open_dm(dev_t dev)
{
	char path[64];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "/dev/dm-%u", minor(dev));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) || st.st_rdev != dev)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static uint64_t blk_diskseq(dev_t dev)
{
	uint64_t diskseq = 0;
	int fd = open_dm(dev);

	if (fd < 0)
		return 0;
	if (ioctl(fd, BLKGETDISKSEQ, &diskseq))
		diskseq = 0;
	close(fd);
	return diskseq;
}

static dev_t reply_dev(const struct request *rq)
{
	/* huge_encode_dev() */
	uint64_t d = rq->io.dev;

	return makedev((d >> 8) & 0xfff, (d & 0xff) | ((d >> 12) & 0xfff00));
}

/* Number of kernel uevents with this action for /dev/dm-<minor> until quiet. */
static int count_uevents(const char *action, dev_t dev)
{
	char want[64], buf[4096];
	struct pollfd pfd = { .fd = uevents, .events = POLLIN };
	int n = 0;

	snprintf(want, sizeof(want), "%s@/devices/virtual/block/dm-%u", action, minor(dev));
	while (poll(&pfd, 1, UEVENT_WAIT_MS) > 0) {
		ssize_t len = recv(uevents, buf, sizeof(buf) - 1, 0);

		if (len <= 0)
			break;
		buf[len] = '\0';
		if (!strcmp(buf, want))
			n++;
	}
	return n;
}

static void drain_uevents(void)
{
	count_uevents("", 0);
}

/* True if the kernel log gained a line containing text since *kmsg was opened. */
static bool kmsg_has(int kmsg, const char *text)
{
	char rec[1024];
	bool found = false;
	ssize_t len;

	while ((len = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (len < 0 && errno == EPIPE)) {
		if (len > 0) {
			rec[len] = '\0';
			found |= strstr(rec, text) != NULL;
		}
	}
	return found;
}

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static void test_version(void)
{
	struct request rq;
	int r;

	init(&rq, STRICT, NULL);
	r = call(DM_VERSION, &rq);
	check(!r && rq.io.version[0] == STRICT && rq.io.version[1] == STRICT_MINOR,
	      "DM_VERSION 5.49 accepted, answers %u.%u.%u (r=%d)",
	      rq.io.version[0], rq.io.version[1], rq.io.version[2], r);

	init(&rq, LEGACY, NULL);
	r = call(DM_VERSION, &rq);
	check(!r && rq.io.version[0] == LEGACY && rq.io.version[1] == LEGACY_MINOR,
	      "DM_VERSION 4.0 answers the unchanged legacy %u.%u.%u (r=%d)",
	      rq.io.version[0], rq.io.version[1], rq.io.version[2], r);

	init(&rq, STRICT, NULL);
	rq.io.version[1] = STRICT_MINOR + 1;
	r = call(DM_VERSION, &rq);
	check(r == EINVAL, "DM_VERSION 5.50 (newer than the kernel) refused with EINVAL (r=%d)", r);
}

static void test_create_and_diskseq(void)
{
	struct request rq, st;
	uint64_t created, blk;
	int r;

	r = create(STRICT, "seed-a", "SEED-A", DM_DISABLE_UEVENTS_FLAG, &rq);
	created = get_diskseq(&rq.io);
	check(!r && created && rq.io.dev && rq.io.data_size == sizeof(struct dm_ioctl),
	      "strict DEV_CREATE with DM_DISABLE_UEVENTS_FLAG: dev %llx, diskseq %llu, data_size %u (r=%d)",
	      (unsigned long long)rq.io.dev, (unsigned long long)created, rq.io.data_size, r);
	check(minor(reply_dev(&rq)) == 0, "first device is dm-0 (dev %u:%u)",
	      major(reply_dev(&rq)), minor(reply_dev(&rq)));

	r = load(STRICT, "seed-a", "zero", "");
	check(!r, "strict TABLE_LOAD zero target (r=%d)", r);
	drain_uevents();	/* add_disk's own "add" is the block layer's, not dm's */
	r = resume(STRICT, "seed-a", &rq);
	check(!r && get_diskseq(&rq.io) == created, "strict resume reports the same diskseq %llu (r=%d)",
	      (unsigned long long)get_diskseq(&rq.io), r);
	check(count_uevents("change", reply_dev(&rq)) == 0,
	      "no dm uevent on resume of a DM_DISABLE_UEVENTS_FLAG device");

	blk = blk_diskseq(reply_dev(&rq));
	check(blk == created, "BLKGETDISKSEQ on /dev/dm-0 = %llu = diskseq in the reply",
	      (unsigned long long)blk);

	r = status(STRICT, "seed-a", 0, &st);
	check(!r && get_diskseq(&st.io) == created && st.io.data_size == sizeof(struct dm_ioctl),
	      "strict DEV_STATUS with diskseq 0 returns the actual one (r=%d)", r);
	r = status(STRICT, "seed-a", created, &st);
	check(!r, "strict DEV_STATUS with the right expected diskseq (r=%d)", r);
}

static void test_mismatch(void)
{
	struct request rq;
	uint64_t actual, encoded_dev;
	int kmsg = kmsg_open();
	int r;

	status(STRICT, "seed-a", 0, &rq);
	actual = get_diskseq(&rq.io);

	r = status(STRICT, "seed-a", actual + 1, &rq);
	check(r == ENXIO, "strict DEV_STATUS by name, wrong diskseq: ENXIO (r=%d)", r);
	check(kmsg >= 0 && kmsg_has(kmsg, "Diskseq mismatch"), "kernel logged \"Diskseq mismatch\"");

	init(&rq, STRICT, NULL);
	snprintf(rq.io.uuid, sizeof(rq.io.uuid), "SEED-A");
	set_diskseq(&rq.io, actual + (1ULL << 32));	/* differs in diskseq_high only */
	r = call(DM_DEV_STATUS, &rq);
	check(r == ENXIO, "strict DEV_STATUS by uuid, wrong diskseq_high: ENXIO (r=%d)", r);

	status(STRICT, "seed-a", 0, &rq);
	encoded_dev = rq.io.dev;
	init(&rq, STRICT, NULL);
	rq.io.dev = encoded_dev;
	set_diskseq(&rq.io, actual + 2);
	r = call(DM_DEV_STATUS, &rq);
	check(r == ENXIO, "strict DEV_STATUS by dev, wrong diskseq: ENXIO (r=%d)", r);

	r = remove_dev(STRICT, "seed-a", actual + 1, 0);
	check(r == ENXIO && !status(STRICT, "seed-a", actual, &rq),
	      "strict DEV_REMOVE with wrong diskseq refused, device still there (r=%d)", r);

	init(&rq, LEGACY, "seed-a");
	rq.io.padding = 0xdeadbeef;
	r = call(DM_DEV_STATUS, &rq);
	check(!r && rq.io.padding == 0xdeadbeef && rq.io.data_size == LEGACY_SIZE,
	      "legacy DEV_STATUS ignores padding and writes no diskseq (r=%d, data_size %u)",
	      r, rq.io.data_size);
	if (kmsg >= 0)
		close(kmsg);
}

static void test_existing(void)
{
	struct request rq, st;
	int r;

	status(STRICT, "seed-a", 0, &st);

	r = create(STRICT, "seed-a", "", 0, &rq);
	check(r == EBUSY && rq.io.dev == st.io.dev && get_diskseq(&rq.io) == get_diskseq(&st.io) &&
	      (rq.io.flags & DM_ACTIVE_PRESENT_FLAG),
	      "strict DEV_CREATE of a taken name: EBUSY with the existing device's status (r=%d)", r);

	r = create(STRICT, "seed-other", "SEED-A", 0, &rq);
	check(r == EBUSY && rq.io.dev == st.io.dev && get_diskseq(&rq.io) == get_diskseq(&st.io),
	      "strict DEV_CREATE of a taken uuid: EBUSY with the uuid holder's status (r=%d)", r);
	check(status(STRICT, "seed-other", 0, &rq) == ENXIO,
	      "the refused create left no device behind");

	r = create(LEGACY, "seed-a", "", 0, &rq);
	check(r == EBUSY && rq.io.dev == 0, "legacy DEV_CREATE of a taken name: EBUSY, nothing copied back (r=%d)", r);
}

static void test_strict_rejects(void)
{
	struct request rq;
	int r;

	init(&rq, STRICT, "seed-a");
	rq.io.flags = DM_SUSPEND_FLAG;
	r = call(DM_DEV_STATUS, &rq);
	check(r == EINVAL, "strict DEV_STATUS with an unsupported flag: EINVAL (r=%d)", r);
	init(&rq, LEGACY, "seed-a");
	rq.io.flags = DM_SUSPEND_FLAG;
	r = call(DM_DEV_STATUS, &rq);
	check(!r, "legacy DEV_STATUS ignores the same flag (r=%d)", r);

	init(&rq, STRICT, "seed-a");
	rq.io.data[0] = 1;	/* _padding[0] */
	check(call(DM_DEV_STATUS, &rq) == EINVAL, "strict: non-zero padding before diskseq_high: EINVAL");

	init(&rq, STRICT, "seed-a");
	rq.io.name[100] = 'x';
	check(call(DM_DEV_STATUS, &rq) == EINVAL, "strict: junk after the name's NUL: EINVAL");

	init(&rq, STRICT, "seed-a");
	rq.io.open_count = 1;
	check(call(DM_DEV_STATUS, &rq) == EINVAL, "strict: non-zero open_count: EINVAL");

	init(&rq, STRICT, "seed-a");
	rq.io.event_nr = 1;
	check(call(DM_DEV_STATUS, &rq) == EINVAL, "strict: event_nr on DEV_STATUS: EINVAL");

	init(&rq, STRICT, "seed-a");
	rq.io.data_size = LEGACY_SIZE;
	check(call(DM_DEV_STATUS, &rq) == EINVAL, "strict: data_size 305: EINVAL");
	init(&rq, LEGACY, "seed-a");
	rq.io.data_size = LEGACY_SIZE;
	check(call(DM_DEV_STATUS, &rq) == 0, "legacy: data_size 305 still accepted");

	init(&rq, STRICT, "seed-a");
	rq.io.data_size = sizeof(struct dm_ioctl) + 8;
	check(call(DM_DEV_STATUS, &rq) == EINVAL, "strict: payload on an ioctl without parameters: EINVAL");

	init(&rq, STRICT, "seed-a");
	rq.io.flags = DM_DISABLE_UEVENTS_FLAG;
	check(call(DM_DEV_SUSPEND, &rq) == EINVAL, "strict: DM_DISABLE_UEVENTS_FLAG outside DEV_CREATE: EINVAL");
}

/* Strict table layout, against a device that never gets a live table. */
static void test_table_layout(void)
{
	struct request rq, base;
	uint32_t size;
	int r;

	create(STRICT, "seed-t", "", 0, &base);

	init(&rq, STRICT, "seed-t");
	size = add_target(&rq, "zero", "");
	((struct dm_target_spec *)(rq.bytes + rq.io.data_start))->next = size + 8;
	rq.io.data_size += 8;
	check(call(DM_TABLE_LOAD, &rq) == EINVAL, "strict TABLE_LOAD: next past the spec's size: EINVAL");

	init(&rq, STRICT, "seed-t");
	add_target(&rq, "zero", "");
	rq.io.data_size += 8;
	check(call(DM_TABLE_LOAD, &rq) == EINVAL, "strict TABLE_LOAD: bytes after the last spec: EINVAL");
	rq.io.version[0] = LEGACY;
	rq.io.version[1] = 0;
	r = call(DM_TABLE_LOAD, &rq);
	check(!r, "legacy TABLE_LOAD: the same trailing bytes accepted (r=%d)", r);

	init(&rq, STRICT, "seed-t");
	add_target(&rq, "zero", "ab");	/* 40 + 3 bytes used: 5 bytes of padding */
	rq.bytes[rq.io.data_start + 44] = 'x';
	check(call(DM_TABLE_LOAD, &rq) == EINVAL, "strict TABLE_LOAD: non-zero padding after params: EINVAL");

	init(&rq, STRICT, "seed-t");
	add_target(&rq, "zero", "");
	((struct dm_target_spec *)(rq.bytes + rq.io.data_start))->status = 1;
	check(call(DM_TABLE_LOAD, &rq) == EINVAL, "strict TABLE_LOAD: non-zero spec status: EINVAL");

	r = remove_dev(STRICT, "seed-t", get_diskseq(&base.io), 0);
	check(!r, "strict DEV_REMOVE of a device without a live table (r=%d)", r);
}

/* Stock dm-snapshot's target type works through this dm-mod, with uevents on. */
static void test_stock_target_and_uevents(void)
{
	struct request rq, base;
	char params[32];
	dev_t dev;
	int r;

	status(STRICT, "seed-a", 0, &base);
	snprintf(params, sizeof(params), "%u:%u", major(reply_dev(&base)), minor(reply_dev(&base)));

	r = create(STRICT, "seed-origin", "", 0, &rq);
	dev = reply_dev(&rq);
	r = r ? r : load(STRICT, "seed-origin", "snapshot-origin", params);
	drain_uevents();
	r = r ? r : resume(STRICT, "seed-origin", &rq);
	check(!r, "snapshot-origin (stock dm-snapshot.ko) over dm-0 (r=%d)", r);
	check(count_uevents("change", dev) == 1, "a device created without the flag emits its change uevent");
	r = remove_dev(STRICT, "seed-origin", 0, 0);
	check(!r, "strict DEV_REMOVE with diskseq 0 (r=%d)", r);

	r = create(LEGACY, "seed-legacy", "", DM_DISABLE_UEVENTS_FLAG, &rq);
	dev = reply_dev(&rq);
	r = r ? r : load(LEGACY, "seed-legacy", "zero", "");
	drain_uevents();
	r = r ? r : resume(LEGACY, "seed-legacy", &rq);
	check(!r && count_uevents("change", dev) == 1,
	      "legacy ignores bit 9 (DM_SKIP_BDGET_FLAG): its device still emits uevents (r=%d)", r);
	r = remove_dev(LEGACY, "seed-legacy", 0, 0);
	check(!r, "legacy DEV_REMOVE (r=%d)", r);
}

static void test_linear_and_deferred_remove(void)
{
	struct request rq, base, lin;
	char params[48];
	uint64_t diskseq;
	int fd, r;

	status(STRICT, "seed-a", 0, &base);
	snprintf(params, sizeof(params), "%u:%u 0", major(reply_dev(&base)), minor(reply_dev(&base)));
	r = create(STRICT, "seed-linear", "", DM_DISABLE_UEVENTS_FLAG, &lin);
	r = r ? r : load(STRICT, "seed-linear", "linear", params);
	r = r ? r : resume(STRICT, "seed-linear", &lin);
	diskseq = get_diskseq(&lin.io);
	check(!r && diskseq != get_diskseq(&base.io) && blk_diskseq(reply_dev(&lin)) == diskseq,
	      "strict linear over dm-0: own diskseq %llu, matches BLKGETDISKSEQ (r=%d)",
	      (unsigned long long)diskseq, r);

	init(&rq, STRICT, NULL);
	rq.io.flags = DM_UUID_FLAG;
	rq.io.data_size = sizeof(rq.bytes);
	r = call(DM_LIST_DEVICES, &rq);
	check(!r && !(rq.io.flags & DM_BUFFER_FULL_FLAG) && rq.io.data_size > rq.io.data_start,
	      "strict LIST_DEVICES with DM_UUID_FLAG (r=%d)", r);

	fd = open_dm(reply_dev(&lin));
	r = remove_dev(STRICT, "seed-linear", diskseq, DM_DEFERRED_REMOVE);
	check(fd >= 0 && !r, "strict deferred DEV_REMOVE of an open device (r=%d)", r);
	r = status(STRICT, "seed-linear", diskseq, &rq);
	check(!r && (rq.io.flags & DM_DEFERRED_REMOVE), "it stays, marked DM_DEFERRED_REMOVE (r=%d)", r);
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < DEFERRED_REMOVE_POLLS; i++) {
		r = status(STRICT, "seed-linear", 0, &rq);
		if (r == ENXIO)
			break;
		usleep(DEFERRED_REMOVE_POLL_US);
	}
	check(r == ENXIO, "gone after the last close (r=%d)", r);
}

/* The dm half of "freed and reused between add and open". */
static void test_reuse(void)
{
	struct request rq;
	uint64_t old, new;
	bool made;
	int r;

	/* seed-linear's table held seed-a. Its deferred removal makes the name miss (the "gone" check above)
	 * before it destroys the table, which drops that hold: dm_hash_remove_all runs __hash_remove, then
	 * dm_sync_table and dm_table_destroy (drivers/md/dm-ioctl.c, Linux 6.1.192). Until then seed-a is
	 * open and DEV_REMOVE answers EBUSY (CI saw r=16 once): wait, bounded, for its last opener to go. */
	for (int i = 0; i < DEFERRED_REMOVE_POLLS; i++) {
		if (!status(STRICT, "seed-a", 0, &rq) && rq.io.open_count == 0)
			break;
		usleep(DEFERRED_REMOVE_POLL_US);
	}
	status(STRICT, "seed-a", 0, &rq);
	old = get_diskseq(&rq.io);
	r = remove_dev(STRICT, "seed-a", old, 0);
	check(!r, "strict DEV_REMOVE with the right diskseq (r=%d, open %d)", r, rq.io.open_count);
	made = make_zero("seed-a", "SEED-A", DM_DISABLE_UEVENTS_FLAG, &rq);
	new = get_diskseq(&rq.io);
	check(made && new > old, "same name and uuid recreated with a new diskseq %llu > %llu",
	      (unsigned long long)new, (unsigned long long)old);
	r = status(STRICT, "seed-a", old, &rq);
	check(r == ENXIO, "a lookup with the old diskseq misses the reused name (r=%d)", r);
	r = remove_dev(STRICT, "seed-a", 0, 0);
	check(!r, "clean up (r=%d)", r);
}

int main(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };

	control = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	uevents = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (control < 0 || uevents < 0 || bind(uevents, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("dm-selftest: /dev/mapper/control or uevent socket");
		printf("0 passed, 1 failed\n");
		return 1;
	}

	test_version();
	test_create_and_diskseq();
	test_mismatch();
	test_existing();
	test_strict_rejects();
	test_table_layout();
	test_stock_target_and_uevents();
	test_linear_and_deferred_remove();
	test_reuse();

	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
