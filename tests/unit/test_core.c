/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_core.c - unit tests for the pure logic of the core launcher:
 * `nook run` argument parsing (src/cli/args.c), id map building, subordinate
 * range selection and newuidmap arguments (src/lib/security/idmap.c), path and
 * string helpers (src/lib/base/util.c) and error messages (src/lib/base/error.c). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/idmap.h"
#include "nook/image.h"
#include "nook/ownership.h"
#include "nook/spec.h"
#include "nook/sync.h"
#include "nook/util.h"
#include "tap.h"

/* ------------------------------------------------------------ args */

/* Parse a NULL-terminated list of words as `nook run WORDS...`. */
static int parse(struct nook_run_args *a, char *errbuf, size_t errlen, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	argv[argc++] = (char *)"run";
	va_start(ap, errlen);
	for (char *w; (w = va_arg(ap, char *)) != NULL;)
		argv[argc++] = w;
	va_end(ap);
	argv[argc] = NULL;
	errbuf[0] = '\0';
	return nook_run_args_parse(argc, argv, a, errbuf, errlen);
}
#define PARSE(a, err, ...) parse(a, err, sizeof(err), __VA_ARGS__, (char *)NULL)

static void assert_strv(char **got, const char *const *want)
{
	size_t n = 0;
	while (want[n])
		n++;
	ck_assert_msg(nook_strv_len(got) == n, "want %zu elements, got %zu", n, nook_strv_len(got));
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(got[i], want[i]);
	ck_assert_ptr_null(got[n]);
}

static void parse_bad(const char *want_in_msg, char *w1, char *w2, char *w3)
{
	struct nook_run_args a;
	char err[512];
	int r = PARSE(&a, err, w1, w2, w3);
	ck_assert_msg(r == -1, "'%s %s %s' should be rejected", w1, w2 ? w2 : "", w3 ? w3 : "");
	ck_assert_msg(strstr(err, want_in_msg), "message for '%s' lacks '%s': %s", w1, want_in_msg, err);
	ck_assert_msg(strncmp(err, "nook: ", 6) != 0, "message must not carry the 'nook: ' prefix: %s", err);
	nook_run_args_free(&a);
}

START_TEST(args_command_after_dashdash)
{
	struct nook_run_args a;
	char err[256];
	ck_assert_int_eq(PARSE(&a, err, "--", "/bin/sh", "-c", "echo hi"), 0);
	ck_assert_ptr_null(a.profile);
	ck_assert_uint_eq(nook_strv_len(a.overrides), 0);
	assert_strv(a.command, (const char *const[]){ "/bin/sh", "-c", "echo hi", NULL });
	ck_assert_int_eq(a.verbose, 0);
	ck_assert(!a.help);
	nook_run_args_free(&a);
}
END_TEST

START_TEST(args_options_after_dashdash_belong_to_the_command)
{
	struct nook_run_args a;
	char err[256];
	ck_assert_int_eq(PARSE(&a, err, "--hostname", "h", "--", "prog", "--verbose", "--rootfs", "/x", "--"), 0);
	ck_assert_int_eq(a.verbose, 0);
	assert_strv(a.overrides, (const char *const[]){ "hostname=\"h\"", NULL });
	assert_strv(a.command, (const char *const[]){ "prog", "--verbose", "--rootfs", "/x", "--", NULL });
	nook_run_args_free(&a);
}
END_TEST

START_TEST(args_profile_then_command)
{
	struct nook_run_args a;
	char err[256];
	ck_assert_int_eq(PARSE(&a, err, "--verbose", "dev", "--", "make", "-j4"), 0);
	ck_assert_str_eq(a.profile, "dev");
	assert_strv(a.command, (const char *const[]){ "make", "-j4", NULL });
	nook_run_args_free(&a);

	ck_assert_int_eq(PARSE(&a, err, "dev"), 0);
	ck_assert_str_eq(a.profile, "dev");
	ck_assert_ptr_null(a.command);
	nook_run_args_free(&a);

	ck_assert_int_eq(PARSE(&a, err, "--"), 0);
	ck_assert_ptr_null(a.profile);
	ck_assert_ptr_null(a.command);
	nook_run_args_free(&a);
}
END_TEST

START_TEST(args_core_options_become_overrides_in_order)
{
	struct nook_run_args a;
	char err[256];
	ck_assert_int_eq(PARSE(&a, err, "--rootfs", "/srv/root", "--hostname", "box",
			       "--userns", "subuid", "--uid", "1000", "--gid", "100",
			       "-w", "/work", "--workdir", "/w2", "--", "true"), 0);
	assert_strv(a.overrides, (const char *const[]){
		"rootfs.path=\"/srv/root\"",
		"hostname=\"box\"",
		"user.mode=subuid",
		"user.uid=\"1000\"",
		"user.gid=\"100\"",
		"process.cwd=\"/work\"",
		"process.cwd=\"/w2\"",
		NULL });
	nook_run_args_free(&a);
}
END_TEST

START_TEST(args_userns_values)
{
	const char *ok[] = { "self", "subuid", "auto" };
	for (size_t i = 0; i < 3; i++) {
		struct nook_run_args a;
		char err[256], want[64];
		ck_assert_int_eq(PARSE(&a, err, "--userns", (char *)ok[i], "--", "x"), 0);
		snprintf(want, sizeof want, "user.mode=%s", ok[i]);
		assert_strv(a.overrides, (const char *const[]){ want, NULL });
		nook_run_args_free(&a);
	}
	parse_bad("bogus", "--userns", "bogus", NULL);
	parse_bad("self", "--userns", "", NULL);
	parse_bad("Self", "--userns=Self", NULL, NULL);
}
END_TEST

START_TEST(args_bind)
{
	struct nook_run_args a;
	char err[256];
	ck_assert_int_eq(PARSE(&a, err, "-v", "/a:/b", "--bind", "/c:/d:ro", "--volume", "/e:/f:rw",
			       "-v", "/same", "--", "x"), 0);
	assert_strv(a.overrides, (const char *const[]){
		"mounts+={type: bind, source: \"/a\", target: \"/b\"}",
		"mounts+={type: ro-bind, source: \"/c\", target: \"/d\"}",
		"mounts+={type: bind, source: \"/e\", target: \"/f\"}",
		"mounts+={type: bind, source: \"/same\", target: \"/same\"}",
		NULL });
	nook_run_args_free(&a);

	/* YAML-special characters in paths stay data */
	ck_assert_int_eq(PARSE(&a, err, "-v", "/a b/\"q\":/t{x}", "--", "x"), 0);
	assert_strv(a.overrides, (const char *const[]){
		"mounts+={type: bind, source: \"/a b/\\\"q\\\"\", target: \"/t{x}\"}", NULL });
	nook_run_args_free(&a);
}
END_TEST

START_TEST(args_bind_errors)
{
	parse_bad("absolute", "-v", "rel:/b", NULL);
	parse_bad("absolute", "-v", "/a:rel", NULL);
	parse_bad("SRC:DST", "-v", "/a:/b:xx", NULL);
	parse_bad("SRC:DST", "--bind", "/a:/b:ro:extra", NULL);
	parse_bad("absolute", "--bind", "relative", NULL);
}
END_TEST

