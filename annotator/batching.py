"""Bounded batching helpers: fixed-size chunks and a background-thread prefetch."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last may be shorter)."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def prefetch(items: Iterable[T], *, depth: int = 2) -> Iterator[T]:
    """Iterate ``items`` in a background thread, at most ``depth`` ahead of the consumer.

    Lets CPU work upstream (reading, segmentation, tokenization) run while the consumer runs the
    model. An exception upstream is re-raised in the consumer; closing the consumer stops the thread.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((None, item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((None, _DONE))
        except BaseException as exc:  # handed to the consumer
            q.put((exc, None))

    thread = threading.Thread(target=produce, name="annotator-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            exc, item = q.get()
            if exc is not None:
                raise exc
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)


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

    PyTorch and oneDNN keep a compiled kernel per operation and tensor shape, 1,024 of each by
    default; batches come in ever new shapes, so the caches grew by a few MiB per shape and a run's
    memory kept rising with the corpus (measured: BENCHMARKS.md). The caps keep the shapes of the
    latest batches at no measured speed cost. They only take effect if oneDNN has not run yet in
    this process; a value the user set in the environment wins.
    """
    for name, value in NATIVE_CACHE_CAPS.items():
        os.environ.setdefault(name, value)


def release_memory() -> None:
    """Give freed heap memory back to the OS (glibc ``malloc_trim``), once per batch.

    Batches of varying tensor shapes fragment glibc's heap: measured here, a run's resident memory
    grew 60% over ten batches without this and 10% with it.
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

    Freed tensor memory stays in glibc's heap, fragmented by the varying shapes of the batches, and
    the next passes cannot always reuse it: within a batch of documents the resident size rose
    ~190 MiB above what was in use. Trimming after every pass cost 2-10% of the speed; trimming
    when the slack passes 64 MiB keeps the peak flat at a cost lost in the noise (BENCHMARKS.md).
    No-op where glibc or ``/proc`` is missing.
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
