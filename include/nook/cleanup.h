/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cleanup.h - scope-based resource release (GCC/clang cleanup attribute). */
#pragma once
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>
#include <dirent.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void nook_freep(void *p) { free(*(void **)p); }
static inline void nook_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void nook_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void nook_closedirp(DIR **d) { if (*d) closedir(*d); }
void nook_strv_free(char **v);
static inline void nook_strv_freep(char ***v) { nook_strv_free(*v); }

#define _cleanup_free_ _cleanup_(nook_freep)
#define _cleanup_close_ _cleanup_(nook_closep)
#define _cleanup_fclose_ _cleanup_(nook_fclosep)
#define _cleanup_closedir_ _cleanup_(nook_closedirp)
#define _cleanup_strv_ _cleanup_(nook_strv_freep)

#define TAKE_PTR(p) ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })
#define TAKE_FD(fd) ({ int _tf = (fd); (fd) = -1; _tf; })
