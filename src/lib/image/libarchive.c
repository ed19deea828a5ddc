/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libarchive.c - load libarchive on first use (see libarchive.h). */
#define NOOK_LA_IMPL
#include <dlfcn.h>
#include <stdbool.h>
#include "libarchive.h"
#include "nook/twin.h"

struct nook_la nook_la;

int nook_la_load(struct nook_error *err)
{
	static bool loaded;
	if (loaded)
		return 0;
	/* `nook image` runs as the twin in a static nook (twin.h) */
	if (nook_is_static())
		return nook_errx(err, ENOTSUP, "internal error: a static nook does not load %s", NOOK_LIBARCHIVE_SONAME);
	void *h = dlopen(NOOK_LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return nook_errx(err, ENOENT, "cannot load %s, which nook unpacks image layers with "
				 "(install it with: apt-get install libarchive13): %s", NOOK_LIBARCHIVE_SONAME, dlerror());
#define NOOK_LA_LOAD(f) \
	if (!(*(void **)&nook_la.f = dlsym(h, #f))) \
		return nook_errx(err, ENOENT, "%s has no function %s (libarchive 3.4 or later is needed)", \
				 NOOK_LIBARCHIVE_SONAME, #f);
	NOOK_LA_FUNCS(NOOK_LA_LOAD)
#undef NOOK_LA_LOAD
	loaded = true;
	return 0;
}
