/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_oci.c - the OCI runtime command line (`nook-oci ...`, the same
 * binary under a second name, or `nook oci ...`), as runc and crun spell
 * it so that podman, conmon and the OCI test suites can drive nook.
 * Parsing and printing only; src/lib/oci does the work. */
#include <errno.h>
#include <signal.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "nook/cleanup.h"
#include "nook/oci.h"
#include "nook/profile.h"
#include "nook/util.h"

static struct {
	const char *log, *log_format;
} g;

static void oci_usage(FILE *f)
{
	fputs("usage: nook-oci [--root DIR] [--log FILE] [--log-format text|json] [--debug]\n"
	      "                [--systemd-cgroup] [--rootless[=BOOL]] [--cgroup-manager M] COMMAND ...\n"
	      "commands:\n"
	      "  create [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] ID\n"
	      "  start ID | run [create options] [--detach] ID | state ID | delete [--force] ID\n"
	      "  kill [--all] ID [SIGNAL] | ps [--format table|json] ID | list [--format table|json] [-q]\n"
	      "  exec [--process F] [--tty] [--detach] [--pid-file F] [--cwd D] [--env K=V] [--user U[:G]] [--cap C] ID [CMD...]\n"
	      "  pause ID | resume ID | update [-r F] [--memory N] [--pids-limit N] [--cpu-quota N] ... ID | features | spec [--rootless] [--bundle DIR]\n"
	      "nook-oci is nook as an OCI runtime: give its path to podman --runtime.\n", f);
}

/* One error line on stderr and, with --log, in the log (conmon reads it). */
static int report(const struct nook_error *err)
{
	fprintf(stderr, "nook-oci: %s\n", err->msg);
	if (g.log) {
		FILE *f = fopen(g.log, "ae");
		if (f) {
			if (g.log_format && strcmp(g.log_format, "json") == 0) {
				char t[64];
				time_t now = time(NULL);
				struct tm tm;
				gmtime_r(&now, &tm);
				strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
				fputs("{\"level\":\"error\",\"msg\":\"", f);
				for (const char *p = err->msg; *p; p++) {
					if (*p == '"' || *p == '\\')
						fputc('\\', f);
					if ((unsigned char)*p >= 0x20)
						fputc(*p, f);
				}
				fprintf(f, "\",\"time\":\"%s\"}\n", t);
			} else {
				fprintf(f, "nook-oci: %s\n", err->msg);
			}
			fclose(f);
		}
	}
	return err->exit_status ? err->exit_status : 1;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	struct nook_error err = { .exit_status = 1 };
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof err.msg, fmt, ap);
	va_end(ap);
	return report(&err);
}

/* --name VALUE or --name=VALUE (or -x VALUE); *i advances. NULL if argv[*i] is not it. */
static const char *opt_value(int argc, char **argv, int *i, const char *lng, const char *shrt, bool *missing)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);
	*missing = false;
	if ((strncmp(a, lng, n) == 0 && a[n] == '=') )
		return a + n + 1;
	if (strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0)) {
		if (*i + 1 >= argc) {
			*missing = true;
			return NULL;
		}
		return argv[++*i];
	}
	/* runc accepts single-dash long options too */
	if (a[0] == '-' && a[1] != '-' && strcmp(a + 1, lng + 2) == 0 && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool opt_flag(const char *a, const char *lng, const char *shrt)
{
	size_t n = strlen(lng);
	if (strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0))
		return true;
	/* --flag=true/false */
	if (strncmp(a, lng, n) == 0 && a[n] == '=')
		return strcmp(a + n + 1, "false") != 0;
	return a[0] == '-' && a[1] != '-' && strcmp(a + 1, lng + 2) == 0;
}

static int parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (!*end && n > 0 && n < NSIG)
		return (int)n;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *a = sigabbrev_np(i);
		if (a && strcasecmp(a, s) == 0)
			return i;
	}
	if (strncasecmp(s, "RTMIN+", 6) == 0)
		return SIGRTMIN + atoi(s + 6);
	return -1;
}

#define NEED_VALUE()                                                                              \
	do {                                                                                      \
		if (missing)                                                                      \
			return usage_error("option %s needs a value", argv[i]);                  \
	} while (0)

