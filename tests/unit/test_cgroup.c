/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_cgroup.c - the pure parts of the cgroup module and the stats JSON. */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nook/cgroup.h"
#include "nook/oci.h"
#include "nook/stats.h"
#include "tap.h"

/* ------------------------------------------------------ /proc/self/cgroup */

START_TEST(proc_pure_v2)
{
	char *path = NULL;
	unsigned v1 = 99;
	ck_assert_int_eq(nook_cgroup_parse_proc("0::/user.slice/user-1000.slice/session-2.scope\n", &path, &v1), 0);
	ck_assert_str_eq(path, "/user.slice/user-1000.slice/session-2.scope");
	ck_assert_uint_eq(v1, 0);
	free(path);
}
END_TEST

START_TEST(proc_hybrid)
{
	const char *text =
		"9:name=systemd:/\n"
		"8:pids:/\n"
		"4:memory:/process_api/12cd\n"
		"2:cpuacct:/\n"
		"1:cpu,cpuacct:/\n"
		"3:cpuset:/\n"
		"0::/\n";
	char *path = NULL;
	unsigned v1 = 0;
	ck_assert_int_eq(nook_cgroup_parse_proc(text, &path, &v1), 0);
	ck_assert_str_eq(path, "/");
	ck_assert_uint_eq(v1, NOOK_CG_PIDS | NOOK_CG_MEMORY | NOOK_CG_CPU | NOOK_CG_CPUSET);
	ck_assert(!(v1 & NOOK_CG_IO));
	free(path);
}
END_TEST

START_TEST(proc_v1_only)
{
	char *path = NULL;
	unsigned v1 = 0;
	ck_assert_int_eq(nook_cgroup_parse_proc("4:memory:/a\n1:name=systemd:/b\n", &path, &v1), -ENOENT);
	ck_assert_ptr_null(path);
	ck_assert_uint_eq(v1, NOOK_CG_MEMORY);
	/* no trailing newline, and a garbage line */
	ck_assert_int_eq(nook_cgroup_parse_proc("garbage\n0::/x/y", &path, NULL), 0);
	ck_assert_str_eq(path, "/x/y");
	free(path);
}
END_TEST

/* ----------------------------------------------------------- mountinfo */

static const char *mi_hybrid =
	"22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
	"30 22 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755\n"
	"31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw\n"
	"32 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";

START_TEST(mountinfo_hybrid)
{
	char *mp = NULL, *root = NULL;
	bool nsd = true;
	ck_assert_int_eq(nook_cgroup_parse_mountinfo(mi_hybrid, &mp, &root, &nsd), 0);
	ck_assert_str_eq(mp, "/sys/fs/cgroup/unified");
	ck_assert_str_eq(root, "/");
	ck_assert(!nsd);
	free(mp);
	free(root);
}
END_TEST

START_TEST(mountinfo_prefers_sys_fs_cgroup)
{
	const char *text =
		"40 22 0:40 /foo /mnt/my\\040cg rw - cgroup2 none rw\n"
		"41 22 0:27 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
		"42 22 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
	char *mp = NULL, *root = NULL;
	bool nsd = false;
	ck_assert_int_eq(nook_cgroup_parse_mountinfo(text, &mp, &root, &nsd), 0);
	ck_assert_str_eq(mp, "/sys/fs/cgroup");
	ck_assert(nsd);
	free(mp);
	free(root);
	/* only the odd one: its escapes are decoded, its root kept */
	/* an option that merely starts with the name does not count */
	ck_assert_int_eq(nook_cgroup_parse_mountinfo(
		"40 22 0:40 /foo /mnt/my\\040cg rw - cgroup2 none rw,nsdelegatex\n", &mp, &root, &nsd), 0);
	ck_assert(!nsd);
	ck_assert_str_eq(mp, "/mnt/my cg");
	ck_assert_str_eq(root, "/foo");
	free(mp);
	free(root);
}
END_TEST

START_TEST(mountinfo_none)
{
	char *mp = NULL, *root = NULL;
	/* a cgroup v1 mount and a tmpfs named cgroup2 are not cgroup2 mounts */
	ck_assert_int_eq(nook_cgroup_parse_mountinfo(
		"32 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
		"33 30 0:29 / /cgroup2 rw - tmpfs cgroup2 rw\n", &mp, &root, NULL), -ENOENT);
	ck_assert_ptr_null(mp);
}
END_TEST

