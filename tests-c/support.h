/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Fixtures shared by the C kernel tests (tests-c/test_*.c) and the
 * differential suite (tests-c/diff_*.c).
 *
 * Everything a test needs from the system that is not the library under
 * test lives here: capability probes that decide what this machine's
 * kernel can do (and the gate that skips a case, by name, when it cannot),
 * tiny programs and maps made with raw bpf(2), object ids, program run
 * counts, a BTF lookup in vmlinux, a child cgroup of the cgroup2 mount, a
 * private network namespace with a veth pair, a private bpffs,
 * BPF_PROG_QUERY, perf events, file offsets for uprobes, fd accounting, a
 * bpftool observer and a way to run a piece of a test in a forked child.
 *
 * Two files implement it. support.c never calls the library, so tests can
 * check the library's answers against it, and the differential binary,
 * which links neither library and is built against the reference libbpf's
 * headers, links it too. support_link.c holds the one helper that does
 * call the library (sup_link_info()); only the test_* binaries link it.
 * This header therefore needs nothing from either library's headers:
 * <linux/bpf.h> is enough, whichever <bpf/bpf.h> the includer uses.
 *
 * Rules the helpers follow:
 *  - They never print TAP results ("ok"/"not ok"); tests do, through
 *    tap.h. Diagnostics go out as TAP comments ("# ..."). The inline
 *    wrappers sup_need(), sup_run_in_child() and sup_done() are part of
 *    the calling test and do print its cases.
 *  - A case is skipped only through sup_need(), when a probe that does not
 *    use the library is refused (docs/probes.md): as root, tests-c/run.sh
 *    accepts no other skip. A probe that succeeds never skips anything:
 *    the case runs and must pass.
 *  - Functions returning an int give >= 0 on success and -errno on failure
 *    (errno is set too), like the library under test. Exceptions: sup_bpf()
 *    answers exactly as the syscall does (-1 and errno), and the getters of
 *    ids, counts and inodes return 0 on failure.
 *  - Every fd they open is close-on-exec.
 *  - Cgroups and bpffs mounts they create are recorded; whatever a test
 *    has not released itself is removed at exit, also when the process is
 *    killed by a fatal signal, so a failing check never leaves anything
 *    behind. Only the process that created such a fixture removes it (a
 *    forked child never cleans up for its parent). Links need no such
 *    care: they are owned by fds and go away with the process, and pins go
 *    with the bpffs. Network devices live in a private netns that dies
 *    with the process.
 */
#ifndef BPFLINK_TESTS_SUPPORT_H
#define BPFLINK_TESTS_SUPPORT_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "tap.h"

/* The uprobe_multi flag that makes the kernel open the probed file as
 * path relative to uprobe_multi.path_fd: an enumerator in libbpf 1.8's
 * uapi header, absent from 1.7.0's (the tests are built with that one). A
 * macro of the same name and value is harmless after either. */
#ifndef BPF_F_UPROBE_MULTI_PATH_FD
#define BPF_F_UPROBE_MULTI_PATH_FD (1U << 1)
#endif

/* Room for a path under the cgroup2 mount or a bpffs. */
#define SUP_PATH_MAX 256

/* ------------------------------------------------------------------------
 * Checks on error returns.
 *
 * The library returns -E and sets errno to E on failure. These run one
 * call with errno cleared first and check both halves of that contract.
 * CHECK_FD_ERR is for calls that return a new fd: if the call unexpectedly
 * succeeds, the fd is closed so the failure does not also leak.
 */
#define CHECK_ERR(call, E, what, ...)                                              \
	({                                                                         \
		errno = 0;                                                         \
		long __r = (long)(call);                                           \
		int __e = errno;                                                   \
		tap_check(__r == -(long)(E) && __e == (E), __FILE__, __LINE__,     \
			  what " (ret %ld errno %d, want -%d)", ##__VA_ARGS__, __r,  \
			  __e, (int)(E));                                          \
	})

