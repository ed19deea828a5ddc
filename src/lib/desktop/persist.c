/* SPDX-License-Identifier: GPL-2.0-or-later */
/* persist.c - persist.dir and persist.paths: the parts of an app's home
 * that outlive the container (its settings, profile, cache), kept in a
 * host directory of its own - never the user's real ~/.mozilla or
 * ~/.config - and bound at the same place below the container's $HOME. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/util.h"
#include "internal.h"

int nook_persist_setup(const struct nook_spec *s, struct nook_desktop *d, struct nook_error *err)
{
	if (!s->persist_paths || !s->persist_paths[0])
		return 0;
	if (!s->persist_dir)
		return nook_errx(err, EINVAL, "persist.paths is set but persist.dir is not: say where on the host the app's files are kept "
				 "(such as persist: {dir: \"${HOME}/.local/share/nook/apps/APP\"})");
	const char *home = nook_desktop_spec_env(&d->run, "HOME");
	if (!home || home[0] != '/')
		home = getenv("HOME");
	if (!home || home[0] != '/')
		return nook_errx(err, EINVAL, "persist.paths: the container has no HOME to put them in");
	for (size_t i = 0; s->persist_paths[i]; i++) {
		_cleanup_free_ char *src = nook_path_join(s->persist_dir, s->persist_paths[i]);
		_cleanup_free_ char *dst = nook_path_join(home, s->persist_paths[i]);
		int r = nook_mkdir_p(src, 0700);
		if (r < 0)
			return nook_err(err, -r, "cannot create %s for persist.paths", src);
		nook_desktop_bind(d, src, dst, false);
		nook_verbose("persist: %s kept in %s", dst, src);
	}
	return 0;
}