/* -------------------------------------------------------------- paths */

START_TEST(resolve_paths)
{
	char *p = nook_cgroup_resolve("/sys/fs/cgroup", "/", "/user.slice/a.scope");
	ck_assert_str_eq(p, "/sys/fs/cgroup/user.slice/a.scope");
	free(p);
	p = nook_cgroup_resolve("/sys/fs/cgroup/unified", "/", "/");
	ck_assert_str_eq(p, "/sys/fs/cgroup/unified");
	free(p);
	/* a mount of a subtree */
	p = nook_cgroup_resolve("/mnt/cg", "/user.slice", "/user.slice/a.scope");
	ck_assert_str_eq(p, "/mnt/cg/a.scope");
	free(p);
	p = nook_cgroup_resolve("/mnt/cg", "/user.slice/", "/user.slice");
	ck_assert_str_eq(p, "/mnt/cg");
	free(p);
	/* outside the mount, a sibling with a common prefix, outside the cgroupns */
	ck_assert_ptr_null(nook_cgroup_resolve("/mnt/cg", "/user.slice", "/system.slice/x"));
	ck_assert_ptr_null(nook_cgroup_resolve("/mnt/cg", "/user.slice", "/user.slice2/x"));
	ck_assert_ptr_null(nook_cgroup_resolve("/sys/fs/cgroup", "/", "/../../init.scope"));
	ck_assert_ptr_null(nook_cgroup_resolve("/sys/fs/cgroup", "/", "relative"));
}
END_TEST

START_TEST(pick_base)
{
	bool init = true;
	char *b = nook_cgroup_pick_base("/sys/fs/cgroup/user.slice/run-1.scope", &init);
	ck_assert_str_eq(b, "/sys/fs/cgroup/user.slice/run-1.scope");
	ck_assert(!init);
	free(b);
	b = nook_cgroup_pick_base("/sys/fs/cgroup/user.slice/run-1.scope/nook-init", &init);
	ck_assert_str_eq(b, "/sys/fs/cgroup/user.slice/run-1.scope");
	ck_assert(init);
	free(b);
	/* only the exact name counts */
	b = nook_cgroup_pick_base("/sys/fs/cgroup/x/nook-init2", &init);
	ck_assert_str_eq(b, "/sys/fs/cgroup/x/nook-init2");
	ck_assert(!init);
	free(b);
}
END_TEST

/* --------------------------------------------------------- formatting */

