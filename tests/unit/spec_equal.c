/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spec_equal.c - compare two struct nook_spec field by field.
 *
 * Every field of every struct below is compared. The sizes are pinned so
 * that a field added to one of them fails the build here until it is
 * compared too (the numbers are for x86_64; elsewhere the check is off). */
#include <stdio.h>
#include <string.h>
#include "spec_equal.h"

#if defined(__x86_64__) && defined(__LP64__)
#define PIN(type, size) \
	_Static_assert(sizeof(type) == (size), #type " changed: compare its new field in spec_equal.c, then update the size here")
#else
#define PIN(type, size) _Static_assert(1, "")
#endif
PIN(struct nook_spec, 784);
PIN(struct nook_dbus_bus, 40);
PIN(struct nook_idmap, 24);
PIN(struct nook_mount, 80);
PIN(struct nook_rootfs, 72);
PIN(struct nook_seccomp_rule, 32);
PIN(struct nook_seccomp_arg, 24);
PIN(struct nook_rlimit, 24);
PIN(struct nook_port, 24);

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(char *const *a, char *const *b)
{
	if (!a || !b)
		return a == b;
	size_t i = 0;
	for (; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return !a[i] && !b[i];
}

/* each returns the differing field's name (a literal or in buf) or NULL */
#define VAL(f) do { if (a->f != b->f) return #f; } while (0)
#define STR(f) do { if (!str_eq(a->f, b->f)) return #f; } while (0)
#define STRV(f) do { if (!strv_eq(a->f, b->f)) return #f; } while (0)
#define AT(what, i, field) at(buf, size, what, i, field)

static const char *at(char *buf, size_t size, const char *what, size_t i, const char *field)
{
	snprintf(buf, size, "%s[%zu].%s", what, i, field);
	return buf;
}

static const char *idmaps_diff(const char *what, const struct nook_idmap *a, const struct nook_idmap *b,
			       size_t n, char *buf, size_t size)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].inside != b[i].inside)
			return AT(what, i, "inside");
		if (a[i].outside != b[i].outside)
			return AT(what, i, "outside");
		if (a[i].count != b[i].count)
			return AT(what, i, "count");
	}
	return NULL;
}

static const char *mount_diff(const struct nook_mount *a, const struct nook_mount *b, size_t i,
			      char *buf, size_t size)
{
	if (a->type != b->type)
		return AT("mounts", i, "type");
	if (!str_eq(a->source, b->source))
		return AT("mounts", i, "source");
	if (!str_eq(a->target, b->target))
		return AT("mounts", i, "target");
	if (!str_eq(a->content, b->content))
		return AT("mounts", i, "content");
	if (!str_eq(a->options, b->options))
		return AT("mounts", i, "options");
	if (a->size != b->size)
		return AT("mounts", i, "size");
	if (a->mode != b->mode)
		return AT("mounts", i, "mode");
	if (a->readonly != b->readonly)
		return AT("mounts", i, "readonly");
	if (a->optional != b->optional)
		return AT("mounts", i, "optional");
	if (!str_eq(a->fstype, b->fstype))
		return AT("mounts", i, "fstype");
	if (a->flags != b->flags)
		return AT("mounts", i, "flags");
	if (a->propagation != b->propagation)
		return AT("mounts", i, "propagation");
	return NULL;
}

static const char *rule_diff(const struct nook_seccomp_rule *a, const struct nook_seccomp_rule *b, size_t i,
			     char *buf, size_t size)
{
	if (!strv_eq(a->names, b->names))
		return AT("seccomp_rules", i, "names");
	if (a->action != b->action)
		return AT("seccomp_rules", i, "action");
	if (a->errno_ret != b->errno_ret)
		return AT("seccomp_rules", i, "errno_ret");
	if (a->n_args != b->n_args)
		return AT("seccomp_rules", i, "n_args");
	for (size_t j = 0; j < a->n_args; j++) {
		const struct nook_seccomp_arg *x = &a->args[j], *y = &b->args[j];
		if (x->index != y->index || x->op != y->op || x->value != y->value || x->value2 != y->value2)
			return AT("seccomp_rules", i, "args");
	}
	return NULL;
}

