/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check.h - `nook check`, the doctor: what this host and user offer nook,
 * item by item, with the fix for each one missing, and whether the default
 * profile's needs are met. Read-only: it changes nothing on the host (the
 * probes that need a namespace run in a child that exits). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct nook_check_item {
	char id[32];        /* stable key for --json: "userns", "subid", "cgroup", ... */
	char title[64];     /* "unprivileged user namespaces" */
	bool ok;
	bool needed;        /* the default profile needs it */
	char detail[512];   /* what was found (versions, sizes, paths, sysctls) */
	char fix[768];      /* how to get it, when !ok ("" otherwise) */
};

struct nook_check_report {
	struct nook_check_item *items;
	size_t n;
	char profile[128];  /* the profile whose needs were checked ("default") */
	bool ready;         /* every item that profile needs is ok */
};

/* Run every probe. self is the path of the running nook (for the AppArmor
 * advice; may be NULL). Never fails: a probe that cannot run is an item
 * that is not ok. */
void nook_check_run(struct nook_check_report *r, const char *self);
void nook_check_report_free(struct nook_check_report *r);
