/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stats.h - the --stats-json file: one JSON object per run. */
#pragma once
#include "nook/error.h"
#include "nook/spawn.h"

/* Write res as a JSON object to path (created 0644, replaced atomically
 * through a temporary file next to it). Fields:
 *   exit_status, signal (or null), timed_out, wall_time_us,
 *   cgroup (true when the cgroup fields below were measured), and
 *   cpu_user_us, cpu_system_us, memory_peak_bytes, oom_kills, pids_peak
 *   (null when no cgroup was used), note (or null).
 * Returns 0, or negative errno with err naming the path. */
int nook_stats_write_json(const char *path, const struct nook_result *res,
			  struct nook_error *err);
/* The same JSON as a malloc'd string (for tests); NULL on OOM. */
char *nook_stats_to_json(const struct nook_result *res);
