/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spec.h - the resolved container specification.
 *
 * The spec is plain data: everything expanded, paths absolute, sizes in
 * bytes, defaults applied. The profile loader (profile.h) and the command
 * line fill it; spawn.h executes it. Nothing below spawn reads YAML or argv.
 *
 * Conventions: a "tri-state" int is -1 for unset, 0 false, 1 true; numeric
 * limits use 0 for "unset / no limit" unless noted; strings may be NULL.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum nook_userns_mode {
	NOOK_USERNS_AUTO = 0, /* subuid if the caller has a range and newuidmap exists */
	NOOK_USERNS_SELF,     /* write uid_map/gid_map directly, one id */
	NOOK_USERNS_SUBUID,   /* newuidmap/newgidmap with the subordinate ranges */
	NOOK_USERNS_PARENT,   /* the explicit maps, written by nook itself: it holds
			       * CAP_SETUID/CAP_SETGID over its own user namespace
			       * (root inside an engine's, such as rootless podman's) */
	NOOK_USERNS_NONE,     /* no user namespace of its own: the container stays
			       * in nook's (an OCI config that asks for none, run
			       * by uid 0 with CAP_SYS_ADMIN there: rootless
			       * podman's runtime, or one that joined a user
			       * namespace by path). Never chosen by a profile. */
};

/* One line of a uid_map/gid_map: inside, outside, count. */
struct nook_idmap {
	unsigned long inside, outside, count;
};

enum nook_mount_type {
	NOOK_MOUNT_BIND = 0,
	NOOK_MOUNT_RO_BIND,
	NOOK_MOUNT_DEV_BIND,
	NOOK_MOUNT_TMPFS,
	NOOK_MOUNT_PROC,
	NOOK_MOUNT_DIR,
	NOOK_MOUNT_SYMLINK,
	NOOK_MOUNT_FILE, /* a file with the given content */
	NOOK_MOUNT_FS,   /* a kernel filesystem of type fstype (OCI mounts: sysfs,
			  * mqueue, devpts, cgroup2, proc elsewhere, ...) */
};

struct nook_mount {
	enum nook_mount_type type;
	char *source;   /* host path (bind kinds), link target (symlink) */
	char *target;   /* absolute path inside the container */
	char *content;  /* NOOK_MOUNT_FILE */
	char *options;  /* extra fs options (tmpfs), comma separated, may be NULL */
	uint64_t size;  /* tmpfs size in bytes, 0 = kernel default */
	int mode;       /* -1 unset, else permission bits for dir/tmpfs/file */
	bool readonly;
	bool optional;  /* a missing source is skipped silently */
	bool copyup;    /* tmpfs: starts with a copy of what it hides (OCI tmpcopyup) */
	char *fstype;   /* NOOK_MOUNT_FS */
	unsigned long flags; /* extra MS_NOSUID/MS_NODEV/MS_NOEXEC/MS_RDONLY (OCI options) */
	unsigned long propagation; /* bind kinds: MS_SHARED, MS_SLAVE, MS_PRIVATE or
				    * MS_UNBINDABLE, | MS_REC for its whole tree (OCI
				    * "rshared" and the like), set once it is in place;
				    * 0 = as the kernel makes a bind (private) */
};

enum nook_rootfs_kind {
	NOOK_ROOTFS_HOST = 0, /* host / bound read-only, private /tmp */
	NOOK_ROOTFS_DIR,      /* a directory becomes / */
	NOOK_ROOTFS_OVERLAY,  /* lower dirs + upper (or tmpfs upper) */
	NOOK_ROOTFS_EMPTY,    /* an empty tmpfs; the mounts list fills it */
};

