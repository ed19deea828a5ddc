/* SPDX-License-Identifier: GPL-2.0-or-later */
/* listener.c - seccomp user notification for an OCI bundle: during
 * create, the container's filter listener (loaded by the init with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER, see run/child.c) goes to the seccomp
 * agent at linux.seccomp.listenerPath, as runtime-spec's config-linux.md
 * says: one connection to that unix stream socket, one message carrying
 * the "container process state" JSON (ociVersion, fds naming the passed
 * descriptors, pid, metadata = listenerMetadata, state = the container's
 * state, "creating") with the fd as SCM_RIGHTS, then the connection is
 * closed. A failure fails create. */
#include <errno.h>
#include <json-c/json.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/oci.h"
#include "nook/sync.h"
#include "nook/util.h"

/* the version of the container process state structure, as the
 * reference runtime sends it and agents (crun's suite among them) check */
#define PROCESS_STATE_VERSION "0.2.0"

static char *process_state(const char *metadata, pid_t pid, const char *state_json)
{
	json_object *o = json_object_new_object(), *fds = json_object_new_array();
	json_object_object_add(o, "ociVersion", json_object_new_string(PROCESS_STATE_VERSION));
	json_object_array_add(fds, json_object_new_string("seccompFd"));
	json_object_object_add(o, "fds", fds);
	json_object_object_add(o, "pid", json_object_new_int((int)pid));
	if (metadata)
		json_object_object_add(o, "metadata", json_object_new_string(metadata));
	json_object *st = json_tokener_parse(state_json);
	json_object_object_add(o, "state", st ? st : json_object_new_object());
	char *s = nook_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

int nook_oci_seccomp_send(const struct nook_oci_config *cfg, int fd, pid_t pid, const char *state_json,
			  struct nook_error *err)
{
	const char *path = cfg->seccomp_listener;
	_cleanup_close_ int s = nook_unix_connect(path);
	if (s == -ENAMETOOLONG)
		return nook_errx(err, ENAMETOOLONG, "linux.seccomp.listenerPath %s is too long for a unix socket (at most %zu bytes)",
				 path, sizeof ((struct sockaddr_un *)0)->sun_path - 1);
	if (s < 0)
		return nook_err(err, -s, "cannot connect to the seccomp agent at %s (linux.seccomp.listenerPath)", path);
	_cleanup_free_ char *msg = process_state(cfg->seccomp_metadata, pid, state_json);
	size_t len = strlen(msg), off = 0;
	while (off < len) {
		struct iovec iov = { .iov_base = msg + off, .iov_len = len - off };
		union nook_fdbuf u;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		if (off == 0)
			nook_msg_attach_fd(&mh, &u, fd); /* the fd travels with the first byte */
		ssize_t n = sendmsg(s, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return nook_err(err, n < 0 ? errno : EPIPE, "cannot send the seccomp listener to the agent at %s (linux.seccomp.listenerPath)",
					path);
		off += (size_t)n;
	}
	return 0;
}
