/* SPDX-License-Identifier: GPL-2.0-or-later */
/* passwd.c - the caller's passwd entry, once per process: from
 * /etc/passwd without NSS when NSS would answer from that file anyway,
 * else from NSS (util.h: nook_passwd_me). */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nook/twin.h"
#include "nook/util.h"

/* Whether NSS asks /etc/passwd first: the passwd line of nsswitch.conf
 * starts with "files", with no action right after it (that could make a
 * match in the file not the answer). */
static bool passwd_files_first(void)
{
	FILE *f = fopen("/etc/nsswitch.conf", "re");
	if (!f)
		return false;
	char line[512];
	bool first = false;
	while (fgets(line, sizeof line, f)) {
		char *p = line + strspn(line, " \t");
		if (strncmp(p, "passwd:", 7) != 0)
			continue;
		char *save = NULL;
		char *a = strtok_r(p + 7, " \t\n", &save);
		char *b = a ? strtok_r(NULL, " \t\n", &save) : NULL;
		first = a && strcmp(a, "files") == 0 && !(b && b[0] == '[');
		break;
	}
	fclose(f);
	return first;
}

static int from_files(char **name, char **home)
{
	*name = *home = NULL;
	if (!passwd_files_first())
		return -ENOENT;
	FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return -ENOENT;
	uid_t me = getuid();
	struct passwd *pw;
	int r = -ENOENT;
	while ((pw = fgetpwent(f))) {
		if (pw->pw_uid != me)
			continue;
		*name = strdup(pw->pw_name);
		*home = strdup(pw->pw_dir);
		r = *name && *home ? 0 : -ENOMEM;
		break;
	}
	fclose(f);
	if (r < 0) {
		free(*name);
		free(*home);
		*name = *home = NULL;
	}
	return r;
}

int nook_passwd_me(const char **name, const char **home)
{
	static struct {
		bool done;
		int r;
		char *name, *home;
	} me;
	if (!me.done) {
		me.done = true;
		me.r = from_files(&me.name, &me.home);
		/* NSS's own answer: not in a static glibc (twin.h) */
		if (me.r < 0 && !nook_is_static()) {
			const struct passwd *pw = getpwuid(getuid());
			if (pw && pw->pw_name && pw->pw_dir) {
				me.name = nook_strdup(pw->pw_name);
				me.home = nook_strdup(pw->pw_dir);
				me.r = 0;
			}
		}
	}
	*name = me.name;
	*home = me.home;
	return me.r;
}
