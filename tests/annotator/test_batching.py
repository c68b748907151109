"""Tests of annotator.batching (chunks, prefetch) and annotator.memory (the heap trimmer, with a fake resident size)."""

from __future__ import annotations

import threading

import pytest

from annotator import memory
from annotator.batching import chunks, prefetch
from annotator.memory import HeapTrimmer, resident_bytes

MIB = 1 << 20


def test_chunks():
    assert list(chunks(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunks([], 3)) == []
    with pytest.raises(ValueError):
        list(chunks([1], 0))


def test_prefetch_keeps_order_and_reraises_upstream_errors():
    assert list(prefetch(iter(range(100)), depth=2)) == list(range(100))

    def broken():
        yield 1
        raise RuntimeError("upstream")

    got = []
    with pytest.raises(RuntimeError, match="upstream"):
        for item in prefetch(broken()):
            got.append(item)
    assert got == [1]


def test_prefetch_stops_its_thread_when_the_consumer_stops():
    it = prefetch(iter(range(10_000)), depth=2)
    assert next(it) == 0
    it.close()
    assert not any(t.name == "annotator-prefetch" and t.is_alive() for t in threading.enumerate())


def test_resident_bytes_is_plausible():
    rss = resident_bytes()
    if rss is None:
        pytest.skip("no /proc/self/statm here")
    assert 10 * MIB < rss < 64 * 1024 * MIB


class FakeHeap:
    """A resident size the test moves by hand; a trim gives back everything above ``in_use``."""

    def __init__(self, resident: int, in_use: int):
        self.resident, self.in_use, self.trims = resident, in_use, 0

    def trim(self, pad):
        self.trims += 1
        self.resident = self.in_use
        return 1


@pytest.fixture
def heap(monkeypatch):
    fake = FakeHeap(500 * MIB, 500 * MIB)
    monkeypatch.setattr(memory, "_TRIM", fake.trim)
    monkeypatch.setattr(memory, "resident_bytes", lambda: fake.resident)
    return fake


def test_trimmer_trims_only_past_the_slack(heap):
    trimmer = HeapTrimmer(slack=64 * MIB)
    heap.resident = 560 * MIB  # 60 MiB of freed heap held: under the slack
    trimmer()
    assert heap.trims == 0
    heap.resident = 580 * MIB
    trimmer()
    assert heap.trims == 1 and heap.resident == 500 * MIB


def test_trimmer_follows_memory_that_is_really_in_use(heap):
    trimmer = HeapTrimmer(slack=64 * MIB)
    heap.in_use = heap.resident = 700 * MIB  # e.g. a cache filled: in use, not freed
    trimmer()  # one trim finds nothing to give back ...
    assert heap.trims == 1
    heap.resident = 740 * MIB
    trimmer()  # ... and the new level is the floor: no trim after every pass
    assert heap.trims == 1
    heap.in_use = heap.resident = 450 * MIB  # memory given back: the floor follows it down
    trimmer()
    heap.resident = 520 * MIB
    trimmer()
    assert heap.trims == 2


def test_trimmer_is_a_no_op_without_glibc(monkeypatch):
    monkeypatch.setattr(memory, "_TRIM", None)
    trimmer = HeapTrimmer()
    assert trimmer.floor is None
    trimmer()
