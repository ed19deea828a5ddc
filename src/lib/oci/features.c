/* SPDX-License-Identifier: GPL-2.0-or-later */
/* features.c - what engines probe (`features`, runtime-spec
 * features.md) and the starting point they write (`spec`): both say only
 * what config.c accepts. */
#include <ctype.h>
#include <errno.h>
#include <sys/capability.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "nook/oci.h"
#include "nook/security.h"
#include "nook/util.h"

static json_object *strs(const char *const *v)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

char *nook_oci_features_json(void)
{
	static const char *const hooks[] = { "prestart", "createRuntime", "createContainer", "startContainer",
		"poststart", "poststop", NULL };
	static const char *const mount_opts[] = { "bind", "rbind", "ro", "rw", "nosuid", "nodev", "noexec", "suid",
		"dev", "exec", "private", "rprivate", "slave", "rslave", "relatime", "norelatime", "strictatime",
		"noatime", NULL };
	static const char *const ns[] = { "cgroup", "ipc", "mount", "network", "pid", "user", "uts", NULL };
	static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
		"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRAP", "SCMP_ACT_NOTIFY", NULL };
	static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT",
		"SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ", NULL };
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(o, "ociVersionMax", json_object_new_string("1.2.0"));
	json_object_object_add(o, "hooks", strs(hooks));
	json_object_object_add(o, "mountOptions", strs(mount_opts));
	json_object *l = json_object_new_object();
	json_object_object_add(l, "namespaces", strs(ns));
	json_object *caps = json_object_new_array();
	for (int c = 0; c <= nook_caps_last_cap(); c++) {
		char *n = cap_to_name((cap_value_t)c);
		if (n && strncmp(n, "cap_", 4) == 0) {
			char name[64];
			size_t i = 0;
			for (const char *p = n; *p && i < sizeof name - 1; p++)
				name[i++] = (char)toupper((unsigned char)*p);
			name[i] = '\0';
			json_object_array_add(caps, json_object_new_string(name));
		}
		cap_free(n);
	}
	json_object_object_add(l, "capabilities", caps);
	json_object *cg = json_object_new_object();
	json_object_object_add(cg, "v1", json_object_new_boolean(0));
	json_object_object_add(cg, "v2", json_object_new_boolean(1));
	json_object_object_add(cg, "systemd", json_object_new_boolean(0));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(0));
	json_object_object_add(l, "cgroup", cg);
	json_object *sc = json_object_new_object();
	json_object_object_add(sc, "enabled", json_object_new_boolean(1));
	json_object_object_add(sc, "actions", strs(actions));
	json_object_object_add(sc, "operators", strs(ops));
	json_object_object_add(l, "seccomp", sc);
	json_object *aa = json_object_new_object();
	json_object_object_add(aa, "enabled", json_object_new_boolean(0));
	json_object_object_add(l, "apparmor", aa);
	json_object *se = json_object_new_object();
	json_object_object_add(se, "enabled", json_object_new_boolean(0));
	json_object_object_add(l, "selinux", se);
	json_object_object_add(o, "linux", l);
	json_object *ann = json_object_new_object();
	json_object_object_add(ann, "org.opencontainers.runtime-spec.features.runtime", json_object_new_string("nook"));
	json_object_object_add(o, "annotations", ann);
	char *s = nook_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* A rootless config.json: the caller's uid and gid as 0 inside (the
 * subordinate range is added by nook when there is one), nook's default
 * capabilities, its default masks, `sh` in rootfs/. */
static const char spec_template[] =
"{\n"
"  \"ociVersion\": \"1.2.0\",\n"
"  \"process\": {\n"
"    \"terminal\": true,\n"
"    \"user\": { \"uid\": 0, \"gid\": 0 },\n"
"    \"args\": [ \"sh\" ],\n"
"    \"env\": [ \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\" ],\n"
"    \"cwd\": \"/\",\n"
"    \"capabilities\": {\n"
"      \"bounding\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
"      \"effective\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ],\n"
"      \"permitted\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\" ]\n"
"    },\n"
"    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 } ],\n"
"    \"noNewPrivileges\": true\n"
"  },\n"
"  \"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
"  \"hostname\": \"nook\",\n"
"  \"mounts\": [\n"
"    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },\n"
"    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\" ] },\n"
"    { \"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\" ] },\n"
"    { \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\", \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\" ] },\n"
"    { \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\", \"options\": [ \"nosuid\", \"noexec\", \"nodev\" ] },\n"
"    { \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] },\n"
"    { \"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [ \"nosuid\", \"nodev\", \"mode=1777\" ] }\n"
"  ],\n"
"  \"linux\": {\n"
"    \"uidMappings\": [ { \"containerID\": 0, \"hostID\": @UID@, \"size\": 1 } ],\n"
"    \"gidMappings\": [ { \"containerID\": 0, \"hostID\": @GID@, \"size\": 1 } ],\n"
"    \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"ipc\" }, { \"type\": \"uts\" }, { \"type\": \"mount\" }, { \"type\": \"user\" }, { \"type\": \"network\" }, { \"type\": \"cgroup\" } ],\n"
"    \"maskedPaths\": [ \"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/sys/firmware\", \"/proc/scsi\" ],\n"
"    \"readonlyPaths\": [ \"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\" ]\n"
"  }\n"
"}\n";

int nook_oci_write_spec(const char *bundle, bool rootless, struct nook_error *err)
{
	char path[PATH_MAX], text[sizeof spec_template + 64];
	(void)rootless; /* nook is rootless: the config always is */
	snprintf(path, sizeof path, "%s/config.json", bundle && bundle[0] ? bundle : ".");
	if (access(path, F_OK) == 0) {
		nook_errx(err, EEXIST, "%s exists already (remove it first)", path);
		err->exit_status = 1;
		return -EEXIST;
	}
	/* fill @UID@ and @GID@ */
	size_t n = 0;
	for (const char *p = spec_template; *p && n < sizeof text - 16; ) {
		if (!strncmp(p, "@UID@", 5)) {
			n += (size_t)snprintf(text + n, sizeof text - n, "%u", (unsigned)getuid());
			p += 5;
		} else if (!strncmp(p, "@GID@", 5)) {
			n += (size_t)snprintf(text + n, sizeof text - n, "%u", (unsigned)getgid());
			p += 5;
		} else {
			text[n++] = *p++;
		}
	}
	int r = nook_write_file(path, text, n, O_CREAT | O_EXCL);
	if (r < 0) {
		nook_err(err, -r, "cannot write %s", path);
		err->exit_status = 1;
		return r;
	}
	return 0;
}
