/* SPDX-License-Identifier: GPL-2.0-or-later */
/* emit.c - a resolved spec as an OCI config.json (`nook profile show
 * --oci`), the inverse of config.c for what both can say. What a profile
 * can say and a config.json cannot (Landlock, nook's networking helpers
 * and ports, optional mounts) is named in the annotation
 * org.nook.not-in-config rather than dropped silently; what would change
 * the container's meaning (an overlay or empty root, file and symlink
 * mounts, extra seccomp rules) is refused with the key. */
#include <errno.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <unistd.h>
#include "nook/oci.h"
#include "nook/security.h"
#include "nook/util.h"

static json_object *strs(char *const *v)
{
	json_object *a = json_object_new_array();
	for (size_t i = 0; v && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *cap_names(uint64_t mask)
{
	json_object *a = json_object_new_array();
	for (int c = 0; c < 64; c++) {
		if (!(mask & NOOK_CAP_BIT(c)))
			continue;
		char *n = cap_to_name((cap_value_t)c);
		if (n && strncmp(n, "cap_", 4) == 0) {
			char up[64];
			size_t i = 0;
			for (const char *p = n; *p && i < sizeof up - 1; p++)
				up[i++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
			up[i] = '\0';
			json_object_array_add(a, json_object_new_string(up));
		}
		cap_free(n);
	}
	return a;
}

static json_object *mount_obj(const char *dest, const char *type, const char *source, const char *const *opts)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "destination", json_object_new_string(dest));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(source));
	json_object *o = json_object_new_array();
	for (size_t i = 0; opts && opts[i]; i++)
		json_object_array_add(o, json_object_new_string(opts[i]));
	json_object_object_add(m, "options", o);
	return m;
}

static void add_note(char *notes, size_t size, const char *what)
{
	size_t n = strlen(notes);
	if (!strstr(notes, what))
		snprintf(notes + n, size - n, "%s%s", n ? ", " : "", what);
}

static int mounts(const struct nook_spec *s, json_object *arr, char *notes, size_t nsize, struct nook_error *err)
{
	static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
	static const char *const pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
	static const char *const shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
	static const char *const mq[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const ro[] = { "nosuid", "noexec", "nodev", "ro", NULL };
	json_object_array_add(arr, mount_obj("/proc", "proc", "proc", NULL));
	json_object_array_add(arr, mount_obj("/dev", "tmpfs", "tmpfs", dev));
	json_object_array_add(arr, mount_obj("/dev/pts", "devpts", "devpts", pts));
	json_object_array_add(arr, mount_obj("/dev/shm", "tmpfs", "shm", shm));
	json_object_array_add(arr, mount_obj("/dev/mqueue", "mqueue", "mqueue", mq));
	json_object_array_add(arr, mount_obj("/sys", "sysfs", "sysfs", ro));
	json_object_array_add(arr, mount_obj("/sys/fs/cgroup", "cgroup", "cgroup", ro));
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct nook_mount *m = &s->mounts[i];
		const char *opts[8] = { 0 };
		size_t n = 0;
		char mode[32], size[48];
		if (m->optional)
			add_note(notes, nsize, "optional mounts (a config.json mount is never optional)");
		switch (m->type) {
		case NOOK_MOUNT_BIND:
		case NOOK_MOUNT_RO_BIND:
		case NOOK_MOUNT_DEV_BIND:
			opts[n++] = "rbind";
			opts[n++] = "nosuid";
			if (m->type != NOOK_MOUNT_DEV_BIND)
				opts[n++] = "nodev";
			if (m->type == NOOK_MOUNT_RO_BIND || m->readonly)
				opts[n++] = "ro";
			json_object_array_add(arr, mount_obj(m->target, "bind", m->source, opts));
			break;
		case NOOK_MOUNT_TMPFS:
			opts[n++] = "nosuid";
			opts[n++] = "nodev";
			snprintf(mode, sizeof mode, "mode=%o", m->mode >= 0 ? (unsigned)m->mode : 0755u);
			opts[n++] = mode;
			if (m->size) {
				snprintf(size, sizeof size, "size=%llu", (unsigned long long)m->size);
				opts[n++] = size;
			}
			if (m->readonly)
				opts[n++] = "ro";
			if (m->options && m->options[0])
				opts[n++] = m->options;
			json_object_array_add(arr, mount_obj(m->target, "tmpfs", "tmpfs", opts));
			break;
		case NOOK_MOUNT_PROC:
			json_object_array_add(arr, mount_obj(m->target, "proc", "proc", NULL));
			break;
		case NOOK_MOUNT_FS:
			json_object_array_add(arr, mount_obj(m->target, m->fstype, m->fstype, NULL));
			break;
		case NOOK_MOUNT_DIR:
			add_note(notes, nsize, "dir mounts (OCI runtimes create mount points)");
			break;
		case NOOK_MOUNT_SYMLINK:
		case NOOK_MOUNT_FILE:
			return nook_errx(err, EINVAL, "mounts: the %s mount on %s has no config.json form (bind a host file instead)",
					 m->type == NOOK_MOUNT_FILE ? "file" : "symlink", m->target);
		}
	}
	return 0;
}

