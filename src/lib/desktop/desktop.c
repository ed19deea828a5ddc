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

/* A nook killed by SIGKILL leaves its directory behind. Each one is
 * flock()ed by its nook while it exists, so the next nook removes those of
 * this uid whose lock it can take (the scheme net/helper.c uses for its
 * own directories). Only flat files are ever put there. */
static void sweep_stale(const char *parent)
{
	_cleanup_closedir_ DIR *d = opendir(parent);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		/* exactly what mkdtemp made: the prefix and six characters */
		if (strncmp(de->d_name, DIR_PREFIX, sizeof DIR_PREFIX - 1) != 0 ||
		    strlen(de->d_name) != sizeof DIR_PREFIX - 1 + 6 || strchr(de->d_name, '.') ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != getuid())
			continue;
		_cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue; /* its nook is alive */
		int cfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		_cleanup_closedir_ DIR *c = cfd >= 0 ? fdopendir(cfd) : NULL;
		struct dirent *ce;
		if (!c && cfd >= 0)
			close(cfd);
		while (c && (ce = readdir(c)))
			if (strcmp(ce->d_name, ".") && strcmp(ce->d_name, ".."))
				unlinkat(fd, ce->d_name, 0);
		if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) == 0)
			nook_verbose("removed %s/%s, left by a nook that was killed", parent, de->d_name);
	}
}

static int make_dir(struct nook_desktop *d, struct nook_error *err)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	/* sun_path holds 108 bytes; the longest name put there is "/system_bus" */
	if (strlen(tmp) + sizeof("/" DIR_PREFIX "XXXXXX/system_bus") > 100)
		tmp = "/tmp";
	sweep_stale(tmp);
	_cleanup_free_ char *tmpl = nook_asprintf("%s/" DIR_PREFIX "XXXXXX", tmp);
	if (!mkdtemp(tmpl))
		return nook_err(err, errno, "cannot create a private directory %s for the desktop sockets", tmpl);
	d->dir = TAKE_PTR(tmpl);
	d->dir_fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->dir_fd < 0 || flock(d->dir_fd, LOCK_EX) < 0)
		return nook_err(err, errno, "cannot lock %s", d->dir);
	return 0;
}

static void remove_dir(struct nook_desktop *d)
{
	if (!d->dir)
		return;
	_cleanup_closedir_ DIR *dd = opendir(d->dir);
	struct dirent *de;
	while (dd && (de = readdir(dd)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(dd), de->d_name, 0);
	rmdir(d->dir);
	free(d->dir);
	d->dir = NULL;
	if (d->dir_fd >= 0)
		close(d->dir_fd);
	d->dir_fd = -1;
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
