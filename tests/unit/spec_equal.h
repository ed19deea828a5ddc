/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spec_equal.h - compare two struct nook_spec field by field (for the
 * profile round-trip tests). */
#pragma once
#include "nook/spec.h"

/* NULL when a and b are equal in every field, else the name of the first
 * field that differs ("mounts[2].mode"), in buf. Strings compare by
 * content, NULL differs from "" and a NULL list from an empty one. */
const char *nook_test_spec_diff(const struct nook_spec *a, const struct nook_spec *b, char *buf, size_t size);
