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


PRIMITIVE_CACHE_CAPACITY = "64"


def bound_native_caches() -> None:
    """Cap oneDNN's primitive cache (default 1,024 entries) before the first forward pass creates it.

    oneDNN keeps a compiled primitive per operation and tensor shape; with batches of ever new
    shapes the cache grows by a few MiB per shape and pins heap memory between passes, so a run's
    memory kept growing with the corpus (measured: BENCHMARKS.md). 64 entries keep the shapes of
    recent batches at no measured speed cost. Only takes effect if oneDNN has not run yet in this
    process; an ``ONEDNN_PRIMITIVE_CACHE_CAPACITY`` the user set wins.
    """
    os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", PRIMITIVE_CACHE_CAPACITY)


def release_memory() -> None:
    """Give freed heap memory back to the OS (glibc ``malloc_trim``), once per batch.

    Batches of varying tensor shapes fragment glibc's heap: measured here, a run's resident memory
    grew 60% over ten batches without this and 10% with it.
    """
    if _TRIM is not None:
        _TRIM(0)
