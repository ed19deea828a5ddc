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
	int wl_close_fd;       /* write end of the security context's close_fd pipe, -1 if none */
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

/* wayland.c: wayland.socket (and its security context) */
int nook_wayland_setup(const struct nook_spec *s, struct nook_desktop *d, struct nook_error *err);

/* wlsecctx.c: ask the compositor behind compositor_fd (taken: always
 * closed) for a wp_security_context_v1 listener on a new socket at
 * listen_path, tagged sandbox engine "nook", app_id and instance_id (either
 * may be NULL). 1: done, *close_keep is the fd whose closing tells the
 * compositor to stop listening (keep it open while the container runs);
 * 0: none to be had, *why says why (the compositor offers no such global,
 * or libwayland-client cannot be loaded; nothing was made); < 0: error
 * in err (nothing left behind). */
int nook_wl_secctx(int compositor_fd, const char *listen_path, const char *app_id, const char *instance_id,
		   int *close_keep, const char **why, struct nook_error *err);
