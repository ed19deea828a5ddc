/* SPDX-License-Identifier: GPL-2.0-or-later */
/* caps.c - the payload's capability sets (libcap).
 *
 * Inside the user namespace a uid-0 payload keeps podman's default set; a
 * payload running as another uid keeps nothing in its permitted/effective
 * sets. The bounding set is trimmed to the kept set for every uid, the
 * inheritable set stays empty and ambient capabilities are raised only when
 * the profile names them (they must be part of the kept set).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/capability.h>

#include "nook/security.h"
#include "nook/cleanup.h"
#include "nook/util.h"

/* podman's default capabilities (containers.conf default_capabilities). */
static const int default_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL,
	CAP_NET_BIND_SERVICE, CAP_SETFCAP, CAP_SETGID, CAP_SETPCAP,
	CAP_SETUID, CAP_SYS_CHROOT,
};

uint64_t nook_caps_default(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
		m |= NOOK_CAP_BIT(default_caps[i]);
	return m;
}

int nook_cap_from_name(const char *name)
{
	char buf[64];
	size_t n;
	cap_value_t v;

	if (!name || !*name)
		return -1;
	if (strncasecmp(name, "cap_", 4) == 0)
		name += 4;
	n = strlen(name);
	if (n + 5 > sizeof(buf))
		return -1;
	memcpy(buf, "cap_", 4);
	for (size_t i = 0; i <= n; i++)
		buf[4 + i] = (char)tolower((unsigned char)name[i]);
	/* libcap also accepts plain numbers; capability names only here. */
	if (isdigit((unsigned char)buf[4]))
		return -1;
	if (cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
		return -1;
	return v;
}

/* Read once per nook: the child inherits the value the parent read, so the
 * container's start does not read it again (twice) after the pivot. */
int nook_caps_last_cap(void)
{
	static int cached = -1;
	if (cached >= 0)
		return cached;
	char *s = nook_read_file("/proc/sys/kernel/cap_last_cap", 32, NULL);
	int last = -1;

	if (s) {
		last = atoi(s);
		free(s);
	}
	if (last <= 0 || last > 63)
		last = (int)cap_max_bits() - 1;
	if (last > 63)
		last = 63;
	return cached = last;
}

static uint64_t all_caps(int last_cap)
{
	return last_cap >= 63 ? UINT64_MAX : (NOOK_CAP_BIT(last_cap + 1) - 1);
}

static int names_to_mask(char *const *names, const char *what, bool allow_all,
			 int last_cap, uint64_t *mask, bool *has_all,
			 struct nook_error *err)
{
	*mask = 0;
	*has_all = false;
	for (size_t i = 0; names && names[i]; i++) {
		int c;

		if (strcasecmp(names[i], "ALL") == 0) {
			if (!allow_all)
				return nook_errx(err, EINVAL,
						 "capabilities.%s: 'ALL' is not allowed here; name each capability",
						 what);
			*has_all = true;
			continue;
		}
		c = nook_cap_from_name(names[i]);
		if (c < 0)
			return nook_errx(err, EINVAL,
					 "capabilities.%s: unknown capability '%s' (names are listed in capabilities(7), e.g. NET_ADMIN)",
					 what, names[i]);
		if (c > last_cap)
			continue; /* the running kernel does not know it */
		*mask |= NOOK_CAP_BIT(c);
	}
	return 0;
}

int nook_caps_compute(char *const *add, char *const *drop, int last_cap,
		      uint64_t *keep, struct nook_error *err)
{
	uint64_t add_m, drop_m, k;
	bool add_all, drop_all;
	int r;

	r = names_to_mask(add, "add", true, last_cap, &add_m, &add_all, err);
	if (r < 0)
		return r;
	r = names_to_mask(drop, "drop", true, last_cap, &drop_m, &drop_all, err);
	if (r < 0)
		return r;

	k = nook_caps_default() & all_caps(last_cap);
	if (drop_all)
		k = 0;
	if (add_all)
		k = all_caps(last_cap);
	k |= add_m;
	k &= ~drop_m;
	*keep = k;
	return 0;
}

int nook_caps_ambient(char *const *ambient, uint64_t keep, int last_cap,
		      uint64_t *out, struct nook_error *err)
{
	uint64_t m;
	bool all;
	int r;

	r = names_to_mask(ambient, "ambient", true, last_cap, &m, &all, err);
	if (r < 0)
		return r;
	if (all)
		m = keep;
	if (m & ~keep) {
		for (int c = 0; c <= last_cap; c++) {
			if (!(m & ~keep & NOOK_CAP_BIT(c)))
				continue;
			char *n = cap_to_name(c);
			nook_errx(err, EINVAL,
				  "capabilities.ambient: %s is not in the kept set (add it with capabilities.add or --cap-add)",
				  n ? n : "?");
			cap_free(n);
			return -EINVAL;
		}
	}
	*out = m;
	return 0;
}

/* The container's init trims the bounding set before it forks the payload,
 * and the payload (a fork of the init, so this memory is a copy) asks for
 * the same set again: remember what was done to skip the second pass. */
static struct {
	bool done;
	uint64_t keep;
	int last_cap;
} trimmed;

int nook_caps_trim_init(const struct nook_spec *s, struct nook_error *err)
{
	uint64_t keep;
	int r = nook_caps_compute(s->cap_add, s->cap_drop, nook_caps_last_cap(), &keep, err);
	if (r < 0)
		return r;
	return nook_caps_apply_bounding(keep, nook_caps_last_cap(), err);
}

int nook_caps_apply_bounding(uint64_t keep, int last_cap, struct nook_error *err)
{
	if (trimmed.done && trimmed.keep == keep && trimmed.last_cap == last_cap)
		return 0;
	for (int c = 0; c <= last_cap; c++) {
		if (keep & NOOK_CAP_BIT(c))
			continue;
		/* dropping a capability that is already gone succeeds, so try
		 * that first and ask only when the drop is refused */
		if (prctl(PR_CAPBSET_DROP, (unsigned long)c, 0L, 0L, 0L) == 0)
			continue;
		int e = errno;
		if (prctl(PR_CAPBSET_READ, (unsigned long)c, 0L, 0L, 0L) <= 0)
			continue;
		return nook_err(err, e, "cannot drop capability %d from the bounding set", c);
	}
	trimmed.done = true;
	trimmed.keep = keep;
	trimmed.last_cap = last_cap;
	return 0;
}

static int set_flag_mask(cap_t caps, cap_flag_t flag, uint64_t m, int last_cap)
{
	for (int c = 0; c <= last_cap; c++) {
		cap_value_t v = c;
		if (!(m & NOOK_CAP_BIT(c)))
			continue;
		if (cap_set_flag(caps, flag, 1, &v, CAP_SET) < 0)
			return -errno;
	}
	return 0;
}

int nook_caps_apply_sets(uint64_t permitted, uint64_t inheritable, uint64_t ambient,
			 int last_cap, struct nook_error *err)
{
	cap_t caps = cap_init();
	int r = 0;

	if (!caps)
		return nook_err(err, errno, "cannot allocate a capability set");
	if (set_flag_mask(caps, CAP_PERMITTED, permitted, last_cap) < 0 ||
	    set_flag_mask(caps, CAP_EFFECTIVE, permitted, last_cap) < 0 ||
	    set_flag_mask(caps, CAP_INHERITABLE, inheritable, last_cap) < 0) {
		r = nook_err(err, errno, "cannot build the capability set");
		goto out;
	}
	if (cap_set_proc(caps) < 0) {
		r = nook_err(err, errno, "cannot set the payload's capabilities");
		goto out;
	}
	/* one call clears the whole ambient set (libcap lowers them one by one) */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L) < 0 && errno != EINVAL) {
		r = nook_err(err, errno, "cannot clear the ambient capability set");
		goto out;
	}
	for (int c = 0; c <= last_cap; c++) {
		if (!(ambient & NOOK_CAP_BIT(c)))
			continue;
		if (cap_set_ambient(c, CAP_SET) < 0) {
			r = nook_err(err, errno, "cannot raise ambient capability %d", c);
			goto out;
		}
	}
