/* SPDX-License-Identifier: GPL-2.0-or-later */
/* holder.c - the per-user user-namespace holder.
 *
 * Why: a container whose map is the caller's subordinate range needs the
 * setuid newuidmap and newgidmap, two executions on every start (most of
 * the cost of such a start). Instead, one small process per user, the
 * holder, unshares a user namespace ONCE and has it mapped once by
 * newuidmap/newgidmap, exactly as a container would be mapped (0 is the
 * caller, 1..N the subordinate range). Each container is then cloned in a
 * NEW user namespace whose parent is the holder's: nook joins the holder's
 * namespace (setns, in a short-lived intermediate process, never in the
 * monitor), where it has every capability, clones the container with
 * CLONE_NEWUSER and writes the child namespace's maps itself: the identity
 * of the holder's range, so that an id inside the container lands on the
 * same host id as with newuidmap (files a container's root created under
 * either path stay the same).
 *
 * Isolation: containers never share a user namespace (each gets its own
 * child namespace); the holder's namespace owns no other namespace (it
 * unshares nothing else) and has no process in it but the holder. A
 * container's root has capabilities only in its own namespace and its
 * descendants, never in the parent: it cannot setns into the holder's
 * namespace nor write maps there. The holder is not dumpable (no ptrace,
 * no /proc/PID/fd or /proc/PID/ns for anyone but real root), keeps no
 * capability (not even in its own namespace) and no_new_privs, holds only
 * its listening socket, a signalfd and the directory fd of its lock, and
 * lives in the host's pid namespace, where no container sees it. Its
 * socket is in the caller's private (0700) state directory and serves only
 * a peer whose uid (SO_PEERCRED) is the holder's own; what it hands out,
 * an fd of its user namespace, is of use only to a process that already
 * has CAP_SYS_ADMIN over that namespace, i.e. the user's host processes,
 * which could make such a namespace themselves with newuidmap.
 *
 * Lifetime: started on demand by the first `nook run` that needs it, it
 * exits after NOOK_HOLDER_IDLE seconds (default 300) without a request,
 * or on SIGTERM/SIGINT/SIGHUP, removing its socket. A holder killed
 * with SIGKILL leaves its socket file: the next nook finds nobody behind
 * it, removes it and starts a new holder (under an flock() on the
 * directory, so that two nooks never start two holders). A container's
 * user namespace keeps the holder's alive for as long as it runs, whether
 * the holder lives on or not. The holder records the ranges it maps and
 * the identity (device, inode, size, mtime) of /etc/subuid and
 * /etc/subgid when it was made; a nook that finds them changed asks it to
 * quit and starts a new one, so a change of the ranges applies to the
 * next container.
 *
 * Never required: whenever the holder cannot be had (no writable state
 * directory, setns refused, the subordinate ids come from an NSS module
 * whose changes nook cannot see, NOOK_HOLDER_IDLE=0, ...), nook writes
 * the maps with newuidmap/newgidmap as before and --verbose says why. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/holder.h"
#include "nook/net.h"
#include "nook/security.h"
#include "nook/state.h"
#include "nook/sync.h"
#include "nook/util.h"

#define HOLDER_DIR "userns-holder"
#define HOLDER_SOCK "sock"
#define HOLDER_MAGIC 0x4e4b4831u /* "NKH1" */

/* The identity of /etc/subuid and /etc/subgid: a change of either (usermod,
 * an editor's rename) changes one of these. */
struct stamp {
	uint64_t dev, ino, size, mtime_s, mtime_ns;
};

struct reply {
	uint32_t magic;
	int32_t pid;
	int64_t started;
	uint32_t idle_s;
	uint64_t us, uc, gs, gc;
	struct stamp su, sg;
};

static void stamp_of(const char *path, struct stamp *st)
{
	struct stat sb;
	memset(st, 0, sizeof *st);
	if (stat(path, &sb) == 0)
		*st = (struct stamp){ sb.st_dev, sb.st_ino, (uint64_t)sb.st_size,
				      (uint64_t)sb.st_mtim.tv_sec, (uint64_t)sb.st_mtim.tv_nsec };
}