struct nook_rootfs {
	enum nook_rootfs_kind kind;
	char *path;          /* NOOK_ROOTFS_DIR */
	char *image;         /* an image of the store (image.h): its layers become
			      * the overlay's lower list when the container starts */
	bool readonly;       /* remount the root read-only */
	bool late_readonly;  /* only after the mounts, so that their mount points
			      * may be created in it (OCI runtimes do so) */
	char **lower;        /* overlay lower dirs (NULL-terminated) */
	char *upper;         /* overlay upper dir; NULL = tmpfs (writes discarded) */
	char *work;          /* overlay work dir; NULL = next to upper */
	char *overlay_driver; /* "kernel", "fuse" or NULL (auto) */
	unsigned long propagation; /* of the container's mounts once its root is in
				    * place (OCI rootfsPropagation): MS_* as in
				    * nook_mount; 0 = as nook makes them (slaves of
				    * the host's, which never propagate back) */
};

enum nook_seccomp_mode {
	NOOK_SECCOMP_DEFAULT = 0, /* built-in filter */
	NOOK_SECCOMP_UNCONFINED,
	NOOK_SECCOMP_FILE,        /* OCI/Docker JSON profile */
};

enum nook_seccomp_action {
	NOOK_SCMP_ALLOW = 0,
	NOOK_SCMP_ERRNO,
	NOOK_SCMP_KILL,
	NOOK_SCMP_LOG,
	NOOK_SCMP_TRAP,
};

enum nook_scmp_op {
	NOOK_SCMP_OP_EQ = 0, NOOK_SCMP_OP_NE, NOOK_SCMP_OP_LT, NOOK_SCMP_OP_LE,
	NOOK_SCMP_OP_GT, NOOK_SCMP_OP_GE, NOOK_SCMP_OP_MASKED_EQ,
};

struct nook_seccomp_arg {
	unsigned index;
	enum nook_scmp_op op;
	uint64_t value, value2;
};

struct nook_seccomp_rule {
	char **names;             /* syscall names */
	enum nook_seccomp_action action;
	int errno_ret;            /* for NOOK_SCMP_ERRNO; 0 = EPERM */
	struct nook_seccomp_arg *args;
	size_t n_args;
};

struct nook_rlimit {
	int resource;     /* RLIMIT_* */
	uint64_t soft, hard; /* UINT64_MAX = unlimited */
};

/* A program the container's init runs (OCI startContainer hooks). */
struct nook_hook {
	char *path;
	char **argv;     /* NULL: { path } */
	char **env;      /* NULL: the init's environment */
	unsigned timeout_s;
};

struct nook_port {
	char *host_addr;  /* default 127.0.0.1 */
	unsigned host_port, container_port;
	bool udp;
};

/* security.landlock.scope (Landlock ABI 6): what the payload may not
 * reach outside its own Landlock domain */
#define NOOK_LL_SCOPE_ABSTRACT_UNIX (1 << 0) /* abstract unix sockets */
#define NOOK_LL_SCOPE_SIGNAL        (1 << 1) /* signals */
#define NOOK_LL_SCOPE_AUTO          (-1)     /* each where no namespace isolates it */

/* wayland.security_context: whether the compositor's socket is reached
 * through a wp_security_context_v1 listener of nook's own */
enum nook_wl_secctx {
	NOOK_WL_SECCTX_AUTO = 0, /* when the compositor offers it */
	NOOK_WL_SECCTX_REQUIRED, /* or fail */
	NOOK_WL_SECCTX_OFF,      /* bind the compositor's socket as it is */
};

enum nook_net_mode {
	NOOK_NET_NONE = 0,
	NOOK_NET_HOST,
	NOOK_NET_SLIRP,
	NOOK_NET_PASTA,
};

/* One message bus seen through xdg-dbus-proxy (desktop/): the names the
 * sandbox may talk to, own and see, and the call/broadcast rules
 * ("NAME=[METHOD][@PATH]"). All NULL: the bus is not proxied (and never
 * bound); any list set, even empty, turns the proxy on for it. */
struct nook_dbus_bus {
	char **talk, **own, **see, **call, **broadcast;
};

