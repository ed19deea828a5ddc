/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_profile.c - unit tests of the profile loader: units, variables,
 * the YAML tree, merge rules, overrides, every key of the table, extends,
 * error messages, and the emitter round trip. */
#include <fcntl.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "tap.h"
#include "nook/cleanup.h"
#include "nook/desktop.h"
#include "nook/net.h"
#include "nook/profile.h"
#include "nook/spec.h"
#include "nook/util.h"
#include "../../src/lib/profile/keys.h"
#include "spec_equal.h"
#include "args.h"

#ifndef NOOK_TEST_SRCDIR
#define NOOK_TEST_SRCDIR "."
#endif

static char tmpdir[] = "/tmp/nook-test.profile-XXXXXX";

static void setup(void)
{
	if (!mkdtemp(tmpdir))
		abort();
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		abort();
	strcpy(tmpdir, "/tmp/nook-test.profile-XXXXXX");
}

static char *write_tmp(const char *name, const char *text)
{
	char *p = nook_asprintf("%s/%s", tmpdir, name);
	ck_assert_int_eq(nook_write_file(p, text, strlen(text), O_CREAT | O_TRUNC), 0);
	return p;
}

/* resolve YAML text written to a temp file; returns the resolve result */
static int load(const char *yaml, char *const *ov, struct nook_spec *s, struct nook_error *e)
{
	char *p = write_tmp("p.yaml", yaml);
	memset(e, 0, sizeof *e);
	int r = nook_profile_resolve_ex(p, ov, NULL, NOOK_PROFILE_ALLOW_NO_COMMAND, s, e);
	free(p);
	return r;
}

/* the error for YAML text, with the temp dir replaced by "T" */
static const char *errmsg(const char *yaml, char *const *ov)
{
	static char buf[NOOK_ERR_MAX];
	struct nook_spec s;
	struct nook_error e;
	int r = load(yaml, ov, &s, &e);
	ck_assert_int_lt(r, 0);
	ck_assert_int_eq(e.exit_status, 125);
	const char *m = e.msg;
	size_t tl = strlen(tmpdir);
	if (strncmp(m, tmpdir, tl) == 0) {
		snprintf(buf, sizeof buf, "T%s", m + tl);
	} else {
		snprintf(buf, sizeof buf, "%s", m);
	}
	return buf;
}

/* ---------------------------------------------------------------- units */

START_TEST(test_sizes)
{
	uint64_t v;
	const char *why;
	ck_assert_int_eq(nook_parse_size("512M", &v, &why), 0);
	ck_assert_uint_eq(v, 512ull << 20);
	ck_assert_int_eq(nook_parse_size("2G", &v, &why), 0);
	ck_assert_uint_eq(v, 2ull << 30);
	ck_assert_int_eq(nook_parse_size("1.5G", &v, &why), 0);
	ck_assert_uint_eq(v, 3ull << 29);
	ck_assert_int_eq(nook_parse_size("1024", &v, &why), 0);
	ck_assert_uint_eq(v, 1024);
	ck_assert_int_eq(nook_parse_size("64KiB", &v, &why), 0);
	ck_assert_uint_eq(v, 65536);
	ck_assert_int_eq(nook_parse_size("1t", &v, &why), 0);
	ck_assert_uint_eq(v, 1ull << 40);
	ck_assert_int_eq(nook_parse_size("0.5K", &v, &why), 0);
	ck_assert_uint_eq(v, 512);
	const char *bad[] = { "", "M", "1.5", "1X", "-1", "+1", "1..5G", " 1G", "1G ", "1.G", "1e3",
			      "0.1", "1.0000000001G", "99999999999999999999", "20000P", "16777216T", NULL };
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(nook_parse_size(bad[i], &v, &why) < 0, "'%s' must be rejected", bad[i]);
}
END_TEST

START_TEST(test_durations)
{
	uint64_t v;
	const char *why;
	ck_assert_int_eq(nook_parse_duration_ms("90s", &v, &why), 0);
	ck_assert_uint_eq(v, 90000);
	ck_assert_int_eq(nook_parse_duration_ms("10m", &v, &why), 0);
	ck_assert_uint_eq(v, 600000);
	ck_assert_int_eq(nook_parse_duration_ms("1h30m", &v, &why), 0);
	ck_assert_uint_eq(v, 5400000);
	ck_assert_int_eq(nook_parse_duration_ms("250ms", &v, &why), 0);
	ck_assert_uint_eq(v, 250);
	ck_assert_int_eq(nook_parse_duration_ms("1.5h", &v, &why), 0);
	ck_assert_uint_eq(v, 5400000);
	ck_assert_int_eq(nook_parse_duration_ms("2d", &v, &why), 0);
	ck_assert_uint_eq(v, 172800000);
	const char *bad[] = { "", "10", "s", "5x", "0s", "1.0001s", "1.5ms", "10 s", "-1s",
			      "99999999999999999999d", "1h-", NULL };
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(nook_parse_duration_ms(bad[i], &v, &why) < 0, "'%s' must be rejected", bad[i]);
	ck_assert_int_eq(nook_parse_duration_ms("10", &v, &why), -EINVAL);
	ck_assert_str_eq(why, "a duration needs a unit (90s, 10m, 1h)");
}
END_TEST

START_TEST(test_cpus)
{
	uint64_t q, p;
	const char *why;
	ck_assert_int_eq(nook_parse_cpus("1.5", &q, &p, &why), 0);
	ck_assert_uint_eq(q, 150000);
	ck_assert_uint_eq(p, 100000);
	ck_assert_int_eq(nook_parse_cpus("2", &q, &p, &why), 0);
	ck_assert_uint_eq(q, 200000);
	ck_assert_int_eq(nook_parse_cpus("0.25", &q, &p, &why), 0);
	ck_assert_uint_eq(q, 25000);
	ck_assert_int_eq(nook_parse_cpus("0.01", &q, &p, &why), 0);
	ck_assert_uint_eq(q, 1000);
	const char *bad[] = { "", "0", "0.001", "abc", "1.123456", "1,5", "-1", "1.5x", NULL };
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(nook_parse_cpus(bad[i], &q, &p, &why) < 0, "'%s' must be rejected", bad[i]);
}
END_TEST

/* ---------------------------------------------------------------- variables */

START_TEST(test_vars)
{
	char why[512];
	char *v;
	setenv("HOME", "/home/ann", 1);
	setenv("NOOK_T_A", "aa", 1);
	unsetenv("NOOK_T_NOPE");
	v = nook_vars_expand("${HOME}/x", why, sizeof why);
	ck_assert_str_eq(v, "/home/ann/x");
	free(v);
	v = nook_vars_expand("${env:NOOK_T_A}-${env:NOOK_T_NOPE:-dflt}", why, sizeof why);
	ck_assert_str_eq(v, "aa-dflt");
	free(v);
	v = nook_vars_expand("${env:NOOK_T_NOPE:-${env:NOOK_T_A}}", why, sizeof why);
	ck_assert_str_eq(v, "aa");
	free(v);
	v = nook_vars_expand("cost $5 and $$HOME", why, sizeof why);
	ck_assert_str_eq(v, "cost $5 and $HOME");
	free(v);
	char num[32];
	snprintf(num, sizeof num, "%u:%u", (unsigned)getuid(), (unsigned)getgid());
	v = nook_vars_expand("${UID}:${GID}", why, sizeof why);
	ck_assert_str_eq(v, num);
	free(v);
	ck_assert_ptr_null(nook_vars_expand("${env:NOOK_T_NOPE}", why, sizeof why));
	ck_assert_str_eq(why, "variable '${env:NOOK_T_NOPE}' is not defined (give a default: ${env:NOOK_T_NOPE:-VALUE})");
	ck_assert_ptr_null(nook_vars_expand("${HOMEDIR}", why, sizeof why));
	ck_assert_msg(strstr(why, "unknown variable '${HOMEDIR}'"), "%s", why);
	ck_assert_ptr_null(nook_vars_expand("${HOME", why, sizeof why));
	ck_assert_ptr_null(nook_vars_expand("${}", why, sizeof why));
	ck_assert_ptr_null(nook_vars_expand("${env:A-B}", why, sizeof why));
}
END_TEST

/* ---------------------------------------------------------------- tree, merge */

