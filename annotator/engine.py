"""The local engine: runs the stages of :mod:`annotator.stages` over a stream of batches, in order.

With ``workers=0`` everything runs in this process, in three threads: prepare runs ahead of the
forward pass, and the forward pass ahead of finish, so the model is not idle while a batch is
decoded and serialized. With ``workers=N`` prepare and finish run in N worker processes
(``forkserver`` where the platform has it, else ``spawn``; the workers load the tokenizer only,
never torch) and the forward pass stays in this process, on the device.
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
from collections.abc import Callable, Iterator, Sequence
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


Job = tuple[Any, Sequence[str], Any]  # (anything the caller wants back, the texts of the batch, payload)


def run_stages(
    jobs: Iterator[Job],
    *,
    tagger,
    settings: StageSettings,
    workers: int = 0,
    finalize: Callable[[Any, list[list[Span]]], Any] | None = None,
) -> Iterator[tuple[Any, list[list[Span]], Any]]:
    """``(tag, spans per text, finalize(payload, spans))`` for each ``(tag, texts, payload)`` job, in order.

    ``tagger`` runs the model. ``finalize`` (a picklable function, e.g. a serializer) runs after
    finish, in the worker where there are workers; None gives None.
    """
    if workers < 0:
        raise ValueError("workers must not be negative")
    streaming: list[Preparer] = []  # for streamed documents, in this thread (made when first needed)

    def run_forward(packed: Packed):
        return forward(packed, tagger=tagger)

    def streamed(texts: Sequence[str], long: list[int]) -> list[list[Span] | None]:
        """Spans of the long documents among ``texts`` (streamed), None in the places of the others."""
        if not streaming:
            streaming.append(Preparer(settings))
        longs = set(long)
        return [stream_spans(streaming[0], text, run_forward) if i in longs else None for i, text in enumerate(texts)]

    def with_long(texts: Sequence[str], long: list[int], short_spans: list[list[Span]]) -> list[list[Span]]:
        if not long:
            return short_spans
        pending = iter(short_spans)
        return [s if s is not None else next(pending) for s in streamed(texts, long)]

    if workers == 0:
        preparer = Preparer(settings)

        def prepared():
            for tag, texts, payload in jobs:
                short, long = split_long(texts, settings)
                yield tag, texts, payload, long, preparer.prepare(short)

        def forwarded():
            for tag, texts, payload, long, packed in prefetch(prepared(), depth=2):
                yield tag, texts, payload, long, packed, run_forward(packed)

        # three threads: prepare, forward (the model releases the GIL) and finish here, so the model
        # runs batch k + 1 while batch k is decoded and serialized
        for tag, texts, payload, long, packed, log_probs in prefetch(forwarded(), depth=1):
            spans = finish(
                packed,
                log_probs,
                labels=settings.labels,
                decoding=settings.decoding,
                cased_entities=settings.cased_entities,
            )
            spans = with_long(texts, long, spans)
            yield tag, spans, finalize(payload, spans) if finalize is not None else None
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
                    tag, texts, payload = job
                    short, long = split_long(texts, settings)
                    to_forward.append((tag, texts, payload, long, pool.submit(_prepare, short)))
                if to_forward:
                    tag, texts, payload, long, future = to_forward.popleft()
                    packed = future.result()
                    log_probs = run_forward(packed)
                    long_spans = streamed(texts, long) if long else None
                    to_yield.append(
                        (tag, pool.submit(_finish, packed.without_tokens(), log_probs, long_spans, finalize, payload))
                    )
                    del packed, log_probs, long_spans
                while to_yield and (len(to_yield) > depth or (exhausted and not to_forward) or to_yield[0][1].done()):
                    tag, future = to_yield.popleft()
                    spans, finalized = future.result()
                    yield tag, spans, finalized
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


def _finish(
    packed: Packed, log_probs, long_spans: list[list[Span] | None] | None, finalize, payload
) -> tuple[list[list[Span]], Any]:
    """Finish a batch; the spans of its streamed documents (done in the main process) go in their places."""
    settings = _WORKER["preparer"].settings
    spans = finish(
        packed, log_probs, labels=settings.labels, decoding=settings.decoding, cased_entities=settings.cased_entities
    )
    if long_spans is not None:
        pending = iter(spans)
        spans = [s if s is not None else next(pending) for s in long_spans]
    return spans, finalize(payload, spans) if finalize is not None else None
