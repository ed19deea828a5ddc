/* SPDX-License-Identifier: GPL-2.0-or-later */
/* desktop.h - what a graphical app's sandbox needs from outside it: the
 * session (and system) D-Bus through xdg-dbus-proxy, and the X11 display
 * with a cookie of its own.
 *
 * Contract with spawn: nook_desktop_start() runs before the child is
 * cloned. It starts what the spec asks for outside the sandbox and returns
 * the spec to run: the same one, or a copy with the proxy's sockets (and
 * the X socket and cookie) appended to the mounts and their variables set
 * in the environment. nook_desktop_stop() on every path after a successful
 * start kills the proxy, removes the private directory and frees that
 * copy. The proxy also exits when nook dies, even of SIGKILL (parent-death
 * signal, and its --fd pipe closes). */
#pragma once
#include <stdbool.h>
#include "nook/error.h"
#include "nook/spec.h"

/* A bus name as xdg-dbus-proxy accepts it: a well-known name (two or more
 * dot-separated elements of letters, digits, '_' and '-', none empty or
 * starting with a digit, at most 255 characters), or with wildcard_ok
 * such a name followed by ".*" (the name and every name below it). On
 * false *why says what is wrong. */
bool nook_dbus_name_valid(const char *name, bool wildcard_ok, const char **why);
/* A --call/--broadcast rule "NAME=[METHOD][@PATH]": METHOD is "*",
 * "interface.*" or "interface.Method", PATH an object path that may end
 * in "/" followed by "*". */
bool nook_dbus_rule_valid(const char *rule, const char **why);

struct nook_desktop;
/* Whether this spec will ask the compositor for a Wayland security
 * context (wayland.socket with security_context auto or required, and a
 * compositor's socket there): libwayland-client, which a statically linked
 * nook leaves to its twin (twin.h). */
bool nook_wayland_needs_twin(const struct nook_spec *s);
int nook_desktop_start(const struct nook_spec *s, struct nook_desktop **out, const struct nook_spec **run_spec,
		       struct nook_error *err);
void nook_desktop_stop(struct nook_desktop *d);

/* ---- launchers (launcher.c) ---- */

struct nook_launcher {
	const char *profile;   /* as on the command line: a name, or an absolute file path */
	const char *name;      /* Name= (" (nook)" is added) */
	const char *comment;   /* Comment=, may be NULL */
	const char *icon;      /* Icon=: an icon name or an absolute path */
	const char *app_id;    /* StartupWMClass=, may be NULL */
	const char *nook_path; /* the absolute path of nook, for Exec= */
};
/* $XDG_DATA_HOME/applications or ~/.local/share/applications (malloc'd),
 * NULL when neither is set. */
char *nook_launcher_dir(void);
/* Write (replace) nook-ID.desktop there, ID being the profile's name (or a
 * file's name without .yaml); *path_out: the file written. */
int nook_launcher_install(const struct nook_launcher *l, char **path_out, struct nook_error *err);
/* Remove it; -ENOENT with a message when there is none. */
int nook_launcher_remove(const char *profile, char **path_out, struct nook_error *err);
