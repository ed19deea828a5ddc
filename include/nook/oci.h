/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oci.h - nook as an OCI runtime: an OCI bundle's config.json read into
 * nook's spec (config.c), the runtime's state directory (record.c), hooks
 * (hooks.c) and the operations of the OCI command line (runtime.c). The
 * CLI (src/cli/cmd_oci.c) parses argv and prints; everything else is here.
 *
 * Errors: every function fills err; err->exit_status is 1, as runc and
 * crun exit on a runtime error, unless the caller asks for nook's 125. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>
#include "nook/error.h"
#include "nook/spec.h"

struct json_object;

enum nook_oci_hook_kind {
	NOOK_HOOK_PRESTART = 0,
	NOOK_HOOK_CREATE_RUNTIME,
	NOOK_HOOK_CREATE_CONTAINER,
	NOOK_HOOK_START_CONTAINER,
	NOOK_HOOK_POSTSTART,
	NOOK_HOOK_POSTSTOP,
	NOOK_HOOK_N,
};

struct nook_oci_hook {
	char *path;
	char **args;     /* may be NULL: then argv is { path } */
	char **env;      /* may be NULL: an empty environment */
	int timeout_s;   /* 0 = none */
};

/* A config.json read and translated. */
struct nook_oci_config {
	struct nook_spec spec;
	char *bundle;                     /* absolute */
	char *annotations_json;           /* the "annotations" object as JSON, or "{}" */
	struct nook_oci_hook *hooks[NOOK_HOOK_N];
	size_t n_hooks[NOOK_HOOK_N];
	char *seccomp_json;               /* linux.seccomp as JSON, or NULL */
	char *seccomp_listener;           /* linux.seccomp.listenerPath, or NULL */
	char *seccomp_metadata;           /* linux.seccomp.listenerMetadata, or NULL */
	int oom_score_adj;                /* INT32_MIN = unset */
	bool has_resources;               /* linux.resources sets a limit */
	char *cgroups_path;               /* linux.cgroupsPath, relative, or NULL */
	char *file;                       /* the config file, as messages name it */
	/* linux.namespaces[].path: namespaces create joins (setns) before
	 * the container is cloned, which then inherits them (CLONE_NEW* flag;
	 * index: the entry in linux.namespaces); a mount namespace is also
	 * spec.join_mnt_ns, which the container's init enters */
	struct { unsigned long flag; char *path; unsigned index; } join[8];
	size_t n_join;
	bool user_ns;                     /* linux.namespaces has a "user" entry */
	char userns_note[256];            /* how the user namespace was decided, for --debug */
	char notes[512];                  /* keys accepted but not applied, for --debug */
};

/* Read BUNDLE/CONFIG (config NULL = "config.json") into c. Keys nook
 * cannot honour fail with a message naming the key. */
int nook_oci_config_load(const char *bundle, const char *config, struct nook_oci_config *c,
			 struct nook_error *err);
/* Open join[i].path and check that it is a namespace of its type (nsfs,
 * NS_GET_NSTYPE): the fd, or -errno with err naming the key and path. */
int nook_oci_ns_open(const struct nook_oci_config *c, size_t i, struct nook_error *err);
/* The "process" object of a config or of `exec --process FILE` into s
 * (argv, env, cwd, user, terminal, rlimits, capabilities, noNewPrivileges).
 * where names the file for messages. */
int nook_oci_process_apply(struct json_object *process, const char *where, struct nook_spec *s,
			   struct nook_error *err);
void nook_oci_config_free(struct nook_oci_config *c);
/* A linux.resources object (config.json, or `update -r FILE`) into s's
 * resource fields, OCI v1-style values converted to cgroup v2 ones
 * (cpu.shares to cpu.weight, blockIO.weight to io.weight, memory.swap as
 * memory+swap to swap alone). */
int nook_oci_resources_apply(struct json_object *r, const char *file, struct nook_spec *s, struct nook_error *err);
/* HOME, when process.env has none: the user's home in the root's
 * /etc/passwd, else "/" (as runc and crun set it). */
void nook_oci_default_home(struct nook_spec *s);
/* Hook kinds by their config.json names ("prestart", ...). */
const char *nook_oci_hook_name(enum nook_oci_hook_kind k);
/* RLIMIT_ number of "RLIMIT_NOFILE" or similar, or -1. */
int nook_oci_rlimit_from_name(const char *name);
const char *nook_oci_rlimit_name(int resource);
/* (emit.c) A resolved spec as config.json (`nook profile show --oci`);
 * keys without an OCI form are refused (err) or, where nothing changes
 * meaning, named in the annotation org.nook.not-in-config. */
int nook_oci_emit_config(const struct nook_spec *s, FILE *out, struct nook_error *err);

/* ---- record.c: the runtime's state directory --------------------------- */

#define NOOK_OCI_ID_MAX 1024

enum nook_oci_status {
	NOOK_OCI_CREATING = 0,
	NOOK_OCI_CREATED,
	NOOK_OCI_RUNNING,
	NOOK_OCI_STOPPED,
	NOOK_OCI_PAUSED,
};

struct nook_oci_state {
	char id[NOOK_OCI_ID_MAX + 1];
	char dir[4096];                  /* ROOT/ID */
	char bundle[4096];
	pid_t pid;                       /* the container's init (host pid), 0 before created */
	unsigned long long pid_start;    /* its /proc start time, against pid reuse */
	long long created;               /* CLOCK_REALTIME seconds */
	char *annotations_json;          /* owned */
	bool created_done;               /* create finished (hooks, pid file) */
	pid_t creator;                   /* the create process, while it creates */
	char cgroup[4096];               /* the container's cgroup leaf (absolute), or "" */
	enum nook_oci_status status;     /* computed by nook_oci_state_read */
};