START_TEST(cpu_max)
{
	char buf[64];
	/* --cpus 1.5 with the default period */
	ck_assert_int_eq(nook_cgroup_format_cpu_max(150000, 0, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "150000 100000");
	ck_assert_int_eq(nook_cgroup_format_cpu_max(50000, 100000, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "50000 100000");
	ck_assert_int_eq(nook_cgroup_format_cpu_max(0, 20000, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "max 20000");
	ck_assert_int_eq(nook_cgroup_format_cpu_max(999, 100000, buf, sizeof buf), -EINVAL);
	ck_assert_int_eq(nook_cgroup_format_cpu_max(5000, 999, buf, sizeof buf), -EINVAL);
	ck_assert_int_eq(nook_cgroup_format_cpu_max(5000, 1000001, buf, sizeof buf), -EINVAL);
}
END_TEST

START_TEST(sizes)
{
	char buf[48];
	nook_cgroup_format_size(256ULL << 20, buf, sizeof buf);
	ck_assert_str_eq(buf, "256 MiB");
	nook_cgroup_format_size(3ULL << 29, buf, sizeof buf);
	ck_assert_str_eq(buf, "1.5 GiB");
	nook_cgroup_format_size(1000, buf, sizeof buf);
	ck_assert_str_eq(buf, "1000 bytes");
	nook_cgroup_format_size(4096, buf, sizeof buf);
	ck_assert_str_eq(buf, "4 KiB");
	nook_cgroup_format_size(2ULL << 40, buf, sizeof buf);
	ck_assert_str_eq(buf, "2 TiB");
	nook_cgroup_format_size(UINT64_MAX, buf, sizeof buf);
	ck_assert_str_eq(buf, "16777216.0 TiB");
}
END_TEST

START_TEST(leaf_names)
{
	char buf[160];
	pid_t pid = 0;
	unsigned long long st = 0;
	nook_cgroup_leaf_name(4242, 987654321ULL, NULL, buf, sizeof buf);
	ck_assert_str_eq(buf, "nook-4242-987654321");
	ck_assert(nook_cgroup_parse_leaf_name(buf, &pid, &st));
	ck_assert_int_eq(pid, 4242);
	ck_assert_uint_eq(st, 987654321ULL);
	nook_cgroup_leaf_name(7, 11, "my box/../x", buf, sizeof buf);
	ck_assert_str_eq(buf, "nook-7-11-my_box_.._x");
	ck_assert(nook_cgroup_parse_leaf_name(buf, &pid, &st));
	ck_assert_int_eq(pid, 7);
	ck_assert_uint_eq(st, 11);
	/* long names are cut to 64 bytes */
	char name[200];
	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	nook_cgroup_leaf_name(1, 2, name, buf, sizeof buf);
	ck_assert_uint_eq(strlen(buf), strlen("nook-1-2-") + 64);
	/* not ours */
	ck_assert(!nook_cgroup_parse_leaf_name("nook-init", &pid, &st));
	ck_assert(!nook_cgroup_parse_leaf_name("nook-12", &pid, &st));
	ck_assert(!nook_cgroup_parse_leaf_name("nook-12-", &pid, &st));
	ck_assert(!nook_cgroup_parse_leaf_name("nook-0-5", &pid, &st));
	ck_assert(!nook_cgroup_parse_leaf_name("nook-12x-5", &pid, &st));
	ck_assert(!nook_cgroup_parse_leaf_name("app.slice", &pid, &st));
}
END_TEST

START_TEST(starttime)
{
	/* comm with spaces and a ')' inside; starttime is field 22 */
	const char *line = "1234 (my (odd) prog) S 1 1234 1234 0 -1 4194560 100 0 0 0 "
			   "5 6 0 0 20 0 1 0 31337 1000000 100 18446744073709551615\n";
	ck_assert_uint_eq(nook_cgroup_parse_starttime(line), 31337ULL);
	ck_assert_uint_eq(nook_cgroup_parse_starttime("1 (x) S 1 2"), 0);
	ck_assert_uint_eq(nook_cgroup_parse_starttime("garbage"), 0);
	ck_assert_uint_eq(nook_cgroup_parse_starttime(NULL), 0);
}
END_TEST

START_TEST(keyed)
{
	const char *cpu = "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 3\n";
	uint64_t v = 0;
	ck_assert_int_eq(nook_cgroup_keyed_value(cpu, "user_usec", &v), 0);
	ck_assert_uint_eq(v, 1000);
	ck_assert_int_eq(nook_cgroup_keyed_value(cpu, "system_usec", &v), 0);
	ck_assert_uint_eq(v, 500);
	/* a key that is a prefix of another must not match it */
	ck_assert_int_eq(nook_cgroup_keyed_value("oom_kill_x 5\n", "oom_kill", &v), -ENOENT);
	ck_assert_int_eq(nook_cgroup_keyed_value("low 0\nhigh 0\noom 1\noom_kill 1\noom_group_kill 0\n",
						 "oom_kill", &v), 0);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(nook_cgroup_keyed_value("populated x\n", "populated", &v), -EINVAL);
}
END_TEST

START_TEST(controllers)
{
	ck_assert_uint_eq(nook_cgroup_parse_controllers("cpuset cpu io memory hugetlb pids rdma misc\n"),
			  NOOK_CG_CPUSET | NOOK_CG_CPU | NOOK_CG_IO | NOOK_CG_MEMORY | NOOK_CG_PIDS);
	ck_assert_uint_eq(nook_cgroup_parse_controllers("hugetlb\n"), 0);
	ck_assert_uint_eq(nook_cgroup_parse_controllers(""), 0);
	ck_assert_str_eq(nook_cgroup_controller_name(NOOK_CG_MEMORY), "memory");
	ck_assert_ptr_null(nook_cgroup_controller_name(NOOK_CG_MEMORY | NOOK_CG_CPU));

	struct nook_spec s;
	memset(&s, 0, sizeof s);
	ck_assert_uint_eq(nook_cgroup_wanted(&s), 0);
	s.memory = 256 << 20;
	s.pids = 64;
	ck_assert_uint_eq(nook_cgroup_wanted(&s), NOOK_CG_MEMORY | NOOK_CG_PIDS);
	ck_assert_str_eq(nook_cgroup_key_for(&s, NOOK_CG_MEMORY), "resources.memory");
	s.memory = 0;
	s.memory_swap = 1;
	ck_assert_str_eq(nook_cgroup_key_for(&s, NOOK_CG_MEMORY), "resources.memory_swap");
	s.cpu_quota_us = 50000;
	s.cpuset_cpus = (char *)"";
	ck_assert_uint_eq(nook_cgroup_wanted(&s), NOOK_CG_MEMORY | NOOK_CG_PIDS | NOOK_CG_CPU);
	s.cpuset_cpus = (char *)"0";
	s.io_weight = 100;
	ck_assert_uint_eq(nook_cgroup_wanted(&s),
			  NOOK_CG_MEMORY | NOOK_CG_PIDS | NOOK_CG_CPU | NOOK_CG_CPUSET | NOOK_CG_IO);
	ck_assert_str_eq(nook_cgroup_key_for(&s, NOOK_CG_CPU), "resources.cpus");
}
END_TEST

/* -------------------------------------------------------------- stats */

static struct json_object *parse(const char *text)
{
	struct json_object *o = json_tokener_parse(text);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_is_type(o, json_type_object));
	return o;
}

static int64_t get_int(struct json_object *o, const char *key)
{
	struct json_object *v;
	ck_assert_msg(json_object_object_get_ex(o, key, &v), "key %s missing", key);
	ck_assert_msg(json_object_is_type(v, json_type_int), "key %s not an int", key);
	return json_object_get_int64(v);
}

static bool is_null(struct json_object *o, const char *key)
{
	struct json_object *v = (struct json_object *)1;
	ck_assert_msg(json_object_object_get_ex(o, key, &v), "key %s missing", key);
	return v == NULL;
}

START_TEST(stats_oom)
{
	struct nook_result r;
	memset(&r, 0, sizeof r);
	r.exit_status = 137;
	r.wait_status = SIGKILL; /* as the kernel encodes "killed by signal 9" */
	r.wall_ns = 2500000000ULL;
	r.have_stats = true;
	r.cpu_user_us = 120;
	r.cpu_system_us = 34;
	r.memory_peak = 268435456ULL;
	r.oom_kills = 1;
	r.pids_peak = 3;
	strcpy(r.note, "killed by the kernel: out of memory (limit 256 MiB)");
	char *text = nook_stats_to_json(&r);
	ck_assert_ptr_nonnull(text);
	struct json_object *o = parse(text);
	ck_assert_int_eq(get_int(o, "exit_status"), 137);
	ck_assert_int_eq(get_int(o, "signal"), 9);
	ck_assert_int_eq(get_int(o, "wall_time_us"), 2500000);
	ck_assert_int_eq(get_int(o, "cpu_user_us"), 120);
	ck_assert_int_eq(get_int(o, "cpu_system_us"), 34);
	ck_assert_int_eq(get_int(o, "memory_peak_bytes"), 268435456);
	ck_assert_int_eq(get_int(o, "oom_kills"), 1);
	ck_assert_int_eq(get_int(o, "pids_peak"), 3);
	struct json_object *v;
	ck_assert(json_object_object_get_ex(o, "cgroup", &v) && json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(o, "timed_out", &v) && !json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(o, "note", &v));
	ck_assert_str_eq(json_object_get_string(v), r.note);
	json_object_put(o);
	free(text);
}
END_TEST

START_TEST(stats_no_cgroup)
{
	struct nook_result r;
	memset(&r, 0, sizeof r);
	r.exit_status = 3;
	r.wait_status = 3 << 8; /* exited with 3 */
	r.cpu_user_us = 77; /* must not show without have_stats */
	strcpy(r.note, "quote \" and \\ and /path");
	char *text = nook_stats_to_json(&r);
	struct json_object *o = parse(text);
	ck_assert_int_eq(get_int(o, "exit_status"), 3);
	ck_assert(is_null(o, "signal"));
	ck_assert(is_null(o, "cpu_user_us"));
	ck_assert(is_null(o, "memory_peak_bytes"));
	ck_assert(is_null(o, "oom_kills"));
	ck_assert(is_null(o, "pids_peak"));
	struct json_object *v;
	ck_assert(json_object_object_get_ex(o, "note", &v));
	ck_assert_str_eq(json_object_get_string(v), "quote \" and \\ and /path");
	json_object_put(o);
	free(text);
}
END_TEST

/* `nook-oci update`'s options as one linux.resources object (oci/update.c),
 * read back by the translation create uses */
START_TEST(oci_update_options)
{
	const char *opts[] = { "--memory", "--pids-limit", "--cpu-quota", "--cpu-period", "--memory", "--cpu-share" };
	const char *vals[] = { "64M", "77", "20000", "50000", "128M", "2" };
	struct nook_oci_update u = { .opts = opts, .values = vals, .n = 6 };
	struct json_object *j = NULL;
	struct nook_error err = { 0 };
	struct nook_spec s;

	ck_assert_msg(nook_oci_update_resources(&u, &j, &err) == 0, "%s", err.msg);
	/* one object per group, the last --memory wins */
	ck_assert_str_eq(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN),
			 "{\"memory\":{\"limit\":134217728},\"pids\":{\"limit\":77},\"cpu\":{\"quota\":20000,\"period\":50000,\"shares\":2}}");
	nook_spec_init(&s);
	ck_assert_msg(nook_oci_resources_apply(j, "the command line", &s, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(s.memory, 134217728);
	ck_assert_uint_eq(s.pids, 77);
	ck_assert_uint_eq(s.cpu_quota_us, 20000);
	ck_assert_uint_eq(s.cpu_period_us, 50000);
	ck_assert_uint_eq(s.cpu_weight, 1);
	nook_spec_free(&s);
	json_object_put(j);

	/* -1 is "no limit"; bad values and unknown options are named */
	const char *o2[] = { "--memory" }, *v2[] = { "-1" };
	struct nook_oci_update u2 = { .opts = o2, .values = v2, .n = 1 };
	ck_assert_int_eq(nook_oci_update_resources(&u2, &j, &err), 0);
	ck_assert_str_eq(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), "{\"memory\":{\"limit\":-1}}");
	json_object_put(j);
	v2[0] = "lots";
	ck_assert_int_lt(nook_oci_update_resources(&u2, &j, &err), 0);
	ck_assert_ptr_null(j);
	ck_assert_ptr_nonnull(strstr(err.msg, "--memory: 'lots' is not a size"));
	ck_assert_int_eq(err.exit_status, 1);
	o2[0] = "--pids-limit";
	v2[0] = "-5";
	ck_assert_int_lt(nook_oci_update_resources(&u2, &j, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "--pids-limit: '-5' is not a number"));
	o2[0] = "--bogus";
	ck_assert_int_lt(nook_oci_update_resources(&u2, &j, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown option --bogus"));
	/* the names the command line takes a value after */
	ck_assert_str_eq(nook_oci_update_option(0), "--memory");
	ck_assert_ptr_null(nook_oci_update_option(8));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *t = tcase_create("parse");
	tcase_add_test(t, proc_pure_v2);
	tcase_add_test(t, proc_hybrid);
	tcase_add_test(t, proc_v1_only);
	tcase_add_test(t, mountinfo_hybrid);
	tcase_add_test(t, mountinfo_prefers_sys_fs_cgroup);
	tcase_add_test(t, mountinfo_none);
	tcase_add_test(t, resolve_paths);
	tcase_add_test(t, pick_base);
	tcase_add_test(t, cpu_max);
	tcase_add_test(t, sizes);
	tcase_add_test(t, leaf_names);
	tcase_add_test(t, starttime);
	tcase_add_test(t, keyed);
	tcase_add_test(t, controllers);
	tcase_add_test(t, oci_update_options);
	suite_add_tcase(s, t);
	TCase *j = tcase_create("stats");
	tcase_add_test(j, stats_oom);
	tcase_add_test(j, stats_no_cgroup);
	suite_add_tcase(s, j);
	return s;
}

int main(void)
{
	return nook_check_main(suite());
}
