/* SPDX-License-Identifier: GPL-2.0-or-later */
/* benchrun.c - a small interleaving start-latency harness for tests/bench.
 *
 *   benchrun [-n RUNS] [-w WARMUP] [-s SEED] [-r RAWFILE] [-e ERRDIR] [-R]
 *            NAME CMD [ARG...] ';' [NAME CMD [ARG...] ';' ...]
 *
 * Every round runs each candidate once, in a fresh random order (so no
 * candidate always follows another), and times it from posix_spawn to the
 * end of wait4 with CLOCK_MONOTONIC. stdin and stdout are /dev/null;
 * stderr goes to ERRDIR/NAME.err when -e is given (else /dev/null). The
 * peak RSS is wait4's ru_maxrss: the largest resident set of the process
 * and of every descendant it reaped (what GNU time's %M reports).
 *
 * Prints one line per candidate:
 *   RESULT NAME runs=N fails=F median_ms=.. mean_ms=.. min_ms=.. p10_ms=..
 *          p90_ms=.. max_ms=.. sd_ms=.. maxrss_kib=.. maxrss_med_kib=..
 *          cpu_med_ms=.. (user + system CPU time of the process tree: the
 *          growth of getrusage(RUSAGE_CHILDREN) over the run and, with -R,
 *          the reaping of its orphans; less disturbed by other load than
 *          the wall-clock time), gone_med_ms (with -R: the median time
 *          until the processes it left behind have exited by themselves
 *          too, as a dying pid 1 of bwrap's does just after bwrap returns;
 *          runs where one outlived it by 100 ms are left out)
 * and, with -r, one line per timed run: "ROUND NAME MS MAXRSS_KIB STATUS CPU_MS".
 * With -R, benchrun is a child subreaper: a process that outlives the
 * candidate it was started by is re-parented to benchrun, counted as an
 * orphan of that candidate ("orphans=N" in RESULT) and killed.
 * Exit status: 0, or 2 on a usage error. A failing candidate is counted,
 * not fatal: the caller decides what a failure means.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct cand {
	const char *name;
	char **argv;
	double *ms, *cpu, *gone;
	long *rss;
	int n_gone;
	int n, fails, orphans;
	int errfd;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_l(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *s, int n, double p)
{
	if (n == 0)
		return NAN;
	double idx = p * (n - 1);
	int lo = (int)idx;
	int hi = lo + 1 < n ? lo + 1 : lo;
	return s[lo] + (s[hi] - s[lo]) * (idx - lo);
}

/* Run one candidate once; returns the wait status, fills ms and rss. */
static double children_cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/* A small /proc file into buf (NUL-terminated); its length, or -1. */
static int read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (int)n;
}

/* Whether every child of ours is gone or a zombie (exited, not reaped). */
static int children_exited(void)
{
	char path[64], buf[4096], stat[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	if (read_text(path, buf, sizeof buf) < 0)
		return 1;
	for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n")) {
		snprintf(path, sizeof path, "/proc/%s/stat", t);
		if (read_text(path, stat, sizeof stat) < 0)
			continue;
		char *close = strrchr(stat, ')');
		if (close && close[1] == ' ' && close[2] != 'Z')
			return 0;
	}
	return 1;
}

/* With -R: the time until the processes the candidate left behind have
 * exited by themselves too (bwrap's pid 1 finishes tearing its namespaces
 * down after bwrap returns), at most 100 ms after the candidate; -1 when
 * one is still running then (a daemon: collect_orphans kills it). */
static double until_gone(double t0, double ms)
{
	if (children_exited())
		return ms;
	double limit = now_ms() + 100;
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		double left = limit - now_ms();
		if (left <= 0)
			return -1;
		struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)(left * 1e6) };
		sigtimedwait(&chld, NULL, &ts);
		double t = now_ms();
		if (children_exited())
			return t - t0;
	}
}

static int run_once(struct cand *c, int devnull, int reaper, double *ms, double *gone, long *rss, double *cpu)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	struct rusage ru;
	pid_t pid;
	int st = 0;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, devnull, 0);
	posix_spawn_file_actions_adddup2(&fa, devnull, 1);
	posix_spawn_file_actions_adddup2(&fa, c->errfd >= 0 ? c->errfd : devnull, 2);
	/* SIGCHLD is blocked here (until_gone waits for it): not in the candidate */
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_init(&sa);
	posix_spawnattr_setsigmask(&sa, &none);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK);
	double t0 = now_ms();
	int r = posix_spawnp(&pid, c->argv[0], &fa, &sa, c->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	if (r != 0) {
		fprintf(stderr, "benchrun: cannot run %s: %s\n", c->argv[0], strerror(r));
		*ms = 0;
		*gone = 0;
		*rss = 0;
		*cpu = 0;
		return 127 << 8;
	}
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("benchrun: wait4");
			exit(1);
		}
	*ms = now_ms() - t0;
	*gone = reaper ? until_gone(t0, *ms) : *ms;
	*rss = ru.ru_maxrss;
	return st;
}

/* "comm state" of a process, for the orphan report */
static void describe(pid_t pid, char *out, size_t size)
{
	char path[64], buf[512];
	snprintf(out, size, "?");
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_text(path, buf, sizeof buf) < 0)
		return;
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	if (open && close && close > open && close[1] == ' ')
		snprintf(out, size, "%.*s %c", (int)(close - open - 1), open + 1, close[2]);
}

/* Count (and kill and reap) the processes re-parented to us; name them on
 * stderr as "benchrun: orphan after CANDIDATE (round N): pid P COMM STATE". */
