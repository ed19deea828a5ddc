/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wlsecctx.c - Wayland's wp_security_context_v1 (wayland-protocols
 * staging/security-context): nook makes a listening socket of its own and
 * hands it to the compositor, tagged "sandbox engine nook, app id X,
 * instance Y"; every client that connects through it is then known to the
 * compositor as sandboxed, which may restrict what it offers them. The
 * container gets that socket instead of the compositor's.
 *
 * libwayland-client is loaded with dlopen() here, only when a Wayland
 * socket is about to be bound: linking it would cost every nook start. The
 * few libwayland types used are declared below (they are part of
 * libwayland's frozen ABI), so building needs no libwayland headers, and
 * the two interfaces of the protocol are written out as the tables the
 * library marshals from. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/twin.h"
#include "nook/util.h"
#include "internal.h"

/* ---------------------------------------------------------------- libwayland ABI */

struct wl_interface;
struct wl_message {
	const char *name;
	const char *signature; /* [since]type... : i u f s o n a h, '?' nullable */
	const struct wl_interface **types;
};
struct wl_interface {
	const char *name;
	int version;
	int method_count;
	const struct wl_message *methods;
	int event_count;
	const struct wl_message *events;
};
struct wl_proxy;
struct wl_display;
#define WL_MARSHAL_FLAG_DESTROY (1 << 0)

/* wl_display requests and wl_registry's request/events (core protocol) */
#define WL_DISPLAY_SYNC 0
#define WL_DISPLAY_GET_REGISTRY 1
#define WL_REGISTRY_BIND 0

/* ---------------------------------------------------------------- the protocol */

#define SECCTX_MANAGER "wp_security_context_manager_v1"
#define SECCTX "wp_security_context_v1"

/* wp_security_context_v1 requests, in protocol order */
enum { CTX_DESTROY, CTX_SET_SANDBOX_ENGINE, CTX_SET_APP_ID, CTX_SET_INSTANCE_ID, CTX_COMMIT };
/* wp_security_context_manager_v1 requests */
enum { MGR_DESTROY, MGR_CREATE_LISTENER };

static const struct wl_interface *no_types[3] = { NULL, NULL, NULL };

static const struct wl_message ctx_requests[] = {
	[CTX_DESTROY] = { "destroy", "", no_types },
	[CTX_SET_SANDBOX_ENGINE] = { "set_sandbox_engine", "s", no_types },
	[CTX_SET_APP_ID] = { "set_app_id", "s", no_types },
	[CTX_SET_INSTANCE_ID] = { "set_instance_id", "s", no_types },
	[CTX_COMMIT] = { "commit", "", no_types },
};
static const struct wl_interface ctx_interface = {
	SECCTX, 1, (int)(sizeof ctx_requests / sizeof ctx_requests[0]), ctx_requests, 0, NULL,
};

/* create_listener(fd listen_fd, fd close_fd, new_id wp_security_context_v1) */
static const struct wl_interface *create_listener_types[3] = { NULL, NULL, &ctx_interface };
static const struct wl_message mgr_requests[] = {
	[MGR_DESTROY] = { "destroy", "", no_types },
	[MGR_CREATE_LISTENER] = { "create_listener", "hhn", create_listener_types },
};
static const struct wl_interface mgr_interface = {
	SECCTX_MANAGER, 1, (int)(sizeof mgr_requests / sizeof mgr_requests[0]), mgr_requests, 0, NULL,
};

/* ---------------------------------------------------------------- the library */

struct wl {
	void *so;
	struct wl_display *(*connect_to_fd)(int fd);
	void (*disconnect)(struct wl_display *);
	int (*get_fd)(struct wl_display *);
	int (*flush)(struct wl_display *);
	int (*prepare_read)(struct wl_display *);
	int (*cancel_read)(struct wl_display *);
	int (*read_events)(struct wl_display *);
	int (*dispatch_pending)(struct wl_display *);
	int (*get_error)(struct wl_display *);
	struct wl_proxy *(*marshal_flags)(struct wl_proxy *, uint32_t opcode, const struct wl_interface *,
					  uint32_t version, uint32_t flags, ...);
	int (*add_listener)(struct wl_proxy *, void (**)(void), void *data);
	void (*proxy_destroy)(struct wl_proxy *);
	uint32_t (*get_version)(struct wl_proxy *);
	const struct wl_interface *registry_iface, *callback_iface;
};

#define WL_LIB "libwayland-client.so.0"

/* 0, or -ENOENT with *why set when the library is not there or too old */
static int wl_load(struct wl *w, const char **why)
{
	memset(w, 0, sizeof *w);
	/* a static nook hands such a start to its twin (nook_wayland_needs_twin) */
	if (nook_is_static()) {
		*why = "internal error: a static nook does not load libwayland-client.so.0";
		return -ENOTSUP;
	}
	w->so = dlopen(WL_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!w->so) {
		*why = "libwayland-client.so.0 cannot be loaded, apt-get install libwayland-client0";
		return -ENOENT;
	}
	struct {
		const char *name;
		void **slot;
	} syms[] = {
#define SYM(field, name) { name, (void **)&w->field }
		SYM(connect_to_fd, "wl_display_connect_to_fd"), SYM(disconnect, "wl_display_disconnect"),
		SYM(get_fd, "wl_display_get_fd"), SYM(flush, "wl_display_flush"),
		SYM(prepare_read, "wl_display_prepare_read"), SYM(cancel_read, "wl_display_cancel_read"),
		SYM(read_events, "wl_display_read_events"), SYM(dispatch_pending, "wl_display_dispatch_pending"),
		SYM(get_error, "wl_display_get_error"), SYM(marshal_flags, "wl_proxy_marshal_flags"),
		SYM(add_listener, "wl_proxy_add_listener"), SYM(proxy_destroy, "wl_proxy_destroy"),
		SYM(get_version, "wl_proxy_get_version"), SYM(registry_iface, "wl_registry_interface"),
		SYM(callback_iface, "wl_callback_interface"),
#undef SYM
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		*syms[i].slot = dlsym(w->so, syms[i].name);
		if (!*syms[i].slot) {
			*why = "libwayland-client.so.0 is older than 1.20 (it has no wl_proxy_marshal_flags)";
			dlclose(w->so);
			w->so = NULL;
			return -ENOENT;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- talking */

/* How long the compositor may take to answer a round trip. */
#define WL_TIMEOUT_MS 5000

struct session {
	struct wl *w;
	struct wl_display *dpy;
	uint32_t mgr_name;   /* the global's name, 0 if absent */
	uint32_t mgr_version;
	bool done;
};

static void on_global(void *data, struct wl_proxy *registry, uint32_t name, const char *iface, uint32_t version)
{
	(void)registry;
	struct session *s = data;
	if (strcmp(iface, SECCTX_MANAGER) == 0 && !s->mgr_name) {
		s->mgr_name = name;
		s->mgr_version = version;
	}
}

static void on_global_remove(void *data, struct wl_proxy *registry, uint32_t name)
{
	(void)registry;
	struct session *s = data;
	if (s->mgr_name == name)
		s->mgr_name = 0;
}

static void on_done(void *data, struct wl_proxy *cb, uint32_t serial)
{
	(void)cb;
	(void)serial;
	((struct session *)data)->done = true;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int protocol_error(struct session *s, const char *what, struct nook_error *err)
{
	int e = s->w->get_error(s->dpy);
	if (!e)
		e = errno ? errno : EPROTO;
	return nook_errx(err, e, "the Wayland compositor %s: %s (is it a Wayland compositor? WAYLAND_DEBUG=1 shows the exchange)",
			 what, strerror(e));
}

/* wl_display_roundtrip() with a time limit: a compositor that does not
 * answer must not hang nook. */
static int roundtrip(struct session *s, const char *what, struct nook_error *err)
{
	struct wl *w = s->w;
	struct wl_proxy *cb = w->marshal_flags((struct wl_proxy *)s->dpy, WL_DISPLAY_SYNC, w->callback_iface,
					       w->get_version((struct wl_proxy *)s->dpy), 0, NULL);
	if (!cb)
		return protocol_error(s, what, err);
	static void (*cb_listener[])(void) = { (void (*)(void))on_done };
	w->add_listener(cb, cb_listener, s);
	s->done = false;
	int64_t deadline = now_ms() + WL_TIMEOUT_MS;
	int r = 0;
	while (!s->done) {
		while (w->prepare_read(s->dpy) != 0)
			if (w->dispatch_pending(s->dpy) < 0)
				goto fail;
		if (s->done) {
			w->cancel_read(s->dpy);
			break;
		}
		if (w->flush(s->dpy) < 0 && errno != EAGAIN) {
			w->cancel_read(s->dpy);
			goto fail;
		}
		struct pollfd p = { .fd = w->get_fd(s->dpy), .events = POLLIN };
		int64_t left = deadline - now_ms();
		int n = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (n <= 0) {
			w->cancel_read(s->dpy);
			if (n < 0 && errno == EINTR)
				continue;
			w->proxy_destroy(cb);
			if (n < 0)
				return nook_err(err, errno, "poll on the Wayland connection");
			return nook_errx(err, ETIMEDOUT, "the Wayland compositor %s: no answer within %d s", what,
					 WL_TIMEOUT_MS / 1000);
		}
		if (w->read_events(s->dpy) < 0 || w->dispatch_pending(s->dpy) < 0)
			goto fail;
	}
	w->proxy_destroy(cb);
	return r;
fail:
	w->proxy_destroy(cb);
	return protocol_error(s, what, err);
}

/* A listening unix socket at path (which must not exist). */
static int listen_at(const char *path, struct nook_error *err)
{
	struct sockaddr_un sa;
	if (nook_unix_addr(&sa, path) < 0)
		return nook_errx(err, ENAMETOOLONG, "%s: too long for a unix socket", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nook_err(err, errno, "socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 128) < 0) {
		int r = nook_err(err, errno, "cannot listen on %s", path);
		close(fd);
		return r;
	}
	return fd;
}

int nook_wl_secctx(int compositor_fd, const char *listen_path, const char *app_id, const char *instance_id,
		   int *close_keep, const char **why, struct nook_error *err)
{
	*close_keep = -1;
	*why = "the compositor offers no security context, wp_security_context_v1";
	struct wl w;
	int r = wl_load(&w, why);
	if (r < 0) {
		close(compositor_fd);
		return 0;
	}
	struct session s = { .w = &w };
	s.dpy = w.connect_to_fd(compositor_fd); /* owns the fd from here on */
	if (!s.dpy) {
		r = nook_err(err, errno, "cannot start a Wayland connection");
		close(compositor_fd);
		dlclose(w.so);
		return r;
	}
	struct wl_proxy *dpy = (struct wl_proxy *)s.dpy, *registry = NULL, *mgr = NULL, *ctx = NULL;
	int listen_fd = -1, pipefd[2] = { -1, -1 };

	registry = w.marshal_flags(dpy, WL_DISPLAY_GET_REGISTRY, w.registry_iface, w.get_version(dpy), 0, NULL);
	if (!registry) {
		r = protocol_error(&s, "did not give its registry", err);
		goto out;
	}
	static void (*reg_listener[])(void) = { (void (*)(void))on_global, (void (*)(void))on_global_remove };
	w.add_listener(registry, reg_listener, &s);
	if ((r = roundtrip(&s, "did not list its globals", err)) < 0)
		goto out;
	if (!s.mgr_name) {
		r = 0; /* not offered */
		goto out;
	}

	mgr = w.marshal_flags(registry, WL_REGISTRY_BIND, &mgr_interface, 1, 0, s.mgr_name, mgr_interface.name, 1u,
			      NULL);
	if ((listen_fd = listen_at(listen_path, err)) < 0) {
		r = listen_fd;
		goto out;
	}
	/* The compositor polls close_fd for a hang-up and stops accepting on
	 * listen_fd then: it gets the read end of a pipe whose only write end
	 * nook keeps (close-on-exec, so no payload inherits it) for as long
	 * as the container runs; the kernel closes it when nook dies, of
	 * SIGKILL too. */
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		r = nook_err(err, errno, "pipe");
		goto out;
	}
	ctx = mgr ? w.marshal_flags(mgr, MGR_CREATE_LISTENER, &ctx_interface, 1, 0, listen_fd, pipefd[0], NULL) : NULL;
	if (!ctx) {
		r = protocol_error(&s, "refused " SECCTX_MANAGER ".create_listener", err);
		goto out;
	}
	w.marshal_flags(ctx, CTX_SET_SANDBOX_ENGINE, NULL, 1, 0, "nook");
	if (app_id)
		w.marshal_flags(ctx, CTX_SET_APP_ID, NULL, 1, 0, app_id);
	if (instance_id)
		w.marshal_flags(ctx, CTX_SET_INSTANCE_ID, NULL, 1, 0, instance_id);
	w.marshal_flags(ctx, CTX_COMMIT, NULL, 1, 0);
	/* the listener outlives both objects */
	w.marshal_flags(ctx, CTX_DESTROY, NULL, 1, WL_MARSHAL_FLAG_DESTROY);
	ctx = NULL;
	w.marshal_flags(mgr, MGR_DESTROY, NULL, 1, WL_MARSHAL_FLAG_DESTROY);
	mgr = NULL;
	if ((r = roundtrip(&s, "did not accept nook's security context", err)) < 0)
		goto out;
	nook_verbose("wayland: security context (sandbox engine nook, app id %s, instance %s) on %s",
		     app_id ? app_id : "(none)", instance_id ? instance_id : "(none)", listen_path);
	*close_keep = pipefd[1];
	pipefd[1] = -1;
	r = 1;
out:
	if (ctx)
		w.proxy_destroy(ctx);
	if (mgr)
		w.proxy_destroy(mgr);
	if (registry)
		w.proxy_destroy(registry);
	w.disconnect(s.dpy);
	dlclose(w.so);
	if (listen_fd >= 0)
		close(listen_fd); /* the compositor has its own copy */
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (r < 0)
		unlink(listen_path);
	return r;
}