static json_object *seccomp_obj(const struct nook_spec *s, struct nook_error *err)
{
	if (s->n_seccomp_rules) {
		nook_errx(err, EINVAL, "security.seccomp rules have no config.json form yet (use an OCI seccomp file)");
		return NULL;
	}
	if (s->seccomp == NOOK_SECCOMP_FILE) {
		json_object *o = json_object_from_file(s->seccomp_file);
		if (!o)
			nook_errx(err, EINVAL, "cannot read the seccomp profile %s as JSON", s->seccomp_file);
		return o;
	}
	/* the built-in allow-list by name; its argument guards (clone
	 * without namespace flags, personality, TIOCSTI) as OCI can say them */
	json_object *o = json_object_new_object();
	json_object_object_add(o, "defaultAction", json_object_new_string("SCMP_ACT_ERRNO"));
	json_object_object_add(o, "defaultErrnoRet", json_object_new_int(s->seccomp_default_errno > 0 ? s->seccomp_default_errno : EPERM));
	json_object *arch = json_object_new_array();
	json_object_array_add(arch, json_object_new_string("SCMP_ARCH_X86_64"));
	json_object_array_add(arch, json_object_new_string("SCMP_ARCH_X86"));
	json_object_object_add(o, "architectures", arch);
	json_object *calls = json_object_new_array(), *names = json_object_new_array();
	for (size_t i = 0; nook_sc_allowlist[i]; i++) {
		const char *n = nook_sc_allowlist[i];
		if (strcmp(n, "clone") == 0 || strcmp(n, "clone3") == 0 || strcmp(n, "personality") == 0 ||
		    (strcmp(n, "unshare") == 0 && !s->allow_nested_userns))
			continue;
		json_object_array_add(names, json_object_new_string(n));
	}
	json_object *allow = json_object_new_object();
	json_object_object_add(allow, "names", names);
	json_object_object_add(allow, "action", json_object_new_string("SCMP_ACT_ALLOW"));
	json_object_array_add(calls, allow);
	/* clone: allowed without namespace flags (unless nested ones are) */
	json_object *clone = json_object_new_object(), *cn = json_object_new_array(), *args = json_object_new_array();
	json_object_array_add(cn, json_object_new_string("clone"));
	json_object_object_add(clone, "names", cn);
	json_object_object_add(clone, "action", json_object_new_string("SCMP_ACT_ALLOW"));
	if (!s->allow_nested_userns) {
		json_object *a = json_object_new_object();
		json_object_object_add(a, "index", json_object_new_int(0));
		json_object_object_add(a, "value", json_object_new_int64(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
									  CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP));
		json_object_object_add(a, "valueTwo", json_object_new_int(0));
		json_object_object_add(a, "op", json_object_new_string("SCMP_CMP_MASKED_EQ"));
		json_object_array_add(args, a);
	}
	json_object_object_add(clone, "args", args);
	json_object_array_add(calls, clone);
	/* clone3 cannot be filtered by its flags: ENOSYS makes libc use clone */
	json_object *c3 = json_object_new_object(), *c3n = json_object_new_array();
	json_object_array_add(c3n, json_object_new_string("clone3"));
	json_object_object_add(c3, "names", c3n);
	json_object_object_add(c3, "action", json_object_new_string("SCMP_ACT_ERRNO"));
	json_object_object_add(c3, "errnoRet", json_object_new_int(ENOSYS));
	json_object_array_add(calls, c3);
	/* personality: the values Docker's profile allows */
	static const long pers[] = { 0, 8, 0x20000, 0x20008, 0xffffffff };
	for (size_t i = 0; i < sizeof pers / sizeof *pers; i++) {
		json_object *p = json_object_new_object(), *pn = json_object_new_array(), *pa = json_object_new_array();
		json_object *a = json_object_new_object();
		json_object_array_add(pn, json_object_new_string("personality"));
		json_object_object_add(p, "names", pn);
		json_object_object_add(p, "action", json_object_new_string("SCMP_ACT_ALLOW"));
		json_object_object_add(a, "index", json_object_new_int(0));
		json_object_object_add(a, "value", json_object_new_int64(pers[i]));
		json_object_object_add(a, "op", json_object_new_string("SCMP_CMP_EQ"));
		json_object_array_add(pa, a);
		json_object_object_add(p, "args", pa);
		json_object_array_add(calls, p);
	}
	json_object_object_add(o, "syscalls", calls);
	return o;
}

