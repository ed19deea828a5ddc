/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spawn.h - run a spec: the parent (monitor) side of the launcher. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "nook/spec.h"
#include "nook/error.h"

struct nook_result {
	int exit_status;      /* what `nook run` exits with */
	int wait_status;      /* raw wait status of the payload, if known */
	bool timed_out;
	uint64_t wall_ns;
	/* filled from the cgroup when one was used */
	bool have_stats;
	uint64_t cpu_user_us, cpu_system_us, memory_peak, oom_kills, pids_peak;
	pid_t init_pid;       /* spec->detach: the container's init (host pid) */
	int pty_master;       /* spec->detach with spec->tty: the pty master
				* (the caller owns it), else -1 */
	int seccomp_fd;       /* spec->detach with spec->seccomp_listener: the
				* seccomp listener (the caller owns it), else -1 */
	char cgroup_path[4096]; /* spec->detach with spec->cgroup_leaf: the leaf
				* that stays (the caller removes it), or "" */
	char note[256];       /* a line the CLI prints (timeout, OOM kill), or "" */
	char helper_died[512]; /* a helper (slirp4netns, pasta, the UDP relay,
				* fuse-overlayfs) that died while the container
				* ran, and what that meant; or "" */
};

/* Run the container described by s. Returns 0 and fills res (even when the
 * payload failed); on a nook failure returns negative errno and fills err
 * (err->exit_status says 125/126/127). */
int nook_spawn(const struct nook_spec *s, struct nook_result *res, struct nook_error *err);

/* A wait status as podman-style exit code: the status, or 128+N for
 * signal N. */
int nook_exit_code_of(int wait_status);
