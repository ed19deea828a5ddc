/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cli.h - the command table's entry points. src/cli only parses and prints. */
#pragma once
#include <stdio.h>

int cmd_run(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_desktop(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_oci(int argc, char **argv);   /* nook-oci / nook oci */
void cli_usage(FILE *f);
/* "nook: CMD: unknown option 'ARG' (did you mean '--X'? ...)" on stderr;
 * cands are the long option names without "--", NULL-terminated. */
void cli_unknown_option(const char *cmd, const char *arg, const char *const *cands);