int nook_oci_emit_config(const struct nook_spec *s, FILE *out, struct nook_error *err)
{
	char notes[512] = "";
	json_object *root = json_object_new_object(), *x;
	int r = -EINVAL;
	json_object_object_add(root, "ociVersion", json_object_new_string("1.2.0"));

	json_object *p = json_object_new_object();
	json_object_object_add(p, "terminal", json_object_new_boolean(s->tty));
	json_object *user = json_object_new_object();
	json_object_object_add(user, "uid", json_object_new_int((int)s->uid));
	json_object_object_add(user, "gid", json_object_new_int((int)s->gid));
	json_object_object_add(p, "user", user);
	char *const sh[] = { (char *)"sh", NULL };
	json_object_object_add(p, "args", strs(s->argv ? s->argv : sh));
	json_object_object_add(p, "env", strs(s->env));
	json_object_object_add(p, "cwd", json_object_new_string(s->cwd ? s->cwd : "/"));
	uint64_t keep = 0, amb = 0;
	if (nook_caps_compute(s->cap_add, s->cap_drop, nook_caps_last_cap(), &keep, err) < 0 ||
	    nook_caps_ambient(s->cap_ambient, keep, nook_caps_last_cap(), &amb, err) < 0)
		goto out;
	json_object *caps = json_object_new_object();
	json_object_object_add(caps, "bounding", cap_names(keep));
	json_object_object_add(caps, "effective", cap_names(keep));
	json_object_object_add(caps, "permitted", cap_names(keep));
	json_object_object_add(caps, "ambient", cap_names(amb));
	json_object_object_add(p, "capabilities", caps);
	json_object *rl = json_object_new_array();
	for (size_t i = 0; i < s->n_rlimits; i++) {
		const char *n = nook_oci_rlimit_name(s->rlimits[i].resource);
		if (!n)
			continue;
		json_object *l = json_object_new_object();
		json_object_object_add(l, "type", json_object_new_string(n));
		json_object_object_add(l, "hard", json_object_new_uint64(s->rlimits[i].hard));
		json_object_object_add(l, "soft", json_object_new_uint64(s->rlimits[i].soft));
		json_object_array_add(rl, l);
	}
	json_object_object_add(p, "rlimits", rl);
	json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(s->no_new_privs));
	json_object_object_add(root, "process", p);

	json_object *rt = json_object_new_object();
	switch (s->rootfs.kind) {
	case NOOK_ROOTFS_HOST:
		json_object_object_add(rt, "path", json_object_new_string("/"));
		json_object_object_add(rt, "readonly", json_object_new_boolean(1));
		break;
	case NOOK_ROOTFS_DIR:
		json_object_object_add(rt, "path", json_object_new_string(s->rootfs.path));
		json_object_object_add(rt, "readonly", json_object_new_boolean(s->rootfs.readonly));
		break;
	default:
		json_object_put(rt);
		nook_errx(err, EINVAL, "rootfs.kind: an %s root has no config.json form (a bundle names one directory)",
			  s->rootfs.kind == NOOK_ROOTFS_OVERLAY ? "overlay" : "empty");
		goto out;
	}
	json_object_object_add(root, "root", rt);
	if (s->hostname)
		json_object_object_add(root, "hostname", json_object_new_string(s->hostname));
	json_object *m = json_object_new_array();
	json_object_object_add(root, "mounts", m);
	if (mounts(s, m, notes, sizeof notes, err) < 0)
		goto out;

	json_object *l = json_object_new_object();
	static const struct { unsigned long flag; const char *name; } ns[] = {
		{ CLONE_NEWPID, "pid" }, { CLONE_NEWNET, "network" }, { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" },
		{ CLONE_NEWNS, "mount" }, { CLONE_NEWUSER, "user" }, { CLONE_NEWCGROUP, "cgroup" },
	};
	json_object *nsa = json_object_new_array();
	for (size_t i = 0; i < sizeof ns / sizeof *ns; i++) {
		if (!((s->ns_flags | CLONE_NEWUSER | CLONE_NEWNS) & ns[i].flag))
			continue;
		json_object *n = json_object_new_object();
		json_object_object_add(n, "type", json_object_new_string(ns[i].name));
		json_object_array_add(nsa, n);
	}
	json_object_object_add(l, "namespaces", nsa);
	if (s->n_uid_maps || s->n_gid_maps) {
		const struct { const char *key; const struct nook_idmap *m; size_t n; } maps[] = {
			{ "uidMappings", s->uid_maps, s->n_uid_maps }, { "gidMappings", s->gid_maps, s->n_gid_maps },
		};
		for (size_t k = 0; k < 2; k++) {
			json_object *a = json_object_new_array();
			for (size_t i = 0; i < maps[k].n; i++) {
				json_object *e = json_object_new_object();
				json_object_object_add(e, "containerID", json_object_new_int64((int64_t)maps[k].m[i].inside));
				json_object_object_add(e, "hostID", json_object_new_int64((int64_t)maps[k].m[i].outside));
				json_object_object_add(e, "size", json_object_new_int64((int64_t)maps[k].m[i].count));
				json_object_array_add(a, e);
			}
			json_object_object_add(l, maps[k].key, a);
		}
	}
	json_object_object_add(l, "maskedPaths", strs(s->masked_paths));
	json_object_object_add(l, "readonlyPaths", strs(s->readonly_paths));
	if (s->seccomp != NOOK_SECCOMP_UNCONFINED) {
		json_object *sc = seccomp_obj(s, err);
		if (!sc)
			goto out;
		json_object_object_add(l, "seccomp", sc);
	}
	if (s->memory || s->pids || s->cpu_quota_us) {
		json_object *res = json_object_new_object();
		if (s->memory) {
			x = json_object_new_object();
			json_object_object_add(x, "limit", json_object_new_int64((int64_t)s->memory));
			json_object_object_add(res, "memory", x);
		}
		if (s->pids) {
			x = json_object_new_object();
			json_object_object_add(x, "limit", json_object_new_int64((int64_t)s->pids));
			json_object_object_add(res, "pids", x);
		}
		if (s->cpu_quota_us) {
			x = json_object_new_object();
			json_object_object_add(x, "quota", json_object_new_int64((int64_t)s->cpu_quota_us));
			json_object_object_add(x, "period", json_object_new_int64((int64_t)(s->cpu_period_us ? s->cpu_period_us : 100000)));
			json_object_object_add(res, "cpu", x);
		}
		json_object_object_add(l, "resources", res);
	}
	json_object_object_add(root, "linux", l);

	if (s->landlock_enabled)
		add_note(notes, sizeof notes, "security.landlock");
	if (s->net == NOOK_NET_SLIRP || s->net == NOOK_NET_PASTA || s->n_ports)
		add_note(notes, sizeof notes, "network.mode and ports (an engine sets up the network)");
	if (s->init)
		add_note(notes, sizeof notes, "process.init (the payload is pid 1 under an OCI runtime)");
	if (s->timeout_ms)
		add_note(notes, sizeof notes, "process.timeout");
	json_object *ann = json_object_new_object();
	if (notes[0])
		json_object_object_add(ann, "org.nook.not-in-config", json_object_new_string(notes));
	json_object_object_add(root, "annotations", ann);
	fprintf(out, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
								    JSON_C_TO_STRING_NOSLASHESCAPE));
	r = 0;
out:
	json_object_put(root);
	return r;
}
