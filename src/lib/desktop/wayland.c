/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wayland.c - wayland.socket: the compositor's socket in the container's
 * runtime directory, under the name $WAYLAND_DISPLAY gives it. With
 * wayland.security_context auto (the default) or required, nook asks the
 * compositor for a security context first (wlsecctx.c) and binds the
 * socket that gives instead; auto falls back to the compositor's own
 * socket when the compositor offers none (--verbose says so), required
 * makes that an error. No compositor running: no Wayland in the container
 * (--verbose). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/util.h"
#include "internal.h"

static int connect_to(const char *path)
{
	int fd = nook_unix_connect(path);
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

/* The compositor's socket: $WAYLAND_DISPLAY, a name in $XDG_RUNTIME_DIR
 * or an absolute path, wayland-0 by default (*disp: that name). */
static char *compositor_socket(const char **disp)
{
	*disp = getenv("WAYLAND_DISPLAY");
	if (!*disp || !(*disp)[0])
		*disp = "wayland-0";
	if ((*disp)[0] == '/')
		return nook_strdup(*disp);
	const char *rt = getenv("XDG_RUNTIME_DIR");
	return rt && rt[0] == '/' ? nook_path_join(rt, *disp) : nook_asprintf("/run/user/%u/%s", (unsigned)getuid(), *disp);
}

bool nook_wayland_needs_twin(const struct nook_spec *s)
{
	if (!s->wayland_socket || s->wayland_secctx == NOOK_WL_SECCTX_OFF)
		return false;
	const char *disp;
	_cleanup_free_ char *src = compositor_socket(&disp);
	struct stat st;
	return stat(src, &st) == 0 && S_ISSOCK(st.st_mode);
}

int nook_wayland_setup(const struct nook_spec *s, struct nook_desktop *d, struct nook_error *err)
{
	const char *disp;
	_cleanup_free_ char *src = compositor_socket(&disp);
	/* in the container: the same name, or wayland-0 for a path */
	const char *name = disp[0] == '/' || strchr(disp, '/') ? "wayland-0" : disp;
	struct stat st;
	if (stat(src, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		nook_verbose("wayland.socket: no Wayland compositor socket (%s): no Wayland in the container", src);
		return 0;
	}
	_cleanup_free_ char *target = nook_path_join(nook_desktop_runtime_dir(&d->run), name);

	if (s->wayland_secctx != NOOK_WL_SECCTX_OFF) {
		bool required = s->wayland_secctx == NOOK_WL_SECCTX_REQUIRED;
		int fd = connect_to(src);
		if (fd < 0) {
			if (required)
				return nook_err(err, errno,
						"wayland.security_context is required, but the compositor's socket %s does not answer", src);
			nook_verbose("wayland: cannot connect to %s (%s): no security context", src, strerror(errno));
		} else {
			_cleanup_free_ char *own = nook_path_join(d->dir, "wayland");
			_cleanup_free_ char *instance = s->name ? nook_strdup(s->name) : nook_asprintf("nook-%ld", (long)getpid());
			const char *why = NULL;
			int r = nook_wl_secctx(fd, own, s->app_id, instance, &d->wl_close_fd, &why, err);
			if (r < 0) {
				nook_err_prefix(err, "wayland.security_context (%s; off binds it without one)", src);
				return r;
			}
			if (r > 0) {
				nook_desktop_bind(d, own, target, false);
				nook_desktop_setenv(d, "WAYLAND_DISPLAY", name);
				return 0;
			}
			if (required)
				return nook_errx(err, ENOTSUP,
						 "wayland.security_context is required, but %s (%s); "
						 "set wayland.security_context: auto or off to use its socket as it is",
						 why, src);
			nook_verbose("wayland: %s (%s): binding its socket as it is", why, src);
		}
	}
	nook_desktop_bind(d, src, target, false);
	nook_desktop_setenv(d, "WAYLAND_DISPLAY", name);
	return 0;
}
