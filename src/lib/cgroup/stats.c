/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stats.c - --stats-json: the run's exit, time and cgroup statistics as a
 * JSON object, built with json-c. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/stats.h"
#include "nook/util.h"

static void add_u64(struct json_object *o, const char *key, uint64_t v, bool known)
{
	/* json-c's int64 holds every value a counter here can reach. */
	json_object_object_add(o, key, known ? json_object_new_int64((int64_t)(v > INT64_MAX ? INT64_MAX : v))
					     : NULL);
}

char *nook_stats_to_json(const struct nook_result *res)
{
	struct json_object *o = json_object_new_object();
	if (!o)
		return NULL;
	json_object_object_add(o, "exit_status", json_object_new_int(res->exit_status));
	bool signaled = WIFSIGNALED(res->wait_status);
	json_object_object_add(o, "signal", signaled ? json_object_new_int(WTERMSIG(res->wait_status)) : NULL);
	json_object_object_add(o, "timed_out", json_object_new_boolean(res->timed_out));
	add_u64(o, "wall_time_us", res->wall_ns / 1000, true);
	json_object_object_add(o, "cgroup", json_object_new_boolean(res->have_stats));
	add_u64(o, "cpu_user_us", res->cpu_user_us, res->have_stats);
	add_u64(o, "cpu_system_us", res->cpu_system_us, res->have_stats);
	add_u64(o, "memory_peak_bytes", res->memory_peak, res->have_stats);
	add_u64(o, "oom_kills", res->oom_kills, res->have_stats);
	add_u64(o, "pids_peak", res->pids_peak, res->have_stats);
	json_object_object_add(o, "note", res->note[0] ? json_object_new_string(res->note) : NULL);
	json_object_object_add(o, "helper_died", res->helper_died[0] ? json_object_new_string(res->helper_died) : NULL);
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	char *copy = s ? nook_asprintf("%s\n", s) : NULL;
	json_object_put(o);
	return copy;
}

int nook_stats_write_json(const char *path, const struct nook_result *res,
			  struct nook_error *err)
{
	_cleanup_free_ char *text = nook_stats_to_json(res);
	if (!text)
		return nook_errx(err, ENOMEM, "--stats-json %s: cannot format the statistics", path);
	_cleanup_free_ char *tmp = nook_asprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return nook_err(err, errno, "--stats-json: cannot write %s (is its directory there and writable?)", path);
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return nook_err(err, e, "--stats-json: cannot write %s", path);
		}
		off += (size_t)n;
	}
	if (close(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return nook_err(err, e, "--stats-json: cannot write %s", path);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return nook_err(err, e, "--stats-json: cannot rename %s to %s", tmp, path);
	}
	return 0;
}