/* The state root: opts_root, else $XDG_RUNTIME_DIR/nook-oci, else
 * /tmp/nook-oci-UID; created 0700 when create. */
int nook_oci_root(const char *opts_root, bool create, char *out, size_t size, struct nook_error *err);
bool nook_oci_id_valid(const char *id);
/* Make ROOT/ID (fails if it exists: "container ID already exists"). */
int nook_oci_state_create(const char *root, const char *id, struct nook_oci_state *st, struct nook_error *err);
/* Write ROOT/ID/state.json (atomically). */
int nook_oci_state_write(const struct nook_oci_state *st, struct nook_error *err);
/* Read ROOT/ID/state.json and work out the status. -ENOENT: no such container. */
int nook_oci_state_read(const char *root, const char *id, struct nook_oci_state *st, struct nook_error *err);
/* The state as the runtime spec's JSON (a new string). */
char *nook_oci_state_json(const struct nook_oci_state *st, bool pretty);
const char *nook_oci_status_name(enum nook_oci_status s);
/* Remove ROOT/ID and what is in it, and the container's cgroup leaf. */
void nook_oci_state_remove(const struct nook_oci_state *st);
void nook_oci_state_free(struct nook_oci_state *st);
/* The ids under root, sorted (nook_strv_free). */
int nook_oci_state_ids(const char *root, char ***ids, struct nook_error *err);

/* ---- hooks.c ------------------------------------------------------------ */

/* Run the hooks of one kind in order, each with the state JSON on its
 * stdin; the first failure (non-zero status, signal, timeout) stops them
 * and fills err naming the hook. */
int nook_oci_hooks_run(const struct nook_oci_config *c, enum nook_oci_hook_kind k, const char *state_json,
		       struct nook_error *err);

/* ---- runtime.c: the operations of the command line ---------------------- */

struct nook_oci_opts {
	const char *root;       /* --root, or NULL */
	bool debug;
	bool systemd_cgroup;
};

struct nook_oci_create {
	const char *id;
	const char *bundle;          /* NULL = the working directory */
	const char *config;          /* NULL = config.json */
	const char *pid_file;
	const char *console_socket;
	unsigned preserve_fds;
	bool no_pivot, no_new_keyring;
	bool detach;                 /* run: do not wait for the container */
	bool keep;                   /* run: keep the state after it exits */
	bool foreground;             /* create without daemonizing (run uses it) */
};

int nook_oci_do_create(const struct nook_oci_opts *o, const struct nook_oci_create *c, struct nook_error *err);
int nook_oci_do_start(const struct nook_oci_opts *o, const char *id, struct nook_error *err);
/* run = create + start; without detach, waits and returns the exit code in *exit_code. */
int nook_oci_do_run(const struct nook_oci_opts *o, const struct nook_oci_create *c, int *exit_code,
		    struct nook_error *err);
int nook_oci_do_kill(const struct nook_oci_opts *o, const char *id, int sig, bool all, struct nook_error *err);
int nook_oci_do_delete(const struct nook_oci_opts *o, const char *id, bool force, struct nook_error *err);
/* The state JSON of id (a new string). */
int nook_oci_do_state(const struct nook_oci_opts *o, const char *id, char **json, struct nook_error *err);
/* Host pids of the processes in the container (pid namespace of its init). */
int nook_oci_do_ps(const struct nook_oci_opts *o, const char *id, pid_t **pids, size_t *n, struct nook_error *err);

struct nook_oci_exec {
	const char *id;
	const char *process_file;    /* --process, or NULL */
	char *const *argv;           /* else the command */
	char *const *env;            /* --env additions */
	const char *cwd;
	const char *user;            /* "UID[:GID]" */
	char *const *caps;           /* --cap additions */
	bool tty, detach, no_new_privs;
	const char *console_socket;
	const char *pid_file;
	unsigned preserve_fds;
};
int nook_oci_do_exec(const struct nook_oci_opts *o, const struct nook_oci_exec *x, int *exit_code,
		     struct nook_error *err);
int nook_oci_do_pause(const struct nook_oci_opts *o, const char *id, bool pause, struct nook_error *err);
/* (listener.c) Hand the seccomp listener fd of the container whose init
 * is pid to the agent at cfg->seccomp_listener, with the container
 * process state (state_json: the container's state). */
int nook_oci_seccomp_send(const struct nook_oci_config *cfg, int fd, pid_t pid, const char *state_json,
			  struct nook_error *err);
/* (update.c) `update`: a linux.resources file and runc's resource
 * options ("--memory", "512M"), as the command line gave them. */
struct nook_oci_update {
	const char *resources_file;       /* linux.resources JSON; "-" = stdin; or NULL */
	const char *const *opts;          /* [n] option names, "--memory" ... */
	const char *const *values;        /* [n] their values, "512M" ... */
	size_t n;
};
/* The i-th resource option update knows ("--memory", ...), NULL past the
 * last: the command line takes a value after each. */
const char *nook_oci_update_option(size_t i);
/* The options of u as one linux.resources object (a new reference); a
 * bad value or unknown option fails naming it. */
int nook_oci_update_resources(const struct nook_oci_update *u, struct json_object **out, struct nook_error *err);
/* Write new limits into the container's cgroup leaf: u's file, then its
 * options, which win. */
int nook_oci_do_update(const struct nook_oci_opts *o, const char *id, const struct nook_oci_update *u,
		       struct nook_error *err);
/* `features`: a new JSON string. */
char *nook_oci_features_json(void);
/* `spec`: write a rootless config.json into bundle (NULL = cwd). */
int nook_oci_write_spec(const char *bundle, bool rootless, struct nook_error *err);
