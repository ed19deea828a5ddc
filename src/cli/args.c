/* SPDX-License-Identifier: GPL-2.0-or-later */
/* args.c - `nook run` options. Every option that corresponds to a profile
 * key becomes an override string "KEY.PATH=YAML" so flags and profile keys
 * cannot drift apart; the profile loader applies them after the profile. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "args.h"
#include "nook/cleanup.h"
#include "nook/util.h"

enum {
	OPT_ROOTFS = 1000, OPT_HOSTNAME, OPT_USERNS, OPT_UID, OPT_GID, OPT_TMPFS,
	OPT_NETWORK, OPT_MEMORY, OPT_CPUS, OPT_PIDS, OPT_CAP_ADD, OPT_CAP_DROP,
	OPT_SECCOMP, OPT_TIMEOUT, OPT_SET, OPT_NAME, OPT_STATS_JSON, OPT_VERBOSE, OPT_IMAGE, OPT_STORE,
};

static const struct option options[] = {
	{ "rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "store", required_argument, NULL, OPT_STORE },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "userns", required_argument, NULL, OPT_USERNS },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "gid", required_argument, NULL, OPT_GID },
	{ "bind", required_argument, NULL, 'v' },
	{ "volume", required_argument, NULL, 'v' },
	{ "tmpfs", required_argument, NULL, OPT_TMPFS },
	{ "env", required_argument, NULL, 'e' },
	{ "workdir", required_argument, NULL, 'w' },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "publish", required_argument, NULL, 'p' },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "pids", required_argument, NULL, OPT_PIDS },
	{ "cap-add", required_argument, NULL, OPT_CAP_ADD },
	{ "cap-drop", required_argument, NULL, OPT_CAP_DROP },
	{ "seccomp", required_argument, NULL, OPT_SECCOMP },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "set", required_argument, NULL, OPT_SET },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "stats-json", required_argument, NULL, OPT_STATS_JSON },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "tty", no_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

char *nook_yaml_quote(const char *s)
{
	size_t n = strlen(s);
	char *q = nook_xmalloc(n * 4 + 3), *o = q;
	*o++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			static const char hex[] = "0123456789abcdef";
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	*o++ = '"';
	*o = '\0';
	return q;
}

/* "--network" for the option whose getopt value is c */
static const char *option_name(int c)
{
	for (const struct option *o = options; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

/* Append an override (taking s) and the option it came from, label ("" for
 * --set); the arrays double, so N options cost O(N). */
static void push_override(struct nook_run_args *a, char *s, const char *label)
{
	if (a->n_overrides + 2 > a->cap_overrides) {
		a->cap_overrides = a->cap_overrides ? 2 * a->cap_overrides : 16;
		a->overrides = nook_xrealloc(a->overrides, a->cap_overrides * sizeof *a->overrides);
		a->labels = nook_xrealloc(a->labels, a->cap_overrides * sizeof *a->labels);
	}
	a->overrides[a->n_overrides] = s;
	a->labels[a->n_overrides] = nook_strdup(label);
	a->n_overrides++;
	a->overrides[a->n_overrides] = NULL;
	a->labels[a->n_overrides] = NULL;
}

/* The override, and the option it came from (its errors name the option) */
static void push_kv(struct nook_run_args *a, int c, const char *key, const char *op, const char *yaml)
{
	_cleanup_free_ char *label = nook_asprintf("--%s", option_name(c));
	push_override(a, nook_asprintf("%s%s%s", key, op, yaml), label);
}

static void push_str(struct nook_run_args *a, int c, const char *key, const char *val)
{
	_cleanup_free_ char *q = nook_yaml_quote(val);
	push_kv(a, c, key, "=", q);
}

/* "unknown option '--netwrk' (did you mean '--network'?)" */
static void unknown_option(const char *arg, char *errbuf, size_t errlen)
{
	const char *cands[sizeof options / sizeof options[0]];
	size_t n = 0;
	for (const struct option *o = options; o->name; o++)
		cands[n++] = o->name;
	const char *hint = NULL;
	if (strncmp(arg, "--", 2) == 0 && arg[2]) {
		_cleanup_free_ char *word = nook_strdup(arg + 2);
		word[strcspn(word, "=")] = 0;
		hint = nook_suggest(word, cands, n);
	}
	if (hint)
		snprintf(errbuf, errlen, "unknown option '%s' (did you mean '--%s'? see nook help run)", arg, hint);
	else
		snprintf(errbuf, errlen, "unknown option '%s' (see nook help run)", arg);
}


/* SRC:DST[:ro|:rw] */
static int parse_bind(struct nook_run_args *a, const char *arg, char *errbuf, size_t errlen)
{
	_cleanup_free_ char *copy = nook_strdup(arg);
	char *parts[4] = { 0 };
	int n = 0;
	for (char *tok = copy, *save; n < 4; tok = NULL) {
		char *p = strtok_r(tok, ":", &save);
		if (!p)
			break;
		parts[n++] = p;
	}
	bool ro = false;
	if (n == 3 && strcmp(parts[2], "ro") == 0)
		ro = true;
	else if (n == 3 && strcmp(parts[2], "rw") == 0)
		ro = false;
	else if (n == 1)
		parts[1] = parts[0];
	else if (n != 2) {
		snprintf(errbuf, errlen, "--bind '%s': expected SRC:DST[:ro]", arg);
		return -1;
	}
	if (parts[0][0] != '/' || parts[1][0] != '/') {
		snprintf(errbuf, errlen, "--bind '%s': SRC and DST must be absolute paths", arg);
		return -1;
	}
	_cleanup_free_ char *qs = nook_yaml_quote(parts[0]);
	_cleanup_free_ char *qd = nook_yaml_quote(parts[1]);
	_cleanup_free_ char *v = nook_asprintf("{type: %s, source: %s, target: %s}",
					       ro ? "ro-bind" : "bind", qs, qd);
	push_kv(a, 'v', "mounts", "+=", v);
	return 0;
}

/* DST[:size=S][,mode=M] */
static int parse_tmpfs(struct nook_run_args *a, const char *arg, char *errbuf, size_t errlen)
{
	_cleanup_free_ char *copy = nook_strdup(arg);
	char *opts = strchr(copy, ':');
	if (opts)
		*opts++ = '\0';
	if (copy[0] != '/') {
		snprintf(errbuf, errlen, "--tmpfs '%s': the target must be an absolute path", arg);
		return -1;
	}
	_cleanup_free_ char *qd = nook_yaml_quote(copy);
	_cleanup_free_ char *v = NULL;
	char size[64] = "", mode[32] = "";
	for (char *tok = opts, *save; opts; tok = NULL) {
		char *p = strtok_r(tok, ",", &save);
		if (!p)
			break;
		if (strncmp(p, "size=", 5) == 0)
			snprintf(size, sizeof size, ", size: %s", p + 5);
		else if (strncmp(p, "mode=", 5) == 0)
			snprintf(mode, sizeof mode, ", mode: %s", p + 5);
		else {
			snprintf(errbuf, errlen, "--tmpfs '%s': unknown option '%s' (use size= or mode=)", arg, p);
			return -1;
		}
	}
	v = nook_asprintf("{type: tmpfs, target: %s%s%s}", qd, size, mode);
	push_kv(a, OPT_TMPFS, "mounts", "+=", v);
	return 0;
}

int nook_run_args_parse(int argc, char **argv, struct nook_run_args *a, char *errbuf, size_t errlen)
{
	memset(a, 0, sizeof *a);
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "+:v:e:w:p:ht", options, NULL)) != -1) {
		char *eq;
		_cleanup_free_ char *tmp = NULL;
		switch (c) {
		case OPT_ROOTFS: push_str(a, c, "rootfs.path", optarg); break;
		case OPT_IMAGE:
			push_str(a, c, "rootfs.image", optarg);
			free(a->image);
			a->image = nook_strdup(optarg);
			break;
		case OPT_STORE: free(a->store); a->store = nook_strdup(optarg); break;
		case OPT_HOSTNAME: push_str(a, c, "hostname", optarg); break;
		case OPT_USERNS:
			if (strcmp(optarg, "self") && strcmp(optarg, "subuid") && strcmp(optarg, "auto")) {
				snprintf(errbuf, errlen, "--userns '%s': expected self, subuid or auto", optarg);
				return -1;
			}
			push_kv(a, c, "user.mode", "=", optarg);
			break;
		case OPT_UID: push_str(a, c, "user.uid", optarg); break;
		case OPT_GID: push_str(a, c, "user.gid", optarg); break;
		case 'v':
			if (parse_bind(a, optarg, errbuf, errlen) < 0)
				return -1;
			break;
		case OPT_TMPFS:
			if (parse_tmpfs(a, optarg, errbuf, errlen) < 0)
				return -1;
			break;
		case 'e':
			eq = strchr(optarg, '=');
			if (!eq || eq == optarg) {
				snprintf(errbuf, errlen, "--env '%s': expected NAME=VALUE", optarg);
				return -1;
			}
			tmp = nook_asprintf("process.env.set.%.*s", (int)(eq - optarg), optarg);
			push_str(a, c, tmp, eq + 1);
			break;
		case 'w': push_str(a, c, "process.cwd", optarg); break;
		case OPT_NETWORK: push_str(a, c, "network.mode", optarg); break;
		case 'p':
			{
				_cleanup_free_ char *q = nook_yaml_quote(optarg);
				_cleanup_free_ char *v = nook_asprintf("[%s]", q);
				push_kv(a, c, "network.ports", "+=", v);
			}
			break;
		case OPT_MEMORY: push_str(a, c, "resources.memory", optarg); break;
		case OPT_CPUS: push_str(a, c, "resources.cpus", optarg); break;
		case OPT_PIDS: push_str(a, c, "resources.pids", optarg); break;
		case OPT_CAP_ADD:
		case OPT_CAP_DROP: {
			_cleanup_free_ char *q = nook_yaml_quote(optarg);
			_cleanup_free_ char *v = nook_asprintf("[%s]", q);
			push_kv(a, c, c == OPT_CAP_ADD ? "security.capabilities.add" : "security.capabilities.drop", "+=", v);
			break;
		}
		case OPT_SECCOMP: push_str(a, c, "security.seccomp", optarg); break;
		case OPT_TIMEOUT: push_str(a, c, "process.timeout", optarg); break;
		case OPT_SET:
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				snprintf(errbuf, errlen, "--set '%s': expected KEY.PATH=VALUE", optarg);
				return -1;
			}
			push_override(a, nook_strdup(optarg), "");
			break;
		case OPT_NAME: push_str(a, c, "name", optarg); break;
		case OPT_STATS_JSON: free(a->stats_json); a->stats_json = nook_strdup(optarg); break;
		case OPT_VERBOSE: a->verbose++; break;
		case 't': push_kv(a, c, "process.tty", "=", "true"); break;
		case 'h': a->help = true; return 0;
		case ':':
			snprintf(errbuf, errlen, "option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			if (optopt && optopt < 256)
				snprintf(errbuf, errlen, "unknown option '-%c' (see nook help run)", optopt);
			else
				unknown_option(argv[optind - 1], errbuf, errlen);
			return -1;
		}
	}
	int i = optind;
	bool dashdash = i > 1 && strcmp(argv[i - 1], "--") == 0;
	if (!dashdash && i < argc && strcmp(argv[i], "--") != 0)
		a->profile = nook_strdup(argv[i++]);
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i < argc)
		a->command = nook_strv_copy(argv + i);
	return 0;
}

void nook_run_args_free(struct nook_run_args *a)
{
	free(a->profile);
	nook_strv_free(a->overrides);
	nook_strv_free(a->labels);
	nook_strv_free(a->command);
	free(a->stats_json);
	free(a->image);
	free(a->store);
	memset(a, 0, sizeof *a);
}

void nook_run_args_image(struct nook_run_args *a, const char *ref)
{
	if (ref) {
		free(a->image);
		a->image = nook_strdup(ref);
		push_str(a, OPT_IMAGE, "rootfs.image", ref);
	}
	/* first: the image's Entrypoint/Cmd, unless an override sets args */
	push_override(a, nook_strdup("process.args=[]"), "");
	size_t n = a->n_overrides;
	char *o = a->overrides[n - 1], *l = a->labels[n - 1];
	memmove(a->overrides + 1, a->overrides, (n - 1) * sizeof *a->overrides);
	memmove(a->labels + 1, a->labels, (n - 1) * sizeof *a->labels);
	a->overrides[0] = o;
	a->labels[0] = l;
}
