/* SPDX-License-Identifier: GPL-2.0-or-later */
/* parse.c - the pure parts of cgroup handling: /proc/self/cgroup,
 * mountinfo, controller lists, cpu.max, leaf names and keyed files. No
 * system calls here, so all of it is unit-tested. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nook/cgroup.h"
#include "nook/cleanup.h"
#include "nook/util.h"

static const char *const controller_names[NOOK_CG_N_CONTROLLERS] = {
	"cpu", "cpuset", "io", "memory", "pids",
};

const char *nook_cgroup_controller_name(unsigned bit)
{
	for (unsigned i = 0; i < NOOK_CG_N_CONTROLLERS; i++)
		if (bit == 1u << i)
			return controller_names[i];
	return NULL;
}

static unsigned controller_bit(const char *name, size_t len)
{
	for (unsigned i = 0; i < NOOK_CG_N_CONTROLLERS; i++)
		if (strlen(controller_names[i]) == len &&
		    memcmp(controller_names[i], name, len) == 0)
			return 1u << i;
	return 0;
}

/* Splits on spaces, tabs, newlines and (for v1 lines) commas. */
static unsigned parse_names(const char *list, const char *seps)
{
	unsigned bits = 0;
	const char *p = list;
	while (p && *p) {
		size_t skip = strspn(p, seps);
		p += skip;
		size_t n = strcspn(p, seps);
		if (n == 0)
			break;
		bits |= controller_bit(p, n);
		p += n;
	}
	return bits;
}

unsigned nook_cgroup_parse_controllers(const char *list)
{
	return parse_names(list, " \t\n");
}

unsigned nook_cgroup_wanted(const struct nook_spec *s)
{
	unsigned bits = 0;
	if (s->memory || s->memory_swap || s->memory_low)
		bits |= NOOK_CG_MEMORY;
	if (s->cpu_quota_us || s->cpu_weight)
		bits |= NOOK_CG_CPU;
	if (s->io_weight)
		bits |= NOOK_CG_IO;
	if (s->pids)
		bits |= NOOK_CG_PIDS;
	if ((s->cpuset_cpus && *s->cpuset_cpus) || (s->cpuset_mems && *s->cpuset_mems))
		bits |= NOOK_CG_CPUSET;
	return bits;
}

const char *nook_cgroup_key_for(const struct nook_spec *s, unsigned bit)
{
	if (s->cgroup_oci_keys) {
		switch (bit) {
		case NOOK_CG_MEMORY:
			return s->memory ? "linux.resources.memory.limit" :
			       s->memory_low ? "linux.resources.memory.reservation" : "linux.resources.memory.swap";
		case NOOK_CG_CPU:
			return s->cpu_quota_us ? "linux.resources.cpu.quota" : "linux.resources.cpu.shares";
		case NOOK_CG_IO:
			return "linux.resources.blockIO.weight";
		case NOOK_CG_PIDS:
			return "linux.resources.pids.limit";
		case NOOK_CG_CPUSET:
			return "linux.resources.cpu.cpus";
		}
		return "linux.resources";
	}
	switch (bit) {
	case NOOK_CG_MEMORY:
		return s->memory ? "resources.memory" : "resources.memory_swap";
	case NOOK_CG_CPU:
		return s->cpu_quota_us ? "resources.cpus" : "resources.cpu_weight";
	case NOOK_CG_IO:
		return "resources.io_weight";
	case NOOK_CG_PIDS:
		return "resources.pids";
	case NOOK_CG_CPUSET:
		return "resources.cpuset";
	}
	return "resources";
}

int nook_cgroup_parse_proc(const char *text, char **v2path, unsigned *v1_bits)
{
	unsigned v1 = 0;
	char *found = NULL;
	const char *line = text;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		/* hierarchy-ID:controller-list:cgroup-path */
		const char *c1 = memchr(line, ':', len);
		const char *c2 = c1 ? memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)) : NULL;
		if (c1 && c2) {
			size_t plen = len - (size_t)(c2 + 1 - line);
			if (c1 - line == 1 && line[0] == '0' && c2 == c1 + 1) {
				free(found);
				found = nook_xmalloc(plen + 1);
				memcpy(found, c2 + 1, plen);
			} else {
				_cleanup_free_ char *names = nook_xmalloc((size_t)(c2 - c1));
				memcpy(names, c1 + 1, (size_t)(c2 - c1 - 1));
				v1 |= parse_names(names, ",");
			}
		}
		line = end ? end + 1 : NULL;
	}
	if (v1_bits)
		*v1_bits = v1;
	if (!found || found[0] != '/') {
		free(found);
		return -ENOENT;
	}
	*v2path = found;
	return 0;
}