out:
	cap_free(caps);
	return r;
}

int nook_caps_raise_effective(struct nook_error *err)
{
	cap_t caps = cap_get_proc();
	int r = 0;

	if (!caps)
		return nook_err(err, errno, "cannot read the payload's capabilities");
	for (cap_value_t c = 0; c <= (cap_value_t)nook_caps_last_cap(); c++) {
		cap_flag_value_t v;
		if (cap_get_flag(caps, c, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_SET);
	}
	if (cap_set_proc(caps) < 0)
		r = nook_err(err, errno, "cannot raise the effective capabilities");
	cap_free(caps);
	return r;
}

uint64_t nook_caps_permitted_now(void)
{
	cap_t caps = cap_get_proc();
	uint64_t m = 0;

	if (!caps)
		return 0;
	for (int c = 0; c <= nook_caps_last_cap(); c++) {
		cap_flag_value_t v;
		if (cap_get_flag(caps, c, CAP_PERMITTED, &v) == 0 && v == CAP_SET)
			m |= NOOK_CAP_BIT(c);
	}
	cap_free(caps);
	return m;
}

/* The capabilities root inside needs to install packages, in the order the
 * hint names them. */
static const int pkg_caps[] = { CAP_SETUID, CAP_SETGID, CAP_CHOWN, CAP_FOWNER, CAP_DAC_OVERRIDE };
static const char *const pkg_cap_names[] = { "SETUID", "SETGID", "CHOWN", "FOWNER", "DAC_OVERRIDE" };

/* A word of the command line that is a package manager's name. */
static bool names_package_manager(char *const *argv)
{
	static const char *const tools[] = { "apt", "apt-get", "aptitude", "dpkg", "apk", "dnf", "yum",
					     "microdnf", "zypper", "pacman", "rpm", NULL };
	for (size_t i = 0; argv && argv[i]; i++) {
		const char *p = argv[i];
		while (*p) {
			size_t n = strcspn(p, " \t;&|()'\"`\n");
			const char *w = p, *slash;
			/* /usr/bin/apt-get counts as apt-get */
			while ((slash = memchr(w, '/', n - (size_t)(w - p))))
				w = slash + 1;
			size_t wl = n - (size_t)(w - p);
			for (size_t t = 0; tools[t]; t++)
				if (wl == strlen(tools[t]) && strncmp(w, tools[t], wl) == 0)
					return true;
			p += n;
			while (*p && strchr(" \t;&|()'\"`\n", *p))
				p++;
		}
	}
	return false;
}

void nook_caps_hint(const struct nook_spec *s, char *buf, size_t size)
{
	struct nook_error e = { 0 };
	uint64_t keep;
	if (size)
		buf[0] = '\0';
	if (s->uid != 0 || nook_caps_compute(s->cap_add, s->cap_drop, nook_caps_last_cap(), &keep, &e) < 0 ||
	    !names_package_manager(s->argv))
		return;
	char missing[96] = "";
	size_t off = 0;
	for (size_t i = 0; i < sizeof pkg_caps / sizeof *pkg_caps; i++)
		if (!(keep & NOOK_CAP_BIT(pkg_caps[i])))
			nook_append(missing, sizeof missing, &off, "%s%s", off ? "," : "", pkg_cap_names[i]);
	if (!off)
		return;
	snprintf(buf, size, "hint: the command ran as root without CAP_%s; package managers need %s to drop "
		 "privileges and set owners (apt: 'setgroups 65534 failed'; dpkg: chown): --cap-add %s, or "
		 "security.capabilities.add in the profile", missing, strchr(missing, ',') ? "them" : "it", missing);
}
