/* SPDX-License-Identifier: GPL-2.0-or-later */
/* twin.h - the statically linked nook and its dynamically linked twin.
 *
 * A plain build links `nook` statically (glibc included: no dynamic
 * loader, no libc.so to map and relocate, about 0.4 ms less per start)
 * and installs beside it, in $(pkglibexecdir), `nook-dyn`: the same
 * program linked dynamically. The few things a static glibc must not do
 * are left to the twin: loading a shared library (libsubid, libarchive,
 * libwayland-client: dlopen() in a static program brings a second libc
 * into it) and asking NSS about a user that /etc/passwd lacks. Whole
 * commands that need them re-run as the twin before they do anything
 * (nook_twin_exec); subordinate ids are read by the twin as a helper
 * (idmap.c). A dynamically linked nook (a sanitizer build, or
 * --disable-static-nook) does everything itself and never runs a twin. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct nook_error;

/* Whether this nook is statically linked (it has no dynamic loader). */
bool nook_is_static(void);
/* main() keeps its argv, for nook_twin_exec. */
void nook_twin_save_argv(char **argv);
/* The twin's path: $NOOK_DYN when set (an absolute path), nook-dyn beside
 * this binary (a build directory), else the installed one. */
const char *nook_twin_path(void);
/* A statically linked nook: become the twin, with the same arguments and
 * environment (why: for --verbose); returns only on failure, with err
 * set (exit status 125). A dynamically linked one: returns 0 at once. */
int nook_twin_exec(const char *why, struct nook_error *err);
/* Run the twin with args (NULL-terminated, after its name), its stdout
 * into out (NUL-terminated, at most size - 1 bytes); its exit status, or
 * -errno when it could not run (err says why, naming what for). */
int nook_twin_run(const char *what_for, char *const *args, char *out, size_t size, struct nook_error *err);

