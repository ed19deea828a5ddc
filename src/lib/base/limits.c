/* SPDX-License-Identifier: GPL-2.0-or-later */
/* limits.c - nook's own resource limits, apart from the payload's.
 *
 * A user may start nook under tight limits (`ulimit -s 32`, `-n 8`,
 * `-f 0`, `-v 4096`). Without care nook then dies of SIGSEGV in the
 * container's init (whose stack is a copy of the main stack and grows
 * against RLIMIT_STACK), fails with "poll: Invalid argument", or blames a
 * helper for what the limit did. So, before it starts anything:
 *
 *  - where the soft limit is below what nook needs and the hard limit
 *    allows more, nook raises its own soft limit (helpers it starts
 *    inherit the raised one); the payload gets the caller's soft limit
 *    back just before its own rlimits are applied (nook_self_limits_restore),
 *    so the container sees exactly the limits it was started with (the
 *    stack's only around the payload's execve, nook_self_limits_exec);
 *  - where the hard limit itself is too low, nook stops with one message
 *    naming the limit, its value and the ulimit option that raises it.
 *
 * The address-space and data limits cannot be judged in advance (what a
 * helper needs depends on its libraries), so they are only named, by
 * nook_limits_hint, when a helper fails to start.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "nook/error.h"
#include "nook/util.h"

struct need {
	int resource;
	const char *what;      /* for the message */
	const char *option;    /* ulimit option */
	rlim_t unit;           /* 1: a count; otherwise bytes */
	rlim_t floor;          /* below this hard limit nook cannot run */
	rlim_t want;           /* the soft limit nook raises itself to */
};

static const struct need needs[] = {
	/* the init's set-up path needs ~40 KiB of stack; ASan builds more */
	{ RLIMIT_STACK, "stack size", "-s", 2, 64 * 1024, 8 * 1024 * 1024 },
	/* sync sockets, pidfds, signalfd, pty, relays, helpers' pipes */
	{ RLIMIT_NOFILE, "number of open files", "-n", 1, 32, 1024 },
	/* /etc/hosts, hostname files, state records, the seccomp program */
	{ RLIMIT_FSIZE, "file size", "-f", 2, 1024 * 1024, RLIM_INFINITY },
};

#define N_NEEDS (sizeof(needs) / sizeof(needs[0]))

static struct {
	bool saved;
	rlim_t soft;    /* the caller's */
	rlim_t raised;  /* what nook set */
} saved[N_NEEDS];

/* a limit as people read it: a count, or bytes in the largest whole unit */
static void show(char *buf, size_t size, rlim_t v, rlim_t unit)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;

	if (v == RLIM_INFINITY) {
		snprintf(buf, size, "unlimited");
		return;
	}
	if (unit == 1) {
		snprintf(buf, size, "%llu", (unsigned long long)v);
		return;
	}
	while (u + 1 < sizeof(units) / sizeof(units[0]) && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%llu %s", (unsigned long long)v, units[u]);
}

int nook_self_limits_prepare(struct nook_error *err)
{
	for (size_t i = 0; i < N_NEEDS; i++) {
		const struct need *n = &needs[i];
		struct rlimit rl;

		if (getrlimit(n->resource, &rl) < 0 || rl.rlim_cur >= n->want ||
		    rl.rlim_cur == RLIM_INFINITY)
			continue;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n->floor) {
			char have[32], need[32];

			show(have, sizeof(have), rl.rlim_max, n->unit);
			show(need, sizeof(need), n->floor, n->unit);
			return nook_errx(err, EINVAL,
					 "the %s limit (`ulimit %s`) is %s, also as the hard limit; nook needs at least %s to start a container: raise it in a new shell",
					 n->what, n->option, have, need);
		}
		struct rlimit up = rl;
		up.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > n->want) ? n->want : rl.rlim_max;
		if (!saved[i].saved) {
			saved[i].saved = true;
			saved[i].soft = rl.rlim_cur;
		}
		saved[i].raised = up.rlim_cur;
		if (setrlimit(n->resource, &up) < 0)
			return nook_err(err, errno, "cannot raise nook's own %s limit", n->what);
	}
	return 0;
}

int nook_self_limits_restore(struct nook_error *err)
{
	for (size_t i = 0; i < N_NEEDS; i++) {
		struct rlimit rl;

		/* the stack stays until the execve itself (nook_self_limits_exec) */
		if (!saved[i].saved || needs[i].resource == RLIMIT_STACK)
			continue;
		if (getrlimit(needs[i].resource, &rl) < 0)
			return nook_err(err, errno, "getrlimit");
		rl.rlim_cur = saved[i].soft;
		if (setrlimit(needs[i].resource, &rl) < 0)
			return nook_err(err, errno, "cannot give the payload its %s limit back", needs[i].what);
	}
	return 0;
}

/* The stack limit is read by execve (the new program's stack) and by every
 * fault that grows the current one: lowered only around the execve, so
 * that nook's own error path after a failed execve keeps its stack. A
 * limit the profile set since (rlimits.stack) is left alone. */
int nook_self_limits_exec(const char *path, char *const *argv, char *const *envp)
{
	struct rlimit rl;
	bool lowered = false;

	for (size_t i = 0; i < N_NEEDS; i++) {
		if (needs[i].resource != RLIMIT_STACK || !saved[i].saved)
			continue;
		if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur == saved[i].raised) {
			struct rlimit low = { .rlim_cur = saved[i].soft, .rlim_max = rl.rlim_max };
			lowered = setrlimit(RLIMIT_STACK, &low) == 0;
		}
	}
	execve(path, argv, envp);
	int e = errno;
	if (lowered)
		(void)setrlimit(RLIMIT_STACK, &rl);
	errno = e;
	return -1;
}

const char *nook_limits_hint(void)
{
	static const struct {
		int resource;
		const char *what, *option;
		rlim_t unit, low;
	} low[] = {
		{ RLIMIT_AS, "address-space", "-v", 2, 256u << 20 },
		{ RLIMIT_DATA, "data-segment", "-d", 2, 256u << 20 },
		{ RLIMIT_NPROC, "process-count", "-u", 1, 64 },
		{ RLIMIT_NOFILE, "open-files", "-n", 1, 64 },
		{ RLIMIT_FSIZE, "file-size", "-f", 2, 1u << 20 },
	};
	static char buf[256];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		struct rlimit rl;
		char v[32];

		if (getrlimit(low[i].resource, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
		    rl.rlim_cur >= low[i].low)
			continue;
		show(v, sizeof(v), rl.rlim_cur, low[i].unit);
		nook_append(buf, sizeof(buf), &off, "%s the %s limit (`ulimit %s`) is %s",
			    off ? ";" : " (perhaps because", low[i].what, low[i].option, v);
	}
	if (off)
		nook_append(buf, sizeof(buf), &off, ")");
	return buf;
}