struct nook_spec {
	/* namespaces: CLONE_NEW* flags to create (CLONE_NEWUSER always,
	 * unless userns is NOOK_USERNS_NONE) */
	unsigned long ns_flags;
	/* a mount namespace the container starts from (OCI linux.namespaces
	 * "mount" with a path): the init enters it and builds its root in a
	 * copy of it of its own, so the joined one is left as it was; NULL:
	 * a copy of nook's */
	char *join_mnt_ns;
	/* a pid namespace the container's init is cloned into (OCI "pid"
	 * with a path), or NULL: a new one (CLONE_NEWPID) or nook's */
	char *join_pid_ns;

	/* user namespace */
	enum nook_userns_mode userns;
	uid_t uid;                 /* id the payload runs as inside */
	gid_t gid;
	bool user_set;             /* the profile or command line gave uid or gid */
	struct nook_idmap *uid_maps; size_t n_uid_maps; /* explicit maps, optional */
	struct nook_idmap *gid_maps; size_t n_gid_maps;

	char *hostname;            /* NULL = keep "nook" default */
	struct nook_rootfs rootfs;
	struct nook_mount *mounts; size_t n_mounts; /* applied in order */

	/* process */
	char **argv;               /* NULL-terminated */
	char **env;                /* final environment, NULL-terminated */
	char **env_set_names;      /* the names process.env.set gave (an image's Env
				    * replaces the others: kept host values, the default PATH) */
	char *cwd;                 /* NULL = "/" (or $HOME if bound) */
	bool init;                 /* nook's reaper is PID 1 (default true) */
	bool new_session;          /* setsid (default true) */
	bool die_with_parent;      /* default true */
	bool tty;                  /* allocate a pty for the payload */
	uint64_t timeout_ms;       /* 0 = none */
	int *pass_fds; size_t n_pass_fds; /* extra fds kept open at execve */

	/* security */
	char **cap_add;            /* names like "NET_ADMIN" or "ALL" */
	char **cap_drop;
	char **cap_ambient;
	char **cap_inheritable;    /* NULL: the ambient set (OCI configs name one) */
	bool no_new_privs;         /* default true */
	enum nook_seccomp_mode seccomp;
	char *seccomp_file;
	int seccomp_default_errno; /* default EPERM */
	bool allow_nested_userns;
	bool seccomp_listener;     /* OCI listenerPath: the init loads the filter with a
				    * user-notification listener before it reports ready,
				    * and hands it over (nook_result.seccomp_fd) */
	struct nook_seccomp_rule *seccomp_rules; size_t n_seccomp_rules;
	char **landlock_read, **landlock_write, **landlock_execute;
	bool landlock_enabled, landlock_required;
	int landlock_scope;        /* NOOK_LL_SCOPE_* bits, or NOOK_LL_SCOPE_AUTO (default) */
	char **masked_paths;       /* defaults + profile additions */
	char **readonly_paths;
	struct nook_rlimit *rlimits; size_t n_rlimits;
	bool minimal_dev;          /* only the standard device nodes (default); false: the host's /dev */
	bool cgroup_writable;      /* /sys/fs/cgroup writable (delegated) */

	/* resources (cgroup v2) */
	uint64_t memory, memory_swap;  /* bytes, 0 = unset; memory_swap UINT64_MAX = unlimited */
	uint64_t memory_low;           /* memory.low (OCI memory.reservation), 0 = unset */
	uint64_t cpu_quota_us, cpu_period_us; /* from cpus */
	uint64_t cpu_weight, io_weight;
	uint64_t pids;
	char *cpuset_cpus, *cpuset_mems;
	bool resources_required;   /* default true */
	char *stats_json;          /* write stats to this file */
	/* OCI runtime: the leaf's path relative to the delegated base (set =
	 * a leaf is made even without limits, when possible, and a detached
	 * spawn leaves it in place); cgroup_oci_keys: messages name
	 * linux.resources keys instead of nook's */
	char *cgroup_leaf;
	bool cgroup_oci_keys;

