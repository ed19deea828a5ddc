/* SPDX-License-Identifier: GPL-2.0-or-later */
/* units.c - strict parsers for sizes (512M, 1.5G), durations (90s, 1h30m)
 * and cpu counts (1.5). No floating point: decimals are exact. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "nook/profile.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Parse "INT[.FRAC]" at *p into a value scaled by 10^scale_digits (the
 * fraction may have at most scale_digits digits). Advances *p. */
static int parse_decimal(const char **p, unsigned scale_digits, uint64_t *out, bool *had_frac,
			 const char **why)
{
	const char *s = *p;
	uint64_t v = 0;
	if (!is_digit(*s)) {
		*why = "expected a number";
		return -EINVAL;
	}
	for (; is_digit(*s); s++) {
		if (v > (UINT64_MAX - 9) / 10) {
			*why = "number is too large";
			return -ERANGE;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	unsigned frac_digits = 0;
	uint64_t frac = 0;
	*had_frac = false;
	if (*s == '.') {
		s++;
		if (!is_digit(*s)) {
			*why = "expected digits after the decimal point";
			return -EINVAL;
		}
		for (; is_digit(*s); s++) {
			if (++frac_digits > scale_digits) {
				*why = "too many digits after the decimal point";
				return -EINVAL;
			}
			frac = frac * 10 + (uint64_t)(*s - '0');
		}
		*had_frac = true;
	}
	for (unsigned i = frac_digits; i < scale_digits; i++)
		frac *= 10;
	uint64_t scale = 1;
	for (unsigned i = 0; i < scale_digits; i++)
		scale *= 10;
	if (v > (UINT64_MAX - frac) / scale) {
		*why = "number is too large";
		return -ERANGE;
	}
	*out = v * scale + frac;
	*p = s;
	return 0;
}

/* sizes: 9 fractional digits at most; the result must be whole bytes */
int nook_parse_size(const char *s, uint64_t *out, const char **why)
{
	const char *p = s;
	uint64_t v;
	bool frac;
	const unsigned digits = 9;
	const uint64_t scale = 1000000000ull;
	int r = parse_decimal(&p, digits, &v, &frac, why);
	if (r < 0) {
		if (r == -EINVAL)
			*why = "expected a size such as 512M, 2G or 1.5G (units: K, M, G, T, P)";
		return r;
	}
	uint64_t mult = 1;
	switch (*p) {
	case 'k': case 'K': mult = 1ull << 10; p++; break;
	case 'm': case 'M': mult = 1ull << 20; p++; break;
	case 'g': case 'G': mult = 1ull << 30; p++; break;
	case 't': case 'T': mult = 1ull << 40; p++; break;
	case 'p': case 'P': mult = 1ull << 50; p++; break;
	default: break;
	}
	if (mult > 1 && p[0] == 'i' && p[1] == 'B')
		p += 2;
	else if (p[0] == 'B')
		p++;
	if (*p) {
		*why = "expected a size such as 512M, 2G or 1.5G (units: K, M, G, T, P)";
		return -EINVAL;
	}
	/* bytes = v * mult / scale, exactly, without overflow */
	uint64_t whole = v / scale, part = v % scale;
	if (whole && mult > UINT64_MAX / whole) {
		*why = "size is too large";
		return -ERANGE;
	}
	uint64_t bytes = whole * mult;
	if (part) {
		/* part * mult may overflow: split mult, which is a power of two */
		unsigned __int128 x = (unsigned __int128)part * mult;
		if (x % scale) {
			*why = "size is not a whole number of bytes";
			return -EINVAL;
		}
		uint64_t add = (uint64_t)(x / scale);
		if (bytes > UINT64_MAX - add) {
			*why = "size is too large";
			return -ERANGE;
		}
		bytes += add;
	}
	if (bytes == UINT64_MAX) {
		*why = "size is too large";
		return -ERANGE;
	}
	*out = bytes;
	return 0;
}

/* durations: one or more NUMBER UNIT groups, units ms s m h d; decimals
 * allowed (1.5h) as long as the total is whole milliseconds. */
int nook_parse_duration_ms(const char *s, uint64_t *out, const char **why)
{
	const char *p = s;
	uint64_t total = 0;
	if (!*p) {
		*why = "expected a duration such as 90s, 10m or 1h30m";
		return -EINVAL;
	}
	while (*p) {
		uint64_t v, unit;
		bool frac;
		int r = parse_decimal(&p, 3, &v, &frac, why); /* v is in thousandths */
		if (r < 0) {
			if (r == -EINVAL)
				*why = "expected a duration such as 90s, 10m or 1h30m";
			return r;
		}
		if (p[0] == 'm' && p[1] == 's') {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60 * 1000;
			p++;
		} else if (*p == 'h') {
			unit = 3600 * 1000;
			p++;
		} else if (*p == 'd') {
			unit = 86400 * 1000;
			p++;
		} else {
			*why = *p ? "unknown duration unit (use ms, s, m, h or d)"
				  : "a duration needs a unit (90s, 10m, 1h)";
			return -EINVAL;
		}
		if (v > UINT64_MAX / unit) {
			*why = "duration is too long";
			return -ERANGE;
		}
		uint64_t ms1000 = v * unit;
		if (ms1000 % 1000) {
			*why = "duration is not a whole number of milliseconds";
			return -EINVAL;
		}
		if (total > UINT64_MAX - ms1000 / 1000) {
			*why = "duration is too long";
			return -ERANGE;
		}
		total += ms1000 / 1000;
	}
	if (total == 0) {
		*why = "duration must be greater than zero";
		return -EINVAL;
	}
	*out = total;
	return 0;
}

/* cpus: a decimal with at most 5 fractional digits (the period is 100 ms,
 * so that is 1 us of quota), at least 0.01, at most 100000. */
int nook_parse_cpus(const char *s, uint64_t *quota_us, uint64_t *period_us, const char **why)
{
	const char *p = s;
	uint64_t v;
	bool frac;
	int r = parse_decimal(&p, 5, &v, &frac, why);
	if (r < 0 || *p) {
		if (r != -ERANGE)
			*why = "expected a number of cpus such as 1, 1.5 or 0.25";
		return r < 0 ? r : -EINVAL;
	}
	if (v < 1000) {
		*why = "at least 0.01 cpus";
		return -ERANGE;
	}
	if (v > 100000ull * 100000ull) {
		*why = "at most 100000 cpus";
		return -ERANGE;
	}
	*quota_us = v;
	*period_us = 100000;
	return 0;
}
