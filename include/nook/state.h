/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.h - the per-user record of named, running containers.
 *
 * Layout: $XDG_RUNTIME_DIR/nook/containers/NAME/ (or, when XDG_RUNTIME_DIR
 * is unset or unusable, /tmp/nook-run-UID/containers/NAME/; every level is
 * a directory owned by the caller, mode 0700, never a symlink):
 *   lock       flock()ed (exclusive) by the `nook run` monitor for as long
 *              as it lives: the lock is the liveness test, and it goes away
 *              by itself when the monitor is killed (SIGKILL)
 *   state      key=value lines (see struct nook_state_entry), written
 *              atomically once the payload starts
 *   spec.yaml  the resolved spec (nook_spec_emit_yaml), read back by exec
 *
 * Contract with spawn: nook_state_claim() before anything is created (a
 * live container of that name fails it with 125; a stale one is replaced),
 * the child closes nook_state_lock_fd() first thing, nook_state_publish()
 * when the payload starts, nook_state_release() on every exit path. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "nook/error.h"
#include "nook/spec.h"

#define NOOK_NAME_MAX 64

struct nook_state;

struct nook_state_entry {
	char name[NOOK_NAME_MAX + 1];
	pid_t monitor_pid, init_pid, payload_pid; /* as seen from the host */
	unsigned long long monitor_start, init_start, payload_start; /* /proc/PID/stat field 22 */
	long long created;                     /* CLOCK_REALTIME seconds */
	char command[256];                     /* the payload's argv, joined */
	char cgroup[4096];                     /* the cgroup leaf, or "" */
	char dir[4096];                        /* the entry's directory */
	bool running;                          /* published, monitor alive */
};

/* [A-Za-z0-9][A-Za-z0-9_.-]*, at most NOOK_NAME_MAX bytes. */
bool nook_state_name_valid(const char *name);

/* The containers directory, created if asked (create) with mode 0700:
 * $XDG_RUNTIME_DIR/nook/containers when XDG_RUNTIME_DIR is a private (0700)
 * directory of the caller, else ${XDG_STATE_HOME:-~/.local/state}/nook/containers;
 * returns an O_DIRECTORY fd, or a negative errno with err filled (-ENOENT
 * without a message when it does not exist and create is false). */
int nook_state_root(bool create, char *path, size_t size, struct nook_error *err);

/* Claim NAME for the calling monitor. */
int nook_state_claim(const char *name, struct nook_state **out, struct nook_error *err);
int nook_state_lock_fd(const struct nook_state *st);
/* Record the running container: its init and its payload (as the parent
 * sees them; the same pid when the payload is pid 1), the spec, the cgroup
 * leaf (or NULL). */
int nook_state_publish(struct nook_state *st, pid_t init_pid, pid_t payload_pid, const struct nook_spec *s,
		       const char *cgroup, struct nook_error *err);
/* Remove the entry and free st (accepts NULL). */
void nook_state_release(struct nook_state *st);

/* Look NAME up. Fails with 125 and a message that names NAME: -ENOENT no
 * such container (a stale entry is removed on the way), -EAGAIN still
 * starting. */
int nook_state_lookup(const char *name, struct nook_state_entry *e, struct nook_error *err);
/* All running containers (stale entries are removed on the way). */
int nook_state_list(struct nook_state_entry **out, size_t *n, struct nook_error *err);

/* /proc/PID/stat field 22, or 0 when PID does not exist. */
unsigned long long nook_proc_starttime(pid_t pid);
/* /proc/PID/stat: the state letter, the parent and the start time (each
 * may be NULL); false when PID does not exist. */
bool nook_proc_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start);
/* A pidfd for the container's init (or, payload, its payload) after
 * checking its start time, or a negative errno (-ESRCH: it has exited). */
int nook_state_open_init(const struct nook_state_entry *e);
int nook_state_open_payload(const struct nook_state_entry *e);
/* The pid (in our pid namespace) of the process a pidfd refers to, from
 * /proc/self/fdinfo; 0 when unknown or exited. */
pid_t nook_pidfd_pid(int pidfd);