START_TEST(test_tree_positions)
{
	struct nook_node *n = NULL;
	struct nook_error e = { 0 };
	const char *y = "a: 1\nb:\n  c: [x, \"y\"]\n";
	ck_assert_int_eq(nook_yaml_parse(y, strlen(y), "f.yaml", &n, &e), 0);
	const struct nook_node *b = nook_map_get(n, "b");
	ck_assert_int_eq(b->kind, NOOK_NODE_MAP);
	const struct nook_node *c = nook_map_get(b, "c");
	ck_assert_int_eq(c->kind, NOOK_NODE_SEQ);
	ck_assert_uint_eq(c->line, 3);
	ck_assert_uint_eq(c->col, 6);
	ck_assert_uint_eq(c->items[1]->col, 10);
	ck_assert(!c->items[0]->quoted);
	ck_assert(c->items[1]->quoted);
	nook_node_free(n);

	const char *dup = "a: 1\nb: 2\na: 3\n";
	ck_assert_int_lt(nook_yaml_parse(dup, strlen(dup), "f.yaml", &n, &e), 0);
	ck_assert_str_eq(e.msg, "f.yaml:3:1: duplicate key 'a' (first given at line 1)");
	const char *alias = "a: &x 1\nb: *x\n";
	ck_assert_int_lt(nook_yaml_parse(alias, strlen(alias), "f.yaml", &n, &e), 0);
	ck_assert_str_eq(e.msg, "f.yaml:1:4: YAML anchors and aliases are not supported (use extends: to share settings)");
	ck_assert_int_lt(nook_yaml_parse("", 0, "f.yaml", &n, &e), 0);
	ck_assert_str_eq(e.msg, "f.yaml:1:1: empty profile (a profile is a map of keys, see nook-profile(5))");
	const char *two = "a: 1\n---\nb: 2\n";
	ck_assert_int_lt(nook_yaml_parse(two, strlen(two), "f.yaml", &n, &e), 0);
	ck_assert_str_eq(e.msg, "f.yaml:2:1: more than one YAML document (remove the '---' separator)");
}
END_TEST

static struct nook_node *parse(const char *y)
{
	struct nook_node *n = NULL;
	struct nook_error e = { 0 };
	ck_assert_msg(nook_yaml_parse(y, strlen(y), "t", &n, &e) == 0, "%s", e.msg);
	return n;
}

/* Two trees are the same nodes: kinds, origins, positions, values, tags,
 * children in order. */
static void same_tree(const struct nook_node *a, const struct nook_node *b, const char *where)
{
	ck_assert_msg(a->kind == b->kind && a->line == b->line && a->col == b->col && a->quoted == b->quoted &&
		      strcmp(a->origin, b->origin) == 0 && !a->value == !b->value && !a->tag == !b->tag &&
		      a->n == b->n, "%s: node at %u:%u differs", where, a->line, a->col);
	if (a->value)
		ck_assert_str_eq(a->value, b->value);
	if (a->tag)
		ck_assert_str_eq(a->tag, b->tag);
	for (size_t i = 0; a->kind == NOOK_NODE_MAP && i < a->n; i++) {
		same_tree(a->pairs[i].key, b->pairs[i].key, where);
		same_tree(a->pairs[i].val, b->pairs[i].val, where);
	}
	for (size_t i = 0; a->kind == NOOK_NODE_SEQ && i < a->n; i++)
		same_tree(a->items[i], b->items[i], where);
}

/* The shipped profiles' trees written at build time (ptree.c) give what
 * libyaml gives for the same text; an edited text goes to libyaml. */
START_TEST(test_shipped_trees)
{
	struct nook_error e = { 0 };
	size_t n = 0;
	for (; nook_shipped_profile_text[n]; n++) {
		const char *text = nook_shipped_profile_text[n];
		struct nook_node *fast = NULL, *slow = NULL;
		ck_assert_uint_eq(nook_shipped_text_len[n], strlen(text));
		ck_assert_int_eq(nook_yaml_parse(text, strlen(text), "/p/x.yaml", &fast, &e), 0);
		ck_assert_int_eq(nook_yaml_parse_text(text, strlen(text), "/p/x.yaml", &slow, &e), 0);
		same_tree(fast, slow, nook_shipped_profile_name[n]);
		nook_node_free(fast);
		/* what the build stored is libyaml's tree */
		ck_assert_int_eq(nook_node_decode(nook_shipped_tree[n], nook_shipped_tree_len[n], "/p/x.yaml", &fast), 0);
		same_tree(fast, slow, nook_shipped_profile_name[n]);
		nook_node_free(fast);
		nook_node_free(slow);
		/* the tree survives its own round trip, and truncated bytes are refused */
		size_t len;
		unsigned char *c;
		ck_assert_int_eq(nook_node_decode(nook_shipped_tree[n], nook_shipped_tree_len[n], "o", &fast), 0);
		c = nook_node_encode(fast, &len);
		ck_assert_uint_eq(len, nook_shipped_tree_len[n]);
		ck_assert(memcmp(c, nook_shipped_tree[n], len) == 0);
		free(c);
		nook_node_free(fast);
		ck_assert_int_eq(nook_node_decode(nook_shipped_tree[n], nook_shipped_tree_len[n] - 1, "o", &fast), -EINVAL);
		ck_assert_ptr_null(fast);
	}
	ck_assert_uint_ge(n, 3);
	/* one byte changed: libyaml's answer, with the change */
	char *edited = nook_strdup(nook_shipped_profile_text[0]);
	char *at = strstr(edited, "hostname: nook");
	ck_assert_ptr_nonnull(at);
	at[13] = 'x';
	struct nook_node *t = NULL;
	ck_assert_int_eq(nook_yaml_parse(edited, strlen(edited), "/p/d.yaml", &t, &e), 0);
	ck_assert_str_eq(nook_map_get(t, "hostname")->value, "noox");
	nook_node_free(t);
	free(edited);
}
END_TEST

START_TEST(test_merge_rules)
{
	struct nook_node *base = parse("m: {a: 1, b: 2}\nl: [1, 2]\ns: x\nr: [1]\nprocess: {args: [a, b]}\n");
	struct nook_node *over = parse("m: {b: 3, c: 4}\nl: [3]\ns: y\nr: !reset [9]\nprocess: {args: [c]}\n");
	struct nook_node *m = nook_node_merge(base, over, "");
	const struct nook_node *mm = nook_map_get(m, "m");
	ck_assert_uint_eq(mm->n, 3);
	ck_assert_str_eq(nook_map_get(mm, "a")->value, "1");
	ck_assert_str_eq(nook_map_get(mm, "b")->value, "3");
	ck_assert_str_eq(nook_map_get(mm, "c")->value, "4");
	const struct nook_node *l = nook_map_get(m, "l");
	ck_assert_uint_eq(l->n, 3);
	ck_assert_str_eq(l->items[2]->value, "3");
	ck_assert_str_eq(nook_map_get(m, "s")->value, "y");
	const struct nook_node *r = nook_map_get(m, "r");
	ck_assert_uint_eq(r->n, 1);
	ck_assert_str_eq(r->items[0]->value, "9");
	const struct nook_node *args = nook_map_get(nook_map_get(m, "process"), "args");
	ck_assert_uint_eq(args->n, 1);
	ck_assert_str_eq(args->items[0]->value, "c");
	nook_node_free(m);
}
END_TEST

START_TEST(test_overrides)
{
	struct nook_node *root = parse("hostname: a\nmounts: [{type: tmpfs, target: /x}]\nrootfs: empty\n");
	struct nook_error e = { 0 };
	ck_assert_int_eq(nook_override_apply(root, "hostname=\"b\"", &e), 0);
	ck_assert_str_eq(nook_map_get(root, "hostname")->value, "b");
	ck_assert_int_eq(nook_override_apply(root, "mounts+={type: tmpfs, target: /y}", &e), 0);
	ck_assert_uint_eq(nook_map_get(root, "mounts")->n, 2);
	ck_assert_int_eq(nook_override_apply(root, "network.ports+=[\"80\"]", &e), 0);
	ck_assert_int_eq(nook_override_apply(root, "network.ports+=[\"81\"]", &e), 0);
	ck_assert_uint_eq(nook_map_get(nook_map_get(root, "network"), "ports")->n, 2);
	ck_assert_int_eq(nook_override_apply(root, "process.env.set.A.B=\"v\"", &e), 0);
	const struct nook_node *set = nook_map_get(nook_map_get(nook_map_get(root, "process"), "env"), "set");
	ck_assert_str_eq(nook_map_get(set, "A.B")->value, "v");
	/* a key below a single value replaces it */
	ck_assert_int_eq(nook_override_apply(root, "rootfs.path=\"/r\"", &e), 0);
	ck_assert_int_eq(nook_map_get(root, "rootfs")->kind, NOOK_NODE_MAP);
	/* += of a map on a missing section sets it; on a missing list, one item */
	ck_assert_int_eq(nook_override_apply(root, "resources+={memory: 1G}", &e), 0);
	ck_assert_int_eq(nook_map_get(root, "resources")->kind, NOOK_NODE_MAP);
	ck_assert_int_eq(nook_override_apply(root, "resources+={pids: 5}", &e), 0);
	ck_assert_uint_eq(nook_map_get(root, "resources")->n, 2);
	ck_assert_int_eq(nook_override_apply(root, "user.uid_map+={inside: 0, outside: 1, count: 1}", &e), 0);
	ck_assert_int_eq(nook_map_get(nook_map_get(root, "user"), "uid_map")->kind, NOOK_NODE_SEQ);
	ck_assert_int_lt(nook_override_apply(root, "mounts.target=/z", &e), 0);
	ck_assert_str_eq(e.msg, "--set mounts.target: 'mounts' is a list; replace it whole or append with mounts+=VALUE");
	ck_assert_int_lt(nook_override_apply(root, "hostname+=x", &e), 0);
	ck_assert_int_lt(nook_override_apply(root, "=x", &e), 0);
	ck_assert_int_lt(nook_override_apply(root, "a..b=x", &e), 0);
	ck_assert_str_eq(e.msg, "--set a..b: empty key in the path (write KEY.SUBKEY=VALUE)");
	ck_assert_int_lt(nook_override_apply(root, "hostname=[unclosed", &e), 0);
	ck_assert_msg(strncmp(e.msg, "--set hostname: invalid YAML", 28) == 0, "%s", e.msg);
	nook_node_free(root);
}
END_TEST