START_TEST(args_tmpfs)
{
	struct nook_run_args a;
	char err[256];
	ck_assert_int_eq(PARSE(&a, err, "--tmpfs", "/mnt", "--tmpfs", "/run:size=1m,mode=0700", "--", "x"), 0);
	assert_strv(a.overrides, (const char *const[]){
		"mounts+={type: tmpfs, target: \"/mnt\"}",
		"mounts+={type: tmpfs, target: \"/run\", size: 1m, mode: 0700}",
		NULL });
	nook_run_args_free(&a);
	parse_bad("absolute", "--tmpfs", "mnt", NULL);
	parse_bad("nosuid", "--tmpfs", "/mnt:nosuid", NULL);
}
END_TEST

START_TEST(args_env)
{
	struct nook_run_args a;
	char err[256];
	ck_assert_int_eq(PARSE(&a, err, "-e", "A=1", "--env", "B=x=y", "-e", "C=", "-e", "D=\"q\"\n", "--", "x"), 0);
	assert_strv(a.overrides, (const char *const[]){
		"process.env.set.A=\"1\"",
		"process.env.set.B=\"x=y\"",
		"process.env.set.C=\"\"",
		"process.env.set.D=\"\\\"q\\\"\\x0a\"",
		NULL });
	nook_run_args_free(&a);
	parse_bad("NAME=VALUE", "-e", "NOVALUE", NULL);
	parse_bad("NAME=VALUE", "-e", "=value", NULL);
}
END_TEST

START_TEST(args_other_profile_keys)
{
	struct nook_run_args a;
	char err[256];
	ck_assert_int_eq(PARSE(&a, err, "--network", "slirp", "-p", "8080:80", "--publish", "127.0.0.1:53:53/udp",
			       "--memory", "512M", "--cpus", "1.5", "--pids", "100",
			       "--cap-add", "NET_ADMIN", "--cap-drop", "ALL", "--seccomp", "unconfined",
			       "--timeout", "90s", "--name", "job-1", "-t", "--tty",
			       "--set", "process.env.clear=true", "--set", "mounts+=[]", "--", "x"), 0);
	assert_strv(a.overrides, (const char *const[]){
		"network.mode=\"slirp\"",
		"network.ports+=[\"8080:80\"]",
		"network.ports+=[\"127.0.0.1:53:53/udp\"]",
		"resources.memory=\"512M\"",
		"resources.cpus=\"1.5\"",
		"resources.pids=\"100\"",
		"security.capabilities.add+=[\"NET_ADMIN\"]",
		"security.capabilities.drop+=[\"ALL\"]",
		"security.seccomp=\"unconfined\"",
		"process.timeout=\"90s\"",
		"name=\"job-1\"",
		"process.tty=true",
		"process.tty=true",
		"process.env.clear=true",
		"mounts+=[]",
		NULL });
	assert_strv(a.command, (const char *const[]){ "x", NULL });
	nook_run_args_free(&a);

	/* --stats-json is not a profile key: the last one wins */
	ck_assert_int_eq(PARSE(&a, err, "--stats-json", "/a.json", "--stats-json", "/b.json", "--", "x"), 0);
	ck_assert_str_eq(a.stats_json, "/b.json");
	ck_assert_uint_eq(nook_strv_len(a.overrides), 0);
	nook_run_args_free(&a);

	parse_bad("KEY.PATH=VALUE", "--set", "novalue", NULL);
	parse_bad("KEY.PATH=VALUE", "--set", "=x", NULL);
}
END_TEST

START_TEST(args_verbose_and_help)
{
	struct nook_run_args a;
	char err[256];
	ck_assert_int_eq(PARSE(&a, err, "--verbose", "--verbose", "--", "x"), 0);
	ck_assert_int_eq(a.verbose, 2);
	nook_run_args_free(&a);
	ck_assert_int_eq(PARSE(&a, err, "--help"), 0);
	ck_assert(a.help);
	nook_run_args_free(&a);
	ck_assert_int_eq(PARSE(&a, err, "-h"), 0);
	ck_assert(a.help);
	nook_run_args_free(&a);
}
END_TEST

START_TEST(args_unknown_option)
{
	parse_bad("--no-such-option", "--no-such-option", "--", "x");
	parse_bad("-Z", "-Z", "--", "x");
	parse_bad("unknown option", "--no-such-option", NULL, NULL);
}
END_TEST

/* An option at the end without its value is a missing value, not an
 * unknown option. */
START_TEST(args_missing_value)
{
	const char *opts[] = { "--rootfs", "--hostname", "--userns", "--uid", "-v", "--tmpfs", "-e", "-w" };
	for (size_t i = 0; i < sizeof opts / sizeof *opts; i++) {
		struct nook_run_args a;
		char err[256];
		ck_assert_int_eq(PARSE(&a, err, (char *)opts[i]), -1);
		ck_assert_msg(strstr(err, opts[i]), "message for a bare '%s' does not name it: %s", opts[i], err);
		ck_assert_msg(!strstr(err, "unknown option"), "a bare '%s' is reported as unknown: %s", opts[i], err);
		nook_run_args_free(&a);
	}
}
END_TEST

START_TEST(args_parse_twice)
{
	/* getopt state must be reset between calls */
	for (int round = 0; round < 3; round++) {
		struct nook_run_args a;
		char err[256];
		ck_assert_int_eq(PARSE(&a, err, "--hostname", "h", "--", "cmd", "arg"), 0);
		assert_strv(a.overrides, (const char *const[]){ "hostname=\"h\"", NULL });
		assert_strv(a.command, (const char *const[]){ "cmd", "arg", NULL });
		nook_run_args_free(&a);
	}
}
END_TEST

START_TEST(args_free_is_idempotent)
{
	struct nook_run_args a;
	char err[256];
	ck_assert_int_eq(PARSE(&a, err, "-v", "/a:/b", "dev", "--", "x"), 0);
	nook_run_args_free(&a);
	nook_run_args_free(&a);
	ck_assert_ptr_null(a.overrides);
	ck_assert_ptr_null(a.command);
	ck_assert_ptr_null(a.profile);
}
END_TEST

