/*
 * Benchmark-only shim: makes this process see an AVX2-only x86-64 CPU.
 *
 * LD_PRELOAD it and every CPUID instruction (oneDNN, FBGEMM, cpuinfo, ONNX Runtime's MLAS,
 * OpenBLAS...) traps to the handler below, which runs the real CPUID and clears the AVX512,
 * AVX512-VNNI/BF16/FP16, AVX-VNNI and AMX bits.  Kernels are then picked exactly as on a CPU
 * without them, so their speed and their arithmetic (e.g. int8 u8s8 saturation in vpmaddubsw)
 * are those of the AVX2 code paths, run on this core's execution units.
 *
 * Needs the Linux CPUID-faulting feature (`cpuid_fault` in /proc/cpuinfo; ARCH_SET_CPUID).
 * The setting is per thread and inherited by threads and fork()ed children, and reset by
 * execve(), which is why it is set from a constructor in every process that loads the shim.
 * Build and use: benchmarks/avx2/run.sh. HIDE_AVX512_COUNT=1 prints how many CPUIDs trapped.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static struct sigaction previous;
static volatile unsigned long trapped;

static void report(void) {
    if (getenv("HIDE_AVX512_COUNT")) {
        fprintf(stderr, "hide_avx512: %lu CPUID instructions trapped in %d\n", trapped, (int)getpid());
    }
}

static void mask(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d) {
    if (leaf == 7 && sub == 0) {
        /* EBX: AVX512F 16, DQ 17, IFMA 21, PF 26, ER 27, CD 28, BW 30, VL 31 */
        *b &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) |
                (1u << 30) | (1u << 31));
        /* ECX: VBMI 1, VBMI2 6, VNNI 11, BITALG 12, VPOPCNTDQ 14 */
        *c &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));
        /* EDX: 4VNNIW 2, 4FMAPS 3, VP2INTERSECT 8, AMX-BF16 22, AVX512-FP16 23, AMX-TILE 24,
           AMX-INT8 25 */
        *d &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) |
                (1u << 25));
    } else if (leaf == 7 && sub == 1) {
        /* EAX: AVX-VNNI 4, AVX512-BF16 5, AMX-FP16 21; EDX: AVX-VNNI-INT8 4, AVX10 19 */
        *a &= ~((1u << 4) | (1u << 5) | (1u << 21));
        *d &= ~((1u << 4) | (1u << 19));
    } else if (leaf == 0xd && sub == 0) {
        /* XSAVE state components: drop opmask/ZMM (5-7) and AMX tiles (17-18) */
        *a &= ~((1u << 5) | (1u << 6) | (1u << 7) | (1u << 17) | (1u << 18));
    }
}

static void on_segv(int sig, siginfo_t *info, void *raw) {
    ucontext_t *uc = raw;
    greg_t *r = uc->uc_mcontext.gregs;
    const unsigned char *ip = (const unsigned char *)r[REG_RIP];
    if (ip[0] == 0x0f && ip[1] == 0xa2) {
        uint32_t leaf = (uint32_t)r[REG_RAX], sub = (uint32_t)r[REG_RCX];
        uint32_t a, b, c, d;
        __atomic_add_fetch(&trapped, 1, __ATOMIC_RELAXED);
        syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
        __cpuid_count(leaf, sub, a, b, c, d);
        syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
        mask(leaf, sub, &a, &b, &c, &d);
        r[REG_RAX] = a;
        r[REG_RBX] = b;
        r[REG_RCX] = c;
        r[REG_RDX] = d;
        r[REG_RIP] += 2;
        return;
    }
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, info, raw);
    } else if (previous.sa_handler != SIG_IGN && previous.sa_handler != SIG_DFL) {
        previous.sa_handler(sig);
    } else {
        signal(SIGSEGV, SIG_DFL); /* a real crash: fault again, unhandled */
    }
}

__attribute__((constructor)) static void hide_avx512(void) {
    struct sigaction action = {0};
    action.sa_sigaction = on_segv;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous);
    atexit(report);
    if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0) {
        perror("hide_avx512: ARCH_SET_CPUID (needs cpuid_fault in /proc/cpuinfo)");
        exit(3);
    }
}
