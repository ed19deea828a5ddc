/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vmhwm.c - for tests/bench: run a command and, when it exits, append
 * "COMM PID VmHWM_KIB NEWFDS" to OUT. NEWFDS counts the fds open at its
 * exit that were not open when it started: what it opened and never
 * closed. Measures nook's own peak RSS apart from its helpers and its
 * payload, for a dynamically or statically linked nook alike:
 *
 *   vmhwm OUT COMMAND [ARG...]
 *
 * The command runs under ptrace, stopped once after its execve (the fds
 * it starts with) and once as it exits (PTRACE_O_TRACEEXIT: its memory and
 * fds are still there); its children are not traced. Exits with the
 * command's status. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXFD 4096
static unsigned char at_start[MAXFD / 8];

/* record the fds of pid (set) or count the ones not recorded (NULL) */
static int scan(pid_t pid, unsigned char *set)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(p);
	struct dirent *e;
	int fresh = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd < 0 || fd >= MAXFD)
			continue;
		if (set)
			set[fd / 8] |= (unsigned char)(1u << (fd % 8));
		else if (!(at_start[fd / 8] & (1u << (fd % 8))))
			fresh++;
	}
	closedir(d);
	return fresh;
}

static void report(const char *out, pid_t pid)
{
	char p[64], buf[4096], comm[64] = "?";
	long hwm = -1;
	snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *h = strstr(buf, "VmHWM:");
	if (h)
		hwm = strtol(h + 6, NULL, 10);
	if (sscanf(buf, "Name:\t%63s", comm) != 1)
		strcpy(comm, "?");
	int fresh = scan(pid, NULL);
	FILE *o = fopen(out, "ae");
	if (!o)
		return;
	fprintf(o, "%s %d %ld %d\n", comm, (int)pid, hwm, fresh);
	fclose(o);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: vmhwm OUT COMMAND [ARG...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(127);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	int st;
	bool started = false;
	for (;;) {
		if (waitpid(pid, &st, 0) < 0) {
			if (errno == EINTR)
				continue;
			perror("waitpid");
			return 2;
		}
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (WIFSIGNALED(st))
			return 128 + WTERMSIG(st);
		if (!WIFSTOPPED(st))
			continue;
		int sig = WSTOPSIG(st);
		if (!started && sig == SIGTRAP) {
			/* stopped after its execve */
			started = true;
			scan(pid, at_start);
			ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL));
			sig = 0;
		} else if (sig == SIGTRAP && (st >> 16) == PTRACE_EVENT_EXIT) {
			report(argv[1], pid);
			sig = 0;
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
}