/* ---------------------------------------------------------------- keys */

static const char *every_key =
	"description: all keys\n"
	"name: box1\n"
	"hostname: box\n"
	"namespaces: {pid: true, ipc: false, uts: true, cgroup: false, net: true}\n"
	"user: {mode: subuid, uid: 1000, gid: 100, uid_map: [{inside: 0, outside: 100000, count: 65536}],\n"
	"       gid_map: [{inside: 0, outside: 200000, count: 10}]}\n"
	"rootfs: {path: /srv/root, readonly: true, overlay: {lower: [/srv/l1], upper: /srv/up, work: /srv/wk, driver: kernel}}\n"
	"mounts:\n"
	"  - {type: bind, source: /a, target: /b, optional: true}\n"
	"  - {type: ro-bind, source: /c/./d/, target: /e}\n"
	"  - {type: dev-bind, source: /dev/dri, target: /dev/dri}\n"
	"  - {type: tmpfs, target: /t, size: 64M, mode: \"1777\", options: nr_inodes=100}\n"
	"  - {type: proc, target: /p}\n"
	"  - {type: dir, target: /d, mode: 0700}\n"
	"  - {type: symlink, source: usr/bin, target: /bin}\n"
	"  - {type: file, target: /etc/motd, content: \"hi\\n\", readonly: true}\n"
	"process:\n"
	"  args: [/bin/echo, hi]\n"
	"  env: {clear: true, keep: [NOOK_T_KEEP*], set: {A: '1', B: two}, unset: [NOOK_T_KEEP2]}\n"
	"  cwd: /work\n"
	"  init: false\n"
	"  new_session: false\n"
	"  die_with_parent: false\n"
	"  tty: true\n"
	"  timeout: 1m30s\n"
	"security:\n"
	"  capabilities: {add: [net_admin, CAP_SYS_PTRACE], drop: [ALL], ambient: [NET_ADMIN]}\n"
	"  seccomp:\n"
	"    profile: unconfined\n"
	"    default_errno: ENOSYS\n"
	"    allow_nested_userns: true\n"
	"    rules:\n"
	"      - {syscalls: [ptrace], action: errno, errno: EACCES}\n"
	"      - syscalls: [personality]\n"
	"        action: allow\n"
	"        args: [{index: 0, op: masked_eq, value: 255, value2: 8}]\n"
	"  no_new_privileges: false\n"
	"  landlock: {read: [/usr], write: [/tmp], execute: [/bin], required: true}\n"
	"  masked_paths: [/proc/x]\n"
	"  readonly_paths: [/proc/y]\n"
	"  rlimits: {nofile: {soft: 100, hard: 200}, core: 0, stack: 8M, cpu: unlimited}\n"
	"  minimal_dev: true\n"
	"  cgroup_writable: true\n"
	"resources:\n"
	"  memory: 512M\n"
	"  memory_swap: unlimited\n"
	"  cpus: 1.5\n"
	"  cpu_weight: 200\n"
	"  io_weight: 300\n"
	"  pids: 64\n"
	"  cpuset: {cpus: \"0-1,3\", mems: \"0\"}\n"
	"  required: false\n"
	"  stats_json: /tmp/s.json\n"
	"network: {mode: slirp, ports: [\"8080:80\", \"127.0.0.2:53:5353/udp\", {container_port: 22, host_port: 2222}],\n"
	"          allow_host_loopback: true, mtu: 1500}\n";

