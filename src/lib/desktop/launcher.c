/* SPDX-License-Identifier: GPL-2.0-or-later */
/* launcher.c - `nook desktop install|remove PROFILE`: a desktop entry
 * (freedesktop.org Desktop Entry Specification) in the user's
 * applications directory whose Exec is the nook command line that runs
 * the profile, so that the sandboxed app appears in the desktop's menu
 * and gtk-launch can start it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/desktop.h"
#include "nook/error.h"
#include "nook/util.h"

char *nook_launcher_dir(void)
{
	const char *data = getenv("XDG_DATA_HOME");
	if (data && data[0] == '/')
		return nook_path_join(data, "applications");
	const char *home = getenv("HOME");
	if (!home || home[0] != '/')
		return NULL;
	return nook_path_join(home, ".local/share/applications");
}

/* The launcher's id: the profile's name, or a file's name without .yaml. */
static int launcher_id(const char *profile, char *id, size_t size, struct nook_error *err)
{
	const char *base = strrchr(profile, '/');
	base = base ? base + 1 : profile;
	size_t len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
		len -= 5;
	if (len == 0 || len >= size)
		return nook_errx(err, EINVAL, "cannot name a launcher after the profile '%s': its name must have 1 to %zu characters",
				 profile, size - 1);
	for (size_t i = 0; i < len; i++) {
		char c = base[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return nook_errx(err, EINVAL, "cannot name a launcher after the profile '%s': use letters, digits, '-', '_' and '.' in its name",
					 profile);
	}
	memcpy(id, base, len);
	id[len] = '\0';
	return 0;
}

static char *launcher_path(const char *profile, struct nook_error *err)
{
	char id[128];
	if (launcher_id(profile, id, sizeof id, err) < 0)
		return NULL;
	_cleanup_free_ char *dir = nook_launcher_dir();
	if (!dir) {
		nook_errx(err, EINVAL, "neither XDG_DATA_HOME nor HOME is set: nowhere to put the launcher");
		return NULL;
	}
	_cleanup_free_ char *file = nook_asprintf("nook-%s.desktop", id);
	return nook_path_join(dir, file);
}

/* A string value: backslash and the control characters escaped. */
static void put_string(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (*s == '\t')
			fputs("\\t", f);
		else if (*s == '\r')
			fputs("\\r", f);
		else
			fputc(*s, f);
	}
}

/* One argument of Exec: as it is when it holds only plain characters,
 * else in double quotes with ", `, $ and \ escaped; '%' is doubled
 * (field codes). The result is a string value, escaped by put_string. */
static void put_exec_arg(FILE *f, const char *a)
{
	bool plain = *a != '\0';
	for (const char *p = a; *p && plain; p++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=+,@", *p) != NULL;
	_cleanup_free_ char *q = nook_xmalloc(strlen(a) * 3 + 3);
	size_t n = 0;
	if (!plain)
		q[n++] = '"';
	for (const char *p = a; *p; p++) {
		if (!plain && strchr("\"`$\\", *p))
			q[n++] = '\\';
		if (*p == '%')
			q[n++] = '%';
		q[n++] = *p;
	}
	if (!plain)
		q[n++] = '"';
	q[n] = '\0';
	put_string(f, q);
}

int nook_launcher_install(const struct nook_launcher *l, char **path_out, struct nook_error *err)
{
	_cleanup_free_ char *path = launcher_path(l->profile, err);
	if (!path)
		return -EINVAL;
	_cleanup_free_ char *dir = nook_strdup(path);
	*strrchr(dir, '/') = '\0';
	int r = nook_mkdir_p(dir, 0755);
	if (r < 0)
		return nook_err(err, -r, "cannot create %s", dir);
	_cleanup_free_ char *tmp = nook_asprintf("%s.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return nook_err(err, errno, "cannot create a file in %s", dir);
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return nook_err(err, errno, "fdopen");
	}
	fprintf(f, "[Desktop Entry]\nType=Application\nVersion=1.0\nName=");
	put_string(f, l->name);
	fprintf(f, " (nook)\n");
	if (l->comment) {
		fprintf(f, "Comment=");
		put_string(f, l->comment);
		fputc('\n', f);
	}
	fprintf(f, "Icon=");
	put_string(f, l->icon);
	fprintf(f, "\nExec=");
	put_exec_arg(f, l->nook_path);
	fprintf(f, " run ");
	put_exec_arg(f, l->profile);
	fprintf(f, "\nTerminal=false\n");
	if (l->app_id) {
		/* lets the desktop match the app's windows to this entry */
		fprintf(f, "StartupWMClass=");
		put_string(f, l->app_id);
		fputc('\n', f);
	}
	fprintf(f, "X-Nook-Profile=");
	put_string(f, l->profile);
	fputc('\n', f);
	if (fchmod(fd, 0644) < 0 || fflush(f) != 0 || ferror(f)) {
		int e = errno;
		fclose(f);
		unlink(tmp);
		return nook_err(err, e, "cannot write %s", tmp);
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return nook_err(err, e, "cannot write %s", path);
	}
	*path_out = TAKE_PTR(path);
	return 0;
}

int nook_launcher_remove(const char *profile, char **path_out, struct nook_error *err)
{
	_cleanup_free_ char *path = launcher_path(profile, err);
	if (!path)
		return -EINVAL;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return nook_errx(err, ENOENT, "no launcher for '%s' is installed (%s does not exist)", profile, path);
		return nook_err(err, errno, "cannot remove %s", path);
	}
	*path_out = TAKE_PTR(path);
	return 0;
}
