/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmhwm.c - LD_PRELOAD helper for tests/bench: when the process exits
 * through exit() (not _exit), append "COMM PID VmHWM_KIB NEWFDS" to the
 * file named by $NOOK_BENCH_HWM. NEWFDS counts the fds open at exit that
 * were not open when the process started: what it opened and never closed.
 * Used to measure nook's own peak RSS apart from its helpers and payload
 * (setuid helpers and static binaries ignore LD_PRELOAD; nook's container
 * children leave with _exit). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXFD 4096
static unsigned char at_start[MAXFD / 8];

static int scan(unsigned char *set)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fresh = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd == dirfd(d) || fd >= MAXFD)
			continue;
		if (set)
			set[fd / 8] |= (unsigned char)(1u << (fd % 8));
		else if (!(at_start[fd / 8] & (1u << (fd % 8))))
			fresh++;
	}
	closedir(d);
	return fresh;
}

__attribute__((constructor)) static void record_fds(void)
{
	scan(at_start);
}

__attribute__((destructor)) static void report_hwm(void)
{
	const char *out = getenv("NOOK_BENCH_HWM");
	char buf[4096], line[128], comm[64] = "?";
	long hwm = -1;

	if (!out || !*out)
		return;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	char *p = strstr(buf, "VmHWM:");
	if (p)
		hwm = strtol(p + 6, NULL, 10);
	if (sscanf(buf, "Name:\t%63s", comm) != 1)
		strcpy(comm, "?");
	int fresh = scan(NULL);
	int len = snprintf(line, sizeof line, "%s %d %ld %d\n", comm, (int)getpid(), hwm, fresh);
	fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)len) < 0) { /* nothing to do */ }
	close(fd);
}