const char *nook_test_spec_diff(const struct nook_spec *a, const struct nook_spec *b, char *buf, size_t size)
{
	const char *d;

	VAL(ns_flags);
	VAL(userns);
	STR(join_mnt_ns);
	STR(join_pid_ns);
	VAL(uid);
	VAL(gid);
	/* env_set_names is not compared: the written profile sets every
	 * variable. user_set is not compared: the written profile always has user.uid,
	 * so it reads back set (it only decides whether an image's User applies) */
	VAL(n_uid_maps);
	if ((d = idmaps_diff("uid_maps", a->uid_maps, b->uid_maps, a->n_uid_maps, buf, size)))
		return d;
	VAL(n_gid_maps);
	if ((d = idmaps_diff("gid_maps", a->gid_maps, b->gid_maps, a->n_gid_maps, buf, size)))
		return d;
	STR(hostname);

	VAL(rootfs.kind);
	STR(rootfs.path);
	STR(rootfs.image);
	VAL(rootfs.readonly);
	VAL(rootfs.late_readonly);
	STRV(rootfs.lower);
	STR(rootfs.upper);
	STR(rootfs.work);
	STR(rootfs.overlay_driver);
	VAL(rootfs.propagation);

	VAL(n_mounts);
	for (size_t i = 0; i < a->n_mounts; i++)
		if ((d = mount_diff(&a->mounts[i], &b->mounts[i], i, buf, size)))
			return d;

	STRV(argv);
	STRV(env);
	STR(cwd);
	VAL(init);
	VAL(new_session);
	VAL(die_with_parent);
	VAL(tty);
	VAL(timeout_ms);
	VAL(n_pass_fds);
	for (size_t i = 0; i < a->n_pass_fds; i++)
		if (a->pass_fds[i] != b->pass_fds[i])
			return "pass_fds";

	STRV(cap_add);
	STRV(cap_drop);
	STRV(cap_ambient);
	STRV(cap_inheritable);
	VAL(no_new_privs);
	VAL(seccomp);
	STR(seccomp_file);
	VAL(seccomp_default_errno);
	VAL(allow_nested_userns);
	VAL(seccomp_listener);
	VAL(n_seccomp_rules);
	for (size_t i = 0; i < a->n_seccomp_rules; i++)
		if ((d = rule_diff(&a->seccomp_rules[i], &b->seccomp_rules[i], i, buf, size)))
			return d;
	STRV(landlock_read);
	STRV(landlock_write);
	STRV(landlock_execute);
	VAL(landlock_enabled);
	VAL(landlock_required);
	VAL(landlock_scope);
	STRV(masked_paths);
	STRV(readonly_paths);
	VAL(n_rlimits);
	for (size_t i = 0; i < a->n_rlimits; i++) {
		const struct nook_rlimit *x = &a->rlimits[i], *y = &b->rlimits[i];
		if (x->resource != y->resource || x->soft != y->soft || x->hard != y->hard)
			return AT("rlimits", i, "resource/soft/hard");
	}
	VAL(minimal_dev);
	VAL(cgroup_writable);

	VAL(memory);
	VAL(memory_swap);
	VAL(memory_low);
	VAL(cpu_quota_us);
	VAL(cpu_period_us);
	VAL(cpu_weight);
	VAL(io_weight);
	VAL(pids);
	STR(cpuset_cpus);
	STR(cpuset_mems);
	VAL(resources_required);
	STR(stats_json);
	STR(cgroup_leaf);
	VAL(cgroup_oci_keys);

	VAL(net);
	VAL(n_ports);
	for (size_t i = 0; i < a->n_ports; i++) {
		const struct nook_port *x = &a->ports[i], *y = &b->ports[i];
		if (!str_eq(x->host_addr, y->host_addr))
			return AT("ports", i, "host_addr");
		if (x->host_port != y->host_port || x->container_port != y->container_port || x->udp != y->udp)
			return AT("ports", i, "port/udp");
	}
	VAL(allow_host_loopback);
	VAL(mtu);

	STR(app_id);
	STRV(dbus_session.talk);
	STRV(dbus_session.own);
	STRV(dbus_session.see);
	STRV(dbus_session.call);
	STRV(dbus_session.broadcast);
	STRV(dbus_system.talk);
	STRV(dbus_system.own);
	STRV(dbus_system.see);
	STRV(dbus_system.call);
	STRV(dbus_system.broadcast);
	VAL(dbus_log);
	VAL(dbus_required);
	VAL(x11);
	VAL(wayland_socket);
	VAL(wayland_secctx);
	VAL(audio_pipewire);
	VAL(audio_pulse);
	STR(persist_dir);
	STRV(persist_paths);
	VAL(n_groups);
	for (size_t i = 0; i < a->n_groups; i++)
		if (a->groups[i] != b->groups[i])
			return "groups";
	STR(domainname);
	STRV(sysctl);
	VAL(umask);
	VAL(sched_policy);
	VAL(sched_priority);
	VAL(sched_nice);
	VAL(sched_flags);
	VAL(sched_runtime);
	VAL(sched_deadline);
	VAL(sched_period);
	VAL(ioprio_class);
	VAL(ioprio_level);
	VAL(mempolicy_mode);
	VAL(mempolicy_flags);
	VAL(mempolicy_nodes);
	STR(start_fifo);
	VAL(detach);
	VAL(n_start_hooks);
	for (size_t i = 0; i < a->n_start_hooks; i++) {
		const struct nook_hook *x = &a->start_hooks[i], *y = &b->start_hooks[i];
		if (!str_eq(x->path, y->path) || !strv_eq(x->argv, y->argv) || !strv_eq(x->env, y->env) ||
		    x->timeout_s != y->timeout_s)
			return AT("start_hooks", i, "path/argv/env/timeout_s");
	}

	STR(name);
	VAL(verbose);
	return NULL;
}
