/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procattr.c - how the payload is scheduled and where its memory goes:
 * the scheduling policy (sched_setattr), the I/O priority (ioprio_set)
 * and the NUMA memory policy (set_mempolicy), applied by payload.c right
 * before the security envelope, so that they are inherited by execve.
 * The spec's fields come from an OCI config (oci/config.c). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "nook/error.h"
#include "procattr.h"

struct sched_attr_v1 {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

int nook_procattr_apply(const struct nook_spec *s, struct nook_error *err)
{
	if (s->sched_policy >= 0) {
		struct sched_attr_v1 a = { .size = sizeof a, .policy = (uint32_t)s->sched_policy, .flags = s->sched_flags,
					   .nice = s->sched_nice, .priority = (uint32_t)s->sched_priority,
					   .runtime = s->sched_runtime, .deadline = s->sched_deadline,
					   .period = s->sched_period };
		if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
			return nook_err(err, errno, "cannot set the scheduling policy %d of the process (process.scheduler; "
					"real-time policies need CAP_SYS_NICE on the host)", s->sched_policy);
	}
	if (s->ioprio_class >= 0) {
		int prio = (s->ioprio_class << 13) | (s->ioprio_level & 0x1fff);
		if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, prio) < 0)
			return nook_err(err, errno, "cannot set the I/O priority of the process (process.ioPriority)");
	}
	if (s->mempolicy_mode >= 0) {
		unsigned long mask = (unsigned long)s->mempolicy_nodes;
		int mode = s->mempolicy_mode | (int)s->mempolicy_flags;
		if (syscall(SYS_set_mempolicy, mode, s->mempolicy_nodes ? &mask : NULL,
			    s->mempolicy_nodes ? (unsigned long)(8 * sizeof mask + 1) : 0UL) < 0)
			return nook_err(err, errno, "cannot set the memory policy of the process (linux.memoryPolicy)");
	}
	return 0;
}
