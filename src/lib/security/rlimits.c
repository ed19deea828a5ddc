/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rlimits.c - resource limits of the payload (setrlimit before execve).
 *
 * Raising a hard limit above the caller's needs CAP_SYS_RESOURCE in the
 * initial user namespace, which a rootless container never has; such a
 * limit fails with a message that says what the caller's limit is.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include "nook/security.h"

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "nofile", RLIMIT_NOFILE },
	{ "nproc", RLIMIT_NPROC },
	{ "core", RLIMIT_CORE },
	{ "as", RLIMIT_AS },
	{ "cpu", RLIMIT_CPU },
	{ "fsize", RLIMIT_FSIZE },
	{ "memlock", RLIMIT_MEMLOCK },
	{ "stack", RLIMIT_STACK },
	{ "data", RLIMIT_DATA },
	{ "locks", RLIMIT_LOCKS },
	{ "msgqueue", RLIMIT_MSGQUEUE },
	{ "nice", RLIMIT_NICE },
	{ "rtprio", RLIMIT_RTPRIO },
	{ "rttime", RLIMIT_RTTIME },
	{ "sigpending", RLIMIT_SIGPENDING },
	{ "rss", RLIMIT_RSS },
};

#define N_NAMES (sizeof(rlimit_names) / sizeof(rlimit_names[0]))

int nook_rlimit_from_name(const char *name)
{
	if (!name)
		return -1;
	/* accept "nofile", "NOFILE" and "RLIMIT_NOFILE" */
	if (strncasecmp(name, "rlimit_", 7) == 0)
		name += 7;
	for (size_t i = 0; i < N_NAMES; i++)
		if (strcasecmp(name, rlimit_names[i].name) == 0)
			return rlimit_names[i].resource;
	return -1;
}

const char *nook_rlimit_name(int resource)
{
	for (size_t i = 0; i < N_NAMES; i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return "unknown";
}

static rlim_t to_rlim(uint64_t v)
{
	return v == UINT64_MAX ? RLIM_INFINITY : (rlim_t)v;
}

int nook_rlimits_check(const struct nook_rlimit *r, size_t n, struct nook_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = nook_rlimit_name(r[i].resource);

		if (r[i].resource < 0 || r[i].resource >= RLIM_NLIMITS ||
		    strcmp(name, "unknown") == 0)
			return nook_errx(err, EINVAL, "rlimits: unknown resource %d", r[i].resource);
		if (to_rlim(r[i].soft) > to_rlim(r[i].hard))
			return nook_errx(err, EINVAL,
					 "rlimits.%s: soft limit %llu is above the hard limit %llu (lower soft or raise hard)",
					 name, (unsigned long long)r[i].soft,
					 (unsigned long long)r[i].hard);
		for (size_t j = 0; j < i; j++)
			if (r[j].resource == r[i].resource)
				return nook_errx(err, EINVAL, "rlimits.%s is given twice", name);
	}
	return 0;
}

int nook_rlimits_apply(const struct nook_rlimit *r, size_t n, struct nook_error *err)
{
	int ret = nook_rlimits_check(r, n, err);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++) {
		struct rlimit rl = { .rlim_cur = to_rlim(r[i].soft), .rlim_max = to_rlim(r[i].hard) };

		if (setrlimit(r[i].resource, &rl) == 0)
			continue;
		int e = errno;
		struct rlimit cur;
		if (e == EPERM && getrlimit(r[i].resource, &cur) == 0) {
			char buf[32];
			if (cur.rlim_max == RLIM_INFINITY)
				snprintf(buf, sizeof(buf), "unlimited");
			else
				snprintf(buf, sizeof(buf), "%llu", (unsigned long long)cur.rlim_max);
			return nook_errx(err, e,
					 "rlimits.%s: cannot raise the hard limit above %s without privileges (ask for %s or less)",
					 nook_rlimit_name(r[i].resource), buf, buf);
		}
		return nook_err(err, e, "rlimits.%s: setrlimit", nook_rlimit_name(r[i].resource));
	}
	return 0;
}