static int oci_create_run(const struct nook_oci_opts *o, int argc, char **argv, bool run)
{
	struct nook_oci_create c = { 0 };
	const char *v;
	bool missing;
	int i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((v = opt_value(argc, argv, &i, "--bundle", "-b", &missing)))
			c.bundle = v;
		else if ((v = opt_value(argc, argv, &i, "--pid-file", NULL, &missing)))
			c.pid_file = v;
		else if ((v = opt_value(argc, argv, &i, "--console-socket", NULL, &missing)))
			c.console_socket = v;
		else if ((v = opt_value(argc, argv, &i, "--config", "-f", &missing)))
			c.config = v;
		else if ((v = opt_value(argc, argv, &i, "--preserve-fds", NULL, &missing))) {
			char *end;
			unsigned long n = strtoul(v, &end, 10);
			if (*end || n > 1000)
				return usage_error("--preserve-fds %s: give a number of file descriptors", v);
			c.preserve_fds = (unsigned)n;
		} else if (opt_flag(argv[i], "--no-pivot", NULL))
			c.no_pivot = true;
		else if (opt_flag(argv[i], "--no-new-keyring", NULL))
			c.no_new_keyring = true;
		else if (run && opt_flag(argv[i], "--detach", "-d"))
			c.detach = true;
		else if (run && opt_flag(argv[i], "--keep", NULL))
			c.keep = true;
		else if (opt_flag(argv[i], "--no-subreaper", NULL))
			;
		else {
			NEED_VALUE();
			return usage_error("unknown option %s (see nook-oci --help)", argv[i]);
		}
		NEED_VALUE();
	}
	if (i != argc - 1)
		return usage_error("%s needs exactly one container ID", run ? "run" : "create");
	c.id = argv[i];
	struct nook_error err = { 0 };
	if (run) {
		int code;
		if (nook_oci_do_run(o, &c, &code, &err) < 0)
			return report(&err);
		return code;
	}
	if (nook_oci_do_create(o, &c, &err) < 0)
		return report(&err);
	return 0;
}

static int one_id(int argc, char **argv, const char *cmd, const char **id)
{
	if (argc != 2 || argv[1][0] == '-') {
		usage_error("%s needs exactly one container ID", cmd);
		return -1;
	}
	*id = argv[1];
	return 0;
}

static int oci_kill(const struct nook_oci_opts *o, int argc, char **argv)
{
	bool all = false;
	int i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (opt_flag(argv[i], "--all", "-a"))
			all = true;
		else
			return usage_error("unknown option %s", argv[i]);
	}
	if (i >= argc || argc - i > 2)
		return usage_error("%s", "kill needs a container ID and, optionally, a signal");
	int sig = SIGTERM;
	if (i + 1 < argc && (sig = parse_signal(argv[i + 1])) < 0)
		return usage_error("unknown signal '%s' (a number, or a name such as TERM or SIGKILL)", argv[i + 1]);
	struct nook_error err = { 0 };
	if (nook_oci_do_kill(o, argv[i], sig, all, &err) < 0)
		return report(&err);
	return 0;
}

static int oci_delete(const struct nook_oci_opts *o, int argc, char **argv)
{
	bool force = false, regex = false;
	int i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (opt_flag(argv[i], "--force", "-f"))
			force = true;
		else if (opt_flag(argv[i], "--regex", "-r"))
			regex = true; /* crun's: the argument matches ids (POSIX extended) */
		else
			return usage_error("unknown option %s", argv[i]);
	}
	if (i != argc - 1)
		return usage_error("%s", regex ? "delete --regex needs exactly one expression" : "delete needs exactly one container ID");
	struct nook_error err = { 0 };
	if (!regex)
		return nook_oci_do_delete(o, argv[i], force, &err) < 0 ? report(&err) : 0;
	regex_t re;
	if (regcomp(&re, argv[i], REG_EXTENDED | REG_NOSUB) != 0)
		return usage_error("delete --regex %s: not a valid regular expression", argv[i]);
	char root[4096];
	_cleanup_strv_ char **ids = NULL;
	if (nook_oci_root(o->root, false, root, sizeof root, &err) < 0 || nook_oci_state_ids(root, &ids, &err) < 0) {
		regfree(&re);
		return report(&err);
	}
	int st = 0;
	for (size_t k = 0; ids[k]; k++) {
		if (regexec(&re, ids[k], 0, NULL, 0) != 0)
			continue;
		struct nook_error e = { 0 };
		if (nook_oci_do_delete(o, ids[k], force, &e) < 0)
			st = report(&e);
	}
	regfree(&re);
	return st;
}