/* Decode mountinfo's octal escapes (\040 space, \011 tab, \012, \134). */
static char *unescape(const char *s, size_t n)
{
	char *out = nook_xmalloc(n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 3 < n &&
		    s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			*o++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Field i (0-based) of a space-separated line, as pointer and length. */
static bool field(const char *line, size_t len, unsigned i, const char **f, size_t *flen)
{
	const char *p = line, *end = line + len;
	for (unsigned k = 0;; k++) {
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			return false;
		const char *q = p;
		while (q < end && *q != ' ')
			q++;
		if (k == i) {
			*f = p;
			*flen = (size_t)(q - p);
			return true;
		}
		p = q;
	}
}

static int mount_rank(const char *mp)
{
	if (strcmp(mp, "/sys/fs/cgroup") == 0)
		return 3;
	if (strcmp(mp, "/sys/fs/cgroup/unified") == 0)
		return 2;
	return 1;
}

/* Is `opt` one of the comma-separated options in [p, p+n)? */
static bool has_option(const char *p, size_t n, const char *opt)
{
	size_t ol = strlen(opt);
	while (n > 0) {
		size_t l = 0;
		while (l < n && p[l] != ',')
			l++;
		if (l == ol && memcmp(p, opt, ol) == 0)
			return true;
		if (l == n)
			break;
		p += l + 1;
		n -= l + 1;
	}
	return false;
}

int nook_cgroup_parse_mountinfo(const char *text, char **mountpoint, char **mount_root,
				bool *nsdelegate)
{
	char *best_mp = NULL, *best_root = NULL;
	bool best_nsd = false;
	int best = 0;
	const char *line = text;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		/* id parent major:minor root mountpoint opts [optional...] - fstype src superopts */
		const char *sep = NULL;
		for (const char *p = line; p + 2 < line + len; p++)
			if (p[0] == ' ' && p[1] == '-' && p[2] == ' ') {
				sep = p;
				break;
			}
		const char *fs, *root, *mp, *sopts;
		size_t fslen, rootlen, mplen, soptslen;
		if (sep && field(sep + 3, len - (size_t)(sep + 3 - line), 0, &fs, &fslen) &&
		    fslen == 7 && memcmp(fs, "cgroup2", 7) == 0 &&
		    field(line, (size_t)(sep - line), 3, &root, &rootlen) &&
		    field(line, (size_t)(sep - line), 4, &mp, &mplen)) {
			_cleanup_free_ char *m = unescape(mp, mplen);
			int rank = mount_rank(m);
			if (rank > best) {
				free(best_mp);
				free(best_root);
				best_mp = TAKE_PTR(m);
				best_root = unescape(root, rootlen);
				best = rank;
				best_nsd = field(sep + 3, len - (size_t)(sep + 3 - line), 2, &sopts, &soptslen) &&
					   has_option(sopts, soptslen, "nsdelegate");
			}
		}
		line = end ? end + 1 : NULL;
	}
	if (!best_mp)
		return -ENOENT;
	*mountpoint = best_mp;
	*mount_root = best_root;
	if (nsdelegate)
		*nsdelegate = best_nsd;
	return 0;
}

char *nook_cgroup_resolve(const char *mountpoint, const char *mount_root,
			  const char *cgpath)
{
	if (!cgpath || cgpath[0] != '/' || !mount_root || mount_root[0] != '/')
		return NULL;
	/* A cgroup outside our namespace's view shows up as "/../x". */
	if (strstr(cgpath, "/..") || strstr(cgpath, " (deleted)"))
		return NULL;
	size_t rl = strlen(mount_root);
	while (rl > 1 && mount_root[rl - 1] == '/')
		rl--;
	const char *rest;
	if (rl == 1) {
		rest = cgpath;
	} else if (strncmp(cgpath, mount_root, rl) == 0 &&
		   (cgpath[rl] == '/' || cgpath[rl] == '\0')) {
		rest = cgpath + rl;
	} else {
		return NULL;
	}
	while (*rest == '/')
		rest++;
	if (!*rest)
		return nook_strdup(mountpoint);
	return nook_path_join(mountpoint, rest);
}

char *nook_cgroup_pick_base(const char *own, bool *in_init)
{
	const char *slash = strrchr(own, '/');
	bool init = slash && slash != own && strcmp(slash + 1, NOOK_CGROUP_INIT_LEAF) == 0;
	if (in_init)
		*in_init = init;
	if (!init)
		return nook_strdup(own);
	char *parent = nook_xmalloc((size_t)(slash - own) + 1);
	memcpy(parent, own, (size_t)(slash - own));
	return parent;
}

int nook_cgroup_format_cpu_max(uint64_t quota_us, uint64_t period_us,
			       char *buf, size_t len)
{
	if (period_us == 0)
		period_us = 100000;
	if (period_us < 1000 || period_us > 1000000)
		return -EINVAL;
	if (quota_us == 0)
		snprintf(buf, len, "max %" PRIu64, period_us);
	else if (quota_us < 1000)
		return -EINVAL;
	else
		snprintf(buf, len, "%" PRIu64 " %" PRIu64, quota_us, period_us);
	return 0;
}

void nook_cgroup_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	int u = -1;
	uint64_t div = 1;
	while (u < 3 && bytes >= div * 1024) {
		div *= 1024;
		u++;
	}
	if (u < 0) {
		snprintf(buf, len, "%" PRIu64 " bytes", bytes);
		return;
	}
	if (bytes % div == 0) {
		snprintf(buf, len, "%" PRIu64 " %s", bytes / div, units[u]);
		return;
	}
	/* one decimal, rounded */
	uint64_t tenths = bytes > UINT64_MAX / 10 ? bytes / (div / 10)
						    : (bytes * 10 + div / 2) / div;
	snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " %s", tenths / 10, tenths % 10, units[u]);
}