	/* network */
	enum nook_net_mode net;
	struct nook_port *ports; size_t n_ports;
	bool allow_host_loopback;
	unsigned mtu;              /* 0 = 65520 */

	/* desktop (src/lib/desktop) */
	char *app_id;              /* reverse-DNS application id, owned on the session bus */
	struct nook_dbus_bus dbus_session, dbus_system;
	bool dbus_log;             /* xdg-dbus-proxy --log to nook's stderr */
	bool dbus_required;        /* default true: no bus or no proxy is an error, else a warning */
	bool x11;                  /* bind the X display's socket and a private cookie */
	bool wayland_socket;       /* bind the compositor's socket ($WAYLAND_DISPLAY) */
	enum nook_wl_secctx wayland_secctx; /* wp_security_context_v1 for it */
	bool audio_pipewire;       /* bind the PipeWire socket (pipewire-0) */
	bool audio_pulse;          /* bind PulseAudio's pulse/native and its cookie */
	char *persist_dir;         /* host directory an app's state persists in */
	char **persist_paths;      /* paths below $HOME kept there (relative, no "..") */
	/* process extras (the OCI config sets them; profiles do not) */
	gid_t *groups; size_t n_groups; /* additional gids of the payload */
	char *domainname;          /* NULL = keep */
	char **sysctl;             /* "key=value", written under /proc/sys in the container */
	int umask;                 /* -1 = keep */

	/* scheduling, I/O priority and memory placement of the payload (OCI
	 * process.scheduler, process.ioPriority, linux.memoryPolicy; run/procattr.c);
	 * sched_policy, ioprio_class and mempolicy_mode -1 = as inherited */
	int sched_policy, sched_priority, sched_nice;
	uint64_t sched_flags, sched_runtime, sched_deadline, sched_period;
	int ioprio_class, ioprio_level;
	int mempolicy_mode;             /* MPOL_* */
	unsigned mempolicy_flags;       /* MPOL_F_* */
	uint64_t mempolicy_nodes;       /* nodes 0-63 as bits */

	/* the OCI runtime's create/start split (oci/): the init builds the
	 * container, then opens start_fifo for writing and waits there until
	 * `start` reads it, before the payload's envelope; with detach,
	 * nook_spawn returns as soon as the init waits (res->init_pid) and
	 * leaves the container running without a monitor */
	char *start_fifo;
	bool detach;
	/* run inside the container, in order, once start lets it go and
	 * before the payload's envelope; one that fails stops the container */
	struct nook_hook *start_hooks; size_t n_start_hooks;

	/* diagnostics */
	char *name;                /* container name (for state and cgroup leaf) */
	int verbose;
};

/* The hostname rule, kept here only: 1-64 letters, digits, '-' and '.',
 * not starting with '-' or '.' (so it is also one word in /etc/hosts).
 * Checked by the profile loader (with the file position), the spec check
 * and the /etc/hosts writer. */
#define NOOK_HOSTNAME_RULE "1-64 letters, digits, '-' and '.'"
bool nook_hostname_valid(const char *h);
/* True if any list of the bus is set (the bus is proxied). */
bool nook_dbus_bus_on(const struct nook_dbus_bus *b);

void nook_spec_init(struct nook_spec *s);   /* fill defaults */
void nook_spec_free(struct nook_spec *s);
/* Check for contradictions (e.g. ports without slirp); fills err. */
struct nook_error;
struct nook_mount *nook_spec_add_mount(struct nook_spec *s); /* zeroed, mode -1 */
/* A bind of a host path (bind, ro-bind, dev-bind): the one definition. */
bool nook_mount_is_bind(enum nook_mount_type type);
int nook_spec_check(const struct nook_spec *s, struct nook_error *err);
