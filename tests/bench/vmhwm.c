/* vmhwm.c - LD_PRELOAD helper for tests/bench: when the process exits
 * through exit() (not _exit), append "COMM PID VmHWM_KIB NFDS" to the file
 * named by $NOOK_BENCH_HWM, NFDS being the fds still open at exit (0, 1, 2
 * and whatever the program forgot to close). Used to measure nook's own peak RSS apart from its
 * helpers and payload (setuid helpers and static binaries ignore
 * LD_PRELOAD; nook's container children leave with _exit). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

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
	int nfds = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
				nfds++;
		closedir(d);
	}
	int len = snprintf(line, sizeof line, "%s %d %ld %d\n", comm, (int)getpid(), hwm, nfds);
	fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)len) < 0) { /* nothing to do */ }
	close(fd);
}