#define CHECK_FD_ERR(call, E, what, ...)                                           \
	({                                                                         \
		errno = 0;                                                         \
		long __r = (long)(call);                                           \
		int __e = errno;                                                   \
		if (__r >= 0)                                                      \
			close((int)__r);                                           \
		tap_check(__r == -(long)(E) && __e == (E), __FILE__, __LINE__,     \
			  what " (ret %ld errno %d, want -%d)", ##__VA_ARGS__, __r,  \
			  __e, (int)(E));                                          \
	})

/* Closes fd if it is one (>= 0) and sets it to -1. */
#define SUP_CLOSE(fd)                                                              \
	do {                                                                       \
		if ((fd) >= 0)                                                     \
			close(fd);                                                 \
		(fd) = -1;                                                         \
	} while (0)

/* ------------------------------------------------------------------------
 * Privileges
 */

/*
 * Why this process cannot use the kernel fixtures (not root, or root but
 * refused a BPF program load by the bpf_prog_load probe: lockdown,
 * seccomp, no CONFIG_BPF), as a one-line reason; NULL when it can. The
 * answer is worked out once.
 */
const char *sup_root_missing(void);

/*
 * The start of a kernel test: skips the whole binary (TAP
 * "1..0 # SKIP reason") when sup_root_missing() gives a reason, installs
 * the exit-time cleanup, and notes the number of open fds that sup_done()
 * compares against at the end. Such a whole-binary skip is accepted for a
 * normal user only: as root, run.sh fails it, since then nothing of the
 * suite ran.
 */
void sup_require_root(void);
/* That number of fds (-1 before sup_require_root()). */
int sup_start_fds(void);

/*
 * Removes every cgroup and bpffs mount the fixtures made that the process
 * has not released yet: what also happens at exit and on a fatal signal.
 * Async-signal-safe. The cleanup leaves a fatal-signal handler the program
 * installed itself in place; such a handler calls this.
 */
void sup_cleanup(void);

/* ------------------------------------------------------------------------
 * Capability probes (docs/probes.md has the contract shared with the Rust
 * and Python suites)
 *
 * A probe asks the kernel, with raw syscalls and never through a library
 * under test, for what a group of cases needs: it loads the program, makes
 * the target (map, cgroup, device, event) and creates the link with a raw
 * BPF_LINK_CREATE, then closes all of it. The probes run in a forked child,
 * those touching network hooks in a network namespace of their own, so
 * nothing of the host is touched. Each name is probed once per process;
 * later calls get the cached answer.
 *
 *   bpf_prog_load        a cgroup_skb program loads (the whole-suite gate
 *                        behind sup_root_missing())
 *   cgroup2_mount        /proc/self/mountinfo lists a cgroup2 mount and a
 *                        child cgroup can be made under it
 *   btf_vmlinux          /sys/kernel/btf/vmlinux reads and parses
 *   bpffs_mount          a bpffs mounts in a private mount namespace
 *   bpftool              a bpftool on PATH runs ("bpftool version")
 *   veth                 a veth pair can be made (private netns)
 *   prog_xdp, prog_perf_event, prog_raw_tp
 *                        only the load of a program of that type
 *   link_cgroup          cgroup_skb on a child cgroup, INET_INGRESS
 *   link_xdp, link_tcx   XDP / tcx ingress on lo of a private netns
 *   link_netfilter       IPv4 LOCAL_OUT, priority 10, private netns
 *   link_sk_lookup, link_flow_dissector
 *                        on a private netns
 *   link_perf_event      a software cpu-clock event of the probe child
 *   perf_ioc_set_bpf     the same pair joined by PERF_EVENT_IOC_SET_BPF
 *   link_uprobe_multi, link_uprobe_session
 *                        one probe on a function of this binary, limited
 *                        to the probe child's pid
 *   link_uprobe_multi_path_fd
 *                        the same uprobe_multi link with its file given as
 *                        a directory fd and a name relative to it
 *                        (uprobe_multi.path_fd, BPF_F_UPROBE_MULTI_PATH_FD)
 *   link_kprobe_multi, link_kprobe_session
 *                        one probe on SUP_KPROBE_SYM
 *   iter_bpf_map, iter_bpf_map_elem (on an array map), iter_task,
 *   iter_cgroup (on the cgroup2 mount, self only)
 *                        a BPF_TRACE_ITER program of bpf_iter_<target>
 *
 * Environment:
 *   BPFLINK_TEST_REFUSE=name[,name]  those probes answer EPERM without
 *                       asking the kernel, as a simulated refusal
 *   BPFLINK_PROBE_LOG=file  each probe appends one line per process:
 *                       "suite<TAB>name<TAB>ok|ENAME<TAB>step<TAB>real|simulated"
 *                       (step is "-" for ok; suite is the program's name
 *                       unless sup_probe_suite() set another)
 *
 * An unknown name is a mistake in the test: the process aborts.
 */

