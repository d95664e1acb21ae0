/*
 * Process hardening of cdl-tee (DESIGN §7).
 *
 * Early: not dumpable (no ptrace, no /proc/PID/mem for other processes of the
 * same user; the kernel also makes /proc/PID files root-owned), no core files.
 *
 * After start-up (socket, heaps, state directory and keys are set up, OpenSSL
 * has loaded what it needs): a seccomp-BPF allow-list of the system calls that
 * serving needs. Anything else kills the process; mmap/mprotect may not ask
 * for executable memory. Paths cannot be filtered by seccomp: openat, rename
 * and unlink are allowed (the storage code only uses them relative to the
 * TA's storage directory).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.h"

void cdl_harden_early(void)
{
	struct rlimit no_core = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		fprintf(stderr, "cdl-tee: warning: failed to make the process non-dumpable: %s\n",
			strerror(errno));
	if (setrlimit(RLIMIT_CORE, &no_core) != 0)
		fprintf(stderr, "cdl-tee: warning: failed to disable core dumps: %s\n",
			strerror(errno));
}

/*
 * With AddressSanitizer, LeakSanitizer's exit-time check clones a tracer
 * thread and ptraces the process, and the runtime needs further calls
 * (sigaltstack, sched_getaffinity, ...) at unpredictable times: an allow-list
 * would kill sanitized test runs. Sanitizer builds therefore run without the
 * filter (cdl-tee says so on stderr); release builds always have it.
 */
#if defined(__SANITIZE_ADDRESS__)
#define CDL_HAVE_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CDL_HAVE_SANITIZER 1
#endif
#endif

bool cdl_harden_seccomp_supported(void)
{
#if defined(CDL_HAVE_SANITIZER) || defined(CDL_TEE_NO_SECCOMP)
	return false;
#else
	return true;
#endif
}

#if defined(__x86_64__)
#define CDL_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define CDL_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

static const int allowed[] = {
	/* I/O on the client sockets and the storage files */
	__NR_read, __NR_write, __NR_readv, __NR_writev, __NR_pread64,
	__NR_pwrite64, __NR_close, __NR_recvmsg, __NR_sendmsg, __NR_recvfrom,
	__NR_sendto, __NR_accept4, __NR_ppoll, __NR_lseek, __NR_fcntl,
	__NR_fstat, __NR_newfstatat, __NR_statx, __NR_openat, __NR_fsync,
	__NR_fdatasync, __NR_ftruncate, __NR_renameat, __NR_renameat2,
	__NR_unlinkat, __NR_shutdown, __NR_getsockopt,
#ifdef __NR_poll
	__NR_poll,
#endif
#ifdef __NR_accept
	__NR_accept,
#endif
#ifdef __NR_rename
	__NR_rename,
#endif
#ifdef __NR_unlink
	__NR_unlink,
#endif
	/* memory: malloc, shared-memory mappings (no exec: filtered below) */
	__NR_munmap, __NR_mremap, __NR_madvise, __NR_brk,
	/* time, randomness, misc libc */
	__NR_getrandom, __NR_clock_gettime, __NR_clock_getres, __NR_gettimeofday,
	__NR_clock_nanosleep, __NR_nanosleep, __NR_futex, __NR_getpid,
	__NR_gettid, __NR_sched_yield, __NR_restart_syscall,
	__NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_exit, __NR_exit_group,
#ifdef __NR_time
	__NR_time,
#endif
};

#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))

int cdl_harden_seccomp(void)
{
#ifndef CDL_AUDIT_ARCH
	errno = ENOSYS;
	return -1;
#else
	struct sock_filter prog[8 + 2 * (sizeof(allowed) / sizeof(allowed[0])) + 16];
	struct sock_fprog fprog = { 0 };
	size_t n = 0;
	size_t i = 0;

#define EMIT(stmt) (prog[n++] = (struct sock_filter)stmt)
	/* Only the native ABI. */
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CDL_AUDIT_ARCH, 1, 0));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
#if defined(__x86_64__)
	/* x32 system calls alias the native numbers with bit 30 set */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#endif
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)allowed[i], 0, 1));
		EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	}
	/* mmap and mprotect: allowed unless PROT_EXEC (arg 2) is asked for. */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 1, 0));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 0, 4));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	/* Harmless probes (isatty on stderr) fail instead of killing. */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 1));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOTTY));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#undef EMIT

	fprog.len = (unsigned short)n;
	fprog.filter = prog;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	/* TSYNC: the worker threads started before (workers.c) get it too. */
	return (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
			    &fprog);
#endif
}
