"""Process memory: hand freed heap back to the OS, and cap the caches of compiled oneDNN kernels.

Kept apart from batching: these act on the process (glibc's heap, environment variables read by
PyTorch and oneDNN), not on the data. Why and how much: BENCHMARKS.md.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os


def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        return None


_TRIM = _malloc_trim()


NATIVE_CACHE_CAPS = {
    "LRU_CACHE_CAPACITY": "16",  # PyTorch's cache of oneDNN matmul computations (default 1,024)
    "ONEDNN_PRIMITIVE_CACHE_CAPACITY": "64",  # oneDNN's own primitive cache (default 1,024)
}


def bound_native_caches() -> None:
    """Cap the caches of compiled oneDNN kernels before the first forward pass creates them.

    PyTorch and oneDNN keep a compiled kernel per operation and tensor shape (1,024 of each by
    default), and batches come in ever new shapes; the caps keep memory flat (BENCHMARKS.md). They
    only take effect if oneDNN has not run yet in this process; a value set in the environment wins.
    """
    for name, value in NATIVE_CACHE_CAPS.items():
        os.environ.setdefault(name, value)


def release_memory() -> None:
    """Give freed heap memory back to the OS (glibc ``malloc_trim``), once per batch.

    Batches of varying tensor shapes fragment glibc's heap (measurements: BENCHMARKS.md).
    """
    if _TRIM is not None:
        _TRIM(0)


HEAP_SLACK = 64 << 20  # bytes of freed heap a run may hold between trims


def resident_bytes() -> int | None:
    """This process's resident memory (Linux ``/proc/self/statm``), or None where unknown."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class HeapTrimmer:
    """Call after each forward pass: trims the heap once resident memory has grown ``slack`` bytes
    above its lowest level since the last trim.

    Freed tensor memory stays in glibc's heap, fragmented by the varying shapes of the batches;
    trimming only past a slack keeps the peak flat at no measurable cost, where trimming after every
    pass is slower (BENCHMARKS.md). No-op where glibc or ``/proc`` is missing.
    """

    def __init__(self, slack: int = HEAP_SLACK):
        self.slack = slack
        self.floor = resident_bytes() if _TRIM is not None else None

    def __call__(self) -> None:
        if self.floor is None:
            return
        now = resident_bytes()
        if now is None:
            return
        if now - self.floor > self.slack:
            _TRIM(0)
            self.floor = resident_bytes() or now  # what is still in use after the trim
        else:
            self.floor = min(self.floor, now)