/* The one function the kprobe probes (and the cases that compare with
 * them) name: it exists in every kernel with BPF and networking. */
#define SUP_KPROBE_SYM "bpf_fentry_test1"

/* 0 when the capability is there, else -errno (errno set too). */
int sup_probe(const char *name);
/* For a comma-separated list of names: the reason of the first refused
 * one, "probe <name>: <ENAME> from <step> (<strerror>)"; NULL when all
 * succeed. */
const char *sup_probe_why(const char *names);
/* What failed in a refused probe ("BPF_PROG_LOAD", ...); NULL if none. */
const char *sup_probe_step(const char *name);
/* Whether the answer came from BPFLINK_TEST_REFUSE, not the kernel. */
bool sup_probe_simulated(const char *name);

/* For the self-test of the gate (test_probe.c): a probe of the test's own,
 * run in the process; and forgetting every cached answer (in a forked
 * child, to start over with another environment). */
typedef int (*sup_probe_fn)(const char **step);
void sup_probe_add(const char *name, sup_probe_fn fn);
void sup_probe_forget(void);
/* The suite named in BPFLINK_PROBE_LOG lines (default: the program name). */
void sup_probe_suite(const char *suite);

/*
 * The gate of a case (or of a group of cases counted as one): true when
 * every probe in `names` (comma-separated) succeeds, and the case must
 * then run. Otherwise it prints the case as one skipped TAP line,
 *   ok N - <case> # SKIP probe <name>: <ENAME> from <step> (<strerror>)
 * and returns false.
 */
