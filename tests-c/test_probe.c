// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The gate itself (support.h, sup_need() and the probes behind it), so
 * that a skip can only mean what docs/probes.md says it means:
 *
 *  - a probe that succeeds makes the case run: a failing body under it is
 *    "not ok", never a skip (with a probe of this test and, as root, with
 *    the real bpf_prog_load probe);
 *  - a refused probe gives exactly one named skip line per gated case, in
 *    the contract's format, and the binary exits 0; a list of probes names
 *    the one that was refused;
 *  - BPFLINK_TEST_REFUSE refuses a probe without running it and says so;
 *  - each probe runs once per process (the cache), and BPFLINK_PROBE_LOG
 *    gets one line per probe in the contract's format;
 *  - an unknown probe name aborts instead of skipping.
 *
 * Each scenario runs in a forked child that starts with fresh TAP
 * numbering, an empty probe cache and its own environment; the parent
 * reads the child's TAP text and checks it line by line.
 */
#include "support.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* The test's own probes: one that succeeds, one that is refused. */
static int yes_calls, no_calls;

static int probe_yes(const char **step)
{
	(void)step;
	yes_calls++;
	return 0;
}

static int probe_no(const char **step)
{
	no_calls++;
	*step = "FAKE_STEP";
	return -EOPNOTSUPP;
}

static char log_path[64];

/* ---- the scenarios, each the whole of a child's TAP output ------------- */

/* Succeeding probes: the gated bodies run, and a failing one fails. */
static void scenario_succeeds(void)
{
	if (sup_need("selftest_yes", "gated case A"))
		CHECK(0, "body A fails");
	if (sup_need("selftest_yes", "gated case B"))
		CHECK(1, "body B passes");
	if (!sup_root_missing() && sup_need("bpf_prog_load", "gated case C"))
		CHECK(0, "body C fails under the real bpf_prog_load probe");
}

/* A refused probe, alone and in a list: one skip line per gated case,
 * and no body runs. */
static void scenario_refused(void)
{
	if (sup_need("selftest_no", "gated case %d", 1))
		CHECK(0, "body 1 ran although its probe was refused");
	if (sup_need("selftest_no", "gated case %d", 2))
		CHECK(0, "body 2 ran although its probe was refused");
	if (sup_need("selftest_yes,selftest_no", "gated case 3 (two probes)"))
		CHECK(0, "body 3 ran although one of its probes was refused");
}

/* BPFLINK_TEST_REFUSE: a probe of the test and a real one. */
static void scenario_simulated(void)
{
	if (sup_need("selftest_yes", "gated case S1"))
		CHECK(0, "body S1 ran although its probe was refused");
	if (sup_need("iter_task", "gated case S2"))
		CHECK(0, "body S2 ran although its probe was refused");
	printf("# calls yes=%d\n", yes_calls);
}

/* The cache: many questions, one run of each probe function. */
static void scenario_cache(void)
{
	int i;

	for (i = 0; i < 3; i++) {
		sup_probe("selftest_yes");
		sup_probe("selftest_no");
		sup_probe_why("selftest_yes,selftest_no");
	}
	if (sup_need("selftest_yes", "gated case Y"))
		CHECK(1, "body Y passes");
	if (sup_need("selftest_no", "gated case N"))
		CHECK(0, "body N ran although its probe was refused");
	printf("# calls yes=%d no=%d\n", yes_calls, no_calls);
}

static void scenario_unknown(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	/* The complaint goes to stderr: here, into the parent's pipe. */
	dup2(fileno(stdout), 2);
	sup_probe("selftest_no_such_probe");
	CHECK(0, "an unknown probe name did not abort");
}

/* ---- running one ------------------------------------------------------- */

struct outcome {
	char text[4096];
	int status;
};

/* Runs a scenario in a forked child with `refuse` as BPFLINK_TEST_REFUSE
 * (NULL: unset) and BPFLINK_PROBE_LOG pointing at log_path. */
static void run(void (*scenario)(void), const char *refuse, struct outcome *o)
{
	size_t n = 0;
	FILE *in = NULL;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	o->status = -1;
	fflush(stdout);
	pid = sup_child_start(&in);
	if (pid == 0) {
		/* A fresh start, as if this were a new binary. */
		tap_n = tap_failed = 0;
		yes_calls = no_calls = 0;
		sup_probe_forget();
		if (refuse)
			setenv("BPFLINK_TEST_REFUSE", refuse, 1);
		else
			unsetenv("BPFLINK_TEST_REFUSE");
		setenv("BPFLINK_PROBE_LOG", log_path, 1);
		scenario();
		fflush(stdout);
		_exit(tap_done());
	}
	if (pid < 0)
		return;
	while (n + 1 < sizeof(o->text) && fgets(o->text + n, sizeof(o->text) - n, in))
		n += strlen(o->text + n);
	fclose(in);
	o->status = sup_child_wait(pid);
}

/* The child's text, shown as comments when a check on it failed. */
static void show(const struct outcome *o, bool ok)
{
	char copy[sizeof(o->text)], *line, *save = NULL;

	if (ok)
		return;
	snprintf(copy, sizeof(copy), "%s", o->text);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		printf("#   child: %s\n", line);
	printf("#   child status 0x%x\n", o->status);
}

static int count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static bool exited(const struct outcome *o, int code)
{
	return o->status >= 0 && WIFEXITED(o->status) && WEXITSTATUS(o->status) == code;
}

