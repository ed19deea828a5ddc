/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exec.h - enter a running named container (`nook exec`) and stop one. */
#pragma once
#include <stdbool.h>
#include "nook/error.h"

struct nook_exec_opts {
	char *const *argv;   /* the command, NULL-terminated, not empty */
	char *const *env;    /* NAME=VALUE added to the container's environment, or NULL */
	const char *cwd;     /* working directory inside, or NULL (the container's) */
	bool tty;            /* a pty of its own */
};

/* Run o->argv inside the running container NAME: its namespaces (one
 * setns() with a pidfd of its init, the user namespace first), its root,
 * its cgroup leaf, and the payload's security envelope (payload.h). A
 * helper process joins and forks the command so that it lives in the
 * container's pid namespace; this process stays outside, forwards signals
 * and relays the pty. Returns 0 with *exit_status (podman's rules), or a
 * negative errno with err (err->exit_status 125, 126 or 127). */
int nook_exec(const char *name, const struct nook_exec_opts *o, int *exit_status,
	      struct nook_error *err);

/* The same with a spec of the caller's (the OCI runtime's exec): join the
 * process target_pidfd names (and the cgroup directory, or NULL) and run
 * spec->argv with spec's envelope. NAME is for messages. ready_fd (or -1)
 * is told "PID\n" (the command's host pid) once the command runs, and
 * closed. */
struct nook_spec;
int nook_exec_spec(const char *name, int target_pidfd, const char *cgroup, const struct nook_spec *spec,
		   int ready_fd, const char *console_socket, int *exit_status, struct nook_error *err);
/* (console.c) Send fd (a pty master) over the unix socket at path with
 * SCM_RIGHTS, as conmon's --console-socket expects. With console_socket,
 * nook_exec_spec sends the command's pty there instead of relaying it. */
int nook_console_send(const char *path, int fd, struct nook_error *err);

/* (stop.c) SIGTERM the container's init, SIGKILL after timeout_s seconds,
 * then wait until its `nook run` has cleaned up. */
int nook_stop(const char *name, unsigned timeout_s, struct nook_error *err);