static int oci_exec(const struct nook_oci_opts *o, int argc, char **argv)
{
	struct nook_oci_exec x = { 0 };
	_cleanup_strv_ char **env = NULL;
	_cleanup_strv_ char **caps = NULL;
	const char *v;
	bool missing;
	int i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((v = opt_value(argc, argv, &i, "--process", "-p", &missing)))
			x.process_file = v;
		else if ((v = opt_value(argc, argv, &i, "--console-socket", NULL, &missing)))
			x.console_socket = v;
		else if ((v = opt_value(argc, argv, &i, "--pid-file", NULL, &missing)))
			x.pid_file = v;
		else if ((v = opt_value(argc, argv, &i, "--cwd", NULL, &missing)))
			x.cwd = v;
		else if ((v = opt_value(argc, argv, &i, "--env", "-e", &missing)))
			nook_strv_push(&env, v);
		else if ((v = opt_value(argc, argv, &i, "--user", "-u", &missing)))
			x.user = v;
		else if ((v = opt_value(argc, argv, &i, "--cap", "-c", &missing)))
			nook_strv_push(&caps, v);
		else if ((v = opt_value(argc, argv, &i, "--preserve-fds", NULL, &missing)))
			x.preserve_fds = (unsigned)strtoul(v, NULL, 10);
		else if ((v = opt_value(argc, argv, &i, "--process-label", NULL, &missing)) ||
			 (v = opt_value(argc, argv, &i, "--apparmor", NULL, &missing)))
			; /* LSM labels: not driven by nook */
		else if (opt_flag(argv[i], "--tty", "-t"))
			x.tty = true;
		else if (opt_flag(argv[i], "--detach", "-d"))
			x.detach = true;
		else if (opt_flag(argv[i], "--no-new-privs", NULL))
			x.no_new_privs = true;
		else if (strcmp(argv[i], "--") == 0)
			break;
		else {
			NEED_VALUE();
			return usage_error("unknown option %s (see nook-oci --help)", argv[i]);
		}
		NEED_VALUE();
	}
	if (i >= argc)
		return usage_error("%s", "exec needs a container ID");
	x.id = argv[i++];
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	x.argv = argv + i;
	x.env = env;
	x.caps = caps;
	if (!x.process_file && i >= argc)
		return usage_error("%s", "exec needs a command (or --process FILE)");
	struct nook_error err = { 0 };
	int code;
	if (nook_oci_do_exec(o, &x, &code, &err) < 0)
		return report(&err);
	return code;
}

static int oci_ps(const struct nook_oci_opts *o, int argc, char **argv)
{
	const char *fmt = "table", *v;
	bool missing;
	int i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((v = opt_value(argc, argv, &i, "--format", "-f", &missing)))
			fmt = v;
		else
			return usage_error("unknown option %s", argv[i]);
	}
	if (i >= argc)
		return usage_error("%s", "ps needs a container ID");
	pid_t *pids;
	size_t n;
	struct nook_error err = { 0 };
	if (nook_oci_do_ps(o, argv[i], &pids, &n, &err) < 0)
		return report(&err);
	if (strcmp(fmt, "json") == 0) {
		printf("[");
		for (size_t k = 0; k < n; k++)
			printf("%s%d", k ? "," : "", (int)pids[k]);
		printf("]\n");
	} else {
		printf("PID\tCMD\n");
		for (size_t k = 0; k < n; k++) {
			char p[64], cmd[256] = "";
			snprintf(p, sizeof p, "/proc/%d/comm", (int)pids[k]);
			FILE *f = fopen(p, "re");
			if (f) {
				if (fgets(cmd, sizeof cmd, f))
					cmd[strcspn(cmd, "\n")] = '\0';
				fclose(f);
			}
			printf("%d\t%s\n", (int)pids[k], cmd);
		}
	}
	free(pids);
	return 0;
}

