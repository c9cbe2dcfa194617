/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpf_set_print and the default printer, without a kernel: the callback
 * swap and its return value, NULL silencing, errno kept across callbacks,
 * and LIBBPF_LOG_LEVEL filtering of the default printer (each level in a
 * fresh process, since libbpf reads the variable once).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "print_common.h"
#include "tap.h"

/* A refused options struct is the one thing a low-level call prints. */
static int provoke_warning(void)
{
	struct bpf_link_create_opts opts;

	memset(&opts, 0, sizeof(opts));
	opts.sz = 1;
	return bpf_link_create(-1, -1, BPF_CGROUP_INET_INGRESS, &opts);
}

static void call_printer(libbpf_print_fn_t fn, enum libbpf_print_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fn(level, fmt, ap);
	va_end(ap);
}

/* Child mode: print one message per level through the default printer. */
static int child(void)
{
	libbpf_print_fn_t def = libbpf_set_print(NULL);

	libbpf_set_print(def);
	call_printer(def, LIBBPF_WARN, "libbpf: level %s\n", "warn");
	call_printer(def, LIBBPF_INFO, "libbpf: level %s\n", "info");
	call_printer(def, LIBBPF_DEBUG, "libbpf: level %s\n", "debug");
	provoke_warning();
	return 0;
}

/* Runs this binary in child mode with LIBBPF_LOG_LEVEL=level (NULL:
 * unset) and returns what it wrote to stderr. */
static const char *stderr_of_child(const char *level)
{
	static char buf[4096];
	int pipefd[2];
	ssize_t n, total = 0;
	pid_t pid;

	if (pipe(pipefd))
		return "";
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		if (level)
			setenv("LIBBPF_LOG_LEVEL", level, 1);
		else
			unsetenv("LIBBPF_LOG_LEVEL");
		execl("/proc/self/exe", "test_print", "--child", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], buf + total, sizeof(buf) - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	return buf;
}

int main(int argc, char **argv)
{
	const char *out;
	libbpf_print_fn_t def, prev;
	int ret;

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child();

	/* Callback swap: the first call returns the default printer. */
	def = libbpf_set_print(record);
	CHECK(def != NULL, "the default printer is installed at start");
	prev = libbpf_set_print(record);
	CHECK(prev == record, "libbpf_set_print returns the previous callback");

	seen_reset();
	errno = 0;
	ret = provoke_warning();
	CHECK_EQ(ret, -EINVAL, "refused opts return -EINVAL");
	CHECK_EQ(errno, EINVAL, "errno is EINVAL after the callback changed it");
	CHECK(!strcmp(seen, "libbpf: bpf_link_create_opts size (1) is too small\n"),
	      "callback gets libbpf's text: %s", seen);
	CHECK_EQ(seen_level, LIBBPF_WARN, "at warning level");

	prev = libbpf_set_print(NULL);
	CHECK(prev == record, "NULL replaces the callback");
	seen_reset();
	provoke_warning();
	CHECK_EQ(seen_count, 0, "NULL drops messages");
	libbpf_set_print(def);

	/* The default printer and LIBBPF_LOG_LEVEL. */
	out = stderr_of_child(NULL);
	CHECK(strstr(out, "level warn") && strstr(out, "level info") && !strstr(out, "level debug"),
	      "unset: warn and info are printed, debug is not");
	CHECK(strstr(out, "libbpf: bpf_link_create_opts size (1) is too small\n") != NULL,
	      "unset: library warnings go to stderr");
	out = stderr_of_child("warn");
	CHECK(strstr(out, "level warn") && !strstr(out, "level info"), "warn: only warnings");
	out = stderr_of_child("DEBUG");
	CHECK(strstr(out, "level debug") != NULL, "DEBUG (any case): everything");
	out = stderr_of_child("info");
	CHECK(strstr(out, "level info") && !strstr(out, "level debug"), "info: no debug");
	out = stderr_of_child("loud");
	CHECK(strstr(out, "libbpf: unrecognized 'LIBBPF_LOG_LEVEL' envvar value: 'loud', should be one "
			  "of 'warn', 'debug', or 'info'.\n") != NULL,
	      "an unknown level is reported");
	CHECK(strstr(out, "level info") && !strstr(out, "level debug"),
	      "an unknown level falls back to info");
	CHECK(strstr(strstr(out, "unrecognized") + 1, "unrecognized") == NULL,
	      "the unknown level is reported once");
	return tap_done();
}
