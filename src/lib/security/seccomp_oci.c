/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp_oci.c - read an OCI/Docker seccomp profile (JSON, read with
 * libyaml since JSON is YAML) into nook's rule list.
 *
 * Supported: defaultAction, defaultErrnoRet, architectures, archMap,
 * syscalls[].{names,name,action,errnoRet,args,includes,excludes} with
 * includes/excludes on caps, arches and minKernel. Unknown keys (comment,
 * defaultErrno, flags, ...) are ignored, as the runtimes do. Errors name
 * the file, line and column.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "nook/security.h"
#include "nook/cleanup.h"
#include "nook/util.h"

struct oci {
	const char *path;
	yaml_document_t *doc;
	uint64_t caps;
	int kmajor, kminor;
	struct nook_sc_filter *f;
	struct nook_error *err;
	bool listener;        /* the profile names a listenerPath (OCI) */
};

static int at(struct oci *o, yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int at(struct oci *o, yaml_node_t *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return nook_errx(o->err, EINVAL, "%s:%zu:%zu: %s", o->path,
			 n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0, msg);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *node(struct oci *o, int id)
{
	return yaml_document_get_node(o->doc, id);
}

/* Look up key in a mapping node. */
static yaml_node_t *get(struct oci *o, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(o, p->key));
		if (k && strcmp(k, key) == 0)
			return node(o, p->value);
	}
	return NULL;
}

