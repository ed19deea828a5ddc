/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ptree.c - the profile parser's entry points.
 *
 * libyaml needs ~0.1 ms, more on a cold start, for the default profile:
 * a tenth of what nook does before it clones. The shipped profiles are
 * therefore parsed once, at build time (gen_ptree.c writes their trees to
 * shipped_trees.c), and a text that is byte for byte one of them (the
 * copy compiled in, or an installed file nobody has edited) is rebuilt
 * from its tree: the same nodes, positions and values libyaml gives for
 * it. Any other text, an edited file included, goes to libyaml.
 */
#include <errno.h>
#include <string.h>
#include "nook/cleanup.h"
#include "nook/profile.h"
#include "nook/util.h"
#include "internal.h"

int nook_yaml_parse(const char *buf, size_t len, const char *origin,
		    struct nook_node **out, struct nook_error *err)
{
	/* (not for overrides, "--set KEY": their nodes carry no position) */
	for (size_t i = 0; strncmp(origin, "--", 2) != 0 && nook_shipped_profile_text[i]; i++) {
		if (nook_shipped_text_len[i] != len || memcmp(nook_shipped_profile_text[i], buf, len) != 0)
			continue;
		if (nook_node_decode(nook_shipped_tree[i], nook_shipped_tree_len[i], origin, out) == 0)
			return 0;
		break; /* cannot happen: the build wrote it; libyaml then */
	}
	return nook_yaml_parse_text(buf, len, origin, out, err);
}

int nook_yaml_parse_file(const char *path, struct nook_node **out, struct nook_error *err)
{
	size_t len = 0;
	*out = NULL;
	const char *builtin = nook_profile_builtin_text(path);
	if (builtin)
		return nook_yaml_parse(builtin, strlen(builtin), path, out, err);
	_cleanup_free_ char *buf = nook_read_file(path, NOOK_PROFILE_MAX_BYTES + 1, &len);
	if (!buf)
		return nook_errx(err, errno, "cannot read profile %s: %s", path, nook_file_strerror(errno));
	if (len > NOOK_PROFILE_MAX_BYTES)
		return nook_errx(err, EFBIG, "%s:1:1: file is too large (more than %d bytes)", path,
				 NOOK_PROFILE_MAX_BYTES);
	return nook_yaml_parse(buf, len, path, out, err);
}
