/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dbusname.c - the syntax of the D-Bus names and rules a profile gives
 * the proxy (pure functions; the profile loader calls them with the file
 * position at hand, so a bad name fails before anything starts). */
#include <stdbool.h>
#include <string.h>
#include "nook/desktop.h"

static bool elem_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-')
		return true;
	return !first && c >= '0' && c <= '9';
}

/* dot-separated elements in [s, end): at least min of them */
static bool dotted(const char *s, const char *end, size_t min, bool dash_ok, const char **why)
{
	size_t elems = 0;
	bool first = true;
	for (const char *p = s; p < end; p++) {
		if (*p == '.') {
			if (first) {
				*why = "an empty element (two dots, or a dot at an end)";
				return false;
			}
			first = true;
			continue;
		}
		if (!elem_char(*p, first) || (!dash_ok && *p == '-')) {
			*why = first && *p >= '0' && *p <= '9' ? "an element starts with a digit"
							       : "only letters, digits, '_' and '-' between the dots";
			return false;
		}
		if (first)
			elems++;
		first = false;
	}
	if (first && end > s) {
		*why = "an empty element (two dots, or a dot at an end)";
		return false;
	}
	if (elems < min) {
		*why = "a name has at least two elements, such as org.example.App";
		return false;
	}
	return true;
}

bool nook_dbus_name_valid(const char *name, bool wildcard_ok, const char **why)
{
	size_t len = strlen(name);
	const char *dummy;
	if (!why)
		why = &dummy;
	if (len == 0) {
		*why = "the name is empty";
		return false;
	}
	if (name[0] == ':') {
		*why = "unique names (:1.23) change with every connection: use a well-known name";
		return false;
	}
	if (len >= 2 && strcmp(name + len - 2, ".*") == 0) {
		if (!wildcard_ok) {
			*why = "no wildcard here";
			return false;
		}
		len -= 2;
	} else if (strchr(name, '*')) {
		*why = "a wildcard is only allowed as a last element: org.example.*";
		return false;
	}
	if (len > 255) {
		*why = "longer than 255 characters";
		return false;
	}
	return dotted(name, name + len, 2, true, why);
}

bool nook_dbus_rule_valid(const char *rule, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	const char *eq = strchr(rule, '=');
	if (!eq) {
		*why = "expected NAME=[METHOD][@PATH], such as org.example.App=org.example.Iface.Method@/org/example";
		return false;
	}
	char name[256];
	size_t nlen = (size_t)(eq - rule);
	if (nlen >= sizeof name) {
		*why = "the name is longer than 255 characters";
		return false;
	}
	memcpy(name, rule, nlen);
	name[nlen] = '\0';
	if (!nook_dbus_name_valid(name, true, why))
		return false;
	const char *m = eq + 1, *at = strchr(m, '@');
	const char *mend = at ? at : m + strlen(m);
	if (mend > m && !(mend - m == 1 && *m == '*')) {
		/* interface.Method or interface.* */
		const char *end = mend;
		if (mend - m >= 2 && strncmp(mend - 2, ".*", 2) == 0)
			end = mend - 2;
		if (!dotted(m, end, 2, false, why)) {
			*why = "the method is '*', 'interface.*' or 'interface.Method' (letters, digits, '_')";
			return false;
		}
	}
	if (at) {
		const char *p = at + 1;
		size_t plen = strlen(p);
		if (plen >= 2 && strcmp(p + plen - 2, "/*") == 0)
			plen -= 2;
		if (p[0] != '/') {
			*why = "the path after '@' is an object path such as /org/example or /org/example/*";
			return false;
		}
		for (size_t i = 1; i < plen; i++) {
			char c = p[i];
			bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
				  (c == '/' && p[i - 1] != '/' && i + 1 < plen);
			if (!ok) {
				*why = "an object path has elements of letters, digits and '_' between single slashes";
				return false;
			}
		}
	}
	return true;
}