/* NOOK_HOLDER_IDLE: seconds, 0 = no holder. -1 on a bad value. */
static long idle_setting(void)
{
	const char *v = getenv("NOOK_HOLDER_IDLE");
	if (!v || !*v)
		return NOOK_HOLDER_IDLE_DEFAULT;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || n < 0 || n > 86400 * 7)
		return -1;
	return n;
}

/* The holder's directory (0700, the caller's; made if missing), as an
 * O_DIRECTORY fd, or -1 with why filled. */
static int holder_dir(bool create, char *why, size_t size)
{
	struct nook_error e = { 0 };
	_cleanup_close_ int cfd = nook_state_root(create, NULL, 0, &e);
	if (cfd < 0) {
		snprintf(why, size, "%s", e.msg[0] ? e.msg : "there is no state directory");
		return -1;
	}
	_cleanup_close_ int nfd = openat(cfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (nfd < 0) {
		snprintf(why, size, "cannot open the state directory: %s", strerror(errno));
		return -1;
	}
	if (create && mkdirat(nfd, HOLDER_DIR, 0700) < 0 && errno != EEXIST) {
		snprintf(why, size, "cannot create its directory %s: %s", HOLDER_DIR, strerror(errno));
		return -1;
	}
	int fd = openat(nfd, HOLDER_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || st.st_uid != getuid() || (st.st_mode & 077))) {
		close(fd);
		snprintf(why, size, "its directory %s is not a private directory of yours (remove it)", HOLDER_DIR);
		return -1;
	}
	if (fd < 0)
		snprintf(why, size, "cannot open its directory %s: %s", HOLDER_DIR,
			 errno == ENOTDIR || errno == ELOOP ? "not a directory" : strerror(errno));
	return fd;
}

/* The socket's address through the directory fd: short whatever the
 * state directory's path length. */
static socklen_t sock_addr(int dirfd, struct sockaddr_un *a)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof a->sun_path, "/proc/self/fd/%d/" HOLDER_SOCK, dirfd);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

/* Ask the holder behind dirfd: 'G' (the namespace fd too), 'S' (status
 * only) or 'Q' (quit). ask_send() connects and sends, returning the
 * connection (-1 when nobody is there; errno: ENOENT no socket,
 * ECONNREFUSED a dead holder's); ask_recv() takes the answer and closes
 * it. In between the caller may do other work while the holder wakes up. */
static int ask_send(int dirfd, char req)
{
	struct sockaddr_un a;
	socklen_t len = sock_addr(dirfd, &a);
	int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -1;
	struct timeval tv = { 2, 0 };
	if (connect(c, (struct sockaddr *)&a, len) < 0 || send(c, &req, 1, MSG_NOSIGNAL) != 1) {
		int e = errno;
		close(c);
		errno = e;
		return -1;
	}
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return c;
}

static int ask_recv(int c, char req, struct reply *rep, int *nsfd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { rep, sizeof *rep };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	ssize_t n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	close(c);
	int fd = -1;
	struct cmsghdr *ch = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (ch && ch->cmsg_level == SOL_SOCKET && ch->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(ch), sizeof fd);
	if (n != (ssize_t)sizeof *rep || rep->magic != HOLDER_MAGIC || (req == 'G' && fd < 0)) {
		if (fd >= 0)
			close(fd);
		errno = EPROTO;
		return -1;
	}
	if (nsfd)
		*nsfd = fd;
	else if (fd >= 0)
		close(fd);
	return 0;
}

static int ask(int dirfd, char req, struct reply *rep, int *nsfd)
{
	int c = ask_send(dirfd, req);
	return c < 0 ? -1 : ask_recv(c, req, rep, nsfd);
}

/* ------------------------------------------------------------ the holder */

struct holder {
	int lfd, sfd, dirfd;
	ino_t sock_ino;
	struct reply info;
};

/* Remove the socket if it is still ours (a replacement may have bound
 * a new one under the same name). */
