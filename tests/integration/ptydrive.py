#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# ptydrive.py [WAIT SEND]... -- CMD...: run CMD in the foreground of a new
# pty; for each pair in turn, wait until CMD's output holds WAIT, then type
# SEND (both with backslash escapes); copy the output to stdout and exit
# with CMD's status
import fcntl, os, select, subprocess, sys, termios, time
args = sys.argv[1:]
sep = args.index("--")
def esc(t):
    return t.encode().decode("unicode_escape").encode("latin-1")
pairs = [(esc(args[i]), esc(args[i + 1])) for i in range(0, sep, 2)]
m, s = os.openpty()
def ctty():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
p = subprocess.Popen(args[sep + 1:], stdin=s, stdout=s, stderr=s, preexec_fn=ctty)
os.close(s)
out = b""
deadline = time.time() + 25
while time.time() < deadline:
    while pairs and pairs[0][0] in out:
        os.write(m, pairs.pop(0)[1])
    r, _, _ = select.select([m], [], [], 0.1)
    if r:
        try:
            d = os.read(m, 4096)
        except OSError:
            break
        if not d:
            break
        out += d
    elif p.poll() is not None and not pairs:
        break
sys.stdout.buffer.write(out)
sys.exit(p.wait())
