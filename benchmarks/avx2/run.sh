#!/usr/bin/env bash
# Run a command as if on an AVX2-only x86-64 CPU (no AVX512, VNNI, BF16 or AMX), on a Linux machine
# that has them, to measure the AVX2 code paths of torch (oneDNN, FBGEMM), ONNX Runtime (MLAS) and
# spaCy (BLIS) without such a machine:
#
#     bash benchmarks/avx2/run.sh python benchmarks/throughput.py --docs 300 --rounds 3
#
# hide_avx512.c (built here once, into $TMPDIR) is LD_PRELOADed: every CPUID instruction of the
# command and of its children traps to it, and it hides those features, so every library picks its
# AVX2 kernels, with their speed and their arithmetic (ONNX Runtime's AVX2 u8s8 int8 products
# saturate, as on a real AVX2 CPU). They run on this machine's cores: caches, clocks and execution
# units stay this CPU's, so timings approximate, not equal, those of a real AVX2 CPU.
# Needs gcc and CPUID faulting (cpuid_fault in /proc/cpuinfo: most recent Intel and AMD CPUs and VMs).
# A SIGSEGV handler installed after start-up (python -X faulthandler, PYTHONFAULTHANDLER) would take the
# traps of later CPUIDs and crash: run without one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if ! grep -qw cpuid_fault /proc/cpuinfo 2>/dev/null; then
    echo "benchmarks/avx2/run.sh: this machine has no CPUID faulting (cpuid_fault in /proc/cpuinfo)" >&2
    exit 2
fi
lib="${TMPDIR:-/tmp}/annotator-hide-avx512-$(id -u).so"
if [[ ! -f $lib || $here/hide_avx512.c -nt $lib ]]; then
    gcc -O2 -Wall -Wextra -shared -fPIC -o "$lib.$$" "$here/hide_avx512.c"
    mv -f "$lib.$$" "$lib"
fi
LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}" exec "$@"
