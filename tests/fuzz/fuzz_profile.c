/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_profile.c - libFuzzer target for the profile loader.
 *
 * Each input is parsed as a profile (libyaml tree, limits, duplicate keys),
 * its variables are substituted, it is validated against the key table into
 * a spec, and the spec is emitted as YAML again. The same bytes are also
 * applied as a command-line override ("KEY.PATH=VALUE") to a small profile.
 * extends: is dropped so that inputs never read other files.
 *
 * Built by tests/fuzz/run-fuzz.sh with clang -fsanitize=fuzzer,address,
 * undefined; with -DNOOK_FUZZ_STANDALONE it is a plain program that runs
 * the files named on its command line once (for compilers without
 * libFuzzer). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nook/profile.h"
#include "nook/spec.h"
#include "../../src/lib/profile/internal.h"

static FILE *devnull;

static void run_profile(const char *buf, size_t len)
{
	struct nook_node *root = NULL;
	struct nook_error err = { 0 };
	if (nook_yaml_parse(buf, len, "fuzz.yaml", &root, &err) < 0)
		return;
	if (root->kind == NOOK_NODE_MAP)
		nook_map_del(root, "extends");
	struct nook_spec s;
	nook_spec_init(&s);
	if (nook_vars_expand_tree(root, &err) == 0 && nook_keys_apply(root, &s, &err) == 0)
		nook_spec_emit_yaml(&s, devnull, &err);
	nook_spec_free(&s);
	nook_node_free(root);
}

static void run_override(const char *buf, size_t len)
{
	static const char base[] = "hostname: a\nmounts: [{type: tmpfs, target: /t}]\nprocess: {args: [x]}\n";
	char *ov = malloc(len + 1);
	if (!ov)
		return;
	memcpy(ov, buf, len);
	ov[len] = 0;
	struct nook_node *root = NULL;
	struct nook_error err = { 0 };
	if (nook_yaml_parse(base, sizeof base - 1, "base.yaml", &root, &err) == 0) {
		if (nook_override_apply(root, ov, &err) == 0 && nook_vars_expand_tree(root, &err) == 0) {
			struct nook_spec s;
			nook_spec_init(&s);
			nook_keys_apply(root, &s, &err);
			nook_spec_free(&s);
		}
		nook_node_free(root);
	}
	free(ov);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull)
		devnull = fopen("/dev/null", "we");
	if (!devnull)
		abort();
	run_profile((const char *)data, size);
	if (size < 4096 && !memchr(data, 0, size))
		run_override((const char *)data, size);
	return 0;
}

#ifdef NOOK_FUZZ_STANDALONE
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rbe");
		if (!f) {
			perror(argv[i]);
			return 2;
		}
		static char buf[1 << 20];
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
	}
	if (devnull)
		fclose(devnull);
	return 0;
}
#endif