START_TEST(yaml_quote)
{
	struct { const char *in, *out; } c[] = {
		{ "", "\"\"" },
		{ "plain", "\"plain\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "tab\there", "\"tab\\x09here\"" },
		{ "del\x7f", "\"del\\x7f\"" },
		{ "{[: #,]}", "\"{[: #,]}\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		_cleanup_free_ char *q = nook_yaml_quote(c[i].in);
		ck_assert_str_eq(q, c[i].out);
	}
}
END_TEST

/* ------------------------------------------------------------ idmap */

START_TEST(idmaps_self)
{
	struct nook_idmaps m;
	memset(&m, 0xaa, sizeof m);
	nook_idmaps_self(&m, 1001, 1002, 0, 0);
	ck_assert_int_eq(m.mode, NOOK_USERNS_SELF);
	ck_assert_uint_eq(m.n_uid, 1);
	ck_assert_uint_eq(m.n_gid, 1);
	ck_assert_uint_eq(m.uid[0].inside, 0);
	ck_assert_uint_eq(m.uid[0].outside, 1001);
	ck_assert_uint_eq(m.uid[0].count, 1);
	ck_assert_uint_eq(m.gid[0].inside, 0);
	ck_assert_uint_eq(m.gid[0].outside, 1002);
	ck_assert_uint_eq(m.gid[0].count, 1);

	nook_idmaps_self(&m, 1001, 1002, 1000, 1000);
	ck_assert_uint_eq(m.uid[0].inside, 1000);
	ck_assert_uint_eq(m.uid[0].outside, 1001);
	ck_assert_uint_eq(m.gid[0].inside, 1000);
	ck_assert_uint_eq(m.gid[0].outside, 1002);
	/* ping_group_range covers 0..the highest mapped gid */
	ck_assert_uint_eq(nook_idmaps_max_gid(&m), 1000);
}
END_TEST

START_TEST(idmaps_subuid)
{
	struct nook_idmaps m;
	char buf[256];
	nook_idmaps_subuid(&m, 1001, 1002, 100000, 65536, 200000, 1000);
	ck_assert_int_eq(m.mode, NOOK_USERNS_SUBUID);
	ck_assert_uint_eq(m.n_uid, 2);
	ck_assert_uint_eq(m.n_gid, 2);
	ck_assert_int_ge(nook_idmap_format(m.uid, m.n_uid, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "0 1001 1\n1 100000 65536\n");
	ck_assert_int_ge(nook_idmap_format(m.gid, m.n_gid, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "0 1002 1\n1 200000 1000\n");
	ck_assert_uint_eq(nook_idmaps_max_gid(&m), 1000);
	nook_idmaps_subuid(&m, 1001, 1002, 100000, 65536, 200000, 65536);
	ck_assert_uint_eq(nook_idmaps_max_gid(&m), 65536);
	m.n_gid = 0;
	ck_assert_uint_eq(nook_idmaps_max_gid(&m), 0);
}
END_TEST

START_TEST(idmap_format)
{
	struct nook_idmap m[] = { { 0, 1001, 1 }, { 1, 100000, 65536 }, { 65537, 4294967294UL, 1 } };
	char buf[128];
	const char *want = "0 1001 1\n1 100000 65536\n65537 4294967294 1\n";
	ck_assert_int_eq(nook_idmap_format(m, 3, buf, sizeof buf), (int)strlen(want));
	ck_assert_str_eq(buf, want);

	/* exactly enough room, and one byte short */
	char exact[64];
	size_t need = strlen("0 1001 1\n1 100000 65536\n") + 1;
	ck_assert_int_eq(nook_idmap_format(m, 2, exact, need), (int)need - 1);
	ck_assert_str_eq(exact, "0 1001 1\n1 100000 65536\n");
	ck_assert_int_lt(nook_idmap_format(m, 2, exact, need - 1), 0);
	ck_assert_int_lt(nook_idmap_format(m, 1, exact, 4), 0);

	/* no lines: an empty string */
	buf[0] = 'x';
	ck_assert_int_eq(nook_idmap_format(m, 0, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(subid_pick)
{
	unsigned long s1[] = { 100000 }, c1[] = { 65536 };
	ck_assert_int_eq(nook_subid_pick(s1, c1, 1), 0);
	ck_assert_int_eq(nook_subid_pick(s1, c1, 0), -1);

	/* the largest wins; ties go to the first */
	unsigned long s3[] = { 100000, 300000, 500000, 700000 }, c3[] = { 1000, 65536, 65536, 10 };
	ck_assert_int_eq(nook_subid_pick(s3, c3, 4), 1);

	unsigned long s4[] = { 1, 2, 3 }, c4[] = { 5, 0, 7 };
	ck_assert_int_eq(nook_subid_pick(s4, c4, 3), 2);

	/* empty ranges never count */
	unsigned long s5[] = { 100000, 200000 }, c5[] = { 0, 0 };
	ck_assert_int_eq(nook_subid_pick(s5, c5, 2), -1);
	unsigned long s6[] = { 100000, 200000 }, c6[] = { 0, 1 };
	ck_assert_int_eq(nook_subid_pick(s6, c6, 2), 1);
}
END_TEST

START_TEST(idmap_helper_args)
{
	struct nook_idmap m[] = { { 0, 1001, 1 }, { 1, 100000, 65536 } };
	_cleanup_strv_ char **argv = nook_idmap_helper_args("/usr/bin/newuidmap", 4242, m, 2);
	assert_strv(argv, (const char *const[]){
		"/usr/bin/newuidmap", "4242", "0", "1001", "1", "1", "100000", "65536", NULL });

	_cleanup_strv_ char **one = nook_idmap_helper_args("newgidmap", 1, m, 1);
	assert_strv(one, (const char *const[]){ "newgidmap", "1", "0", "1001", "1", NULL });
}
END_TEST

START_TEST(idmaps_resolve_self)
{
	struct nook_spec s;
	struct nook_idmaps m;
	struct nook_error err = { 0 };
	nook_spec_init(&s);
	s.userns = NOOK_USERNS_SELF;
	s.uid = 1000;
	s.gid = 1000;
	ck_assert_int_eq(nook_idmaps_resolve(&s, &m, &err), 0);
	ck_assert_int_eq(m.mode, NOOK_USERNS_SELF);
	ck_assert_uint_eq(m.n_uid, 1);
	ck_assert_uint_eq(m.uid[0].inside, 1000);
	ck_assert_uint_eq(m.uid[0].outside, getuid());
	ck_assert_uint_eq(m.uid[0].count, 1);
	ck_assert_uint_eq(m.gid[0].inside, 1000);
	ck_assert_uint_eq(m.gid[0].outside, getgid());
	ck_assert_msg(strstr(m.why, "self"), "why does not say self: %s", m.why);
}
END_TEST

START_TEST(idmaps_resolve_explicit_maps)
{
	struct nook_spec s;
	struct nook_idmaps m;
	struct nook_error err = { 0 };
	struct nook_idmap u[] = { { 0, 1001, 1 }, { 1, 300000, 10 } }, g[] = { { 0, 1001, 1 } };
	nook_spec_init(&s);
	s.uid_maps = u;
	s.n_uid_maps = 2;
	s.gid_maps = g;
	s.n_gid_maps = 1;
	ck_assert_int_eq(nook_idmaps_resolve(&s, &m, &err), 0);
	ck_assert_uint_eq(m.n_uid, 2);
	ck_assert_uint_eq(m.n_gid, 1);
	ck_assert_uint_eq(m.uid[1].outside, 300000);
	ck_assert_uint_eq(m.uid[1].count, 10);
	ck_assert_str_ne(m.why, "");
}
END_TEST

/* Without newuidmap in PATH, auto falls back to self and says why; subuid
 * fails with a message that names what is missing. */
START_TEST(idmaps_resolve_without_newuidmap)
{
	char dir[] = "/tmp/nookunit-path.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("PATH", dir, 1);

	struct nook_spec s;
	struct nook_idmaps m;
	struct nook_error err = { 0 };
	nook_spec_init(&s);
	ck_assert_int_eq(nook_idmaps_resolve(&s, &m, &err), 0);
	ck_assert_int_eq(m.mode, NOOK_USERNS_SELF);
	ck_assert_uint_eq(m.n_uid, 1);
	ck_assert_uint_eq(m.uid[0].outside, getuid());
	ck_assert_msg(strncmp(m.why, "self", 4) == 0, "why: %s", m.why);
	ck_assert_msg(strstr(m.why, "newuidmap") || strstr(m.why, "subordinate"), "why gives no reason: %s", m.why);

	s.userns = NOOK_USERNS_SUBUID;
	ck_assert_int_lt(nook_idmaps_resolve(&s, &m, &err), 0);
	ck_assert_msg(strstr(err.msg, "newuidmap") || strstr(err.msg, "subordinate"), "error: %s", err.msg);
	rmdir(dir);
}
END_TEST

/* --uid beyond the subordinate range cannot be mapped in subuid mode. */
START_TEST(idmaps_resolve_uid_outside_range)
{
	struct nook_spec s;
	struct nook_idmaps m;
	struct nook_error err = { 0 };
	nook_spec_init(&s);
	s.userns = NOOK_USERNS_SUBUID;
	s.uid = 4000000000U;
	ck_assert_int_lt(nook_idmaps_resolve(&s, &m, &err), 0);
	/* the reason: the uid is outside the range, or there is no range or helper */
	ck_assert_msg(strstr(err.msg, "4000000000") || strstr(err.msg, "subordinate") || strstr(err.msg, "newuidmap"),
		      "error: %s", err.msg);
}
END_TEST

START_TEST(idmap_covers)
{
	struct nook_idmap m[] = { { 0, 1001, 1 }, { 1, 100000, 65536 } };
	ck_assert(nook_idmap_covers(m, 2, 1001));
	ck_assert(!nook_idmap_covers(m, 2, 1000));
	ck_assert(!nook_idmap_covers(m, 2, 1002));
	ck_assert(!nook_idmap_covers(m, 2, 0));
	ck_assert(!nook_idmap_covers(m, 2, 99999));
	ck_assert(nook_idmap_covers(m, 2, 100000));
	ck_assert(nook_idmap_covers(m, 2, 165535));
	ck_assert(!nook_idmap_covers(m, 2, 165536));
	ck_assert(!nook_idmap_covers(m, 0, 1001));
	struct nook_idmap empty = { 1, 5, 0 };
	ck_assert(!nook_idmap_covers(&empty, 1, 5));
}
END_TEST

/* ------------------------------------------------------------ ownership */

/* A tree of the caller's files, and maps that cover the caller's uid but
 * not its gid: to ownership.c, the tree's group is not mapped. */
static void own_setup(char *dir, struct nook_spec *s, struct nook_idmaps *m, bool gid_mapped)
{
	char p[512];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(p, sizeof p, "%s/etc/sub", dir);
	ck_assert_int_eq(nook_mkdir_p(p, 0755), 0);
	snprintf(p, sizeof p, "%s/usr", dir);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	/* an absolute symlink resolves inside the tree, as in the container */
	snprintf(p, sizeof p, "%s/usr/sbin", dir);
	ck_assert_int_eq(symlink("/etc", p), 0);
	nook_spec_init(s);
	s->rootfs.kind = NOOK_ROOTFS_DIR;
	s->rootfs.path = nook_strdup(dir);
	memset(m, 0, sizeof *m);
	m->mode = NOOK_USERNS_SUBUID;   /* no subordinate-range look-up in the advice */
	m->uid[0] = (struct nook_idmap){ 0, getuid(), 1 };
	m->gid[0] = (struct nook_idmap){ 0, gid_mapped ? getgid() : getgid() + 1, 1 };
	m->n_uid = m->n_gid = 1;
}

static void own_teardown(const char *dir, struct nook_spec *s)
{
	char cmd[600];
	nook_spec_free(s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(ownership_explain)
{
	char dir[] = "/tmp/nookunit-own.XXXXXX", want[600];
	struct nook_spec s;
	struct nook_idmaps m;
	struct nook_error err = { 0 };
	own_setup(dir, &s, &m, false);

	nook_err(&err, EOVERFLOW, "cannot create /etc/sub/x");
	ck_assert(nook_ownership_explain(&s, &m, "/etc/sub/x", EOVERFLOW, &err));
	snprintf(want, sizeof want, "(/etc/sub, %s/etc/sub on the host, has group %u, which the container's "
		 "user namespace does not map: the overlay cannot copy it up", dir, (unsigned)getgid());
	ck_assert_msg(strstr(err.msg, want), "got: %s", err.msg);
	snprintf(want, sizeof want, "fix: chgrp -R %u %s)", (unsigned)getgid(), dir);
	ck_assert_msg(strstr(err.msg, want), "got: %s", err.msg);
	ck_assert_msg(strncmp(err.msg, "cannot create /etc/sub/x: ", 26) == 0, "got: %s", err.msg);

	/* through the symlink: the host path is where it leads in the tree */
	nook_errx(&err, EACCES, "x");
	ck_assert(nook_ownership_explain(&s, &m, "/usr/sbin/sub", -EACCES, &err));
	snprintf(want, sizeof want, "(/usr/sbin/sub, %s/etc/sub on the host, has group", dir);
	ck_assert_msg(strstr(err.msg, want), "got: %s", err.msg);
	ck_assert_msg(strstr(err.msg, "root inside cannot override its permissions"), "got: %s", err.msg);

	/* other errors, no path, or a path under another mount say nothing */
	nook_errx(&err, ENOENT, "x");
	ck_assert(!nook_ownership_explain(&s, &m, "/etc/sub", ENOENT, &err));
	ck_assert(!nook_ownership_explain(&s, &m, NULL, EOVERFLOW, &err));
	ck_assert(!nook_ownership_explain(&s, &m, "relative", EOVERFLOW, &err));
	ck_assert_str_eq(err.msg, "x");
	struct nook_mount bind = { .type = NOOK_MOUNT_BIND, .source = (char *)"/", .target = (char *)"/etc" };
	s.mounts = &bind;
	s.n_mounts = 1;
	ck_assert(nook_ownership_explain(&s, &m, "/etc/sub/x", EOVERFLOW, &err));
	ck_assert_msg(strstr(err.msg, "x (/etc, "), "the deepest component in the rootfs is /etc: %s", err.msg);
	s.mounts = NULL;
	s.n_mounts = 0;

	/* an owner that is not the caller: the tree has to be re-owned */
	m.uid[0].outside = getuid() + 1;
	nook_errx(&err, EOVERFLOW, "x");
	ck_assert(nook_ownership_explain(&s, &m, "/etc", EOVERFLOW, &err));
	snprintf(want, sizeof want, "is owned by uid %u and gid %u, which", (unsigned)getuid(), (unsigned)getgid());
	ck_assert_msg(strstr(err.msg, want), "got: %s", err.msg);
	snprintf(want, sizeof want, "fix: make the tree yours with sudo chown -R %u:%u %s, or unpack it again as yourself)",
		 (unsigned)getuid(), (unsigned)getgid(), dir);
	ck_assert_msg(strstr(err.msg, want), "got: %s", err.msg);
	m.uid[0].outside = getuid();

	/* the host's root and an empty root are not the user's trees */
	s.rootfs.kind = NOOK_ROOTFS_HOST;
	ck_assert(!nook_ownership_explain(&s, &m, "/etc/sub", EOVERFLOW, &err));
	own_teardown(dir, &s);

	/* every owner mapped: nothing to say */
	char dir2[] = "/tmp/nookunit-own.XXXXXX";
	own_setup(dir2, &s, &m, true);
	nook_errx(&err, EOVERFLOW, "x");
	ck_assert(!nook_ownership_explain(&s, &m, "/etc/sub/x", EOVERFLOW, &err));
	ck_assert_str_eq(err.msg, "x");
	own_teardown(dir2, &s);
}
END_TEST

START_TEST(ownership_check)
{
	char dir[] = "/tmp/nookunit-own.XXXXXX", w[NOOK_ERR_MAX], want[600];
	struct nook_spec s;
	struct nook_idmaps m;
	own_setup(dir, &s, &m, false);

	ck_assert(nook_ownership_check(&s, &m, w, sizeof w));
	snprintf(want, sizeof want, "the rootfs %s has group %u, which the container's user namespace does not map",
		 dir, (unsigned)getgid());
	ck_assert_msg(strstr(w, want), "got: %s", w);
	s.rootfs.readonly = true;
	ck_assert(!nook_ownership_check(&s, &m, w, sizeof w));
	s.rootfs.readonly = false;

	/* the same tree as an overlay's lower layer */
	s.rootfs.kind = NOOK_ROOTFS_OVERLAY;
	nook_strv_push(&s.rootfs.lower, dir);
	ck_assert(nook_ownership_check(&s, &m, w, sizeof w));
	snprintf(want, sizeof want, "the overlay's lower layer %s has group %u", dir, (unsigned)getgid());
	ck_assert_msg(strstr(w, want), "got: %s", w);
	ck_assert_msg(strstr(w, "Value too large for defined data type"), "got: %s", w);
	/* the host's / as a lower layer is root's on purpose */
	nook_strv_free(s.rootfs.lower);
	s.rootfs.lower = NULL;
	nook_strv_push(&s.rootfs.lower, "/");
	ck_assert(!nook_ownership_check(&s, &m, w, sizeof w));
	own_teardown(dir, &s);

	char dir2[] = "/tmp/nookunit-own.XXXXXX";
	own_setup(dir2, &s, &m, true);
	ck_assert(!nook_ownership_check(&s, &m, w, sizeof w));
	own_teardown(dir2, &s);
}
END_TEST

/* ------------------------------------------------------------ util */

START_TEST(path_absolute)
{
	ck_assert(nook_path_is_absolute("/"));
	ck_assert(nook_path_is_absolute("/a/b"));
	ck_assert(!nook_path_is_absolute("a/b"));
	ck_assert(!nook_path_is_absolute("./a"));
	ck_assert(!nook_path_is_absolute(""));
	ck_assert(!nook_path_is_absolute(NULL));
}
END_TEST

START_TEST(path_normalize)
{
	struct { const char *in, *out; } c[] = {
		{ "/", "/" },
		{ "//", "/" },
		{ "///a//b///", "/a/b" },
		{ "/a/./b/.", "/a/b" },
		{ "/a/b/..", "/a" },
		{ "/a/b/../..", "/" },
		{ "/a/../../b", "/b" },
		{ "/..", "/" },
		{ "/../../..", "/" },
		{ "/./", "/" },
		{ "/..a/b..", "/..a/b.." },
		{ "/a/.../b", "/a/.../b" },
		{ "/.hidden/./x", "/.hidden/x" },
		{ "/usr/lib/../bin/./sh", "/usr/bin/sh" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		_cleanup_free_ char *n = nook_path_normalize(c[i].in);
		ck_assert_msg(n && strcmp(n, c[i].out) == 0, "normalize(%s): want %s, got %s",
			      c[i].in, c[i].out, n ? n : "(null)");
	}
	ck_assert_ptr_null(nook_path_normalize("a/b"));
	ck_assert_ptr_null(nook_path_normalize(""));
	ck_assert_ptr_null(nook_path_normalize("../etc"));
	ck_assert_ptr_null(nook_path_normalize(NULL));
}
END_TEST

/* In a child: check's own fds must survive the test. Exit 0 when every
 * fd but the kept ones was closed (or marked close-on-exec). */
static int close_fds_except_child(bool without_close_range)
{
	if (without_close_range) {
		/* a kernel before 5.9: close_range says ENOSYS */
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close_range, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = { .len = sizeof f / sizeof *f, .filter = f };
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0 ||
		    syscall(__NR_close_range, 1000U, 1001U, 0) != -1 || errno != ENOSYS)
			return 9;
	}
	int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int b = dup(a), c = dup(a), d = dup(a);
	if (a < 0 || b < 0 || c < 0 || d < 0 || dup2(a, 200) != 200)
		return 1;
	/* unsorted, a duplicate and a negative entry */
	int keep[] = { 200, c, 2, -1, c };
	if (nook_close_fds_except(keep, 5, false) < 0)
		return 2;
	if (fcntl(a, F_GETFD) != -1 || fcntl(b, F_GETFD) != -1 || fcntl(d, F_GETFD) != -1 ||
	    fcntl(0, F_GETFD) != -1 || fcntl(1, F_GETFD) != -1)
		return 3;
	if (fcntl(c, F_GETFD) < 0 || fcntl(200, F_GETFD) < 0 || fcntl(2, F_GETFD) < 0)
		return 4;
	/* cloexec: nothing closed, all but the kept marked */
	if (fcntl(200, F_SETFD, 0) < 0 || fcntl(c, F_SETFD, 0) < 0)
		return 5;
	int keep2[] = { 200 };
	if (nook_close_fds_except(keep2, 1, true) < 0)
		return 6;
	if (fcntl(c, F_GETFD) != FD_CLOEXEC || fcntl(200, F_GETFD) != 0 || fcntl(2, F_GETFD) != FD_CLOEXEC)
		return 7;
	int many[NOOK_KEEP_FDS_MAX + 1] = { 0 };
	if (nook_close_fds_except(many, NOOK_KEEP_FDS_MAX + 1, false) != -E2BIG)
		return 8;
	return 0;
}

START_TEST(close_fds_except)
{
	for (int without = 0; without < 2; without++) {
		int st = -1;
		pid_t p = fork();
		ck_assert_int_ge(p, 0);
		if (p == 0)
			_exit(close_fds_except_child(without));
		ck_assert_int_eq(waitpid(p, &st, 0), p);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: the child failed check %d",
			      without ? "without close_range" : "with close_range", WEXITSTATUS(st));
	}
}
END_TEST

START_TEST(path_join)
{
	struct { const char *a, *b, *out; } c[] = {
		{ "/a", "b", "/a/b" },
		{ "/a/", "b", "/a/b" },
		{ "/a", "/b", "/a/b" },
		{ "/a//", "//b/c", "/a/b/c" },
		{ "/", "etc", "/etc" },
		{ "/", "/etc", "/etc" },
		{ "/root/dir", "x/y/", "/root/dir/x/y/" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		_cleanup_free_ char *j = nook_path_join(c[i].a, c[i].b);
		ck_assert_msg(strcmp(j, c[i].out) == 0, "join(%s, %s): want %s, got %s", c[i].a, c[i].b, c[i].out, j);
	}
}
END_TEST

START_TEST(path_contains)
{
	ck_assert(nook_path_contains("/a", "/a"));
	ck_assert(nook_path_contains("/a", "/a/b"));
	ck_assert(nook_path_contains("/a/", "/a/b"));
	ck_assert(nook_path_contains("/a/", "/a"));
	ck_assert(!nook_path_contains("/a", "/ab"));
	ck_assert(!nook_path_contains("/a/b", "/a"));
	ck_assert(!nook_path_contains("/a/b", "/a/bc/d"));
	ck_assert(nook_path_contains("/", "/"));
	ck_assert(nook_path_contains("/", "/anything/at/all"));
	ck_assert(nook_path_contains("/proc", "/proc/sys/kernel"));
	ck_assert(!nook_path_contains("/proc", "/procfs"));
}
END_TEST

START_TEST(strv)
{
	char **v = NULL;
	ck_assert_uint_eq(nook_strv_len(v), 0);
	ck_assert(!nook_strv_contains(v, "a"));
	nook_strv_push(&v, "a");
	nook_strv_push(&v, "bb");
	nook_strv_push(&v, "");
	ck_assert_uint_eq(nook_strv_len(v), 3);
	ck_assert(nook_strv_contains(v, "bb"));
	ck_assert(nook_strv_contains(v, ""));
	ck_assert(!nook_strv_contains(v, "b"));
	_cleanup_strv_ char **c = nook_strv_copy(v);
	ck_assert_ptr_ne(c, v);
	ck_assert_ptr_ne(c[0], v[0]);
	assert_strv(c, (const char *const[]){ "a", "bb", "", NULL });
	nook_strv_free(v);
	nook_strv_free(NULL);
	_cleanup_strv_ char **e = nook_strv_copy(NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_null(e[0]);
}
END_TEST

START_TEST(env_set_all)
{
	char **env = NULL;
	nook_env_set_all(&env, (char *const[]){ "A=1", "B=2", "A=3", NULL });
	assert_strv(env, (const char *const[]){ "A=3", "B=2", NULL });
	nook_env_set_all(&env, (char *const[]){ NULL });
	assert_strv(env, (const char *const[]){ "A=3", "B=2", NULL });
	/* a name that is a prefix of another is a different name */
	nook_env_set_all(&env, (char *const[]){ "AB=4", "B=5", "A=", "C=x=y", NULL });
	assert_strv(env, (const char *const[]){ "A=", "B=5", "AB=4", "C=x=y", NULL });
	/* the same as nook_env_set one by one, for many names */
	char **one = NULL, **kvs = NULL;
	for (int i = 0; i < 3000; i++) {
		char *kv = nook_asprintf("N%d=%d", i % 1000, i);
		nook_strv_push(&kvs, kv);
		nook_env_set(&one, kv);
		free(kv);
	}
	nook_env_set_all(&env, kvs);
	nook_env_set_all(&env, (char *const[]){ "B=6", NULL });
	ck_assert_uint_eq(nook_strv_len(env), 1004);
	ck_assert_str_eq(env[1], "B=6");
	for (size_t i = 0; i < 1000; i++)
		ck_assert_str_eq(env[4 + i], one[i]);
	nook_strv_free(one);
	nook_strv_free(kvs);
	nook_strv_free(env);
}
END_TEST

START_TEST(strings)
{
	ck_assert_ptr_null(nook_strdup(NULL));
	_cleanup_free_ char *d = nook_strdup("x");
	ck_assert_str_eq(d, "x");
	_cleanup_free_ char *f = nook_asprintf("%s-%d", "a", 42);
	ck_assert_str_eq(f, "a-42");
	_cleanup_free_ char *z = nook_xmalloc(16);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(z[i], 0);

	char buf[8];
	size_t off = 0;
	ck_assert(nook_append(buf, sizeof buf, &off, "ab%d", 1));
	ck_assert(nook_append(buf, sizeof buf, &off, "%s", "cd"));
	ck_assert_str_eq(buf, "ab1cd");
	ck_assert_uint_eq(off, 5);
	ck_assert(!nook_append(buf, sizeof buf, &off, "xyz"));   /* needs 9 bytes */
	ck_assert_uint_eq(off, 5);
	ck_assert(nook_append(buf, sizeof buf, &off, "xy"));
	ck_assert_str_eq(buf, "ab1cdxy");
}
END_TEST

START_TEST(find_program)
{
	char dir[] = "/tmp/nookunit-find.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	_cleanup_free_ char *exe = nook_path_join(dir, "prog");
	_cleanup_free_ char *noexec = nook_path_join(dir, "data");
	_cleanup_free_ char *subdir = nook_path_join(dir, "sub");
	_cleanup_free_ char *subexe = nook_path_join(subdir, "data");
	ck_assert_int_eq(nook_write_file(exe, "#!/bin/sh\n", 10, O_CREAT | O_TRUNC), 0);
	ck_assert_int_eq(chmod(exe, 0755), 0);
	ck_assert_int_eq(nook_write_file(noexec, "x", 1, O_CREAT | O_TRUNC), 0);
	ck_assert_int_eq(chmod(noexec, 0644), 0);
	ck_assert_int_eq(mkdir(subdir, 0755), 0);
	ck_assert_int_eq(nook_write_file(subexe, "#!/bin/sh\n", 10, O_CREAT | O_TRUNC), 0);
	ck_assert_int_eq(chmod(subexe, 0755), 0);

	_cleanup_free_ char *path = nook_asprintf("/nonexistent::%s:%s", dir, subdir);
	_cleanup_free_ char *p1 = nook_find_program("prog", path);
	ck_assert_str_eq(p1, exe);
	/* a non-executable file is skipped in favour of a later directory */
	_cleanup_free_ char *p2 = nook_find_program("data", path);
	ck_assert_str_eq(p2, subexe);
	/* a directory is not a program */
	_cleanup_free_ char *p3 = nook_find_program("sub", path);
	ck_assert_ptr_null(p3);
	ck_assert_ptr_null(nook_find_program("missing", path));
	/* names with a slash are not searched */
	_cleanup_free_ char *p4 = nook_find_program(exe, "/nonexistent");
	ck_assert_str_eq(p4, exe);
	ck_assert_ptr_null(nook_find_program(noexec, path));
	/* NULL: a default search path that has sh */
	_cleanup_free_ char *sh = nook_find_program("sh", NULL);
	ck_assert_ptr_nonnull(sh);
	ck_assert(nook_path_is_absolute(sh));

	unlink(subexe);
	rmdir(subdir);
	unlink(exe);
	unlink(noexec);
	rmdir(dir);
}
END_TEST

START_TEST(read_write_file)
{
	char dir[] = "/tmp/nookunit-rw.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	_cleanup_free_ char *f = nook_path_join(dir, "f");
	ck_assert_int_eq(nook_write_file(f, "hello world", 11, O_CREAT | O_TRUNC), 0);
	size_t len = 0;
	_cleanup_free_ char *all = nook_read_file(f, 1 << 20, &len);
	ck_assert_str_eq(all, "hello world");
	ck_assert_uint_eq(len, 11);
	_cleanup_free_ char *part = nook_read_file(f, 5, &len);
	ck_assert_str_eq(part, "hello");
	ck_assert_uint_eq(len, 5);

	/* a file larger than the first read chunk */
	size_t big = 10000;
	_cleanup_free_ char *data = nook_xmalloc(big);
	memset(data, 'x', big);
	ck_assert_int_eq(nook_write_file(f, data, big, O_CREAT | O_TRUNC), 0);
	_cleanup_free_ char *rb = nook_read_file(f, 1 << 20, &len);
	ck_assert_uint_eq(len, big);
	ck_assert_uint_eq(strlen(rb), big);

	_cleanup_free_ char *missing = nook_path_join(dir, "missing");
	errno = 0;
	ck_assert_ptr_null(nook_read_file(missing, 100, NULL));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(nook_write_file(missing, "x", 1, 0), -ENOENT);
	unlink(f);
	rmdir(dir);
}
END_TEST

START_TEST(mkdir_p)
{
	char dir[] = "/tmp/nookunit-mkdir.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	_cleanup_free_ char *deep = nook_path_join(dir, "a/b/c");
	ck_assert_int_eq(nook_mkdir_p(deep, 0755), 0);
	struct stat st;
	ck_assert_int_eq(stat(deep, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(nook_mkdir_p(deep, 0755), 0); /* exists: fine */

	/* a regular file in the way is an error, not success */
	_cleanup_free_ char *file = nook_path_join(dir, "file");
	ck_assert_int_eq(nook_write_file(file, "x", 1, O_CREAT | O_TRUNC), 0);
	_cleanup_free_ char *under = nook_path_join(file, "sub");
	int r_under = nook_mkdir_p(under, 0755);
	int r_file = nook_mkdir_p(file, 0755);

	unlink(file);
	_cleanup_free_ char *b = nook_path_join(dir, "a/b");
	_cleanup_free_ char *a = nook_path_join(dir, "a");
	rmdir(deep);
	rmdir(b);
	rmdir(a);
	rmdir(dir);
	ck_assert_int_lt(r_under, 0);
	ck_assert_msg(r_file < 0, "mkdir_p on an existing regular file reported success");
}
END_TEST

/* ------------------------------------------------------------ error */

START_TEST(error_escapes_controls)
{
	struct nook_error err = { 0 };
	/* an escape sequence from a name in a rootfs reaches the terminal as text */
	nook_errx(&err, ENOENT, "cannot execute /bin/%s", "x\033]0;owned\007y");
	ck_assert_str_eq(err.msg, "cannot execute /bin/x\\x1b]0;owned\\x07y");
	nook_err(&err, EACCES, "a\nb\tc\177d");
	ck_assert_str_eq(err.msg, "a\\x0ab\\x09c\\x7fd: Permission denied");
	/* UTF-8 text stays; a C1 control (CSI, U+009B) and stray bytes do not */
	nook_errx(&err, EINVAL, "caf\xc3\xa9 \xe2\x82\xac \xc2\x9b" "2J \x9b \xff");
	ck_assert_str_eq(err.msg, "caf\xc3\xa9 \xe2\x82\xac \\xc2\\x9b2J \\x9b \\xff");
	/* idempotent, and so is a prefix added later */
	char buf[64] = "x\\x1b y";
	nook_escape_controls(buf, sizeof buf);
	ck_assert_str_eq(buf, "x\\x1b y");
	nook_errx(&err, EINVAL, "inner \033[2J");
	nook_err_prefix(&err, "outer %s", "\033c");
	ck_assert_str_eq(err.msg, "outer \\x1bc: inner \\x1b[2J");
	/* a message at the size limit is cut before an escape, never inside one */
	char big[NOOK_ERR_MAX + 8];
	memset(big, 'a', sizeof big);
	big[NOOK_ERR_MAX - 3] = '\033';
	big[sizeof big - 1] = '\0';
	nook_errx(&err, EINVAL, "%s", big);
	ck_assert_uint_eq(strlen(err.msg), NOOK_ERR_MAX - 3);
	ck_assert_ptr_null(strchr(err.msg, '\033'));
}
END_TEST

START_TEST(error_messages)
{
	struct nook_error err = { 0 };
	ck_assert_int_eq(nook_err(&err, ENOENT, "cannot open %s", "/x"), -ENOENT);
	ck_assert_str_eq(err.msg, "cannot open /x: No such file or directory");
	ck_assert_int_eq(err.code, -ENOENT);
	ck_assert_int_eq(err.exit_status, NOOK_EXIT_FAILURE);

	struct nook_error e2 = { 0 };
	ck_assert_int_eq(nook_errx(&e2, EPERM, "plain %d", 1), -EPERM);
	ck_assert_str_eq(e2.msg, "plain 1");
	nook_err_prefix(&e2, "ctx %s", "here");
	ck_assert_str_eq(e2.msg, "ctx here: plain 1");

	/* errnum 0 still reports a failure */
	struct nook_error e3 = { 0 };
	ck_assert_int_eq(nook_errx(&e3, 0, "no errno"), -EINVAL);
	ck_assert_int_lt(e3.code, 0);
	ck_assert_str_eq(e3.msg, "no errno");

	/* a preset exit status (126/127) survives */
	struct nook_error e4 = { .exit_status = NOOK_EXIT_NOT_FOUND };
	nook_err(&e4, ENOENT, "x");
	ck_assert_int_eq(e4.exit_status, NOOK_EXIT_NOT_FOUND);

	/* an overlong message is truncated, not overflowed */
	char big[2 * NOOK_ERR_MAX];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	struct nook_error e5 = { 0 };
	nook_err(&e5, EIO, "%s", big);
	ck_assert_uint_eq(strlen(e5.msg), NOOK_ERR_MAX - 1);
	nook_err_prefix(&e5, "prefix");
	ck_assert_uint_lt(strlen(e5.msg), NOOK_ERR_MAX);
	ck_assert(strncmp(e5.msg, "prefix: aaa", 11) == 0);
}
END_TEST

/* The child may die with a message of the parent's unread (the network
 * namespace, when it failed before taking it). The parent must still read
 * what the child said before it died: the kernel reports ECONNRESET once,
 * ahead of the queued messages. */
START_TEST(sync_reads_past_a_reset)
{
	int sv[2];
	struct nook_msg m;
	int passed = -1;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	/* parent -> child, never read; child -> parent, then the child dies */
	ck_assert_int_eq(nook_sync_send_fd(sv[0], NOOK_MSG_NETNS, 0, 0), 0);
	ck_assert_int_eq(nook_sync_send(sv[1], NOOK_MSG_ERROR, 125, "what went wrong"), 0);
	close(sv[1]);
	ck_assert_int_eq(nook_sync_recv_fd(sv[0], &m, &passed), 1);
	ck_assert_int_eq(m.type, NOOK_MSG_ERROR);
	ck_assert_int_eq(m.value, 125);
	ck_assert_str_eq(m.text, "what went wrong");
	ck_assert_int_eq(passed, -1);
	/* then the end */
	ck_assert_int_eq(nook_sync_recv_fd(sv[0], &m, &passed), 0);
	close(sv[0]);
}
END_TEST

START_TEST(image_ref_normalize)
{
	struct { const char *in, *out; } ok[] = {
		{ "busybox", "docker.io/library/busybox:latest" },
		{ "debian:bookworm", "docker.io/library/debian:bookworm" },
		{ "team/app", "docker.io/team/app:latest" },
		{ "quay.io/team/app:1.0", "quay.io/team/app:1.0" },
		{ "127.0.0.1:5000/test/bb:1", "127.0.0.1:5000/test/bb:1" },
		{ "127.0.0.1:5000/test/bb", "127.0.0.1:5000/test/bb:latest" },
		{ "localhost/bb", "localhost/bb:latest" },
		{ "app@sha256:0123", "docker.io/library/app@sha256:0123" },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		struct nook_error e = { 0 };
		_cleanup_free_ char *n = nook_image_ref_normalize(ok[i].in, &e);
		ck_assert_msg(n && strcmp(n, ok[i].out) == 0, "%s -> %s, want %s (%s)", ok[i].in, n ? n : "NULL",
			      ok[i].out, e.msg);
	}
	const char *bad[] = { "", "/abs", "a//b", "a/", "a:", "Bad/Name", "a b", "x;rm", "../x" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct nook_error e = { 0 };
		char *n = nook_image_ref_normalize(bad[i], &e);
		ck_assert_msg(!n, "'%s' accepted as %s", bad[i], n);
		ck_assert_msg(strstr(e.msg, "reference"), "'%s': message '%s'", bad[i], e.msg);
	}
}
END_TEST

START_TEST(image_store_dir)
{
	setenv("NOOK_STORE", "/s/env", 1);
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	_cleanup_free_ char *a = nook_image_store_dir("/s/opt");
	_cleanup_free_ char *b = nook_image_store_dir(NULL);
	unsetenv("NOOK_STORE");
	_cleanup_free_ char *c = nook_image_store_dir(NULL);
	setenv("XDG_DATA_HOME", "relative", 1);
	_cleanup_free_ char *d = nook_image_store_dir(NULL);
	unsetenv("XDG_DATA_HOME");
	ck_assert_str_eq(a, "/s/opt");
	ck_assert_str_eq(b, "/s/env");
	ck_assert_str_eq(c, "/xdg/nook/images");
	ck_assert_str_eq(d, "/home/u/.local/share/nook/images");
}
END_TEST

/* an empty store lists nothing; a damaged index is an error naming it */
START_TEST(image_store_index)
{
	char dir[] = "/tmp/nook-unit-store.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct nook_image_opts o = { .store = dir };
	struct nook_image_info *v = NULL;
	size_t n = 9;
	struct nook_error e = { 0 };
	ck_assert_int_eq(nook_image_list(&o, &v, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	nook_image_info_free(v, n);
	_cleanup_free_ char *idx = nook_asprintf("%s/images.json", dir);
	ck_assert_int_eq(nook_write_file(idx, "{not json", 9, O_CREAT | O_TRUNC), 0);
	ck_assert_int_lt(nook_image_list(&o, &v, &n, &e), 0);
	ck_assert_msg(strstr(e.msg, "images.json") && strstr(e.msg, "damaged"), "%s", e.msg);
	ck_assert(!nook_image_exists("busybox", dir));
	struct nook_error e2 = { 0 };
	ck_assert_int_lt(nook_image_remove("busybox", &o, &e2), 0);
	_cleanup_free_ char *cmd = nook_asprintf("rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(args_image)
{
	struct nook_run_args a;
	char msg[256];
	char *argv[] = { "run", "--set", "process.args=[x]", "-e", "A=b", NULL };
	ck_assert_int_eq(nook_run_args_parse(5, argv, &a, msg, sizeof msg), 0);
	nook_run_args_image(&a, "debian:bookworm");
	ck_assert_uint_eq(a.n_overrides, 4);
	ck_assert_str_eq(a.overrides[0], "process.args=[]");
	ck_assert_str_eq(a.overrides[1], "process.args=[x]");
	ck_assert_str_eq(a.overrides[3], "rootfs.image=\"debian:bookworm\"");
	ck_assert_str_eq(a.labels[3], "--image");
	ck_assert_str_eq(a.image, "debian:bookworm");
	nook_run_args_free(&a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *ta = tcase_create("args");
	tcase_add_test(ta, args_command_after_dashdash);
	tcase_add_test(ta, args_options_after_dashdash_belong_to_the_command);
	tcase_add_test(ta, args_profile_then_command);
	tcase_add_test(ta, args_core_options_become_overrides_in_order);
	tcase_add_test(ta, args_userns_values);
	tcase_add_test(ta, args_bind);
	tcase_add_test(ta, args_bind_errors);
	tcase_add_test(ta, args_tmpfs);
	tcase_add_test(ta, args_env);
	tcase_add_test(ta, args_other_profile_keys);
	tcase_add_test(ta, args_verbose_and_help);
	tcase_add_test(ta, args_unknown_option);
	tcase_add_test(ta, args_missing_value);
	tcase_add_test(ta, args_parse_twice);
	tcase_add_test(ta, args_free_is_idempotent);
	tcase_add_test(ta, yaml_quote);
	tcase_add_test(ta, args_image);
	suite_add_tcase(s, ta);

	TCase *tm = tcase_create("image");
	tcase_add_test(tm, image_ref_normalize);
	tcase_add_test(tm, image_store_dir);
	tcase_add_test(tm, image_store_index);
	suite_add_tcase(s, tm);

	TCase *ti = tcase_create("idmap");
	tcase_add_test(ti, idmaps_self);
	tcase_add_test(ti, idmaps_subuid);
	tcase_add_test(ti, idmap_format);
	tcase_add_test(ti, subid_pick);
	tcase_add_test(ti, idmap_helper_args);
	tcase_add_test(ti, idmaps_resolve_self);
	tcase_add_test(ti, idmaps_resolve_explicit_maps);
	tcase_add_test(ti, idmaps_resolve_without_newuidmap);
	tcase_add_test(ti, idmaps_resolve_uid_outside_range);
	tcase_add_test(ti, idmap_covers);
	suite_add_tcase(s, ti);

	TCase *to = tcase_create("ownership");
	tcase_add_test(to, ownership_explain);
	tcase_add_test(to, ownership_check);
	suite_add_tcase(s, to);

	TCase *tu = tcase_create("util");
	tcase_add_test(tu, path_absolute);
	tcase_add_test(tu, path_normalize);
	tcase_add_test(tu, close_fds_except);
	tcase_add_test(tu, path_join);
	tcase_add_test(tu, path_contains);
	tcase_add_test(tu, strv);
	tcase_add_test(tu, env_set_all);
	tcase_add_test(tu, strings);
	tcase_add_test(tu, find_program);
	tcase_add_test(tu, read_write_file);
	tcase_add_test(tu, mkdir_p);
	tcase_add_test(tu, error_messages);
	tcase_add_test(tu, error_escapes_controls);
	tcase_add_test(tu, sync_reads_past_a_reset);
	suite_add_tcase(s, tu);
	return nook_check_main(s);
}
