/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tap.h - run a check suite with TAP output on stdout, for automake's
 * tap-driver: every unit test counts as one test in the summary. */
#pragma once
#include <check.h>
#include <stdlib.h>

static inline int nook_check_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
