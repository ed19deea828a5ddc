/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pty.h - a terminal of its own for the payload (process.tty).
 *
 * The container's init opens a pty pair in the container's devpts, passes
 * the master to the parent over the sync socket, and the payload makes the
 * slave its controlling terminal. The parent relays between its own
 * terminal (put in raw mode) and the master, and passes window size changes
 * on. The caller's terminal is never reachable from inside. */
#pragma once
#include <stdbool.h>
#include <termios.h>
#include "nook/error.h"

/* child side */
int nook_pty_open(int *master, int *slave, struct nook_error *err);
int nook_pty_make_controlling(int slave, struct nook_error *err);

/* parent side */
struct nook_pty_relay {
	int master;          /* -1 when no pty */
	bool raw;            /* our stdin was put in raw mode */
	bool in_open;        /* stdin still open */
	struct termios saved;
};
void nook_pty_relay_init(struct nook_pty_relay *r, int master);
void nook_pty_resize(struct nook_pty_relay *r);
/* Copy what is readable; returns false when the master side closed. */
bool nook_pty_pump_in(struct nook_pty_relay *r);
bool nook_pty_pump_out(struct nook_pty_relay *r);
void nook_pty_relay_done(struct nook_pty_relay *r);
