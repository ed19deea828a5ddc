/* SPDX-License-Identifier: GPL-2.0-or-later */
/* x11.c - x11: true. The container gets the display's one socket
 * (/tmp/.X11-unix/XN) and a cookie file of its own: the host's
 * MIT-MAGIC-COOKIE-1 for that display, rewritten with the wildcard family
 * (FamilyWild) so that it matches whatever the container's hostname is,
 * and XAUTHORITY pointing to it. X11 cannot be isolated - every client of
 * a display may read the others' input and windows - which is why it is
 * opt-in and --verbose says so.
 *
 * The Xauthority file is a sequence of entries, each: family (16-bit big
 * endian), then address, display number, auth name and auth data, each a
 * 16-bit big-endian length followed by that many bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/desktop.h"
#include "nook/error.h"
#include "nook/util.h"
#include "internal.h"

#define FAMILY_LOCAL 256
#define FAMILY_WILD 0xffff
#define COOKIE_NAME "MIT-MAGIC-COOKIE-1"
#define XAUTH_MAX (1 << 20)
#define COOKIE_TARGET "/tmp/.nook-Xauthority"

struct field {
	const unsigned char *p;
	size_t len;
};

static bool get_u16(const unsigned char *buf, size_t len, size_t *off, unsigned *v)
{
	if (*off + 2 > len)
		return false;
	*v = (unsigned)buf[*off] << 8 | buf[*off + 1];
	*off += 2;
	return true;
}

static bool get_field(const unsigned char *buf, size_t len, size_t *off, struct field *f)
{
	unsigned n;
	if (!get_u16(buf, len, off, &n) || *off + n > len)
		return false;
	f->p = buf + *off;
	f->len = n;
	*off += n;
	return true;
}

static bool field_is(const struct field *f, const char *s)
{
	return f->len == strlen(s) && memcmp(f->p, s, f->len) == 0;
}

/* The cookie for display number dpy in the Xauthority data: an entry of
 * this host (FamilyLocal with our hostname), else a wildcard one, else a
 * FamilyLocal one of another hostname (the hostname changed since the
 * session began; the X server does not care, libXau would). */
static bool find_cookie(const unsigned char *buf, size_t len, const char *dpy, struct field *cookie)
{
	char host[256] = "";
	size_t off = 0;
	bool found = false;
	struct field other = { NULL, 0 };
	gethostname(host, sizeof host - 1);
	while (off < len) {
		unsigned family;
		struct field addr, num, name, data;
		if (!get_u16(buf, len, &off, &family) || !get_field(buf, len, &off, &addr) ||
		    !get_field(buf, len, &off, &num) || !get_field(buf, len, &off, &name) ||
		    !get_field(buf, len, &off, &data))
			break; /* a truncated entry ends the file */
		if (!field_is(&num, dpy) || !field_is(&name, COOKIE_NAME) || data.len == 0)
			continue;
		if (family == FAMILY_WILD || (family == FAMILY_LOCAL && field_is(&addr, host))) {
			*cookie = data;
			found = true;
			if (family == FAMILY_LOCAL)
				break; /* the exact match wins */
		} else if (family == FAMILY_LOCAL && !other.p) {
			other = data;
		}
	}
	if (!found && other.p) {
		*cookie = other;
		found = true;
	}
	return found;
}

static void put_field(unsigned char *out, size_t *off, const void *p, size_t len)
{
	out[(*off)++] = (unsigned char)(len >> 8);
	out[(*off)++] = (unsigned char)len;
	memcpy(out + *off, p, len);
	*off += len;
}

/* ":N", ":N.S", "unix:N[.S]" -> "N"; anything else (a TCP display) is not
 * reachable from the container's network namespace. */
static bool display_number(const char *display, char *num, size_t size)
{
	const char *p = display;
	if (strncmp(p, "unix:", 5) == 0)
		p += 4;
	if (*p != ':')
		return false;
	p++;
	size_t n = strspn(p, "0123456789");
	if (n == 0 || n >= size || (p[n] && p[n] != '.'))
		return false;
	memcpy(num, p, n);
	num[n] = '\0';
	return true;
}

int nook_x11_setup(const struct nook_spec *s, struct nook_desktop *d, struct nook_error *err)
{
	const char *display = getenv("DISPLAY");
	char num[16];
	(void)s;
	if (!display || !*display)
		return nook_errx(err, ENOENT, "the profile sets x11: true, but DISPLAY is not set: run nook from an X session "
				 "(or set x11: false)");
	if (!display_number(display, num, sizeof num))
		return nook_errx(err, EINVAL, "x11: DISPLAY=%s is not a local display (:N): the container can only reach "
				 "a display through its socket in /tmp/.X11-unix", display);
	_cleanup_free_ char *sock = nook_asprintf("/tmp/.X11-unix/X%s", num);
	struct stat st;
	if (stat(sock, &st) < 0 || !S_ISSOCK(st.st_mode))
		return nook_errx(err, ENOENT, "x11: DISPLAY=%s, but %s is not a socket (%s): is the X server running?",
				 display, sock, stat(sock, &st) < 0 ? strerror(errno) : "another kind of file");
	nook_verbose("x11: X11 does not isolate its clients: the app can read every other window's contents and input on %s (keystrokes included); prefer Wayland",
		     display);
	nook_desktop_bind(d, sock, sock, true);
	_cleanup_free_ char *dpy = nook_asprintf(":%s", num);
	nook_desktop_setenv(d, "DISPLAY", dpy);

	/* the host's cookie */
	const char *xa = getenv("XAUTHORITY");
	_cleanup_free_ char *xapath = xa && *xa ? nook_strdup(xa) : NULL;
	if (!xapath && getenv("HOME"))
		xapath = nook_path_join(getenv("HOME"), ".Xauthority");
	_cleanup_close_ int fd = xapath ? open(xapath, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0) {
		nook_verbose("x11: no Xauthority file (%s): the display must accept clients without a cookie",
			     xapath ? xapath : "neither XAUTHORITY nor HOME is set");
		return 0;
	}
	_cleanup_free_ unsigned char *buf = nook_xmalloc(XAUTH_MAX);
	size_t len = 0;
	ssize_t got;
	while (len < XAUTH_MAX && (got = read(fd, buf + len, XAUTH_MAX - len)) > 0)
		len += (size_t)got;
	struct field cookie;
	if (!find_cookie(buf, len, num, &cookie)) {
		nook_verbose("x11: %s has no " COOKIE_NAME " for display %s of this host: the display must accept clients without one",
			     xapath, num);
		return 0;
	}

	/* the container's cookie: one wildcard entry */
	unsigned char out[2 + 2 + 2 + sizeof num + 2 + sizeof COOKIE_NAME + 2 + 65536];
	size_t off = 0;
	out[off++] = FAMILY_WILD >> 8;
	out[off++] = FAMILY_WILD & 0xff;
	put_field(out, &off, "", 0);
	put_field(out, &off, num, strlen(num));
	put_field(out, &off, COOKIE_NAME, strlen(COOKIE_NAME));
	put_field(out, &off, cookie.p, cookie.len);
	_cleanup_free_ char *path = nook_path_join(d->dir, "Xauthority");
	_cleanup_close_ int ofd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (ofd < 0 || write(ofd, out, off) != (ssize_t)off)
		return nook_err(err, errno, "cannot write the container's X cookie to %s", path);
	explicit_bzero(out, sizeof out);
	explicit_bzero(buf, len);
	nook_desktop_bind(d, path, COOKIE_TARGET, true);
	nook_desktop_setenv(d, "XAUTHORITY", COOKIE_TARGET);
	return 0;
}