static int oci_list(const struct nook_oci_opts *o, int argc, char **argv)
{
	const char *fmt = "table", *v;
	bool quiet = false, missing;
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--format", "-f", &missing)))
			fmt = v;
		else if (opt_flag(argv[i], "--quiet", "-q"))
			quiet = true;
		else
			return usage_error("unknown option %s", argv[i]);
	}
	char root[4096];
	_cleanup_strv_ char **ids = NULL;
	struct nook_error err = { 0 };
	if (nook_oci_root(o->root, false, root, sizeof root, &err) < 0 || nook_oci_state_ids(root, &ids, &err) < 0)
		return report(&err);
	bool json = strcmp(fmt, "json") == 0;
	if (json)
		printf("[");
	else if (!quiet)
		printf("ID\tPID\tSTATUS\tBUNDLE\n");
	for (size_t i = 0; ids[i]; i++) {
		struct nook_oci_state st;
		struct nook_error e = { 0 };
		if (nook_oci_state_read(root, ids[i], &st, &e) < 0)
			continue;
		if (json) {
			_cleanup_free_ char *j = nook_oci_state_json(&st, false);
			printf("%s%s", i ? "," : "", j);
		} else if (quiet) {
			printf("%s\n", st.id);
		} else {
			printf("%s\t%d\t%s\t%s\n", st.id, st.status == NOOK_OCI_STOPPED ? 0 : (int)st.pid,
			       nook_oci_status_name(st.status), st.bundle);
		}
		nook_oci_state_free(&st);
	}
	if (json)
		printf("]\n");
	return 0;
}

static int oci_update(const struct nook_oci_opts *o, int argc, char **argv)
{
	struct nook_oci_update u = { 0 };
	const char **opts = nook_xmalloc((size_t)argc * sizeof *opts);
	const char **values = nook_xmalloc((size_t)argc * sizeof *values);
	const char *v;
	bool missing;
	int i, rc = 0;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((v = opt_value(argc, argv, &i, "--resources", "-r", &missing))) {
			u.resources_file = v;
			continue;
		}
		const char *name;
		bool novalue = missing;
		for (size_t k = 0; (name = nook_oci_update_option(k)); k++) {
			if ((v = opt_value(argc, argv, &i, name, NULL, &missing)))
				break;
			novalue |= missing;
		}
		if (!name) {
			rc = usage_error(novalue ? "update: %s needs a value" : "update: unknown option %s", argv[i]);
			goto out;
		}
		opts[u.n] = name;
		values[u.n++] = v;
	}
	if (i != argc - 1) {
		rc = usage_error("%s", "update needs exactly one container ID");
		goto out;
	}
	u.opts = opts;
	u.values = values;
	struct nook_error err = { 0 };
	if (nook_oci_do_update(o, argv[i], &u, &err) < 0)
		rc = report(&err);
out:
	free(opts);
	free(values);
	return rc;
}

static int oci_spec(int argc, char **argv)
{
	const char *bundle = NULL, *v;
	bool rootless = true, missing;
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--bundle", "-b", &missing)))
			bundle = v;
		else if (opt_flag(argv[i], "--rootless", NULL))
			rootless = true;
		else
			return usage_error("unknown option %s", argv[i]);
	}
	struct nook_error err = { 0 };
	if (nook_oci_write_spec(bundle, rootless, &err) < 0)
		return report(&err);
	return 0;
}

