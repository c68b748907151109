"""The local engine: runs the stages of :mod:`annotator.stages` over a stream of batches, in order.

With ``workers=0`` everything runs in this process: prepare in a background thread, one batch
ahead, while the model runs (as before there were stages). With ``workers=N`` prepare and finish
run in N worker processes (``forkserver`` where the platform has it, else ``spawn``; the workers
load the tokenizer only, never torch) and the forward pass stays in this process, on the device.
At most ``N + 1`` batches wait to be prepared and ``N + 1`` to be finished, so memory stays flat;
results come out in input order, the same whatever ``N`` (every stage is a pure function of its
batch, and the forward pass sees the same batches).

Documents longer than :data:`annotator.stages.LONG_DOC_CHARS` are streamed piece by piece in this
process (:func:`annotator.stages.stream_spans`), so one huge document never sits whole in memory
as windows or scores.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from .batching import prefetch
from .labels import Span
from .stages import (
    Packed,
    Preparer,
    StageSettings,
    finish,
    forward,
    split_long,
    stream_spans,
)

MAX_DEFAULT_WORKERS = 8


def default_workers(device) -> int:
    """Worker processes when the user names none: none on a CPU (the forward pass wants every core,
    and on 2 cores the workers only add their overhead), ``min(cores - 1, 8)`` beside a GPU."""
    if getattr(device, "type", "cpu") != "cuda":
        return 0
    return max(0, min((os.cpu_count() or 1) - 1, MAX_DEFAULT_WORKERS))


Job = tuple[Any, Sequence[str]]  # (anything the caller wants back, the texts of the batch)


def run_stages(jobs: Iterator[Job], *, tagger, settings: StageSettings, workers: int = 0
               ) -> Iterator[tuple[Any, list[list[Span]]]]:
    """``(tag, spans per text)`` for each ``(tag, texts)`` job, in order; ``tagger`` runs the model."""
    if workers < 0:
        raise ValueError("workers must not be negative")
    long_preparer = Preparer(settings)  # for streamed documents, in this thread

    def run_forward(packed: Packed):
        return forward(packed, tagger=tagger)

    def with_long(texts: Sequence[str], long: list[int], short_spans: list[list[Span]]) -> list[list[Span]]:
        if not long:
            return short_spans
        out: list[list[Span]] = []
        pending = iter(short_spans)
        longs = set(long)
        for i, text in enumerate(texts):
            out.append(stream_spans(long_preparer, text, run_forward) if i in longs else next(pending))
        return out

    if workers == 0:
        preparer = Preparer(settings)

        def prepared():
            for tag, texts in jobs:
                short, long = split_long(texts, settings)
                yield tag, texts, long, preparer.prepare(short)

        for tag, texts, long, packed in prefetch(prepared(), depth=2):
            spans = finish(packed, run_forward(packed), labels=settings.labels, decoding=settings.decoding)
            yield tag, with_long(texts, long, spans)
        return

    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    depth = workers + 1
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(settings,)) as pool:
        try:
            source = prefetch(jobs, depth=2)  # reading and parsing the input overlaps too
            to_forward: deque = deque()
            to_yield: deque = deque()
            exhausted = False
            while True:
                while not exhausted and len(to_forward) < depth:
                    job = next(source, None)
                    if job is None:
                        exhausted = True
                        break
                    tag, texts = job
                    short, long = split_long(texts, settings)
                    to_forward.append((tag, texts, long, pool.submit(_prepare, short)))
                if to_forward:
                    tag, texts, long, future = to_forward.popleft()
                    packed = future.result()
                    log_probs = run_forward(packed)
                    long_spans = with_long(texts, long, [[] for _ in range(packed.n_docs)])
                    to_yield.append((tag, long, long_spans, pool.submit(_finish, packed.without_tokens(), log_probs)))
                    del packed, log_probs
                while to_yield and (len(to_yield) > depth or not to_forward or to_yield[0][3].done()):
                    tag, long, long_spans, future = to_yield.popleft()
                    spans = future.result()
                    if long:
                        pending = iter(spans)
                        longs = set(long)
                        spans = [s if i in longs else next(pending) for i, s in enumerate(long_spans)]
                    yield tag, spans
                if exhausted and not to_forward and not to_yield:
                    return
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


_WORKER: dict[str, Preparer] = {}


def _init_worker(settings: StageSettings) -> None:
    _WORKER["preparer"] = Preparer(settings)


def _prepare(texts: Sequence[str]) -> Packed:
    return _WORKER["preparer"].prepare(texts)


def _finish(packed: Packed, log_probs) -> list[list[Span]]:
    settings = _WORKER["preparer"].settings
    return finish(packed, log_probs, labels=settings.labels, decoding=settings.decoding)
