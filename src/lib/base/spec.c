/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spec.c - defaults, release and consistency checks of struct nook_spec. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/spec.h"
#include "nook/util.h"

void nook_spec_init(struct nook_spec *s)
{
	memset(s, 0, sizeof *s);
	s->ns_flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
		      CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
	s->userns = NOOK_USERNS_AUTO;
	s->rootfs.kind = NOOK_ROOTFS_HOST;
	s->init = true;
	s->new_session = true;
	s->die_with_parent = true;
	s->no_new_privs = true;
	s->minimal_dev = true;
	s->seccomp = NOOK_SECCOMP_DEFAULT;
	s->seccomp_default_errno = EPERM;
	s->landlock_scope = NOOK_LL_SCOPE_AUTO;
	s->resources_required = true;
	s->net = NOOK_NET_NONE;
	s->dbus_required = true;
	s->umask = -1;
	s->sched_policy = s->ioprio_class = s->mempolicy_mode = -1;
}

bool nook_dbus_bus_on(const struct nook_dbus_bus *b)
{
	return b->talk || b->own || b->see || b->call || b->broadcast;
}

bool nook_hostname_valid(const char *h)
{
	size_t len = strlen(h);
	if (len == 0 || len > 64 || h[0] == '-' || h[0] == '.')
		return false;
	for (; *h; h++) {
		char c = *h;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '-' || c == '.';
		if (!ok)
			return false;
	}
	return true;
}

static void mount_free(struct nook_mount *m)
{
	free(m->source);
	free(m->target);
	free(m->content);
	free(m->options);
	free(m->fstype);
}

void nook_spec_free(struct nook_spec *s)
{
	if (!s)
		return;
	free(s->uid_maps);
	free(s->gid_maps);
	free(s->hostname);
	free(s->rootfs.path);
	free(s->rootfs.image);
	nook_strv_free(s->env_set_names);
	nook_strv_free(s->rootfs.lower);
	free(s->rootfs.upper);
	free(s->rootfs.work);
	free(s->rootfs.overlay_driver);
	for (size_t i = 0; i < s->n_mounts; i++)
		mount_free(&s->mounts[i]);
	free(s->mounts);
	nook_strv_free(s->argv);
	nook_strv_free(s->env);
	free(s->cwd);
	free(s->pass_fds);
	nook_strv_free(s->cap_add);
	nook_strv_free(s->cap_drop);
	nook_strv_free(s->cap_ambient);
	nook_strv_free(s->cap_inheritable);
	free(s->seccomp_file);
	for (size_t i = 0; i < s->n_seccomp_rules; i++) {
		nook_strv_free(s->seccomp_rules[i].names);
		free(s->seccomp_rules[i].args);
	}
	free(s->seccomp_rules);
	nook_strv_free(s->landlock_read);
	nook_strv_free(s->landlock_write);
	nook_strv_free(s->landlock_execute);
	nook_strv_free(s->masked_paths);
	nook_strv_free(s->readonly_paths);
	free(s->rlimits);
	free(s->cpuset_cpus);
	free(s->cpuset_mems);
	free(s->stats_json);
	free(s->cgroup_leaf);
	for (size_t i = 0; i < s->n_ports; i++)
		free(s->ports[i].host_addr);
	free(s->ports);
	free(s->name);
	free(s->app_id);
	free(s->persist_dir);
	nook_strv_free(s->persist_paths);
	for (int i = 0; i < 2; i++) {
		struct nook_dbus_bus *b = i ? &s->dbus_system : &s->dbus_session;
		nook_strv_free(b->talk);
		nook_strv_free(b->own);
		nook_strv_free(b->see);
		nook_strv_free(b->call);
		nook_strv_free(b->broadcast);
	}
	free(s->groups);
	free(s->domainname);
	nook_strv_free(s->sysctl);
	free(s->start_fifo);
	free(s->join_mnt_ns);
	free(s->join_pid_ns);
	for (size_t i = 0; i < s->n_start_hooks; i++) {
		free(s->start_hooks[i].path);
		nook_strv_free(s->start_hooks[i].argv);
		nook_strv_free(s->start_hooks[i].env);
	}
	free(s->start_hooks);
	memset(s, 0, sizeof *s);
}

struct nook_mount *nook_spec_add_mount(struct nook_spec *s)
{
	s->mounts = nook_xrealloc(s->mounts, (s->n_mounts + 1) * sizeof *s->mounts);
	struct nook_mount *m = &s->mounts[s->n_mounts++];
	memset(m, 0, sizeof *m);
	m->mode = -1;
	return m;
}

bool nook_mount_is_bind(enum nook_mount_type type)
{
	return type == NOOK_MOUNT_BIND || type == NOOK_MOUNT_RO_BIND || type == NOOK_MOUNT_DEV_BIND;
}

int nook_spec_check(const struct nook_spec *s, struct nook_error *err)
{
	if (!s->argv || !s->argv[0] || !s->argv[0][0])
		return nook_errx(err, EINVAL, "no command to run (give one after --, or set process.args in the profile)");
	if (s->rootfs.kind == NOOK_ROOTFS_DIR && !nook_path_is_absolute(s->rootfs.path))
		return nook_errx(err, EINVAL, "rootfs path '%s' is not absolute", s->rootfs.path ? s->rootfs.path : "");
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct nook_mount *m = &s->mounts[i];
		if (!nook_path_is_absolute(m->target))
			return nook_errx(err, EINVAL, "mount target '%s' is not an absolute path",
					 m->target ? m->target : "");
		bool needs_source = nook_mount_is_bind(m->type) || m->type == NOOK_MOUNT_SYMLINK;
		if (needs_source && (!m->source || !m->source[0]))
			return nook_errx(err, EINVAL, "mount on '%s' needs a source", m->target);
	}
	if (s->net == NOOK_NET_HOST && (s->ns_flags & CLONE_NEWNET))
		return nook_errx(err, EINVAL, "network mode host cannot be combined with a new network namespace");
	return 0;
}