/* The contents of the probe log, emptied afterwards. */
static void take_log(char *buf, size_t len)
{
	int fd = open(log_path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, len - 1) : -1;

	buf[n > 0 ? n : 0] = 0;
	if (fd >= 0)
		close(fd);
	fd = open(log_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
}

/* One case: the probe log holds exactly `want` (and is emptied). */
static void check_log(const char *want, const char *what)
{
	char log[1024];

	take_log(log, sizeof(log));
	if (!CHECK(!strcmp(log, want), "BPFLINK_PROBE_LOG: %s", what))
		printf("#   log: %s\n", log);
}

int main(void)
{
	bool root = !sup_root_missing();
	int fds = sup_fd_count(), fd;
	struct outcome o;
	bool ok;

	sup_probe_add("selftest_yes", probe_yes);
	sup_probe_add("selftest_no", probe_no);
	snprintf(log_path, sizeof(log_path), "/tmp/bpflink-probelog-XXXXXX");
	fd = mkstemp(log_path);
	if (!CHECK(fd >= 0, "a temporary probe log"))
		return tap_done();
	close(fd);

	run(scenario_succeeds, NULL, &o);
	ok = CHECK(strstr(o.text, "not ok 1 - body A fails") && strstr(o.text, "ok 2 - body B passes") &&
			   !strstr(o.text, "SKIP"),
		   "succeeding probe: the failing body is \"not ok\", the passing one \"ok\", no skip");
	if (root)
		ok &= CHECK(strstr(o.text, "not ok 3 - body C fails under the real bpf_prog_load probe"),
			    "succeeding real probe (bpf_prog_load): its failing body is \"not ok\"");
	else
		printf("# not root: the real bpf_prog_load probe is refused, case C not run\n");
	ok &= CHECK(exited(&o, 1), "succeeding probe: the failure fails the binary (exit 1)");
	show(&o, ok);
	check_log(root ? "test_probe\tselftest_yes\tok\t-\treal\n"
			 "test_probe\tbpf_prog_load\tok\t-\treal\n"
		       : "test_probe\tselftest_yes\tok\t-\treal\n",
		  "succeeding probes are logged as ok, real");

	run(scenario_refused, NULL, &o);
	ok = CHECK(strstr(o.text,
			  "ok 1 - gated case 1 # SKIP probe selftest_no: EOPNOTSUPP from FAKE_STEP "
			  "(Operation not supported)\n") &&
			   strstr(o.text,
				  "ok 2 - gated case 2 # SKIP probe selftest_no: EOPNOTSUPP from "
				  "FAKE_STEP (Operation not supported)\n"),
		   "refused probe: one skip line per gated case, in the contract's format");
	ok &= CHECK(strstr(o.text, "ok 3 - gated case 3 (two probes) # SKIP probe selftest_no: "),
		    "refused probe in a list: the skip names the refused one");
	ok &= CHECK(count(o.text, "ok ") == 3 && !strstr(o.text, "not ok") &&
			    !strstr(o.text, "body") && strstr(o.text, "1..3\n"),
		    "refused probe: exactly those three lines, no body ran, plan 1..3");
	ok &= CHECK(exited(&o, 0), "refused probe: the binary exits 0");
	show(&o, ok);
	check_log("test_probe\tselftest_no\tEOPNOTSUPP\tFAKE_STEP\treal\n"
		  "test_probe\tselftest_yes\tok\t-\treal\n",
		  "a refused probe is logged with its errno and step, once");

	run(scenario_simulated, "selftest_yes,iter_task", &o);
	ok = CHECK(strstr(o.text,
			  "ok 1 - gated case S1 # SKIP probe selftest_yes: EPERM from simulated "
			  "refusal (BPFLINK_TEST_REFUSE)\n") &&
			   strstr(o.text,
				  "ok 2 - gated case S2 # SKIP probe iter_task: EPERM from simulated "
				  "refusal (BPFLINK_TEST_REFUSE)\n"),
		   "BPFLINK_TEST_REFUSE: named skips, marked as simulated");
	ok &= CHECK(strstr(o.text, "# calls yes=0\n") && !strstr(o.text, "body") && exited(&o, 0),
		    "BPFLINK_TEST_REFUSE: the refused probe never ran, no body ran, exit 0");
	show(&o, ok);
	check_log("test_probe\tselftest_yes\tEPERM\tsimulated refusal\tsimulated\n"
		  "test_probe\titer_task\tEPERM\tsimulated refusal\tsimulated\n",
		  "simulated refusals are logged as such");

	run(scenario_cache, NULL, &o);
	ok = CHECK(strstr(o.text, "# calls yes=1 no=1\n"),
		   "cache: each probe function ran once for many questions");
	ok &= CHECK(strstr(o.text, "ok 1 - body Y passes\n") &&
			    strstr(o.text, "ok 2 - gated case N # SKIP probe selftest_no: ") &&
			    exited(&o, 0),
		    "cache: the cached answers still gate");
	show(&o, ok);
	check_log("test_probe\tselftest_yes\tok\t-\treal\n"
		  "test_probe\tselftest_no\tEOPNOTSUPP\tFAKE_STEP\treal\n",
		  "one line per probe and process");

	run(scenario_unknown, NULL, &o);
	ok = CHECK(o.status >= 0 && WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGABRT &&
			   strstr(o.text, "no capability probe is called \"selftest_no_such_probe\"") &&
			   !strstr(o.text, "SKIP"),
		   "an unknown probe name aborts the process with a message, it does not skip");
	show(&o, ok);

	unlink(log_path);
	CHECK_EQ(sup_fd_count(), fds, "no fd leaked");
	return tap_done();
}
