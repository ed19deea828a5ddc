/* SPDX-License-Identifier: GPL-2.0-or-later */
/* profile.h - YAML profiles: lookup, parse, extends, overrides, variables,
 * validation against the key table, and the resolved spec as YAML.
 *
 * Flow: nook_profile_resolve() = find -> parse (libyaml, positions kept)
 * -> merge `extends:` parents -> apply overrides in order -> substitute
 * ${VARIABLES} -> validate every key with the key table and fill the spec.
 *
 * Every error is one line "FILE:LINE:COLUMN: message" (or
 * "--set KEY.PATH: message" for an override) with exit status 125.
 */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include "nook/error.h"
#include "nook/spec.h"

/* Resolve a profile into a spec.
 *  profile_arg: a name ("default" when NULL) or a file (contains '/' or ends
 *               in ".yaml").
 *  overrides:   NULL-terminated "KEY.PATH=YAMLVALUE" / "KEY.PATH+=YAMLVALUE"
 *               strings applied in order after the profile (may be NULL).
 *  command:     NULL or empty = the profile's process.args.
 * Calls nook_spec_init(out) first; on failure out is freed again. */
int nook_profile_resolve(const char *profile_arg, char *const *overrides,
			 char *const *command, struct nook_spec *out,
			 struct nook_error *err);

/* Same, with flags. NOOK_PROFILE_ALLOW_NO_COMMAND: a profile without
 * process.args and no command is not an error (nook profile show). */
#define NOOK_PROFILE_ALLOW_NO_COMMAND 1u
int nook_profile_resolve_ex(const char *profile_arg, char *const *overrides,
			    char *const *command, unsigned flags, struct nook_spec *out,
			    struct nook_error *err);

/* Same, labels[i] (when labels is not NULL and labels[i] is not "") naming
 * overrides[i] in errors: "--network: unknown value ..." for an override
 * the command line made from --network, not "--set network.mode: ...". */
int nook_profile_resolve_labeled(const char *profile_arg, char *const *overrides,
				 char *const *labels, char *const *command, unsigned flags,
				 struct nook_spec *out, struct nook_error *err);

/* Find the file of a profile argument (see above). Returns 0 and a malloc'd
 * path, -ENOENT with a message naming the directories searched. */
int nook_profile_find(const char *profile_arg, char **path_out, struct nook_error *err);

/* The profile search path, in order: $NOOK_PROFILE_PATH (colon list),
 * $XDG_CONFIG_HOME/nook/profiles (or ~/.config/nook/profiles),
 * NOOK_SYSCONFDIR/nook/profiles, and last NOOK_PROFILE_BUILTIN_DIR: the
 * shipped profiles compiled into nook (files of the same name earlier on the
 * path win). NULL-terminated. */
char **nook_profile_search_path(void);

/* The pseudo-directory of the built-in profiles: their paths are
 * "<built-in>/NAME.yaml" (never a file: realpath() never returns it). */
#define NOOK_PROFILE_BUILTIN_DIR "<built-in>"
/* True for NOOK_PROFILE_BUILTIN_DIR and paths in it. */
bool nook_profile_is_builtin(const char *path);
/* The YAML text of a built-in profile path, or NULL. */
const char *nook_profile_builtin_text(const char *path);

/* One entry of `nook profile list`. */
struct nook_profile_info {
	char *name;
	char *path;
	char *description;   /* the profile's `description:` or NULL */
	bool shadowed;       /* a directory earlier in the path has the same name */
};
/* All profiles in the search path, sorted by directory order then name. */
int nook_profile_list(struct nook_profile_info **out, size_t *n_out, struct nook_error *err);
void nook_profile_info_free(struct nook_profile_info *v, size_t n);

/* Parse and resolve one profile file without running anything (for
 * `nook profile validate`). process.args may be empty. */
int nook_profile_validate(const char *path, struct nook_error *err);

/* Write the spec as a YAML profile (the schema of nook-profile(5)); the
 * output is itself a valid profile that resolves to the same spec. */
int nook_spec_emit_yaml(const struct nook_spec *s, FILE *f, struct nook_error *err);

/* Parse helpers shared with the command line (strict; see nook-profile(5)).
 * They return 0 or -EINVAL/-ERANGE and write a short reason into why. */
int nook_parse_size(const char *s, uint64_t *out, const char **why);
int nook_parse_duration_ms(const char *s, uint64_t *out, const char **why);
int nook_parse_cpus(const char *s, uint64_t *quota_us, uint64_t *period_us, const char **why);
