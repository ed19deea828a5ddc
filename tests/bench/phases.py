#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# phases.py - reads `perf script -F comm,pid,time,event,trace` output of
# tests/bench/phases.sh and prints where each `nook run` spent its time:
# the phases (exec of nook -> first clone, -> the payload's exec, the
# payload's own run, its exit -> nook's exit) and, per process role
# (monitor, container init, network helper, payload), the system calls
# that took longest, per run (the intermediate: the holder path's).
import collections
import re
import statistics
import sys

names = {}
try:
    for line in open('/usr/include/x86_64-linux-gnu/asm/unistd_64.h'):
        m = re.match(r'#define __NR_(\w+)\s+(\d+)', line)
        if m:
            names[int(m.group(2))] = m.group(1)
except OSError:
    pass

nook_path, payload = sys.argv[2], sys.argv[3]
events = []
for line in open(sys.argv[1]):
    m = re.match(r'\s*(\S+)\s+(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)', line)
    if m:
        events.append((m.group(1), int(m.group(2)), float(m.group(3)) * 1000, m.group(4), m.group(5)))

runs, cur = [], None
for comm, pid, t, ev, arg in events:
    if ev == 'sched:sched_process_exec' and ('filename=' + nook_path) in arg:
        cur = {'exec': t, 'monitor': pid, 'forks': [], 'payload': None}
        runs.append(cur)
        continue
    if cur is None:
        continue
    if ev == 'sched:sched_process_fork':
        parent = int(re.search(r' pid=(\d+)', arg).group(1))
        child = int(re.search(r'child_pid=(\d+)', arg).group(1))
        cur['forks'].append((t, parent, child))
        if parent == cur['monitor']:
            cur.setdefault('first_fork', t)
    elif ev == 'sched:sched_process_exec' and ('/' + payload) in arg and cur['payload'] is None:
        cur['payload'] = pid
        cur['payload_exec'] = t
    elif ev == 'sched:sched_process_exit' and pid == cur['payload']:
        cur['payload_exit'] = t
    elif ev == 'sched:sched_process_exit' and pid == cur['monitor']:
        cur['end'] = t

# Roles from the tree: the payload's forker is the container's init; the
# init's forker is the monitor, or (through the user namespace holder) the
# intermediate the monitor forked; the monitor's other children are its
# helpers (the network namespace's, slirp4netns, ...).
role = {}
for r in runs:
    parent_of = {c: p for _, p, c in r['forks']}
    role[r['monitor']] = 'monitor'
    init = parent_of.get(r['payload']) if r['payload'] else None
    if init:
        role[init] = 'init'
        if parent_of.get(init) not in (None, r['monitor']):
            role[parent_of[init]] = 'intermediate'
    for _, p, c in r['forks']:
        if p == r['monitor'] and c not in role:
            role[c] = 'helper'
    if r['payload']:
        role[r['payload']] = 'payload'


def med(a, b):
    v = [r[b] - r[a] for r in runs if a in r and b in r]
    return (statistics.median(v), len(v)) if v else (float('nan'), 0)


print(f"{len(runs)} runs of {nook_path}")
for a, b, what in [('exec', 'first_fork', 'nook starts, reads the profile, prepares (until its first clone)'),
                   ('first_fork', 'payload_exec', 'the container is built (until the payload execs)'),
                   ('payload_exec', 'payload_exit', 'the payload runs'),
                   ('payload_exit', 'end', 'the payload exits -> nook exits (teardown)'),
                   ('exec', 'end', 'total')]:
    m, n = med(a, b)
    print(f"  {m:7.3f} ms  {what} ({n} runs)")

total = collections.defaultdict(lambda: collections.defaultdict(float))
count = collections.defaultdict(lambda: collections.defaultdict(int))
entered = {}
for comm, pid, t, ev, arg in events:
    r = role.get(pid)
    if not r:
        continue
    if ev == 'raw_syscalls:sys_enter':
        entered[pid] = (int(arg.split()[1]), t)
    elif ev == 'raw_syscalls:sys_exit' and pid in entered:
        nr, t0 = entered.pop(pid)
        k = names.get(nr, str(nr))
        total[r][k] += t - t0
        count[r][k] += 1
n = max(len(runs), 1)
for r in ('monitor', 'intermediate', 'init', 'helper', 'payload'):
    if r not in total:
        continue
    top = sorted(total[r].items(), key=lambda kv: -kv[1])[:12]
    print(f"  {r}: {sum(total[r].values()) / n:.3f} ms in system calls per run (waits included); longest:")
    print("    " + ", ".join(f"{k} {v / n * 1000:.0f} us/{count[r][k] / n:.0f}" for k, v in top))
