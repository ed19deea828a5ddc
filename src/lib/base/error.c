/* SPDX-License-Identifier: GPL-2.0-or-later */
/* error.c - fixed-size error messages, usable after clone() without malloc. */
#include <stdio.h>
#include <string.h>
#include "nook/error.h"

int nook_verbose_level;

/* The length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls (U+0080-U+009F, CSI among them) act on some terminals */
	if (cp >= 0x80 && cp <= 0x9f)
		return 0;
	return len;
}

void nook_escape_controls(char *buf, size_t size)
{
	char in[NOOK_ERR_MAX];
	if (!buf || size == 0)
		return;
	if (size > sizeof in)
		size = sizeof in;
	size_t n = strnlen(buf, size - 1);
	const unsigned char *p = (const unsigned char *)in;
	bool clean = true;
	for (size_t i = 0; i < n && clean; i++)
		clean = ((const unsigned char *)buf)[i] >= 0x20 && ((const unsigned char *)buf)[i] < 0x7f;
	if (clean)
		return; /* the usual case: plain printable ASCII */
	memcpy(in, buf, n);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t len = p[i] >= 0x20 && p[i] < 0x7f ? 1 : p[i] >= 0x80 ? utf8_seq(p + i, n - i) : 0;
		if (len == 0) {
			/* a control character or a byte that is no valid UTF-8 */
			if (o + 4 >= size)
				break;
			snprintf(buf + o, size - o, "\\x%02x", p[i]);
			o += 4;
			i++;
			continue;
		}
		if (o + len >= size)
			break;
		memcpy(buf + o, in + i, len);
		o += len;
		i += len;
	}
	buf[o] = '\0';
}

static int fill(struct nook_error *err, int errnum, bool with_strerror,
		const char *fmt, va_list ap)
{
	if (errnum < 0)
		errnum = -errnum;
	if (err) {
		int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		if (with_strerror && errnum && n >= 0 && (size_t)n < sizeof err->msg)
			snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(errnum));
		/* names from a rootfs or a profile may hold terminal escapes */
		nook_escape_controls(err->msg, sizeof err->msg);
		err->code = errnum ? -errnum : -EINVAL;
		if (!err->exit_status)
			err->exit_status = NOOK_EXIT_FAILURE;
	}
	return errnum ? -errnum : -EINVAL;
}

int nook_err(struct nook_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = fill(err, errnum, true, fmt, ap);
	va_end(ap);
	return r;
}

int nook_errx(struct nook_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = fill(err, errnum, false, fmt, ap);
	va_end(ap);
	return r;
}

void nook_err_prefix(struct nook_error *err, const char *fmt, ...)
{
	char prefix[256], old[NOOK_ERR_MAX];
	va_list ap;
	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	size_t n = strnlen(prefix, sizeof prefix);
	if (n + 2 >= sizeof err->msg)
		return;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	size_t rest = sizeof err->msg - n - 3;
	size_t m = strnlen(old, rest);
	memcpy(err->msg + n + 2, old, m);
	err->msg[n + 2 + m] = '\0';
	nook_escape_controls(err->msg, sizeof err->msg);
}

void nook_err_clear(struct nook_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->exit_status = 0;
	err->msg[0] = '\0';
	err->path = NULL;
}

int nook_err_at(struct nook_error *err, const char *path, int r)
{
	if (err && r < 0)
		err->path = path;
	return r;
}

void nook_warn(const char *fmt, ...)
{
	char buf[NOOK_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	nook_escape_controls(buf, sizeof buf);
	dprintf(2, "nook: warning: %s\n", buf);
}

void nook_verbose(const char *fmt, ...)
{
	char buf[NOOK_ERR_MAX];
	va_list ap;
	if (nook_verbose_level <= 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	nook_escape_controls(buf, sizeof buf);
	dprintf(2, "nook: %s\n", buf);
}