int cmd_oci(int argc, char **argv)
{
	struct nook_oci_opts o = { 0 };
	const char *v;
	bool missing;
	int i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if ((v = opt_value(argc, argv, &i, "--root", NULL, &missing)))
			o.root = v;
		else if ((v = opt_value(argc, argv, &i, "--log", "-l", &missing)))
			g.log = v;
		else if ((v = opt_value(argc, argv, &i, "--log-format", NULL, &missing))) {
			if (strcmp(v, "json") && strcmp(v, "text"))
				return usage_error("--log-format %s: give json or text", v);
			g.log_format = v;
		} else if ((v = opt_value(argc, argv, &i, "--cgroup-manager", NULL, &missing))) {
			if (strcmp(v, "cgroupfs") && strcmp(v, "systemd") && strcmp(v, "disabled"))
				return usage_error("--cgroup-manager %s: give cgroupfs, systemd or disabled", v);
			/* the container stays in the caller's cgroup either way */
		} else if ((v = opt_value(argc, argv, &i, "--criu", NULL, &missing)))
			;
		else if (opt_flag(argv[i], "--debug", NULL))
			o.debug = true;
		else if (opt_flag(argv[i], "--systemd-cgroup", NULL))
			o.systemd_cgroup = true;
		else if (strcmp(argv[i], "--rootless") == 0 || strncmp(argv[i], "--rootless=", 11) == 0)
			; /* nook is always rootless */
		else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
			printf("nook-oci version %s\nspec: 1.2.0\n", PACKAGE_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			oci_usage(stdout);
			return 0;
		} else {
			NEED_VALUE();
			return usage_error("unknown global option %s (see nook-oci --help)", argv[i]);
		}
		NEED_VALUE();
	}
	if (g.log) {
		/* crun's spelling "file:PATH"; any other driver is not ours */
		if (strncmp(g.log, "file:", 5) == 0)
			g.log += 5;
		FILE *f = fopen(g.log, "ae");
		if (!f) {
			int e = errno;
			const char *log = g.log;
			g.log = NULL;
			return usage_error("--log %s: cannot open it: %s", log, strerror(e));
		}
		fclose(f);
	}
	if (i >= argc) {
		oci_usage(stderr);
		return 1;
	}
	const char *cmd = argv[i];
	int ac = argc - i;
	char **av = argv + i;
	for (int k = 1; k < ac && av[k][0] == '-'; k++) {
		if (strcmp(av[k], "--help") == 0 || strcmp(av[k], "-h") == 0) {
			oci_usage(stdout);
			return 0;
		}
	}
	const char *id;
	struct nook_error err = { 0 };
	if (strcmp(cmd, "create") == 0)
		return oci_create_run(&o, ac, av, false);
	if (strcmp(cmd, "run") == 0)
		return oci_create_run(&o, ac, av, true);
	if (strcmp(cmd, "start") == 0) {
		if (one_id(ac, av, cmd, &id) < 0)
			return 1;
		return nook_oci_do_start(&o, id, &err) < 0 ? report(&err) : 0;
	}
	if (strcmp(cmd, "state") == 0) {
		if (one_id(ac, av, cmd, &id) < 0)
			return 1;
		char *json;
		if (nook_oci_do_state(&o, id, &json, &err) < 0)
			return report(&err);
		printf("%s\n", json);
		free(json);
		return 0;
	}
	if (strcmp(cmd, "kill") == 0)
		return oci_kill(&o, ac, av);
	if (strcmp(cmd, "delete") == 0)
		return oci_delete(&o, ac, av);
	if (strcmp(cmd, "exec") == 0)
		return oci_exec(&o, ac, av);
	if (strcmp(cmd, "ps") == 0)
		return oci_ps(&o, ac, av);
	if (strcmp(cmd, "list") == 0)
		return oci_list(&o, ac, av);
	if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0) {
		if (one_id(ac, av, cmd, &id) < 0)
			return 1;
		return nook_oci_do_pause(&o, id, strcmp(cmd, "pause") == 0, &err) < 0 ? report(&err) : 0;
	}
	if (strcmp(cmd, "update") == 0)
		return oci_update(&o, ac, av);
	if (strcmp(cmd, "features") == 0) {
		char *j = nook_oci_features_json();
		printf("%s\n", j);
		free(j);
		return 0;
	}
	if (strcmp(cmd, "spec") == 0)
		return oci_spec(ac, av);
	if (strcmp(cmd, "checkpoint") == 0 || strcmp(cmd, "restore") == 0)
		return usage_error("%s is not supported by nook (no CRIU)", cmd);
	return usage_error("unknown command '%s' (see nook-oci --help)", cmd);
}