static bool is_null(yaml_node_t *n)
{
	const char *s = scalar(n);
	return !n || (s && (strcmp(s, "null") == 0 || strcmp(s, "~") == 0) &&
		      n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
}

static int get_u64(struct oci *o, yaml_node_t *n, const char *what, uint64_t *out)
{
	const char *s = scalar(n);
	char *end;

	if (!s || !*s || *s == '-')
		return at(o, n, "%s must be a non-negative number", what);
	errno = 0;
	*out = strtoull(s, &end, 0);
	if (errno || *end)
		return at(o, n, "%s must be a non-negative number", what);
	return 0;
}

static int parse_action(struct oci *o, yaml_node_t *n, int errno_ret, uint32_t *out)
{
	const char *s = scalar(n);
	static const struct { const char *name; uint32_t act; } acts[] = {
		{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
		{ "SCMP_ACT_KILL", SCMP_ACT_KILL },
		{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
		{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
		{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
		{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
	};

	if (!s)
		return at(o, n, "the action must be a string such as SCMP_ACT_ERRNO");
	if (strcmp(s, "SCMP_ACT_ERRNO") == 0) {
		*out = SCMP_ACT_ERRNO(errno_ret);
		return 0;
	}
	if (strcmp(s, "SCMP_ACT_TRACE") == 0) {
		*out = SCMP_ACT_TRACE(errno_ret);
		return 0;
	}
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (strcmp(s, acts[i].name) == 0) {
			*out = acts[i].act;
			return 0;
		}
	if (strcmp(s, "SCMP_ACT_NOTIFY") == 0) {
		if (!o->listener)
			return at(o, n, "SCMP_ACT_NOTIFY needs a seccomp agent: give its socket in listenerPath, or use SCMP_ACT_ERRNO");
		*out = SCMP_ACT_NOTIFY;
		return 0;
	}
	return at(o, n, "unknown action '%s' (SCMP_ACT_ALLOW, _ERRNO, _KILL, _KILL_PROCESS, _TRAP, _LOG, _TRACE, _NOTIFY)", s);
}

static int parse_errno(struct oci *o, yaml_node_t *n, int dflt, int *out)
{
	uint64_t v;
	int r;

	if (is_null(n)) {
		*out = dflt;
		return 0;
	}
	r = get_u64(o, n, "errnoRet", &v);
	if (r < 0)
		return r;
	if (v == 0 || v > 4095)
		return at(o, n, "errnoRet must be between 1 and 4095");
	*out = (int)v;
	return 0;
}

static uint32_t arch_from_name(const char *s)
{
	char buf[32];
	size_t i;

	if (strncasecmp(s, "SCMP_ARCH_", 10) == 0)
		s += 10;
	for (i = 0; s[i] && i + 1 < sizeof(buf); i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	buf[i] = 0;
	return seccomp_arch_resolve_name(buf);
}

static void add_arch(struct nook_sc_filter *f, uint32_t a)
{
	for (size_t i = 0; i < f->n_arches; i++)
		if (f->arches[i] == a)
			return;
	if (f->n_arches < sizeof(f->arches) / sizeof(f->arches[0]))
		f->arches[f->n_arches++] = a;
}

static int parse_arches(struct oci *o, yaml_node_t *root)
{
	yaml_node_t *list = get(o, root, "architectures");
	yaml_node_t *map = get(o, root, "archMap");
	uint32_t native = seccomp_arch_native();

	o->f->n_arches = 0;
	if (list && list->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
			yaml_node_t *n = node(o, *it);
			const char *s = scalar(n);
			uint32_t a = s ? arch_from_name(s) : 0;
			if (!a)
				return at(o, n, "unknown architecture '%s'", s ? s : "?");
			/* only the arches this kernel can run matter */
			if (a == native || a == SCMP_ARCH_X86 || a == SCMP_ARCH_X32)
				add_arch(o->f, a);
		}
	}
	if (map && map->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = map->data.sequence.items.start; it < map->data.sequence.items.top; it++) {
			yaml_node_t *e = node(o, *it);
			const char *s = scalar(get(o, e, "architecture"));
			yaml_node_t *subs = get(o, e, "subArchitectures");

			if (!s || arch_from_name(s) != native)
				continue;
			add_arch(o->f, native);
			if (!subs || subs->type != YAML_SEQUENCE_NODE)
				continue;
			for (yaml_node_item_t *j = subs->data.sequence.items.start; j < subs->data.sequence.items.top; j++) {
				const char *sub = scalar(node(o, *j));
				uint32_t a = sub ? arch_from_name(sub) : 0;
				if (!a)
					return at(o, node(o, *j), "unknown architecture '%s'", sub ? sub : "?");
				add_arch(o->f, a);
			}
		}
	}
	if (o->f->n_arches == 0)
		add_arch(o->f, native);
	return 0;
}

/* Docker's arch names in includes/excludes ("amd64", "x32", "x86"...):
 * does one of them name the machine we run on? */
static bool arch_list_matches(struct oci *o, yaml_node_t *list)
{
	if (!list || list->type != YAML_SEQUENCE_NODE)
		return false;
	for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		const char *s = scalar(node(o, *it));
		if (s && (strcmp(s, "amd64") == 0 || strcmp(s, "x86_64") == 0 ||
			  strcmp(s, "SCMP_ARCH_X86_64") == 0))
			return true;
	}
	return false;
}

/* 1: every cap in list is held (want_all) / 1: none is held (!want_all) */
static int caps_match(struct oci *o, yaml_node_t *list, bool want_all, bool *match)
{
	*match = true;
	if (!list || list->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		yaml_node_t *n = node(o, *it);
		const char *s = scalar(n);
		int c = s ? nook_cap_from_name(s) : -1;
		bool held;

		if (c < 0)
			return at(o, n, "unknown capability '%s'", s ? s : "?");
		held = (o->caps & NOOK_CAP_BIT(c)) != 0;
		if (want_all && !held)
			*match = false;
		if (!want_all && held)
			*match = false;
	}
	return 0;
}

static int rule_applies(struct oci *o, yaml_node_t *rule, bool *applies)
{
	yaml_node_t *inc = get(o, rule, "includes"), *exc = get(o, rule, "excludes");
	yaml_node_t *mk = get(o, inc, "minKernel");
	bool m;
	int r;

	*applies = true;
	yaml_node_t *ia = get(o, inc, "arches");
	if (ia && ia->type == YAML_SEQUENCE_NODE &&
	    ia->data.sequence.items.top != ia->data.sequence.items.start && !arch_list_matches(o, ia))
		*applies = false;
	if (arch_list_matches(o, get(o, exc, "arches")))
		*applies = false;
	r = caps_match(o, get(o, inc, "caps"), true, &m);
	if (r < 0)
		return r;
	if (!m)
		*applies = false;
	r = caps_match(o, get(o, exc, "caps"), false, &m);
	if (r < 0)
		return r;
	if (!m)
		*applies = false;
	if (scalar(mk) && *scalar(mk)) {
		int maj = 0, min = 0;
		if (sscanf(scalar(mk), "%d.%d", &maj, &min) < 1)
			return at(o, mk, "minKernel '%s' is not a version like 4.8", scalar(mk));
		if (o->kmajor < maj || (o->kmajor == maj && o->kminor < min))
			*applies = false;
	}
	return 0;
}

static int parse_op(struct oci *o, yaml_node_t *n, enum scmp_compare *op)
{
	static const struct { const char *name; enum scmp_compare op; } ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	const char *s = scalar(n);

	for (size_t i = 0; s && i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(s, ops[i].name) == 0) {
			*op = ops[i].op;
			return 0;
		}
	return at(o, n, "unknown comparison '%s' (SCMP_CMP_EQ, _NE, _LT, _LE, _GT, _GE, _MASKED_EQ)",
		  s ? s : "?");
}

static int parse_args(struct oci *o, yaml_node_t *list, struct scmp_arg_cmp *args, unsigned *n)
{
	*n = 0;
	if (is_null(list))
		return 0;
	if (list->type != YAML_SEQUENCE_NODE)
		return at(o, list, "args must be a list");
	for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
		yaml_node_t *a = node(o, *it);
		uint64_t idx, v = 0, v2 = 0;
		enum scmp_compare op = SCMP_CMP_EQ;
		int r;

		if (*n >= NOOK_SC_MAX_ARGS)
			return at(o, a, "too many argument comparisons");
		if ((r = get_u64(o, get(o, a, "index"), "index", &idx)) < 0)
			return r;
		if (idx > 5)
			return at(o, get(o, a, "index"), "index must be 0-5");
		if ((r = get_u64(o, get(o, a, "value"), "value", &v)) < 0)
			return r;
		if (get(o, a, "valueTwo") && (r = get_u64(o, get(o, a, "valueTwo"), "valueTwo", &v2)) < 0)
			return r;
		if ((r = parse_op(o, get(o, a, "op"), &op)) < 0)
			return r;
		args[*n] = (struct scmp_arg_cmp){ .arg = (unsigned)idx, .op = op, .datum_a = v, .datum_b = v2 };
		(*n)++;
	}
	return 0;
}

static int parse_rule(struct oci *o, yaml_node_t *rule)
{
	yaml_node_t *names = get(o, rule, "names"), *name = get(o, rule, "name");
	struct scmp_arg_cmp args[NOOK_SC_MAX_ARGS];
	unsigned n_args;
	uint32_t action;
	bool applies;
	int eno, r;

	if (!rule || rule->type != YAML_MAPPING_NODE)
		return at(o, rule, "each entry of syscalls must be a mapping");
	if ((r = rule_applies(o, rule, &applies)) < 0 || !applies)
		return r;
	if ((r = parse_errno(o, get(o, rule, "errnoRet"), EPERM, &eno)) < 0)
		return r;
	if (!get(o, rule, "action"))
		return at(o, rule, "this rule has no action");
	if ((r = parse_action(o, get(o, rule, "action"), eno, &action)) < 0)
		return r;
	if ((r = parse_args(o, get(o, rule, "args"), args, &n_args)) < 0)
		return r;

	if (scalar(name))
		nook_sc_filter_add(o->f, scalar(name), action, n_args, args);
	if (!names && !scalar(name))
		return at(o, rule, "this rule names no syscall (names: [...])");
	if (names && names->type != YAML_SEQUENCE_NODE)
		return at(o, names, "names must be a list of syscall names");
	for (yaml_node_item_t *it = names ? names->data.sequence.items.start : NULL;
	     names && it < names->data.sequence.items.top; it++) {
		const char *s = scalar(node(o, *it));
		if (!s)
			return at(o, node(o, *it), "a syscall name must be a string");
		nook_sc_filter_add(o->f, s, action, n_args, args);
	}
	return 0;
}

int nook_sc_load_oci(const char *path, uint64_t caps, int kernel_major, int kernel_minor,
		     struct nook_sc_filter *f, struct nook_error *err)
{
	int fd = nook_open_regular(AT_FDCWD, path);
	_cleanup_fclose_ FILE *fp = fd >= 0 ? fdopen(fd, "re") : NULL;
	yaml_parser_t parser;
	yaml_document_t doc;
	struct oci o = { .path = path, .doc = &doc, .caps = caps, .kmajor = kernel_major,
			 .kminor = kernel_minor, .f = f, .err = err };
	yaml_node_t *root, *list;
	int r = 0, deno;
	uint32_t dact;

	if (!fp) {
		int e = fd < 0 ? -fd : errno;
		if (fd >= 0)
			close(fd);
		return nook_errx(err, e, "seccomp profile %s: %s", path, nook_file_strerror(e));
	}
	if (!yaml_parser_initialize(&parser))
		return nook_errx(err, ENOMEM, "cannot initialize the YAML parser");
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &doc)) {
		r = nook_errx(err, EINVAL, "%s:%zu:%zu: not valid JSON/YAML: %s", path,
			      parser.problem_mark.line + 1, parser.problem_mark.column + 1,
			      parser.problem ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		return r;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		r = nook_errx(err, EINVAL, "%s: a seccomp profile must be a JSON object with defaultAction and syscalls", path);
		goto out;
	}
	o.listener = get(&o, root, "listenerPath") != NULL;
	if (!get(&o, root, "defaultAction")) {
		r = at(&o, root, "the profile has no defaultAction");
		goto out;
	}
	if ((r = parse_errno(&o, get(&o, root, "defaultErrnoRet"), EPERM, &deno)) < 0)
		goto out;
	if ((r = parse_action(&o, get(&o, root, "defaultAction"), deno, &dact)) < 0)
		goto out;
	nook_sc_filter_free(f);
	f->default_action = dact;
	f->personality_guard = false;
	if ((r = parse_arches(&o, root)) < 0)
		goto out;
	list = get(&o, root, "syscalls");
	if (list && !is_null(list)) {
		if (list->type != YAML_SEQUENCE_NODE) {
			r = at(&o, list, "syscalls must be a list");
			goto out;
		}
		for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++)
			if ((r = parse_rule(&o, node(&o, *it))) < 0)
				goto out;
	}
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}