static int collect_orphans(const char *name, int round)
{
	char path[64], buf[4096], what[128];
	int count = 0;

	for (int pass = 0; pass < 50; pass++) {
		int found = 0, st;
		pid_t p;
		siginfo_t si;
		for (;;) {
			memset(&si, 0, sizeof si);
			if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
				break;
			describe(si.si_pid, what, sizeof what);
			p = waitpid(si.si_pid, &st, 0);
			if (p <= 0)
				break;
			fprintf(stderr, "benchrun: orphan after %s (round %d): pid %d %s\n", name, round, (int)p, what);
			count++;
		}
		snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
		if (read_text(path, buf, sizeof buf) >= 0) {
			for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n")) {
				if (pass == 0) {
					describe((pid_t)atoi(t), what, sizeof what);
					fprintf(stderr, "benchrun: live orphan after %s (round %d): pid %s %s (killed)\n",
						name, round, t, what);
				}
				kill((pid_t)atoi(t), SIGKILL);
				found++;
			}
		}
		if (!found)
			break;
		usleep(1000);
	}
	return count;
}

static void usage(void)
{
	fprintf(stderr, "usage: benchrun [-n RUNS] [-w WARMUP] [-s SEED] [-r RAWFILE] [-e ERRDIR] [-R] "
		"NAME CMD [ARG...] ';' ...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int runs = 100, warmup = 5, opt, reaper = 0;
	unsigned seed = (unsigned)time(NULL);
	const char *raw = NULL, *errdir = NULL;

	while ((opt = getopt(argc, argv, "+n:w:s:r:e:R")) != -1) {
		switch (opt) {
		case 'n': runs = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 's': seed = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': raw = optarg; break;
		case 'e': errdir = optarg; break;
		case 'R': reaper = 1; break;
		default: usage();
		}
	}
	if (runs < 1 || warmup < 0)
		usage();

	struct cand *c = calloc((size_t)argc, sizeof *c);
	int nc = 0;
	for (int i = optind; i < argc; ) {
		c[nc].name = argv[i++];
		c[nc].argv = &argv[i];
		int start = i;
		while (i < argc && strcmp(argv[i], ";") != 0)
			i++;
		if (i == start || i >= argc)
			usage();
		argv[i++] = NULL;
		c[nc].ms = calloc((size_t)runs, sizeof(double));
		c[nc].rss = calloc((size_t)runs, sizeof(long));
		c[nc].cpu = calloc((size_t)runs, sizeof(double));
		c[nc].gone = calloc((size_t)runs, sizeof(double));
		c[nc].errfd = -1;
		if (errdir) {
			char p[4096];
			snprintf(p, sizeof p, "%s/%s.err", errdir, c[nc].name);
			c[nc].errfd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		}
		nc++;
	}
	if (nc == 0)
		usage();

	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	FILE *rf = raw ? fopen(raw, "w") : NULL;
	if (raw && !rf) {
		perror(raw);
		return 2;
	}
	int *order = calloc((size_t)nc, sizeof(int));
	if (reaper && prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) < 0) {
		perror("benchrun: PR_SET_CHILD_SUBREAPER");
		return 2;
	}
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	srand(seed);

	for (int round = -warmup; round < runs; round++) {
		for (int i = 0; i < nc; i++)
			order[i] = i;
		for (int i = nc - 1; i > 0; i--) {
			int j = rand() % (i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int k = 0; k < nc; k++) {
			struct cand *x = &c[order[k]];
			double ms, gone, cpu, cpu0 = children_cpu_ms();
			long rss;
			int st = run_once(x, devnull, reaper, &ms, &gone, &rss, &cpu);
			int orphans = reaper ? collect_orphans(x->name, round) : 0;
			cpu = children_cpu_ms() - cpu0;
			if (round < 0)
				continue;
			int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
			if (!ok)
				x->fails++;
			x->orphans += orphans;
			x->ms[x->n] = ms;
			if (gone >= 0)
				x->gone[x->n_gone++] = gone;
			x->rss[x->n] = rss;
			x->cpu[x->n] = cpu;
			x->n++;
			if (rf)
				fprintf(rf, "%d %s %.4f %ld %d %.3f\n", round, x->name, ms, rss,
					WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), cpu);
		}
	}
	if (rf)
		fclose(rf);

	for (int i = 0; i < nc; i++) {
		struct cand *x = &c[i];
		double sum = 0, sq = 0;
		for (int k = 0; k < x->n; k++)
			sum += x->ms[k];
		double mean = sum / x->n;
		for (int k = 0; k < x->n; k++)
			sq += (x->ms[k] - mean) * (x->ms[k] - mean);
		qsort(x->ms, (size_t)x->n, sizeof(double), cmp_d);
		qsort(x->rss, (size_t)x->n, sizeof(long), cmp_l);
		qsort(x->cpu, (size_t)x->n, sizeof(double), cmp_d);
		qsort(x->gone, (size_t)x->n_gone, sizeof(double), cmp_d);
		printf("RESULT %s runs=%d fails=%d median_ms=%.3f mean_ms=%.3f min_ms=%.3f p10_ms=%.3f "
		       "p90_ms=%.3f max_ms=%.3f sd_ms=%.3f maxrss_kib=%ld maxrss_med_kib=%ld orphans=%d cpu_med_ms=%.3f "
		       "gone_med_ms=%.3f\n",
		       x->name, x->n, x->fails, pct(x->ms, x->n, 0.5), mean, x->ms[0],
		       pct(x->ms, x->n, 0.1), pct(x->ms, x->n, 0.9), x->ms[x->n - 1],
		       x->n > 1 ? sqrt(sq / (x->n - 1)) : 0.0, x->rss[x->n - 1], x->rss[x->n / 2], x->orphans, pct(x->cpu, x->n, 0.5),
		       pct(x->gone, x->n_gone, 0.5));
	}
	return 0;
}
