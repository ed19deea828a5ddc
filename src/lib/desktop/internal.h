/* SPDX-License-Identifier: GPL-2.0-or-later */
/* internal.h - private to desktop/: the state nook_desktop_start() builds
 * (desktop.c) and the pieces that fill it (dbus.c, x11.c). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "nook/desktop.h"

/* How long xdg-dbus-proxy may take to say its sockets are ready. */
#define NOOK_DBUS_READY_TIMEOUT_MS 5000

struct nook_desktop {
	char *dir;             /* private directory (0700) for sockets and the cookie */
	int dir_fd;            /* dir, flock()ed while it exists */
	pid_t proxy_pid;       /* xdg-dbus-proxy, our child; 0 if none */
	int proxy_pidfd;       /* -1 if none */
	int proxy_sync;        /* our end of its --fd pipe; closing it stops the proxy */
	int log_fd;            /* the proxy's stderr (unlinked file), -1 if none */
	struct nook_spec run;  /* shallow copy of the caller's spec: see add_mount/add_env */
	bool own_mounts;       /* run.mounts is our array (its new entries are ours) */
	size_t n_orig_mounts;
	char **own_env;        /* run.env when we built it (the strings are ours) */
};

/* runspec.c: the derived spec */
void nook_desktop_free_run(struct nook_desktop *d);
void nook_desktop_bind(struct nook_desktop *d, const char *source, const char *target, bool readonly);
void nook_desktop_setenv(struct nook_desktop *d, const char *name, const char *value);
/* The container's $XDG_RUNTIME_DIR (from the spec's environment, else
 * nook's, else /run/user/UID). Returns a pointer into static storage. */
const char *nook_desktop_runtime_dir(const struct nook_spec *s);
/* The value of NAME in the spec's environment, or NULL. */
const char *nook_desktop_spec_env(const struct nook_spec *s, const char *name);

/* dbus.c */
int nook_dbus_start(const struct nook_spec *s, struct nook_desktop *d, struct nook_error *err);
void nook_dbus_stop(struct nook_desktop *d);

/* audio.c: missing servers are left out (verbose) */
void nook_audio_setup(const struct nook_spec *s, struct nook_desktop *d);

/* persist.c */
int nook_persist_setup(const struct nook_spec *s, struct nook_desktop *d, struct nook_error *err);

/* x11.c */
int nook_x11_setup(const struct nook_spec *s, struct nook_desktop *d, struct nook_error *err);