void nook_cgroup_leaf_name(pid_t pid, unsigned long long starttime, const char *name,
			   char *buf, size_t len)
{
	int n = snprintf(buf, len, NOOK_CGROUP_LEAF_PREFIX "%d-%llu", (int)pid, starttime);
	if (!name || !*name || n < 0 || (size_t)n + 2 >= len)
		return;
	size_t o = (size_t)n;
	buf[o++] = '-';
	for (size_t i = 0; name[i] && i < 64 && o + 1 < len; i++) {
		unsigned char c = (unsigned char)name[i];
		buf[o++] = (isalnum(c) || c == '_' || c == '.' || c == '-') ? (char)c : '_';
	}
	buf[o] = '\0';
}

bool nook_cgroup_parse_leaf_name(const char *leaf, pid_t *pid, unsigned long long *starttime)
{
	size_t pl = strlen(NOOK_CGROUP_LEAF_PREFIX);
	if (strncmp(leaf, NOOK_CGROUP_LEAF_PREFIX, pl) != 0)
		return false;
	const char *p = leaf + pl;
	if (!isdigit((unsigned char)*p))
		return false;
	char *end;
	errno = 0;
	unsigned long v = strtoul(p, &end, 10);
	if (errno || *end != '-' || v == 0 || v > 0x7fffffffUL)
		return false;
	p = end + 1;
	if (!isdigit((unsigned char)*p))
		return false;
	unsigned long long st = strtoull(p, &end, 10);
	if (errno || (*end != '\0' && *end != '-'))
		return false;
	*pid = (pid_t)v;
	*starttime = st;
	return true;
}

unsigned long long nook_cgroup_parse_starttime(const char *stat_line)
{
	/* "pid (comm) state ppid ..."; comm may hold spaces and ')'. */
	const char *p = stat_line ? strrchr(stat_line, ')') : NULL;
	if (!p)
		return 0;
	p++;
	/* After ')' come fields 3.. ; starttime is field 22, the 20th here. */
	for (int i = 0; i < 19; i++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return 0;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	return strtoull(p, NULL, 10);
}

int nook_cgroup_keyed_value(const char *text, const char *key, uint64_t *value)
{
	size_t kl = strlen(key);
	const char *line = text;
	while (line && *line) {
		const char *end = strchr(line, '\n');
		if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
			char *e;
			errno = 0;
			unsigned long long v = strtoull(line + kl + 1, &e, 10);
			if (errno || e == line + kl + 1)
				return -EINVAL;
			*value = v;
			return 0;
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}
