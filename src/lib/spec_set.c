/* spec_set.c - INTERIM: apply the core command-line overrides to a spec.
 * The profile loader (profile.h) replaces this with its key table; until
 * then `nook run` understands the core keys only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/spec.h"
#include "nook/util.h"

static yaml_node_t *load(yaml_document_t *doc, const char *text)
{
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	int ok = yaml_parser_load(&p, doc);
	yaml_parser_delete(&p);
	if (!ok)
		return NULL;
	return yaml_document_get_root_node(doc);
}

static char *scalar(yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return nook_strdup((const char *)n->data.scalar.value);
}

static int set_mount(struct nook_spec *s, yaml_document_t *doc, yaml_node_t *n, struct nook_error *err)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return nook_errx(err, EINVAL, "mounts: expected a mapping");
	struct nook_mount *m = nook_spec_add_mount(s);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		_cleanup_free_ char *k = scalar(yaml_document_get_node(doc, p->key));
		_cleanup_free_ char *v = scalar(yaml_document_get_node(doc, p->value));
		if (!k || !v)
			return nook_errx(err, EINVAL, "mounts: bad entry");
		if (!strcmp(k, "type")) {
			if (!strcmp(v, "bind")) m->type = NOOK_MOUNT_BIND;
			else if (!strcmp(v, "ro-bind")) m->type = NOOK_MOUNT_RO_BIND;
			else if (!strcmp(v, "tmpfs")) m->type = NOOK_MOUNT_TMPFS;
			else return nook_errx(err, EINVAL, "mounts: unknown type '%s'", v);
		} else if (!strcmp(k, "source")) {
			m->source = TAKE_PTR(v);
		} else if (!strcmp(k, "target")) {
			m->target = TAKE_PTR(v);
		} else if (!strcmp(k, "size")) {
			m->size = strtoull(v, NULL, 10);
		} else if (!strcmp(k, "mode")) {
			m->mode = (int)strtol(v, NULL, 8);
		}
	}
	return 0;
}

static void env_set(struct nook_spec *s, const char *name, const char *val)
{
	size_t n = strlen(name);
	for (size_t i = 0; s->env && s->env[i]; i++)
		if (!strncmp(s->env[i], name, n) && s->env[i][n] == '=') {
			free(s->env[i]);
			s->env[i] = nook_asprintf("%s=%s", name, val);
			return;
		}
	_cleanup_free_ char *kv = nook_asprintf("%s=%s", name, val);
	nook_strv_push(&s->env, kv);
}

int nook_spec_apply_overrides(struct nook_spec *s, char *const *ov, struct nook_error *err)
{
	for (size_t i = 0; ov && ov[i]; i++) {
		const char *eq = strchr(ov[i], '=');
		bool append = eq > ov[i] && eq[-1] == '+';
		_cleanup_free_ char *key = nook_asprintf("%.*s", (int)(eq - ov[i] - append), ov[i]);
		yaml_document_t doc;
		yaml_node_t *root = load(&doc, eq + 1);
		if (!root)
			return nook_errx(err, EINVAL, "--set %s: not a valid YAML value", ov[i]);
		_cleanup_free_ char *v = scalar(root);
		int r = 0;
		if (!strcmp(key, "hostname") && v)
			free(s->hostname), s->hostname = TAKE_PTR(v);
		else if (!strcmp(key, "rootfs.path") && v) {
			free(s->rootfs.path);
			s->rootfs.path = nook_path_normalize(v);
			s->rootfs.kind = NOOK_ROOTFS_DIR;
			if (!s->rootfs.path)
				r = nook_errx(err, EINVAL, "--rootfs %s: the path must be absolute", v);
		} else if (!strcmp(key, "user.mode") && v) {
			s->userns = !strcmp(v, "self") ? NOOK_USERNS_SELF : !strcmp(v, "subuid") ? NOOK_USERNS_SUBUID : NOOK_USERNS_AUTO;
		} else if (!strcmp(key, "user.uid") && v)
			s->uid = (uid_t)strtoul(v, NULL, 10);
		else if (!strcmp(key, "user.gid") && v)
			s->gid = (gid_t)strtoul(v, NULL, 10);
		else if (!strcmp(key, "process.tty") && v)
			s->tty = !strcmp(v, "true");
		else if (!strcmp(key, "process.cwd") && v)
			free(s->cwd), s->cwd = TAKE_PTR(v);
		else if (!strncmp(key, "process.env.set.", 16) && v)
			env_set(s, key + 16, v);
		else if (!strcmp(key, "process.timeout") && v)
			s->timeout_ms = strtoull(v, NULL, 10) * 1000;
		else if (!strcmp(key, "mounts") && append)
			r = set_mount(s, &doc, root, err);
		else
			r = nook_errx(err, ENOTSUP, "%s: not supported yet", key);
		yaml_document_delete(&doc);
		if (r < 0)
			return r;
	}
	return 0;
}
