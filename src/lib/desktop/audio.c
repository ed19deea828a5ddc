/* SPDX-License-Identifier: GPL-2.0-or-later */
/* audio.c - audio.pipewire and audio.pulseaudio: the sound servers'
 * sockets (and PulseAudio's cookie) bound into the container's runtime
 * directory, each at the place its clients look by default, with the
 * variables that name them. A server that is not running is left out and
 * --verbose says so: an app without sound still runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/util.h"
#include "internal.h"

static bool is_socket(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static char *host_runtime_path(const char *name)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	if (!rt || rt[0] != '/')
		return NULL;
	return nook_path_join(rt, name);
}

static void pipewire(struct nook_desktop *d)
{
	const char *dir = getenv("PIPEWIRE_RUNTIME_DIR");
	_cleanup_free_ char *src = dir && dir[0] == '/' ? nook_path_join(dir, "pipewire-0") : host_runtime_path("pipewire-0");
	if (!is_socket(src)) {
		nook_verbose("audio.pipewire: no PipeWire socket (%s): no PipeWire in the container", src ? src : "XDG_RUNTIME_DIR is not set");
		return;
	}
	_cleanup_free_ char *target = nook_path_join(nook_desktop_runtime_dir(&d->run), "pipewire-0");
	nook_desktop_bind(d, src, target, false);
	/* the container's runtime dir is where its clients look */
	nook_desktop_setenv(d, "PIPEWIRE_RUNTIME_DIR", nook_desktop_runtime_dir(&d->run));
}

static void pulseaudio(struct nook_desktop *d)
{
	const char *server = getenv("PULSE_SERVER");
	_cleanup_free_ char *src = NULL;
	if (server && strncmp(server, "unix:", 5) == 0 && server[5] == '/')
		src = nook_strdup(server + 5);
	else
		src = host_runtime_path("pulse/native");
	if (!is_socket(src)) {
		nook_verbose("audio.pulseaudio: no PulseAudio socket (%s): no PulseAudio in the container",
			     src ? src : "XDG_RUNTIME_DIR is not set");
		return;
	}
	_cleanup_free_ char *target = nook_path_join(nook_desktop_runtime_dir(&d->run), "pulse/native");
	_cleanup_free_ char *addr = nook_asprintf("unix:%s", target);
	nook_desktop_bind(d, src, target, false);
	nook_desktop_setenv(d, "PULSE_SERVER", addr);

	const char *ck = getenv("PULSE_COOKIE");
	_cleanup_free_ char *cookie = ck && ck[0] == '/' ? nook_strdup(ck)
				    : getenv("HOME") ? nook_path_join(getenv("HOME"), ".config/pulse/cookie") : NULL;
	struct stat st;
	if (!cookie || stat(cookie, &st) < 0 || !S_ISREG(st.st_mode)) {
		nook_verbose("audio.pulseaudio: no PulseAudio cookie (%s): only a server that needs none will answer",
			     cookie ? cookie : "HOME is not set");
		return;
	}
	_cleanup_free_ char *ctarget = nook_path_join(nook_desktop_runtime_dir(&d->run), "pulse/cookie");
	nook_desktop_bind(d, cookie, ctarget, true);
	nook_desktop_setenv(d, "PULSE_COOKIE", ctarget);
}

void nook_audio_setup(const struct nook_spec *s, struct nook_desktop *d)
{
	if (s->audio_pipewire)
		pipewire(d);
	if (s->audio_pulse)
		pulseaudio(d);
}
