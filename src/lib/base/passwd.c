/* SPDX-License-Identifier: GPL-2.0-or-later */
/* passwd.c - the caller's passwd entry from /etc/passwd, without NSS when
 * NSS would answer from that file anyway (util.h: nook_passwd_self). */
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

int nook_passwd_self(char **name, char **home)
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
