/* SPDX-License-Identifier: GPL-2.0-or-later */
/* desktop.c - nook_desktop_start/stop: the private directory the proxy's
 * sockets and the X cookie live in, and the spec the container runs with
 * (the caller's, plus their binds and variables). dbus.c and x11.c fill
 * it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/desktop.h"
#include "nook/error.h"
#include "nook/util.h"
#include "internal.h"

#define DIR_PREFIX "nook-desktop-"

/* A SIGKILLed nook cannot remove it: the next one sweeps (base/tmpdir.c).
 * The longest name put there is "/system_bus". */
static int make_dir(struct nook_desktop *d, struct nook_error *err)
{
	int r = nook_locked_tmpdir(DIR_PREFIX, sizeof("/system_bus"), &d->dir, &d->dir_fd);
	if (r < 0) {
		nook_err(err, -r, "cannot create a private directory %s for the desktop sockets", d->dir);
		free(d->dir);
		d->dir = NULL;
	}
	return r;
}

static void remove_dir(struct nook_desktop *d)
{
	nook_locked_tmpdir_remove(&d->dir, &d->dir_fd);
}

void nook_desktop_stop(struct nook_desktop *d)
{
	if (!d)
		return;
	nook_dbus_stop(d);
	if (d->wl_close_fd >= 0)
		close(d->wl_close_fd); /* the compositor stops listening */
	remove_dir(d);
	nook_desktop_free_run(d);
	free(d);
}

int nook_desktop_start(const struct nook_spec *s, struct nook_desktop **out, const struct nook_spec **run_spec,
		       struct nook_error *err)
{
	*out = NULL;
	*run_spec = s;
	bool dbus = nook_dbus_bus_on(&s->dbus_session) || nook_dbus_bus_on(&s->dbus_system);
	if (!dbus && !s->x11 && !s->audio_pipewire && !s->audio_pulse && !s->persist_paths &&
	    !s->wayland_socket)
		return 0;

	struct nook_desktop *d = nook_xmalloc(sizeof *d);
	memset(d, 0, sizeof *d);
	d->dir_fd = d->proxy_pidfd = d->proxy_sync = d->log_fd = d->wl_close_fd = -1;
	d->run = *s;
	int r = make_dir(d, err);
	if (r == 0 && dbus)
		r = nook_dbus_start(s, d, err);
	if (r == 0 && s->x11)
		r = nook_x11_setup(s, d, err);
	if (r == 0 && s->wayland_socket)
		r = nook_wayland_setup(s, d, err);
	if (r == 0)
		nook_audio_setup(s, d);
	if (r == 0)
		r = nook_persist_setup(s, d, err);
	if (r < 0) {
		nook_desktop_stop(d);
		return r;
	}
	*out = d;
	*run_spec = &d->run;
	return 0;
}
