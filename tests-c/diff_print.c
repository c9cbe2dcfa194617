// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libbpf_set_print: which callback each call returns, what the default
 * printer writes to stderr under each LIBBPF_LOG_LEVEL, what happens with
 * printing disabled, and how the two libraries' settings relate: bpflink
 * hands its callback on to every libbpf loaded in the process, the one
 * dlopen()ed beside it here included (src/peer.rs); libbpf knows nothing
 * of bpflink. So whenever both are set, bpflink's is set first.
 * Runs first, while both default printers are installed and unused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diff_groups.h"

static int cb_a(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

static int cb_b(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

static libbpf_print_fn_t dflt[NLIB];

/* Names a returned callback so that the two libraries can be compared. */
static const char *category(int lib, libbpf_print_fn_t p)
{
	if (!p)
		return "NULL";
	if (p == cb_a)
		return "cb_a";
	if (p == cb_b)
		return "cb_b";
	if (p == libs[lib].capture)
		return "capture";
	if (dflt[lib] && p == dflt[lib])
		return "the default printer";
	return "some other function";
}

/* A call that makes both libraries warn: sz too small. */
static const size_t small_opts = 1;

static const struct call warn_call = {
	.fn = FN_CREATE, .a = -1, .b = -1, .u = BPF_CGROUP_INET_INGRESS, .opts = &small_opts,
};

/*
 * In a child: sets LIBBPF_LOG_LEVEL (or unsets it), re-installs each
 * library's default printer, makes it warn, and sends back what it wrote
 * to stderr. The child is needed because the default printers read the
 * variable only once per process.
 */
static void stderr_texts(const char *level, char out[NLIB][TWIN_LOG_MAX])
{
	int pfd[2], st, lib;
	pid_t pid;

	memset(out, 0, sizeof(char) * NLIB * TWIN_LOG_MAX);
	if (pipe(pfd))
		return;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char path[] = "/tmp/bpflink-diff-stderr-XXXXXX";
		int tmp = mkstemp(path);

		close(pfd[0]);
		unlink(path);
		if (level)
			setenv("LIBBPF_LOG_LEVEL", level, 1);
		else
			unsetenv("LIBBPF_LOG_LEVEL");
		for (lib = 0; lib < NLIB; lib++) {
			struct result r;
			char buf[TWIN_LOG_MAX];
			ssize_t n;

			libs[lib].set_print(dflt[lib]);
			if (ftruncate(tmp, 0) || lseek(tmp, 0, SEEK_SET))
				_exit(2);
			int saved = dup(2);

			dup2(tmp, 2);
			run_call(lib, &warn_call, &r);
			dup2(saved, 2);
			close(saved);
			memset(buf, 0, sizeof(buf));
			lseek(tmp, 0, SEEK_SET);
			n = read(tmp, buf, sizeof(buf) - 1);
			if (n < 0)
				n = 0;
			/* also report what the call returned */
			snprintf(buf + n, sizeof(buf) - (size_t)n, "[ret=%ld errno=%d]", r.ret, r.err);
			if (write(pfd[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				_exit(2);
		}
		_exit(0);
	}
	close(pfd[1]);
	for (lib = 0; lib < NLIB; lib++)
		if (read(pfd[0], out[lib], TWIN_LOG_MAX) != TWIN_LOG_MAX)
			snprintf(out[lib], TWIN_LOG_MAX, "(child failed)");
	close(pfd[0]);
	waitpid(pid, &st, 0);
}

void groups_print(void)
{
	static const char *levels[] = { NULL, "warn", "info", "debug", "DEBUG", "Warn", "bogus", "" };
	char texts[NLIB][TWIN_LOG_MAX];
	const char *seq[NLIB][8];
	unsigned int i;
	int lib, k;

	group_begin("libbpf_set_print returns the previous callback");
	/* The same sequence in each library, then compared step by step: the
	 * reference first, as bpflink's calls also set the reference's
	 * callback (its default printer is restored after). */
	for (k = 0; k < NLIB; k++) {
		struct lib *L = &libs[k == 0 ? REF : OURS];
		libbpf_print_fn_t p;

		lib = k == 0 ? REF : OURS;

		p = L->set_print(cb_a);
		dflt[lib] = p;
		seq[lib][0] = p ? "non-NULL (the default printer)" : "NULL";
		seq[lib][1] = category(lib, L->set_print(NULL));
		seq[lib][2] = category(lib, L->set_print(cb_b));
		seq[lib][3] = category(lib, L->set_print(cb_b));
		seq[lib][4] = category(lib, L->set_print(dflt[lib]));
		seq[lib][5] = category(lib, L->set_print(NULL));
		seq[lib][6] = category(lib, L->set_print(dflt[lib]));
		seq[lib][7] = category(lib, L->set_print(dflt[lib]));
	}
	libs[REF].set_print(dflt[REF]);
	static const char *steps[8] = {
		"first set_print(cb_a)", "set_print(NULL) after cb_a", "set_print(cb_b) after NULL",
		"set_print(cb_b) again", "set_print(default) after cb_b",
		"set_print(NULL) after default", "set_print(default) after NULL",
		"set_print(default) again",
	};
	for (k = 0; k < 8; k++)
		diff_values(seq[OURS][k], seq[REF][k], "%s returns", steps[k]);
	group_end();

	group_begin("default printer: stderr text under LIBBPF_LOG_LEVEL");
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		stderr_texts(levels[i], texts);
		diff_values(texts[OURS], texts[REF], "LIBBPF_LOG_LEVEL=%s%s%s",
			    levels[i] ? "\"" : "", levels[i] ? levels[i] : "(unset)",
			    levels[i] ? "\"" : "");
	}
	group_end();

	group_begin("printing disabled; bpflink's callback reaches the libbpf beside it, not the reverse");
	twin_print_off();
	{
		struct call quiet = warn_call;

		quiet.flags |= C_QUIET;
		diff_call(&quiet, NULL, "warning with set_print(NULL)");
	}
	/* The reference libbpf is dlopen()ed RTLD_LOCAL, outside the global
	 * scope, as a plugin's libbpf is: bpflink's callback reaches it all
	 * the same; the reference's set_print leaves bpflink's alone. */
	libs[OURS].set_print(cb_a);
	group_check(libs[REF].set_print(cb_b) == cb_a,
		    "bpflink's set_print did not reach the reference libbpf loaded beside it");
	group_check(libs[OURS].set_print(libs[OURS].capture) == cb_a,
		    "the reference's set_print changed bpflink's callback");
	group_check(libs[REF].set_print(libs[REF].capture) == libs[OURS].capture,
		    "bpflink's set_print did not reach the reference libbpf loaded beside it");
	diff_call(&warn_call, NULL, "warning with the capturing callback (which clobbers errno)");
	group_end();
}