START_TEST(test_every_key)
{
	struct nook_spec s;
	struct nook_error e;
	setenv("NOOK_T_KEEP1", "k1", 1);
	setenv("NOOK_T_KEEP2", "k2", 1);
	int r = load(every_key, NULL, &s, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	ck_assert_str_eq(s.name, "box1");
	ck_assert_str_eq(s.hostname, "box");
	ck_assert(s.ns_flags & CLONE_NEWPID);
	ck_assert(!(s.ns_flags & CLONE_NEWIPC));
	ck_assert(!(s.ns_flags & CLONE_NEWCGROUP));
	ck_assert(s.ns_flags & CLONE_NEWUSER);
	ck_assert_int_eq(s.userns, NOOK_USERNS_SUBUID);
	ck_assert_uint_eq(s.uid, 1000);
	ck_assert_uint_eq(s.gid, 100);
	ck_assert_uint_eq(s.n_uid_maps, 1);
	ck_assert_uint_eq(s.uid_maps[0].outside, 100000);
	ck_assert_uint_eq(s.gid_maps[0].count, 10);
	ck_assert_int_eq(s.rootfs.kind, NOOK_ROOTFS_OVERLAY);
	ck_assert(s.rootfs.readonly);
	ck_assert_str_eq(s.rootfs.lower[0], "/srv/l1");
	ck_assert_str_eq(s.rootfs.lower[1], "/srv/root");
	ck_assert_str_eq(s.rootfs.upper, "/srv/up");
	ck_assert_str_eq(s.rootfs.work, "/srv/wk");
	ck_assert_str_eq(s.rootfs.overlay_driver, "kernel");
	ck_assert_uint_eq(s.n_mounts, 8);
	ck_assert_int_eq(s.mounts[0].type, NOOK_MOUNT_BIND);
	ck_assert(s.mounts[0].optional);
	ck_assert(!s.mounts[0].readonly);
	ck_assert_str_eq(s.mounts[1].source, "/c/d");
	ck_assert(s.mounts[1].readonly);
	ck_assert_int_eq(s.mounts[2].type, NOOK_MOUNT_DEV_BIND);
	ck_assert_uint_eq(s.mounts[3].size, 64ull << 20);
	ck_assert_int_eq(s.mounts[3].mode, 01777);
	ck_assert_str_eq(s.mounts[3].options, "nr_inodes=100");
	ck_assert_int_eq(s.mounts[4].type, NOOK_MOUNT_PROC);
	ck_assert_int_eq(s.mounts[5].mode, 0700);
	ck_assert_str_eq(s.mounts[6].source, "usr/bin");
	ck_assert_str_eq(s.mounts[7].content, "hi\n");
	ck_assert(s.mounts[7].readonly);
	ck_assert_str_eq(s.argv[0], "/bin/echo");
	ck_assert_ptr_null(s.argv[2]);
	ck_assert(nook_strv_contains(s.env, "NOOK_T_KEEP1=k1"));
	ck_assert(!nook_strv_contains(s.env, "NOOK_T_KEEP2=k2"));
	ck_assert(nook_strv_contains(s.env, "A=1"));
	ck_assert(nook_strv_contains(s.env, "B=two"));
	ck_assert_str_eq(s.cwd, "/work");
	ck_assert(!s.init && !s.new_session && !s.die_with_parent && s.tty);
	ck_assert_uint_eq(s.timeout_ms, 90000);
	ck_assert_str_eq(s.cap_add[0], "NET_ADMIN");
	ck_assert_str_eq(s.cap_add[1], "SYS_PTRACE");
	ck_assert_str_eq(s.cap_drop[0], "ALL");
	ck_assert_str_eq(s.cap_ambient[0], "NET_ADMIN");
	ck_assert_int_eq(s.seccomp, NOOK_SECCOMP_UNCONFINED);
	ck_assert_int_eq(s.seccomp_default_errno, ENOSYS);
	ck_assert(s.allow_nested_userns);
	ck_assert_uint_eq(s.n_seccomp_rules, 2);
	ck_assert_int_eq(s.seccomp_rules[0].errno_ret, EACCES);
	ck_assert_int_eq(s.seccomp_rules[1].action, NOOK_SCMP_ALLOW);
	ck_assert_int_eq(s.seccomp_rules[1].args[0].op, NOOK_SCMP_OP_MASKED_EQ);
	ck_assert_uint_eq(s.seccomp_rules[1].args[0].value2, 8);
	ck_assert(!s.no_new_privs);
	ck_assert(s.landlock_enabled && s.landlock_required);
	ck_assert_str_eq(s.landlock_execute[0], "/bin");
	ck_assert(nook_strv_contains(s.masked_paths, "/proc/x"));
	ck_assert(nook_strv_contains(s.masked_paths, "/proc/kcore"));
	ck_assert(nook_strv_contains(s.readonly_paths, "/proc/y"));
	ck_assert_uint_eq(s.n_rlimits, 4);
	ck_assert_int_eq(s.rlimits[0].resource, RLIMIT_NOFILE);
	ck_assert_uint_eq(s.rlimits[0].hard, 200);
	ck_assert_uint_eq(s.rlimits[2].soft, 8ull << 20);
	ck_assert_uint_eq(s.rlimits[3].soft, UINT64_MAX);
	ck_assert(s.minimal_dev && s.cgroup_writable);
	ck_assert_uint_eq(s.memory, 512ull << 20);
	ck_assert_uint_eq(s.memory_swap, UINT64_MAX);
	ck_assert_uint_eq(s.cpu_quota_us, 150000);
	ck_assert_uint_eq(s.cpu_period_us, 100000);
	ck_assert_uint_eq(s.cpu_weight, 200);
	ck_assert_uint_eq(s.io_weight, 300);
	ck_assert_uint_eq(s.pids, 64);
	ck_assert_str_eq(s.cpuset_cpus, "0-1,3");
	ck_assert_str_eq(s.cpuset_mems, "0");
	ck_assert(!s.resources_required);
	ck_assert_str_eq(s.stats_json, "/tmp/s.json");
	ck_assert_int_eq(s.net, NOOK_NET_SLIRP);
	ck_assert_uint_eq(s.n_ports, 3);
	ck_assert_uint_eq(s.ports[0].host_port, 8080);
	ck_assert_uint_eq(s.ports[0].container_port, 80);
	ck_assert_str_eq(s.ports[0].host_addr, "127.0.0.1");
	ck_assert_str_eq(s.ports[1].host_addr, "127.0.0.2");
	ck_assert(s.ports[1].udp);
	ck_assert_uint_eq(s.ports[2].host_port, 2222);
	ck_assert(s.allow_host_loopback);
	ck_assert_uint_eq(s.mtu, 1500);
	nook_spec_free(&s);
}
END_TEST

START_TEST(test_defaults_and_env)
{
	struct nook_spec s;
	struct nook_error e;
	setenv("NOOK_T_HOSTVAR", "h", 1);
	int r = load("hostname: x\n", NULL, &s, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	ck_assert_int_eq(s.rootfs.kind, NOOK_ROOTFS_HOST);
	ck_assert(s.init && s.new_session && s.die_with_parent && s.no_new_privs);
	ck_assert(!nook_strv_contains(s.env, "NOOK_T_HOSTVAR=h")); /* cleared by default */
	ck_assert_ptr_nonnull(s.env);
	ck_assert_msg(strncmp(s.env[0], "PATH=", 5) == 0, "%s", s.env[0]);
	nook_spec_free(&s);
	r = load("process: {env: {clear: false, unset: [NOOK_T_*]}}\n", NULL, &s, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	ck_assert(!nook_strv_contains(s.env, "NOOK_T_HOSTVAR=h"));
	ck_assert(nook_strv_len(s.env) > 1);
	nook_spec_free(&s);
	r = load("process: {env: {clear: false}}\n", NULL, &s, &e);
	ck_assert(nook_strv_contains(s.env, "NOOK_T_HOSTVAR=h"));
	nook_spec_free(&s);
	/* namespaces.net: false means the host network */
	r = load("namespaces: {net: false}\n", NULL, &s, &e);
	ck_assert_int_eq(s.net, NOOK_NET_HOST);
	ck_assert(!(s.ns_flags & CLONE_NEWNET));
	nook_spec_free(&s);
	r = load("network: {mode: host}\n", NULL, &s, &e);
	ck_assert(!(s.ns_flags & CLONE_NEWNET));
	nook_spec_free(&s);
	/* rootfs forms */
	r = load("rootfs: /srv/r\n", NULL, &s, &e);
	ck_assert_int_eq(s.rootfs.kind, NOOK_ROOTFS_DIR);
	ck_assert_str_eq(s.rootfs.path, "/srv/r");
	nook_spec_free(&s);
	r = load("rootfs: empty\n", (char *[]){ "rootfs.path=\"/srv/q\"", NULL }, &s, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	ck_assert_int_eq(s.rootfs.kind, NOOK_ROOTFS_DIR);
	nook_spec_free(&s);
	/* the description is free text: no variables in it */
	r = load("description: costs ${FOO} and $$5\nhostname: d\n", NULL, &s, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	nook_spec_free(&s);
	/* ~ leaves the default */
	r = load("process: {init: ~}\n", NULL, &s, &e);
	ck_assert(s.init);
	nook_spec_free(&s);
}
END_TEST

START_TEST(test_cli_overrides)
{
	struct nook_spec s;
	struct nook_error e;
	char *ov[] = { "hostname=\"cli\"", "mounts+={type: bind, source: \"/x\", target: \"/y\"}",
		       "process.env.set.FOO=\"bar baz\"", "resources.memory=\"1G\"", "resources.cpus=\"0.5\"",
		       "security.capabilities.add+=[\"NET_RAW\"]", "process.timeout=\"10s\"",
		       "user.uid=\"5\"", "network.mode=\"slirp\"", "network.ports+=[\"9000:90\"]",
		       "security.seccomp=\"unconfined\"", "process.args=[a, b]", NULL };
	int r = load("hostname: file\nmounts: [{type: tmpfs, target: /t}]\nprocess: {args: [z]}\n", ov, &s, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	ck_assert_str_eq(s.hostname, "cli");
	ck_assert_uint_eq(s.n_mounts, 2);
	ck_assert_str_eq(s.mounts[1].target, "/y");
	ck_assert(nook_strv_contains(s.env, "FOO=bar baz"));
	ck_assert_uint_eq(s.memory, 1ull << 30);
	ck_assert_uint_eq(s.cpu_quota_us, 50000);
	ck_assert_str_eq(s.cap_add[0], "NET_RAW");
	ck_assert_uint_eq(s.timeout_ms, 10000);
	ck_assert_uint_eq(s.uid, 5);
	ck_assert_uint_eq(s.n_ports, 1);
	ck_assert_int_eq(s.seccomp, NOOK_SECCOMP_UNCONFINED);
	ck_assert_str_eq(s.argv[0], "a");
	ck_assert_uint_eq(nook_strv_len(s.argv), 2);
	nook_spec_free(&s);
	ck_assert_str_eq(errmsg("hostname: a\n", (char *[]){ "resources.memory=\"3Q\"", NULL }),
			 "--set resources.memory: invalid size '3Q': expected a size such as 512M, 2G or 1.5G (units: K, M, G, T, P)");
	ck_assert_str_eq(errmsg("hostname: a\n", (char *[]){ "hostnme=\"x\"", NULL }),
			 "--set hostnme: unknown key 'hostnme' (did you mean 'hostname'?)");
}
END_TEST

/* the contract with args.c: every option of nook run becomes an override
 * that the key table accepts and that lands in the right spec field */
START_TEST(test_run_options)
{
	char *argv[] = { "run", "--rootfs", "/srv/root", "--hostname", "h1", "--userns", "self",
			 "--uid", "7", "--gid", "8", "-v", "/a:/b:ro", "--bind", "/c:/d",
			 "--tmpfs", "/t:size=16M,mode=1777", "-e", "K=v w", "-w", "/work",
			 "--network", "slirp", "-p", "8080:80", "--memory", "256M", "--cpus", "1.5",
			 "--pids", "64", "--cap-add", "net_raw", "--cap-drop", "CAP_CHOWN",
			 "--seccomp", "unconfined", "--timeout", "90s", "--name", "n1",
			 "--set", "process.env.set.X=\"y\"", "-t", "prof.yaml", "--", "/bin/echo", "hi", NULL };
	struct nook_run_args a;
	char msg[256];
	ck_assert_int_eq(nook_run_args_parse((int)(sizeof argv / sizeof *argv) - 1, argv, &a, msg, sizeof msg), 0);
	ck_assert_str_eq(a.profile, "prof.yaml");
	char *p = write_tmp("prof.yaml", "hostname: file\nprocess: {args: [/bin/false]}\n");
	struct nook_spec s;
	struct nook_error e = { 0 };
	int r = nook_profile_resolve(p, a.overrides, a.command, &s, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	ck_assert_int_eq(s.rootfs.kind, NOOK_ROOTFS_DIR);
	ck_assert_str_eq(s.rootfs.path, "/srv/root");
	ck_assert_str_eq(s.hostname, "h1");
	ck_assert_int_eq(s.userns, NOOK_USERNS_SELF);
	ck_assert_uint_eq(s.uid, 7);
	ck_assert_uint_eq(s.gid, 8);
	ck_assert_uint_eq(s.n_mounts, 3);
	ck_assert_int_eq(s.mounts[0].type, NOOK_MOUNT_RO_BIND);
	ck_assert_str_eq(s.mounts[0].target, "/b");
	ck_assert_int_eq(s.mounts[1].type, NOOK_MOUNT_BIND);
	ck_assert_int_eq(s.mounts[2].type, NOOK_MOUNT_TMPFS);
	ck_assert_uint_eq(s.mounts[2].size, 16ull << 20);
	ck_assert_int_eq(s.mounts[2].mode, 01777);
	ck_assert(nook_strv_contains(s.env, "K=v w"));
	ck_assert(nook_strv_contains(s.env, "X=y"));
	ck_assert_str_eq(s.cwd, "/work");
	ck_assert_int_eq(s.net, NOOK_NET_SLIRP);
	ck_assert_uint_eq(s.n_ports, 1);
	ck_assert_uint_eq(s.ports[0].host_port, 8080);
	ck_assert_uint_eq(s.memory, 256ull << 20);
	ck_assert_uint_eq(s.cpu_quota_us, 150000);
	ck_assert_uint_eq(s.pids, 64);
	ck_assert_str_eq(s.cap_add[0], "NET_RAW");
	ck_assert_str_eq(s.cap_drop[0], "CHOWN");
	ck_assert_int_eq(s.seccomp, NOOK_SECCOMP_UNCONFINED);
	ck_assert_uint_eq(s.timeout_ms, 90000);
	ck_assert_str_eq(s.name, "n1");
	ck_assert(s.tty);
	ck_assert_str_eq(s.argv[0], "/bin/echo");
	ck_assert_str_eq(s.argv[1], "hi");
	nook_spec_free(&s);
	nook_run_args_free(&a);
	free(p);
}
END_TEST

/* security.landlock.scope: auto, a list of names, [] for none */
START_TEST(test_landlock_scope)
{
	struct nook_spec s;
	struct nook_error e;
	ck_assert_int_eq(load("hostname: a\n", NULL, &s, &e), 0);
	ck_assert_int_eq(s.landlock_scope, NOOK_LL_SCOPE_AUTO);
	nook_spec_free(&s);
	ck_assert_int_eq(load("security: {landlock: {scope: [signal, abstract_unix_socket]}}\n", NULL, &s, &e), 0);
	ck_assert_int_eq(s.landlock_scope, NOOK_LL_SCOPE_SIGNAL | NOOK_LL_SCOPE_ABSTRACT_UNIX);
	ck_assert(!s.landlock_enabled);
	nook_spec_free(&s);
	ck_assert_int_eq(load("security: {landlock: {scope: []}}\n", NULL, &s, &e), 0);
	ck_assert_int_eq(s.landlock_scope, 0);
	nook_spec_free(&s);
	ck_assert_int_eq(load("security: {landlock: {scope: []}}\n", (char *[]){ "security.landlock.scope=auto", NULL },
			      &s, &e), 0);
	ck_assert_int_eq(s.landlock_scope, NOOK_LL_SCOPE_AUTO);
	nook_spec_free(&s);
	ck_assert_str_eq(errmsg("security: {landlock: {scope: [signals]}}\n", NULL),
			 "T/p.yaml:1:31: unknown Landlock scope 'signals' (known: 'abstract_unix_socket' or 'signal')");
	ck_assert_str_eq(errmsg("security: {landlock: {scope: all}}\n", NULL),
			 "T/p.yaml:1:30: expected auto or a list of 'abstract_unix_socket' or 'signal', got 'all'");
}
END_TEST

START_TEST(test_errors)
{
	ck_assert_str_eq(errmsg("hostnme: box\n", NULL),
			 "T/p.yaml:1:1: unknown key 'hostnme' (did you mean 'hostname'?)");
	ck_assert_str_eq(errmsg("resources:\n  memroy: 1G\n", NULL),
			 "T/p.yaml:2:3: unknown key 'memroy' in resources (did you mean 'memory'?)");
	ck_assert_str_eq(errmsg("resources:\n  memory: 1.5\n", NULL),
			 "T/p.yaml:2:11: invalid size '1.5': size is not a whole number of bytes");
	ck_assert_str_eq(errmsg("process: {cwd: work}\n", NULL),
			 "T/p.yaml:1:16: path 'work' must be absolute (start with / or use ${HOME}, ${PWD})");
	ck_assert_str_eq(errmsg("process: {init: yes}\n", NULL),
			 "T/p.yaml:1:17: expected true or false, got 'yes'");
	ck_assert_str_eq(errmsg("hostname: [a]\n", NULL), "T/p.yaml:1:11: expected a string, got a list");
	ck_assert_str_eq(errmsg("mounts: [{type: bind, target: /x}]\n", NULL),
			 "T/p.yaml:1:10: bind mount on /x needs a 'source'");
	ck_assert_str_eq(errmsg("network: {mode: slip}\n", NULL),
			 "T/p.yaml:1:17: unknown value 'slip' (did you mean 'slirp'? expected 'none', 'host', 'slirp' or 'pasta')");
	/* podman's name is accepted, and listed nowhere */
	{
		struct nook_spec sp;
		struct nook_error e2 = { 0 };
		ck_assert_int_eq(load("network: {mode: slirp4netns}\n", NULL, &sp, &e2), 0);
		ck_assert_int_eq(sp.net, NOOK_NET_SLIRP);
		nook_spec_free(&sp);
	}
	ck_assert_str_eq(errmsg("hostname: ${NOPE}\n", NULL),
			 "T/p.yaml:1:11: unknown variable '${NOPE}' (known: HOME, USER, UID, GID, XDG_RUNTIME_DIR, PWD; use ${env:NOPE} for the environment)");
	ck_assert_str_eq(errmsg("security: {capabilities: {add: [NET_ADMINN]}}\n", NULL),
			 "T/p.yaml:1:33: unknown capability 'NET_ADMINN' (see capabilities(7))");
	ck_assert_str_eq(errmsg("namespaces: {user: false}\n", NULL),
			 "T/p.yaml:1:20: nook always creates a new user namespace; it cannot be turned off");
	ck_assert_str_eq(errmsg("security: {minimal_dev: maybe}\n", NULL),
			 "T/p.yaml:1:25: expected true or false, got 'maybe'");
	{
		/* /dev is minimal unless a profile asks for the host's */
		struct nook_spec ds;
		struct nook_error de;
		ck_assert_int_eq(load("hostname: a\n", NULL, &ds, &de), 0);
		ck_assert(ds.minimal_dev);
		nook_spec_free(&ds);
		ck_assert_int_eq(load("security: {minimal_dev: false}\n", NULL, &ds, &de), 0);
		ck_assert(!ds.minimal_dev);
		nook_spec_free(&ds);
	}
	ck_assert_str_eq(errmsg("rootfs: {path: /r, overlay: {driver: fusee}}\n", NULL),
			 "T/p.yaml:1:38: unknown overlay driver 'fusee' (expected 'kernel', 'fuse' or 'auto')");
	{
		/* driver fuse is a driver like the others (fuseovl.c) */
		struct nook_spec fs;
		struct nook_error fe;
		ck_assert_int_eq(load("rootfs: {path: /r, overlay: {driver: fuse}}\n", NULL, &fs, &fe), 0);
		ck_assert_int_eq(fs.rootfs.kind, NOOK_ROOTFS_OVERLAY);
		ck_assert_str_eq(fs.rootfs.overlay_driver, "fuse");
		nook_spec_free(&fs);
	}
	ck_assert_str_eq(errmsg("- a\n", NULL),
			 "T/p.yaml:1:1: a profile is a map of keys (like 'hostname: box'), not a list");
}
END_TEST

/* ---------------------------------------------------------------- extends */

START_TEST(test_extends)
{
	struct nook_spec s;
	struct nook_error e = { 0 };
	free(write_tmp("base.yaml", "hostname: base\nmounts: [{type: tmpfs, target: /a}]\nprocess: {args: [x]}\n"));
	free(write_tmp("mid.yaml", "extends: base.yaml\nmounts: [{type: tmpfs, target: /b}]\n"));
	char *child = write_tmp("child.yaml", "extends: [mid.yaml]\nhostname: child\nprocess: {args: [y, z]}\n");
	int r = nook_profile_resolve(child, NULL, NULL, &s, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	ck_assert_str_eq(s.hostname, "child");
	ck_assert_uint_eq(s.n_mounts, 2);
	ck_assert_str_eq(s.mounts[0].target, "/a");
	ck_assert_str_eq(s.mounts[1].target, "/b");
	ck_assert_uint_eq(nook_strv_len(s.argv), 2);
	nook_spec_free(&s);
	free(child);

	free(write_tmp("c1.yaml", "extends: c2.yaml\n"));
	char *c2 = write_tmp("c2.yaml", "hostname: x\nextends: c1.yaml\n");
	r = nook_profile_resolve_ex(c2, NULL, NULL, NOOK_PROFILE_ALLOW_NO_COMMAND, &s, &e);
	ck_assert_int_lt(r, 0);
	ck_assert_msg(strstr(e.msg, "extends cycle: ") && strstr(e.msg, "c2.yaml -> "), "%s", e.msg);
	free(c2);

	/* a name equal to the profile's own continues down the search path */
	char *d1 = nook_asprintf("%s/d1", tmpdir), *d2 = nook_asprintf("%s/d2", tmpdir);
	ck_assert_int_eq(nook_mkdir_p(d1, 0755), 0);
	ck_assert_int_eq(nook_mkdir_p(d2, 0755), 0);
	free(write_tmp("d1/mine.yaml", "extends: mine\nhostname: top\n"));
	free(write_tmp("d2/mine.yaml", "hostname: bottom\nname: fromd2\n"));
	char *path = nook_asprintf("%s:%s", d1, d2);
	setenv("NOOK_PROFILE_PATH", path, 1);
	r = nook_profile_resolve_ex("mine", NULL, NULL, NOOK_PROFILE_ALLOW_NO_COMMAND, &s, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	ck_assert_str_eq(s.hostname, "top");
	ck_assert_str_eq(s.name, "fromd2");
	nook_spec_free(&s);
	/* a file named like a profile, outside the path, extends that profile */
	char *outside = write_tmp("mine.yaml", "extends: mine\nhostname: outer\n");
	r = nook_profile_resolve_ex(outside, NULL, NULL, NOOK_PROFILE_ALLOW_NO_COMMAND, &s, &e);
	ck_assert_msg(r == 0, "%s", e.msg);
	ck_assert_str_eq(s.hostname, "outer");
	ck_assert_str_eq(s.name, "fromd2");
	nook_spec_free(&s);
	free(outside);
	/* the message for a missing profile and no command */
	r = nook_profile_resolve("sh", NULL, NULL, &s, &e);
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_str_eq(e.msg, "no profile named 'sh' (to run a command: nook run -- sh)");
	ck_assert_int_eq(e.exit_status, 125);
	r = nook_profile_resolve("mine", NULL, NULL, &s, &e);
	ck_assert_int_lt(r, 0);
	ck_assert_msg(strstr(e.msg, "has no process.args: give a command (nook run mine -- COMMAND)"), "%s", e.msg);
	unsetenv("NOOK_PROFILE_PATH");
	free(path);
	free(d1);
	free(d2);
}
END_TEST

/* ---------------------------------------------------------------- emitter */

static char *emit(const struct nook_spec *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct nook_error e = { 0 };
	ck_assert_int_eq(nook_spec_emit_yaml(s, f, &e), 0);
	fclose(f);
	return buf;
}

/* parse -> emit -> parse: the two specs must be equal in every field (nook
 * exec re-reads the emitted spec of a running container). */
static void round_trip_spec(const char *what, const struct nook_spec *a)
{
	struct nook_spec b;
	struct nook_error e = { 0 };
	char why[128];
	char *y = emit(a);
	char *p = write_tmp("rt.yaml", y);
	int r = nook_profile_resolve_ex(p, NULL, NULL, NOOK_PROFILE_ALLOW_NO_COMMAND, &b, &e);
	ck_assert_msg(r == 0, "%s: the emitted spec does not parse: %s\n%s", what, e.msg, y);
	const char *d = nook_test_spec_diff(a, &b, why, sizeof why);
	ck_assert_msg(!d, "%s: %s differs after parse -> emit -> parse; emitted:\n%s", what, d, y);
	free(y);
	free(p);
	nook_spec_free(&b);
}

static void round_trip(const char *arg)
{
	struct nook_spec a;
	struct nook_error e = { 0 };
	int r = nook_profile_resolve_ex(arg, NULL, NULL, NOOK_PROFILE_ALLOW_NO_COMMAND, &a, &e);
	ck_assert_msg(r == 0, "%s: %s", arg, e.msg);
	round_trip_spec(arg, &a);
	nook_spec_free(&a);
}

START_TEST(test_emit_round_trip)
{
	setenv("NOOK_PROFILE_PATH", NOOK_TEST_SRCDIR "/profiles", 1);
	setenv("NOOK_T_KEEP1", "has $dollar and \"quotes\"", 1);
	const char *shipped[] = { "default", "strict", "desktop", "ci", "dev", NULL };
	for (int i = 0; shipped[i]; i++)
		round_trip(shipped[i]);
	char *p = write_tmp("every.yaml", every_key);
	char *copy = nook_strdup(p);
	round_trip(copy);
	free(copy);
	free(p);
	unsetenv("NOOK_PROFILE_PATH");
}
END_TEST

/* One profile per key of the table, setting that key to a value other than
 * the default (as far as the key has one). */
static const struct { const char *path, *yaml; } key_samples[] = {
	{ "description", "description: a profile\n" },
	{ "name", "name: box_1.a-b\n" },
	{ "hostname", "hostname: h-1.example\n" },
	{ "namespaces.user", "namespaces: {user: true}\n" },
	{ "namespaces.mount", "namespaces: {mount: true}\n" },
	{ "namespaces.pid", "namespaces: {pid: false}\n" },
	{ "namespaces.net", "namespaces: {net: false}\n" },
	{ "namespaces.uts", "namespaces: {uts: false}\n" },
	{ "namespaces.ipc", "namespaces: {ipc: false}\n" },
	{ "namespaces.cgroup", "namespaces: {cgroup: false}\n" },
	{ "user.mode", "user: {mode: subuid}\n" },
	{ "user.uid", "user: {uid: 1000}\n" },
	{ "user.gid", "user: {gid: 100}\n" },
	{ "user.uid_map", "user: {uid_map: [{inside: 0, outside: 1000, count: 1}, {inside: 1, outside: 100000, count: 65536}]}\n" },
	{ "user.gid_map", "user: {gid_map: [{inside: 0, outside: 200000, count: 10}]}\n" },
	{ "rootfs", "rootfs: empty\n" },
	{ "rootfs.kind", "rootfs: {kind: empty}\n" },
	{ "rootfs.path", "rootfs: {path: /srv/root}\n" },
	{ "rootfs.readonly", "rootfs: {readonly: true}\n" },
	{ "rootfs.image", "rootfs: {image: \"registry.example.org/team/app:1.0\"}\nprocess: {args: [sh]}\n" },
	{ "rootfs.overlay", "rootfs: {path: /srv/root, overlay: {}}\n" },
	{ "rootfs.overlay.lower", "rootfs: {overlay: {lower: [/srv/l1, /srv/l2]}}\n" },
	{ "rootfs.overlay.upper", "rootfs: {overlay: {lower: [/srv/l], upper: /srv/up}}\n" },
	{ "rootfs.overlay.work", "rootfs: {overlay: {lower: [/srv/l], upper: /srv/up, work: /srv/wk}}\n" },
	{ "rootfs.overlay.driver", "rootfs: {overlay: {lower: [/srv/l], driver: fuse}}\n" },
	{ "mounts", "mounts:\n"
		    "  - {type: bind, source: /a, target: /b, optional: true}\n"
		    "  - {type: bind, source: /a, target: /c, readonly: true}\n"
		    "  - {type: ro-bind, source: /c/./d/, target: /e}\n"
		    "  - {type: dev-bind, source: /dev/dri, target: /dev/dri}\n"
		    "  - {type: tmpfs, target: /t, size: 64M, mode: \"1777\", options: nr_inodes=100}\n"
		    "  - {type: proc, target: /p}\n"
		    "  - {type: dir, target: /d, mode: 0700}\n"
		    "  - {type: symlink, source: usr/bin, target: /bin}\n"
		    "  - {type: file, target: /etc/motd, content: \"hi $$x\\n\", readonly: true}\n" },
	{ "process.args", "process: {args: [sh, -c, \"echo $$HOME ${HOME}\", \"true\", \"\", \"~\", \"null\", \"0755\", \"a: b\", \"- x\", \"#c\"]}\n" },
	{ "process.env.clear", "process: {env: {clear: false}}\n" },
	{ "process.env.keep", "process: {env: {keep: [NOOK_T_*]}}\n" },
	{ "process.env.set", "process: {env: {set: {A: '1', B: \"two words\", C: \"$$x\", D: \"\", E: \"true\"}}}\n" },
	{ "process.env.unset", "process: {env: {clear: false, unset: [NOOK_T_B, HOME]}}\n" },
	{ "process.cwd", "process: {cwd: /work/dir}\n" },
	{ "process.init", "process: {init: false}\n" },
	{ "process.new_session", "process: {new_session: false}\n" },
	{ "process.die_with_parent", "process: {die_with_parent: false}\n" },
	{ "process.tty", "process: {tty: true}\n" },
	{ "process.timeout", "process: {timeout: 1h30m}\n" },
	{ "security.capabilities.add", "security: {capabilities: {add: [net_admin, CAP_SYS_PTRACE]}}\n" },
	{ "security.capabilities.drop", "security: {capabilities: {drop: [ALL]}}\n" },
	{ "security.capabilities.ambient", "security: {capabilities: {ambient: [NET_BIND_SERVICE]}}\n" },
	{ "security.seccomp", "security: {seccomp: unconfined}\n" },
	{ "security.seccomp.profile", "security: {seccomp: {profile: /etc/passwd}}\n" },
	{ "security.seccomp.default_errno", "security: {seccomp: {default_errno: 77}}\n" },
	{ "security.seccomp.allow_nested_userns", "security: {seccomp: {allow_nested_userns: true}}\n" },
	{ "security.seccomp.rules", "security: {seccomp: {rules: [\n"
		    "  {syscalls: [ptrace, personality], action: errno, errno: EACCES},\n"
		    "  {syscalls: [kill], action: errno, errno: 77}, {syscalls: [chroot], action: kill},\n"
		    "  {syscalls: [personality], action: allow, args: [{index: 0, op: masked_eq, value: 255, value2: 8},\n"
		    "                                                 {index: 1, op: ge, value: 0}]}]}}\n" },
	{ "security.no_new_privileges", "security: {no_new_privileges: false}\n" },
	{ "security.landlock.enabled", "security: {landlock: {enabled: true}}\n" },
	{ "security.landlock.read", "security: {landlock: {read: [/usr, /etc]}}\n" },
	{ "security.landlock.write", "security: {landlock: {write: [/tmp]}}\n" },
	{ "security.landlock.execute", "security: {landlock: {execute: [/bin]}}\n" },
	{ "security.landlock.required", "security: {landlock: {required: true}}\n" },
	{ "security.landlock.scope", "security: {landlock: {scope: [signal]}}\n" },
	{ "security.masked_paths", "security: {masked_paths: [/proc/x]}\n" },
	{ "security.readonly_paths", "security: {readonly_paths: !reset [/proc/y]}\n" },
	{ "security.rlimits", "security: {rlimits: {nofile: {soft: 100, hard: 200}, core: 0, stack: 8M, cpu: unlimited}}\n" },
	{ "security.minimal_dev", "security: {minimal_dev: false}\n" },
	{ "security.cgroup_writable", "security: {cgroup_writable: true}\n" },
	{ "resources.memory", "resources: {memory: 512M}\n" },
	{ "resources.memory_swap", "resources: {memory_swap: unlimited}\n" },
	{ "resources.cpus", "resources: {cpus: 1.5}\n" },
	{ "resources.cpu_weight", "resources: {cpu_weight: 200}\n" },
	{ "resources.io_weight", "resources: {io_weight: 300}\n" },
	{ "resources.pids", "resources: {pids: 64}\n" },
	{ "resources.cpuset.cpus", "resources: {cpuset: {cpus: \"0-1,3\"}}\n" },
	{ "resources.cpuset.mems", "resources: {cpuset: {mems: \"0\"}}\n" },
	{ "resources.required", "resources: {required: false}\n" },
	{ "resources.stats_json", "resources: {stats_json: /tmp/s.json}\n" },
	{ "network.mode", "network: {mode: slirp}\n" },
	{ "network.ports", "network: {mode: pasta, ports: [\"8080:80\", \"127.0.0.2:5353:53/udp\",\n"
		    "                                 {container_port: 22, host_port: 2222, host_addr: 0.0.0.0}]}\n" },
	{ "network.allow_host_loopback", "network: {mode: slirp, allow_host_loopback: true}\n" },
	{ "network.mtu", "network: {mtu: 1500}\n" },
	{ "app_id", "app_id: org.example.App\n" },
	{ "x11", "x11: true\n" },
	{ "dbus.session.talk", "dbus: {session: {talk: [org.example.A, org.example.b.*]}}\n" },
	{ "dbus.session.own", "dbus: {session: {own: [org.example.A, org.example.b.*]}}\n" },
	{ "dbus.session.see", "dbus: {session: {see: [org.example.A, org.example.b.*]}}\n" },
	{ "dbus.session.call", "dbus: {session: {call: [\"org.example.A=org.example.I.M@/org/example/*\"]}}\n" },
	{ "dbus.session.broadcast", "dbus: {session: {broadcast: [\"org.example.A=org.example.I.M@/org/example/*\"]}}\n" },
	{ "dbus.system.talk", "dbus: {system: {talk: [org.example.A, org.example.b.*]}}\n" },
	{ "dbus.system.own", "dbus: {system: {own: [org.example.A, org.example.b.*]}}\n" },
	{ "dbus.system.see", "dbus: {system: {see: [org.example.A, org.example.b.*]}}\n" },
	{ "dbus.system.call", "dbus: {system: {call: [\"org.example.A=org.example.I.M@/org/example/*\"]}}\n" },
	{ "dbus.system.broadcast", "dbus: {system: {broadcast: [\"org.example.A=org.example.I.M@/org/example/*\"]}}\n" },
	{ "dbus.log", "dbus: {log: true}\n" },
	{ "dbus.required", "dbus: {required: false}\n" },
	{ "wayland.socket", "wayland: {socket: true}\n" },
	{ "wayland.security_context", "wayland: {security_context: required}\n" },
	{ "audio.pipewire", "audio: {pipewire: true}\n" },
	{ "audio.pulseaudio", "audio: {pulseaudio: true}\n" },
	{ "persist.dir", "persist: {dir: /var/lib/app}\n" },
	{ "persist.paths", "persist: {dir: /var/lib/app, paths: [.config/app, .cache/app]}\n" },
};

/* keys whose only valid value is the default */
static bool key_has_no_other_value(const char *path)
{
	return !strcmp(path, "description") || !strcmp(path, "namespaces.user") || !strcmp(path, "namespaces.mount");
}

/* true if the YAML tree gives a value to the dotted key path */
static bool tree_sets(const struct nook_node *root, const char *path)
{
	_cleanup_free_ char *copy = nook_strdup(path);
	const struct nook_node *n = root;
	for (char *save = NULL, *seg = strtok_r(copy, ".", &save); seg; seg = strtok_r(NULL, ".", &save)) {
		if (!n || n->kind != NOOK_NODE_MAP)
			return false;
		n = nook_map_get(n, seg);
	}
	return n != NULL;
}

/* Every key of the table has an emitter (or is a section printed by its
 * keys), and the keys of one section are neighbours, so that the emitter
 * opens each section once. */
START_TEST(test_table_emitters)
{
	for (const struct key_row *r = nook_key_table; r->path; r++) {
		ck_assert_msg(r->set, "key %s has no setter", r->path);
		ck_assert_msg(r->emit || (r->flags & K_SECTION),
			      "key %s has no emitter: nook profile show and nook exec would lose it", r->path);
		/* the rows after r that share a section with it come without a gap */
		for (const char *dot = strchr(r->path, '.'); dot; dot = strchr(dot + 1, '.')) {
			size_t len = (size_t)(dot - r->path);
			bool left = false;
			for (const struct key_row *q = r + 1; q->path; q++) {
				bool in = strncmp(q->path, r->path, len) == 0 && q->path[len] == '.';
				ck_assert_msg(!(in && left), "key %s is not next to the other keys of section %.*s in the table",
					      q->path, (int)len, r->path);
				left |= !in;
			}
		}
	}
}
END_TEST

/* For every key: a profile that sets it, parsed, emitted and parsed again,
 * gives the same spec, which differs from the default one. */
START_TEST(test_every_key_round_trip)
{
	/* a known environment (process.env.clear: false copies all of it) */
	clearenv();
	setenv("PATH", "/usr/bin:/bin", 1);
	setenv("HOME", "/home/t", 1);
	setenv("NOOK_T_A", "a $x \"q\"", 1);
	setenv("NOOK_T_B", "b", 1);
	size_t n = sizeof key_samples / sizeof key_samples[0];
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(nook_key_find(key_samples[i].path), "sample for %s: no such key", key_samples[i].path);

	struct nook_spec def;
	struct nook_error e;
	ck_assert_int_eq(load("description: defaults\n", NULL, &def, &e), 0);
	for (const struct key_row *r = nook_key_table; r->path; r++) {
		const char *yaml = NULL;
		for (size_t i = 0; i < n; i++)
			if (strcmp(key_samples[i].path, r->path) == 0)
				yaml = key_samples[i].yaml;
		ck_assert_msg(yaml, "key %s has no sample in key_samples[] (test_profile.c): add one", r->path);
		struct nook_node *tree = parse(yaml);
		ck_assert_msg(tree_sets(tree, r->path), "the sample for %s does not set it", r->path);
		nook_node_free(tree);

		struct nook_spec a;
		int rc = load(yaml, NULL, &a, &e);
		ck_assert_msg(rc == 0, "sample for %s: %s", r->path, e.msg);
		char why[128];
		if (!key_has_no_other_value(r->path))
			ck_assert_msg(nook_test_spec_diff(&a, &def, why, sizeof why),
				      "the sample for %s leaves the spec at its defaults", r->path);
		round_trip_spec(r->path, &a);
		nook_spec_free(&a);
	}
	nook_spec_free(&def);
}
END_TEST

/* The keys nook-profile(5) documents. In its KEYS section a line that
 * starts (after tabs) with "*TERM*[, *TERM*...]:" defines keys by their
 * full path; an indented term without a dot is a field of a value (a
 * mount's *type*), not a key. */
static size_t man_keys(const char *text, char **out, size_t max)
{
	size_t n = 0;
	bool in_keys = false;
	for (const char *line = text; *line; line = strchrnul(line, '\n'), line += *line == '\n') {
		size_t len = strcspn(line, "\n");
		if (line[0] == '#' && line[1] == ' ') {
			in_keys = len == 6 && strncmp(line, "# KEYS", 6) == 0;
			continue;
		}
		if (!in_keys)
			continue;
		const char *p = line, *end = line + len;
		bool indented = *p == '\t';
		while (p < end && *p == '\t')
			p++;
		char *terms[16];
		size_t nt = 0;
		while (p < end && *p == '*' && nt < 16) {
			const char *q = memchr(p + 1, '*', (size_t)(end - p - 1));
			if (!q)
				break;
			terms[nt++] = strndup(p + 1, (size_t)(q - p - 1));
			p = q + 1;
			if (end - p > 2 && p[0] == ',' && p[1] == ' ' && p[2] == '*')
				p += 2;
			else
				break;
		}
		bool defines = p < end && *p == ':';
		for (size_t i = 0; i < nt; i++) {
			if (defines && (strchr(terms[i], '.') || !indented) && n < max)
				out[n++] = terms[i];
			else
				free(terms[i]);
		}
	}
	return n;
}

/* nook-profile(5) documents every key of the table, and no other. */
START_TEST(test_man_page_keys)
{
	const char *path = NOOK_TEST_SRCDIR "/contrib/man/nook-profile.5.scd";
	_cleanup_free_ char *text = nook_read_file(path, 1 << 20, NULL);
	ck_assert_msg(text, "cannot read %s", path);
	char *doc[256];
	size_t n = man_keys(text, doc, 256);
	ck_assert_msg(n > 40, "found only %zu keys in the KEYS section of %s", n, path);
	for (const struct key_row *r = nook_key_table; r->path; r++) {
		bool found = false;
		for (size_t i = 0; i < n; i++)
			found |= strcmp(doc[i], r->path) == 0;
		ck_assert_msg(found, "%s does not document the key %s (add a line '*%s*: ...' to its KEYS section)",
			      path, r->path, r->path);
	}
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(nook_key_find(doc[i]), "%s documents a key '%s' that nook does not know", path, doc[i]);
		free(doc[i]);
	}
}
END_TEST

START_TEST(test_suggest)
{
	ck_assert_uint_eq(nook_edit_distance("hostname", "hostname"), 0);
	ck_assert_uint_eq(nook_edit_distance("hostnme", "hostname"), 1);
	ck_assert_uint_eq(nook_edit_distance("hsotname", "hostname"), 1);
	ck_assert_uint_eq(nook_edit_distance("", "abc"), 3);
	/* nothing close: the message lists the known keys instead */
	const char *m = errmsg("zzzzzz: 1\n", NULL);
	ck_assert_msg(strstr(m, "unknown key 'zzzzzz' (known keys: description, name, hostname, namespaces,"), "%s", m);
}
END_TEST

/* ---------------------------------------------------------------- one rule each */

/* "a b\n" as a YAML double-quoted scalar */
static char *yaml_quoted(const char *v)
{
	char *out = nook_xmalloc(strlen(v) * 4 + 3), *q = out;
	*q++ = '"';
	for (; *v; v++) {
		if (*v == '"' || *v == '\\') {
			*q++ = '\\';
			*q++ = *v;
		} else if ((unsigned char)*v < 0x20) {
			q += sprintf(q, "\\x%02x", (unsigned char)*v);
		} else {
			*q++ = *v;
		}
	}
	*q++ = '"';
	*q = 0;
	return out;
}

/* The profile loader, the spec check and the /etc/hosts writer take the
 * same hostnames: one rule, nook_hostname_valid(). */
START_TEST(test_hostname_rule)
{
	static const struct { const char *name; bool ok; } cases[] = {
		{ "box", true }, { "a.b-c", true }, { "A9", true }, { "x", true },
		{ "a234567890123456789012345678901234567890123456789012345678901234", true },
		{ "a2345678901234567890123456789012345678901234567890123456789012345", false },
		{ "", false }, { "-x", false }, { ".x", false }, { "a_b", false }, { "a b", false },
		{ "a#b", false }, { "a\tb", false }, { "evil\n1.2.3.4", false }, { "caf\xc3\xa9", false },
	};
	char buf[512];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *h = cases[i].name;
		bool ok = cases[i].ok;
		ck_assert_msg(nook_hostname_valid(h) == ok, "nook_hostname_valid('%s')", h);

		_cleanup_free_ char *q = yaml_quoted(h);
		_cleanup_free_ char *yaml = nook_asprintf("hostname: %s\n", q);
		struct nook_spec s;
		struct nook_error e;
		int r = load(yaml, NULL, &s, &e);
		ck_assert_msg((r == 0) == ok, "profile with hostname '%s': %d %s", h, r, e.msg);
		if (r == 0)
			nook_spec_free(&s);
		else
			ck_assert_msg(strstr(e.msg, "invalid hostname"), "%s", e.msg);

		nook_spec_init(&s);
		s.hostname = (char *)h;
		memset(&e, 0, sizeof e);
		r = nook_net_check(&s, &e);
		ck_assert_msg((r == 0) == ok, "nook_net_check with hostname '%s': %d %s", h, r, e.msg);
		r = nook_net_hosts(&s, buf, sizeof buf);
		ck_assert_msg((r != -EINVAL) == ok, "nook_net_hosts with hostname '%s': %d", h, r);
	}
}
END_TEST

/* "ports need slirp or pasta": the profile loader and the spec check agree
 * in every network mode. */
START_TEST(test_ports_rule)
{
	for (const struct nook_name_val *t = nook_tbl_net_mode; t->name; t++) {
		bool ok = t->val == NOOK_NET_SLIRP || t->val == NOOK_NET_PASTA;
		_cleanup_free_ char *yaml = nook_asprintf("network: {mode: %s, ports: [\"8080:80\"]}\n", t->name);
		struct nook_spec s;
		struct nook_error e;
		int r = load(yaml, NULL, &s, &e);
		ck_assert_msg((r == 0) == ok, "profile with ports in mode %s: %d %s", t->name, r, e.msg);
		if (r == 0)
			nook_spec_free(&s);
		else
			ck_assert_msg(strstr(e.msg, "network.ports need network.mode slirp or pasta"), "%s", e.msg);

		struct nook_port port = { .host_addr = (char *)"127.0.0.1", .host_port = 8080, .container_port = 80 };
		nook_spec_init(&s);
		s.net = t->val;
		s.ports = &port;
		s.n_ports = 1;
		memset(&e, 0, sizeof e);
		r = nook_net_check(&s, &e);
		ck_assert_msg((r == 0) == ok, "nook_net_check with ports in mode %s: %d %s", t->name, r, e.msg);
		ck_assert(nook_net_ports_ok(&s) == ok);
	}
}

/* The D-Bus names and rules xdg-dbus-proxy accepts (desktop/dbusname.c). */
START_TEST(test_dbus_names)
{
	static const char *const good[] = { "org.freedesktop.Notifications", "org.freedesktop.portal.*", "a.b",
					    "org.example.my-app", "_x.y_2", NULL };
	static const char *const bad[] = { "", "org", "org.", ".org.x", "org..x", "org.1x", ":1.23", "org.*.x",
					   "org.ex ample", "*", "org.x*", NULL };
	const char *why;
	for (size_t i = 0; good[i]; i++)
		ck_assert_msg(nook_dbus_name_valid(good[i], true, &why), "'%s' refused: %s", good[i], why);
	for (size_t i = 0; bad[i]; i++)
		ck_assert_msg(!nook_dbus_name_valid(bad[i], true, &why) && why && *why, "'%s' accepted", bad[i]);
	ck_assert(!nook_dbus_name_valid("org.example.*", false, &why));
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	longname[3] = '.';
	ck_assert(!nook_dbus_name_valid(longname, true, &why));

	static const char *const rgood[] = { "org.a.B=*", "org.a.B=org.a.I.M", "org.a.B=org.a.I.*",
					     "org.a.B=@/org/a", "org.a.B=org.a.I.M@/org/a/*", "org.a.*=*@/", NULL };
	static const char *const rbad[] = { "org.a.B", "org.a.B=org-a.I.M", "org.a.B=M", "org.a.B=@org/a",
					    "org.a.B=*@/org//a", "org.a.B=*@/org/a/", "x=*", NULL };
	for (size_t i = 0; rgood[i]; i++)
		ck_assert_msg(nook_dbus_rule_valid(rgood[i], &why), "rule '%s' refused: %s", rgood[i], why);
	for (size_t i = 0; rbad[i]; i++)
		ck_assert_msg(!nook_dbus_rule_valid(rbad[i], &why), "rule '%s' accepted", rbad[i]);
}
END_TEST
END_TEST

int main(void)
{
	Suite *s = suite_create("profile");
	TCase *tc = tcase_create("profile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_landlock_scope);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_cpus);
	tcase_add_test(tc, test_vars);
	tcase_add_test(tc, test_tree_positions);
	tcase_add_test(tc, test_shipped_trees);
	tcase_add_test(tc, test_merge_rules);
	tcase_add_test(tc, test_overrides);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_defaults_and_env);
	tcase_add_test(tc, test_cli_overrides);
	tcase_add_test(tc, test_run_options);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_extends);
	tcase_add_test(tc, test_emit_round_trip);
	tcase_add_test(tc, test_table_emitters);
	tcase_add_test(tc, test_every_key_round_trip);
	tcase_add_test(tc, test_man_page_keys);
	tcase_add_test(tc, test_suggest);
	tcase_add_test(tc, test_hostname_rule);
	tcase_add_test(tc, test_ports_rule);
	tcase_add_test(tc, test_dbus_names);
	suite_add_tcase(s, tc);
	return nook_check_main(s);
}