static void unlink_ours(struct holder *h)
{
	struct stat st;
	if (fstatat(h->dirfd, HOLDER_SOCK, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == h->sock_ino)
		unlinkat(h->dirfd, HOLDER_SOCK, 0);
}

/* One request. Returns the request byte, or 0. */
static char serve(struct holder *h, int c)
{
	struct ucred cr;
	socklen_t cl = sizeof cr;
	char req = 0;
	struct timeval tv = { 1, 0 };
	/* only the holder's own user: in its namespace the caller's uid is
	 * 0, any other host uid reads as another number or the overflow uid */
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 || cr.uid != getuid())
		return 0;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (recv(c, &req, 1, 0) != 1)
		return 0;
	int nsfd = -1;
	if (req == 'G' && (nsfd = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if (req == 'Q')
		unlink_ours(h);
	union nook_fdbuf u;
	struct iovec iov = { &h->info, sizeof h->info };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nsfd >= 0)
		nook_msg_attach_fd(&mh, &u, nsfd);
	sendmsg(c, &mh, MSG_NOSIGNAL);
	if (nsfd >= 0)
		close(nsfd);
	return req;
}

static void serve_one(struct holder *h, int *last_use)
{
	int c = accept4(h->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	char req = serve(h, c);
	close(c);
	if (req == 'G')
		*last_use = 1;
	if (req == 'Q')
		_exit(0);
}

/* The holder's life after its namespace is mapped: answer until idle. */
__attribute__((noreturn)) static void holder_loop(struct holder *h)
{
	uint64_t idle_ns = (uint64_t)h->info.idle_s * 1000000000ull;
	uint64_t deadline = nook_now_ns() + idle_ns;
	for (;;) {
		uint64_t now = nook_now_ns();
		int timeout = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
		struct pollfd p[2] = { { h->lfd, POLLIN, 0 }, { h->sfd, POLLIN, 0 } };
		int n = poll(p, 2, timeout);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (p[1].revents & POLLIN))
			break;
		if (n > 0 && (p[0].revents & POLLIN)) {
			int used = 0;
			serve_one(h, &used);
			if (used)
				deadline = nook_now_ns() + idle_ns;
			continue;
		}
		if (n == 0 && nook_now_ns() >= deadline) {
			/* idle: not while a nook holds the lock (it may be about
			 * to use us); then nobody new can connect once the
			 * socket is gone, and those already queued are served */
			if (flock(h->dirfd, LOCK_EX | LOCK_NB) < 0) {
				deadline = nook_now_ns() + 100000000ull;
				continue;
			}
			unlink_ours(h);
			fcntl(h->lfd, F_SETFL, O_NONBLOCK);
			int used = 0;
			for (int i = 0; i < 64; i++)
				serve_one(h, &used);
			_exit(0);
		}
	}
	unlink_ours(h);
	_exit(0);
}

/* In the holder (a grandchild of the starting nook): own session, a user
 * namespace of its own, tell the starter our pid and wait until it has
 * written our maps; then serve. */
__attribute__((noreturn)) static void holder_main(struct holder *h, int to_starter, int from_starter)
{
	setsid();
	prctl(PR_SET_NAME, "nook-holder", 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	h->sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	int keep[] = { h->lfd, h->sfd, h->dirfd, to_starter, from_starter };
	if (h->sfd < 0 || nook_close_fds_except(keep, 5, false) < 0 || chdir("/") < 0)
		_exit(1);
	/* the caller's terminal is no business of the holder's; 0-2 stay
	 * taken so that no socket of ours becomes someone's stderr */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		_exit(1);
	if (null > 2)
		close(null);
	h->info.pid = getpid();
	int32_t msg = unshare(CLONE_NEWUSER) < 0 ? -errno : (int32_t)getpid();
	if (write(to_starter, &msg, sizeof msg) != sizeof msg || msg < 0)
		_exit(1);
	char go = 0;
	if (read(from_starter, &go, 1) != 1 || go != 'G' || getuid() != 0)
		_exit(1);
	/* mapped: from now on nobody but real root may ptrace us or open
	 * our /proc files */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		_exit(1);
	/* and we need no capability in our namespace: those who join it
	 * bring their own (its owner's) */
	for (int cap = 0; cap <= nook_caps_last_cap(); cap++)
		prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	struct __user_cap_header_struct ch = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct cd[2];
	memset(cd, 0, sizeof cd);
	if (syscall(SYS_capset, &ch, cd) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(1);
	msg = 0;
	if (write(to_starter, &msg, sizeof msg) != sizeof msg)
		_exit(1);
	close(to_starter);
	close(from_starter);
	holder_loop(h);
}

/* Is the subid source files (the only one whose changes nook notices)? */
static bool subid_from_files(void)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/nsswitch.conf", "re");
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		char *p = line + strspn(line, " \t");
		if (strncmp(p, "subid:", 6) != 0)
			continue;
		p += 6;
		p += strspn(p, " \t");
		return *p == '\0' || *p == '\n' || *p == '#' || strncmp(p, "files", 5) == 0;
	}
	return true;
}

/* Start a holder for maps m behind dirfd (locked by the caller). Returns
 * 0, or -1 with why filled. */
static int start(int dirfd, const struct nook_idmaps *m, const struct stamp *su, const struct stamp *sg,
		 unsigned idle_s, char *why, size_t size)
{
	struct holder h = { .lfd = -1, .sfd = -1, .dirfd = dirfd };
	struct sockaddr_un a;
	socklen_t len = sock_addr(dirfd, &a);
	int to_starter[2] = { -1, -1 }, from_starter[2] = { -1, -1 };
	pid_t mid = -1, hpid = -1;
	int r = -1;

	unlinkat(dirfd, HOLDER_SOCK, 0);
	h.lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct stat st;
	if (h.lfd < 0 || bind(h.lfd, (struct sockaddr *)&a, len) < 0 || listen(h.lfd, 64) < 0 ||
	    fstatat(dirfd, HOLDER_SOCK, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		snprintf(why, size, "cannot make its socket: %s", strerror(errno));
		goto out;
	}
	h.sock_ino = st.st_ino;
	h.info = (struct reply){ .magic = HOLDER_MAGIC, .started = (int64_t)time(NULL), .idle_s = idle_s,
				 .us = m->uid[1].outside, .uc = m->uid[1].count,
				 .gs = m->gid[1].outside, .gc = m->gid[1].count, .su = *su, .sg = *sg };
	if (pipe2(to_starter, O_CLOEXEC) < 0 || pipe2(from_starter, O_CLOEXEC) < 0) {
		snprintf(why, size, "pipe: %s", strerror(errno));
		goto out;
	}
	/* fork twice: the holder is nobody's child but init's (or a
	 * subreaper's), and never a zombie of this nook */
	mid = fork();
	if (mid < 0) {
		snprintf(why, size, "fork: %s", strerror(errno));
		goto out;
	}
	if (mid == 0) {
		pid_t p = fork();
		if (p == 0) {
			close(to_starter[0]);
			close(from_starter[1]);
			holder_main(&h, to_starter[1], from_starter[0]);
		}
		_exit(p < 0 ? 1 : 0);
	}
	int st2;
	while (waitpid(mid, &st2, 0) < 0 && errno == EINTR)
		;
	close(to_starter[1]);
	to_starter[1] = -1;
	close(from_starter[0]);
	from_starter[0] = -1;
	int32_t msg = 0;
	if (read(to_starter[0], &msg, sizeof msg) != sizeof msg || msg <= 0) {
		snprintf(why, size, "it could not make a user namespace: %s", msg < 0 ? strerror(-msg) : "it died");
		goto out;
	}
	hpid = (pid_t)msg;
	h.info.pid = msg;
	struct nook_error e = { 0 };
	if (nook_idmaps_apply(m, hpid, &e) < 0) {
		snprintf(why, size, "%s", e.msg);
		goto out;
	}
	if (write(from_starter[1], "G", 1) != 1 || read(to_starter[0], &msg, sizeof msg) != sizeof msg || msg != 0) {
		snprintf(why, size, "it died while starting");
		goto out;
	}
	nook_verbose("user namespace holder started (pid %d, exits after %us idle)", (int)hpid, idle_s);
	hpid = -1;
	r = 0;
out:
	if (hpid > 0)
		kill(hpid, SIGKILL);
	if (r < 0)
		unlinkat(dirfd, HOLDER_SOCK, 0);
	for (int i = 0; i < 2; i++) {
		if (to_starter[i] >= 0)
			close(to_starter[i]);
		if (from_starter[i] >= 0)
			close(from_starter[i]);
	}
	if (h.lfd >= 0)
		close(h.lfd);
	return r;
}

/* ------------------------------------------------------------ the client */

static bool fresh(const struct reply *rep, const struct stamp *su, const struct stamp *sg)
{
	return memcmp(&rep->su, su, sizeof *su) == 0 && memcmp(&rep->sg, sg, sizeof *sg) == 0;
}

static bool fits(const struct nook_spec *s, const struct reply *rep)
{
	return rep->uc > 0 && rep->gc > 0 && s->uid <= rep->uc && s->gid <= rep->gc;
}

static void use_reply(const struct nook_spec *s, struct nook_idmaps *m, const struct reply *rep)
{
	memset(m, 0, sizeof *m);
	nook_idmaps_subuid(m, getuid(), getgid(), rep->us, rep->uc, rep->gs, rep->gc);
	snprintf(m->why, sizeof m->why, "subuid mode%s: 0 is you, 1-%lu are %lu-%lu from /etc/subuid, "
		 "in a user namespace of its own inside the holder's (pid %d)",
		 s->userns == NOOK_USERNS_SUBUID ? " (asked for)" : "",
		 (unsigned long)rep->uc, (unsigned long)rep->us, (unsigned long)(rep->us + rep->uc - 1), (int)rep->pid);
}

void nook_holder_request(const struct nook_spec *s, struct nook_holder_req *q)
{
	q->dirfd = q->conn = -1;
	q->why[0] = '\0';
	if (!nook_idmaps_may_subuid(s) || idle_setting() <= 0)
		return;
	q->dirfd = holder_dir(true, q->why, sizeof q->why);
	if (q->dirfd >= 0)
		q->conn = ask_send(q->dirfd, 'G');
}

void nook_holder_request_drop(struct nook_holder_req *q)
{
	if (q->conn >= 0)
		close(q->conn);
	if (q->dirfd >= 0)
		close(q->dirfd);
	q->conn = q->dirfd = -1;
}

int nook_holder_maps(const struct nook_spec *s, struct nook_holder_req *q, struct nook_idmaps *m,
		     int *userns_fd, struct nook_error *err)
{
	char why[NOOK_ERR_MAX] = "";
	struct reply rep;
	struct stamp su, sg;
	int nsfd = -1, r;
	bool stale = false;

	*userns_fd = -1;
	_cleanup_close_ int dirfd = q->dirfd;
	int conn = q->conn;
	snprintf(why, sizeof why, "%s", q->why);
	q->dirfd = q->conn = -1;
	if (!nook_idmaps_may_subuid(s)) {
		if (conn >= 0)
			close(conn);
		return nook_idmaps_resolve(s, m, err);
	}
	long idle = idle_setting();
	if (idle < 0)
		return nook_errx(err, EINVAL, "NOOK_HOLDER_IDLE='%s' is not a number of seconds from 0 (no holder) to 604800",
				 getenv("NOOK_HOLDER_IDLE"));
	/* before the ranges are read: a change after this is seen next time */
	stamp_of("/etc/subuid", &su);
	stamp_of("/etc/subgid", &sg);
	if (idle == 0)
		snprintf(why, sizeof why, "NOOK_HOLDER_IDLE=0 turns it off");
	if (conn >= 0 && ask_recv(conn, 'G', &rep, &nsfd) == 0) {
		/* the same choice as without a holder: subuid mode (auto)
		 * wants newuidmap and newgidmap installed */
		_cleanup_free_ char *nuid = nook_find_program("newuidmap", getenv("PATH"));
		_cleanup_free_ char *ngid = nook_find_program("newgidmap", getenv("PATH"));
		if (fresh(&rep, &su, &sg) && fits(s, &rep) && nuid && ngid) {
			use_reply(s, m, &rep);
			*userns_fd = nsfd;
			return 0;
		}
		close(nsfd);
		stale = !fresh(&rep, &su, &sg);
	}

	if ((r = nook_idmaps_resolve(s, m, err)) < 0 || m->mode != NOOK_USERNS_SUBUID || dirfd < 0)
		goto fallback;
	if (!subid_from_files()) {
		snprintf(why, sizeof why, "the subordinate ids come from an NSS module (/etc/nsswitch.conf subid:), whose changes nook cannot notice");
		goto fallback;
	}
	/* one starter at a time; the holder does not exit while we wait */
	if (flock(dirfd, LOCK_EX) < 0) {
		snprintf(why, sizeof why, "cannot lock its directory: %s", strerror(errno));
		goto fallback;
	}
	if (ask(dirfd, 'G', &rep, &nsfd) == 0) {
		/* another nook started one meanwhile, or a stale one runs */
		if (fresh(&rep, &su, &sg) && rep.us == m->uid[1].outside && rep.uc == m->uid[1].count &&
		    rep.gs == m->gid[1].outside && rep.gc == m->gid[1].count)
			goto use;
		close(nsfd);
		stale = true;
	}
	if (stale) {
		struct reply qr;
		if (ask(dirfd, 'Q', &qr, NULL) == 0)
			nook_verbose("user namespace holder pid %d replaced: /etc/subuid or /etc/subgid changed", (int)qr.pid);
	}
	if (start(dirfd, m, &su, &sg, (unsigned)idle, why, sizeof why) < 0 || ask(dirfd, 'G', &rep, &nsfd) < 0) {
		if (!why[0])
			snprintf(why, sizeof why, "the new holder does not answer: %s", strerror(errno));
		flock(dirfd, LOCK_UN);
		goto fallback;
	}
use:
	flock(dirfd, LOCK_UN);
	use_reply(s, m, &rep);
	*userns_fd = nsfd;
	return 0;

fallback:
	if (r == 0 && m->mode == NOOK_USERNS_SUBUID)
		nook_verbose("user namespace holder not used: %s; newuidmap/newgidmap write the maps", why);
	return r;
}

/* ------------------------------------------------------------ cloning */

struct clone_result {
	int32_t pid, err;
	bool net_built;
	char what[64];
};

/* The intermediate (see nook_holder_clone): join the holder's namespace,
 * clone the container as our parent's child, write its maps. Returns 0 in
 * the container; otherwise fills *res (our parent's memory: we are its
 * vfork child) and returns 1. */
static int intermediate(int userns_fd, struct clone_args *a, const struct nook_idmaps *m, int go_fd,
			bool build_net, struct clone_result *res)
{
	char buf[512], path[64];
	if (setns(userns_fd, CLONE_NEWUSER) < 0) {
		res->err = errno;
		snprintf(res->what, sizeof res->what, "setns into the holder's user namespace");
		return 1;
	}
	a->flags |= CLONE_NEWUSER | CLONE_PARENT;
	a->flags &= ~(uint64_t)CLONE_PIDFD;
	a->pidfd = 0;
	/* with CLONE_PARENT the child's exit signal is ours (SIGCHLD), and
	 * clone3 wants none given */
	a->exit_signal = 0;
	pid_t pid = (pid_t)syscall(SYS_clone3, a, sizeof *a);
	if (pid == 0)
		return 0;
	if (pid < 0) {
		res->err = errno;
		snprintf(res->what, sizeof res->what, "clone3 in the holder's user namespace");
		return 1;
	}
	res->pid = pid;
	const struct { const char *name; const struct nook_idmap *map; size_t n; } w[] = {
		{ "uid_map", m->uid, m->n_uid }, { "gid_map", m->gid, m->n_gid },
	};
	for (size_t i = 0; i < 2; i++) {
		/* the identity of the holder's range: an id inside the
		 * container is the same id inside the holder's namespace, so
		 * the same host id as newuidmap would have mapped it to */
		struct nook_idmap id[8];
		for (size_t k = 0; k < w[i].n && k < 8; k++)
			id[k] = (struct nook_idmap){ w[i].map[k].inside, w[i].map[k].inside, w[i].map[k].count };
		int len = nook_idmap_format(id, w[i].n, buf, sizeof buf);
		snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, w[i].name);
		int r = len < 0 ? -ENOSPC : nook_write_file(path, buf, (size_t)len, 0);
		if (r < 0) {
			res->err = -r;
			snprintf(res->what, sizeof res->what, "writing %s", path);
			return 1;
		}
	}
	res->err = 0;
	/* mapped: the child may go on (a failure here shows as its EOF) */
	if (go_fd >= 0)
		(void)nook_sync_send(go_fd, NOOK_MSG_GO, 0, NULL);
	/* its network namespace, now rather than from a helper our parent
	 * starts once we are gone (a failure leaves that to the parent: the
	 * namespace is sent only when it is complete) */
	if (go_fd >= 0 && build_net) {
		struct nook_error nerr = { 0 };
		int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		res->net_built = pfd >= 0 && nook_netns_build_here(pfd, go_fd, &nerr) == 0;
		if (pfd >= 0)
			close(pfd);
	}
	return 1;
}

pid_t nook_holder_clone(int userns_fd, const void *clone_args, const struct nook_idmaps *m, int go_fd,
			bool build_net, bool *net_built, struct nook_error *err)
{
	struct clone_args a;
	memcpy(&a, clone_args, sizeof a);
	int *pidfd_out = (int *)(uintptr_t)a.pidfd;
	struct clone_result res = { .pid = -1, .err = EPROTO };
	snprintf(res.what, sizeof res.what, "the intermediate process died");
	/* The monitor itself never joins the holder's namespace: a
	 * short-lived intermediate does. It is a vfork child: it borrows our
	 * address space (nothing copied, nothing torn down at its exit, and
	 * it reports by writing res) but has its own fs and fd table, so
	 * setns may move it. With CLONE_PARENT the container is our child,
	 * not its, and its address space is a copy as after a fork. */
	pid_t ip = vfork();
	if (ip < 0)
		return nook_err(err, errno, "vfork"), -1;
	if (ip == 0) {
		if (intermediate(userns_fd, &a, m, go_fd, build_net, &res) == 0)
			return 0; /* the container */
		_exit(0);
	}
	int st;
	while (waitpid(ip, &st, 0) < 0 && errno == EINTR)
		;
	if (res.pid > 0 && res.err == 0) {
		/* our unreaped child: its pid cannot be reused before we wait */
		int pfd = (int)syscall(SYS_pidfd_open, res.pid, 0);
		if (pfd >= 0) { /* close-on-exec, as every pidfd */
			*pidfd_out = pfd;
			*net_built = res.net_built;
			return res.pid;
		}
		res.err = errno;
		snprintf(res.what, sizeof res.what, "pidfd_open");
	}
	if (res.pid > 0) {
		/* cloned, but unmapped (or no pidfd): it waits for a go that never comes */
		kill(res.pid, SIGKILL);
		while (waitpid(res.pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	nook_err(err, res.err, "%s", res.what);
	return -1;
}

int nook_holder_status(struct nook_holder_info *info)
{
	char why[NOOK_ERR_MAX];
	struct reply rep;
	_cleanup_close_ int dirfd = holder_dir(false, why, sizeof why);
	if (dirfd < 0 || ask(dirfd, 'S', &rep, NULL) < 0)
		return 0;
	*info = (struct nook_holder_info){ rep.pid, rep.started, rep.idle_s, rep.us, rep.uc, rep.gs, rep.gc };
	return 1;
}