static inline bool sup_need(const char *names, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline bool sup_need(const char *names, const char *fmt, ...)
{
	const char *why = sup_probe_why(names);
	va_list ap;

	if (!why)
		return true;
	va_start(ap, fmt);
	tap_vskip(why, fmt, ap);
	va_end(ap);
	return false;
}

/* ------------------------------------------------------------------------
 * libbpf's struct bpf_link
 *
 * Its internal layout (libbpf_internal.h), which bpflink shares so that
 * link objects cross between the two libraries. Tests build objects of
 * their own on top of it, the way libbpf's perf-event and struct_ops
 * links do, and hand them to either library as a struct bpf_link *.
 */
struct lb_link {
	int (*detach)(struct lb_link *link);
	void (*dealloc)(struct lb_link *link);
	char *pin_path;
	int fd;
	bool disconnected;
};
_Static_assert(sizeof(void *) != 8 || sizeof(struct lb_link) == 32, "libbpf's layout");
_Static_assert(sizeof(void *) != 8 || offsetof(struct lb_link, pin_path) == 16, "pin_path");
_Static_assert(sizeof(void *) != 8 || offsetof(struct lb_link, fd) == 24, "fd");
_Static_assert(sizeof(void *) != 8 || offsetof(struct lb_link, disconnected) == 28, "flag");

/* ------------------------------------------------------------------------
 * Raw bpf(2): programs, maps, queries, pins
 */

/* bpf(cmd, attr, size) as the kernel answers it: >= 0, or -1 with errno. */
long sup_bpf(int cmd, union bpf_attr *attr, unsigned int size);

/* BPF_LINK_CREATE with raw bpf(2) and no options, so that fixtures use
 * neither library under test: the new link fd, or -errno. */
int sup_link_create_raw(int prog_fd, int target_fd, enum bpf_attach_type type);
/* The same with link_create.flags and link_create.tracing.cookie set: the
 * call a library makes for options with those fields. */
int sup_link_create_raw_flags(int prog_fd, int target_fd, enum bpf_attach_type type,
			      __u32 flags, __u64 cookie);

/*
 * Loads the smallest valid program, "r0 = retval; exit", of the given type
 * and expected attach type (0 when the type needs none). On failure the
 * verifier log is printed as TAP comments. Returns the fd or -errno.
 */
int sup_prog_load(enum bpf_prog_type type, enum bpf_attach_type eat, int retval);

/* Same, for program types that name their attach point by a BTF id of
 * vmlinux (tracing iterators: eat BPF_TRACE_ITER). */
int sup_prog_load_btf(enum bpf_prog_type type, enum bpf_attach_type eat,
		      __u32 attach_btf_id, int retval);

/* Id of a program, map or link fd according to the kernel, 0 on failure. */
__u32 sup_prog_id(int prog_fd);
__u32 sup_map_id(int map_fd);
__u32 sup_link_id(int link_fd);
/* Id of the program a link runs now, as the kernel reports it; 0 on
 * failure. An observer independent of the library's link info. */
__u32 sup_link_prog_id(int link_fd);
/* The kernel's link type (enum bpf_link_type) of a link fd; -1 when the
 * kernel gives no object information for the fd. */
int sup_link_type(int link_fd);

/*
 * Links by id, with raw BPF_LINK_GET_FD_BY_ID: a new fd for the link with
 * this id, or -errno (-ENOENT once it is gone); whether it exists now; and
 * whether it is gone, polled for up to 3 s, since the kernel frees a link
 * a little after its last reference goes (false for id 0).
 */
int sup_link_fd_by_id(__u32 id);
bool sup_link_alive(__u32 id);
bool sup_link_gone(__u32 id);

/*
 * Program run statistics, to see that an attached program really runs:
 * while the fd from sup_stats_enable() (BPF_ENABLE_STATS) is open the
 * kernel counts runs of every program, and sup_prog_run_cnt() reads the
 * count of one (0 on failure).
 */
int sup_stats_enable(void);
__u64 sup_prog_run_cnt(int prog_fd);

/* BPF_MAP_CREATE; returns the fd or -errno. */
int sup_map_create(enum bpf_map_type type, __u32 key_size, __u32 value_size,
		   __u32 max_entries);

/*
 * BPF_PROG_QUERY of a multi-program hook (tcx on an ifindex, or a cgroup
 * fd): the programs and links in execution order and the hook revision.
 */
#define SUP_QUERY_MAX 16
struct sup_query {
	__u32 count;
	__u64 revision;
	__u32 attach_flags;
	__u32 prog_ids[SUP_QUERY_MAX];
	__u32 link_ids[SUP_QUERY_MAX];
};
/* target: an ifindex for tcx, a cgroup fd for cgroups. Returns 0 or -errno. */
int sup_prog_query(int target, enum bpf_attach_type type, struct sup_query *q);
/* How many programs run on a cgroup's BPF_CGROUP_INET_INGRESS hook, polled
 * for up to 3 s until the count is `want` (a released link leaves the hook
 * a little later); 999 when the query fails. */
__u32 sup_attached(int cgroup_fd, __u32 want);

/* BPF_OBJ_PIN / BPF_OBJ_GET, for the pinning tests (the library under test
 * exports no pin function). 0 / fd, or -errno. */
int sup_obj_pin(int fd, const char *path);
int sup_obj_get(const char *path);

/* The library's bpf_link_get_info_by_fd() on a zeroed info; returns its
 * result. In support_link.c: the test_* binaries only. */
int sup_link_info(int link_fd, struct bpf_link_info *info);

/* ------------------------------------------------------------------------
 * BTF
 */

/*
 * Id of the type called `name` of BTF kind `kind` (BTF_KIND_FUNC, ...) in
 * /sys/kernel/btf/vmlinux. Returns the id (> 0) or -errno (-ENOENT when
 * there is no such type).
 */
int sup_vmlinux_btf_id(const char *name, unsigned int kind);

/* ------------------------------------------------------------------------
 * Cgroup v2
 */

/*
 * Where cgroup2 is mounted, found once from /proc/self/mountinfo: the
 * mount point (octal escapes undone) of the first line whose file-system
 * type is cgroup2. NULL (errno ENOENT) when there is none. No test writes
 * a cgroup path of its own.
 */
const char *sup_cgroup2_root(void);

struct sup_cgroup {
	char path[SUP_PATH_MAX]; /* <the cgroup2 mount>/bpflink-test-<name>-<pid> */
	int fd;         /* O_RDONLY | O_DIRECTORY | O_CLOEXEC, or -1 */
	__u64 id;       /* what the kernel calls the cgroup id */
};

/* Creates and opens a fresh child cgroup; 0 or -errno. */
int sup_cgroup_create(struct sup_cgroup *cg, const char *name);
/* Closes and removes it (idempotent; waits briefly while it is busy). */
void sup_cgroup_destroy(struct sup_cgroup *cg);
/*
 * Forks a child that joins the cgroup and sends one UDP datagram to its
 * own socket on 127.0.0.1, so that the cgroup's inet ingress and egress
 * hooks see traffic. Returns 0 when the datagram arrived, -errno if not.
 */
int sup_cgroup_udp_roundtrip(const struct sup_cgroup *cg);

/* ------------------------------------------------------------------------
 * Network namespace
 */

/*
 * Moves the calling process into a new, empty network namespace
 * (unshare(CLONE_NEWNET)) with "lo" up. Devices made afterwards vanish
 * with the process. 0 or -errno.
 */
int sup_netns_enter(void);
/* Inode number of the current network namespace (0 on failure). */
__u64 sup_netns_ino(void);
/* Opens /proc/self/ns/net; fd or -errno. */
int sup_netns_open(void);
/* Creates a veth pair through rtnetlink and brings both ends up; 0 or
 * -errno. */
int sup_veth_create(const char *name, const char *peer);
/* Sets IFF_UP on an interface. 0 or -errno. */
int sup_if_up(const char *name);
/* if_nametoindex(); 0 if there is no such interface. */
int sup_ifindex(const char *name);
/* Sends one UDP datagram to 127.0.0.1 port 9 of the current netns (which
 * has nothing listening): traffic through lo. 0 or -errno. */
int sup_udp_ping_lo(void);

/* ------------------------------------------------------------------------
 * Private bpffs
 */

struct sup_bpffs {
	char dir[64]; /* mount point, under /tmp */
	bool mounted;
};

/*
 * Mounts a fresh bpffs instance on a new temporary directory. The first
 * call also moves the process into its own mount namespace, so the mount
 * is never visible outside the test. 0 or -errno.
 */
int sup_bpffs_mount(struct sup_bpffs *fs);
/* Unmounts and removes the directory (idempotent). */
void sup_bpffs_umount(struct sup_bpffs *fs);

/* ------------------------------------------------------------------------
 * Perf events and probes
 */

/* A disabled software event (PERF_COUNT_SW_*) of this process; fd or
 * -errno. */
int sup_perf_event_sw(__u64 config);

/*
 * For an address inside a file mapping of this process (a function, or a
 * variable in a file-backed data section), the file it was mapped from,
 * as /proc/self/maps names it, and the matching offset in that file: what
 * uprobes want as probe offset and reference counter offset. 0 or -errno.
 */
int sup_file_offset(const void *addr, char *path, size_t path_len, unsigned long *offset);

/* ------------------------------------------------------------------------
 * Fds
 */

/* Number of open fds of this process. */
int sup_fd_count(void);
/* Whether fd is open with FD_CLOEXEC. */
bool sup_fd_cloexec(int fd);
/* Whether fd is open at all. */
bool sup_fd_open(int fd);

/* ------------------------------------------------------------------------
 * Paths and text
 */

/* Whether anything (file, directory, dangling symlink) is at path (lstat). */
bool sup_exists(const char *path);
/* Both strings there and equal (a NULL is equal to nothing). */
bool sup_str_eq(const char *a, const char *b);
/* "<dir>/<name>" in one of 16 static PATH_MAX buffers taken in turn, so
 * that a few such paths can be alive at once (one call's arguments). */
const char *sup_path(const char *dir, const char *name);
/* s with every newline written as the two characters \n, for the text of
 * a case; in one of 4 static buffers taken in turn. Up to 8 KiB of s. */
const char *sup_oneline(const char *s);

/* ------------------------------------------------------------------------
 * Process measurements (leak checks)
 */

/* Resident memory of this process in bytes, from /proc/self/statm; with
 * anon_only, minus shared (file-backed and shmem) pages, so that library
 * code paged in on first use does not count. -1 if unreadable. */
long sup_statm_bytes(bool anon_only);
/* Whether a line of /proc/self/maps (a mapped file) contains `needle`. */
bool sup_maps_has(const char *needle);
/* Whether this process runs under valgrind (its preload is mapped). */
bool sup_under_valgrind(void);
/* Whether a memory or thread checker watches this process: valgrind, or a
 * build with AddressSanitizer or ThreadSanitizer (support.c is compiled
 * with the same flags as the test, so it knows). */
bool sup_under_tool(void);

/* ------------------------------------------------------------------------
 * bpftool as an independent observer
 */

/*
 * sup_bpftool("link show id 5") runs "bpftool -j link show id 5" and
 * stores its output (trailing newline removed) in out; sup_bpftool_link()
 * is that for one link id. Returns 0 when bpftool succeeded, -errno
 * otherwise. The bpftool is the one the "bpftool" probe found on PATH:
 * cases using these are gated with sup_need("bpftool", ...).
 */
int sup_bpftool(const char *args, char *out, size_t len);
int sup_bpftool_link(__u32 id, char *out, size_t len);
/* Whether a flat JSON text has "key":value for an integer or string. */
bool sup_json_has_int(const char *json, const char *key, long long value);
bool sup_json_has_str(const char *json, const char *key, const char *value);

/* ------------------------------------------------------------------------
 * Running a piece of a test in a forked child
 *
 * sup_child_start() forks. In the child it returns 0 with stdout pointed
 * at a pipe held on a high fd, so the child can close or reuse fds 0-2 and
 * still report; the child's CHECKs print as usual and it must end with
 * sup_child_exit(). In the parent it returns the child's pid and *out is
 * the read end of the pipe. sup_run_in_child() below wraps both sides:
 * every result line the child prints is re-checked in the parent under
 * the parent's numbering, and a child that crashes or exits non-zero is
 * one more failed case.
 */
pid_t sup_child_start(FILE **out);
void sup_child_exit(void) __attribute__((noreturn));
/* Waits for the child; returns its wait status. */
int sup_child_wait(pid_t pid);

static inline void sup_run_in_child(const char *name, void (*fn)(void *), void *arg)
{
	char line[1024];
	FILE *in = NULL;
	pid_t pid;
	int status;

	fflush(stdout);
	pid = sup_child_start(&in);
	if (pid == 0) {
		fn(arg);
		sup_child_exit();
	}
	if (!CHECK(pid > 0, "%s: fork the child", name))
		return;
	while (fgets(line, sizeof(line), in)) {
		char *text;

		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "ok ", 3) || !strncmp(line, "not ok ", 7)) {
			/* "ok N - text" / "not ok N - text (file:line)" */
			text = strstr(line, " - ");
			text = text ? text + 3 : line;
			tap_check(line[0] == 'o', __FILE__, __LINE__, "%s: %s", name, text);
		} else if (line[0] == '#') {
			printf("%s\n", line);
		} else if (strncmp(line, "1..", 3)) {
			printf("# %s: %s\n", name, line);
		}
	}
	fclose(in);
	status = sup_child_wait(pid);
	CHECK(status == 0, "%s: child exited cleanly (status 0x%x)", name, status);
}

/* ------------------------------------------------------------------------
 * The end of a kernel test
 *
 * Its last case: the process has exactly as many fds open as when
 * sup_require_root() returned. Then the TAP plan; returns the exit status.
 */
static inline int sup_done(void)
{
	CHECK_EQ(sup_fd_count(), sup_start_fds(), "no fd leaked");
	return tap_done();
}

#endif
