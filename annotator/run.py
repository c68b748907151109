"""`annotator annotate` (``annotator.annotate``): read → length-sort and batch → infer → decode → restore order → write.

One record out per document in, in input order, or one line in the rejects file; a run killed at
any point continues with ``resume=True`` to the byte-identical output (see :mod:`annotator.parts`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import cast

from .batching import chunks
from .choices import Decoding, Precision, Quantization, Runtime, check
from .errors import ConfigError, InputFormatError
from .memory import release_memory
from .model import check_runtime, resolve_runtime
from .outputs import Inputs, RunLock, check_output, lock_path, tmp_path
from .parts import SUFFIX, PartStore, items_digest
from .readers import ReaderOptions, ReadProgress, expand_inputs, open_records
from .records import Annotated, Record, Reject
from .stages import StageSettings, serialize_jsonl
from .stats import RunStats, count_words
from .writers import FIXED_KEYS, SUFFIXES, format_for

DEFAULT_BATCH_SIZE = 256  # documents per batch (the length-sorting buffer and the resume unit)


@dataclass(frozen=True)
class AnnotateConfig:
    """Everything `annotate` needs besides the inputs and the output; validates itself."""

    model: Path | None = None
    format: str | None = None
    device: str = "auto"
    decoding: Decoding = "constrained"
    quantize: Quantization = "auto"  # auto: int8 where the runtime is onnx (model.resolve_runtime)
    precision: Precision = "auto"
    runtime: Runtime = "auto"  # auto: onnx on a CPU, else torch (model.resolve_runtime)
    batch_size: int = DEFAULT_BATCH_SIZE
    batch_tokens: int | None = None  # None: per device (tagging.default_batch_tokens)
    workers: int | None = None  # CPU stage processes; None: per device (engine.default_workers); not fingerprinted
    window_overlap: int = 32
    shard_size: int | None = None
    include_text: bool = True
    rejects: Path | None = None
    strict: bool = False
    resume: bool = False
    force: bool = False
    progress: bool = True
    reader: ReaderOptions = field(default_factory=ReaderOptions)

    def __post_init__(self) -> None:
        check(self.decoding, Decoding, what="--decoding")
        check(self.quantize, Quantization, what="--quantize")
        check(self.precision, Precision, what="--precision")
        check_runtime(self.runtime, device=self.device, precision=self.precision)
        if self.resume and self.force:
            raise ConfigError("use just one of --resume and --force")
        if self.batch_size < 1:
            raise ConfigError("--batch-size must be at least 1")
        if self.workers is not None and self.workers < 0:
            raise ConfigError("--workers must not be negative")
        if self.batch_tokens is not None and self.batch_tokens < 64:
            raise ConfigError("--batch-tokens must be at least 64")
        if self.window_overlap < 0:
            raise ConfigError("--window-overlap must not be negative")
        if self.shard_size is not None and self.shard_size < 1:
            raise ConfigError("--shard-size must be at least 1")
        clash = sorted(set(self.reader.keep) & set(FIXED_KEYS))
        if clash:
            raise ConfigError(f"--keep {clash[0]}: that name is an output column of its own; keep other fields")


def default_rejects_path(output: Path) -> Path:
    """``out.jsonl`` → ``out.rejects.jsonl`` beside it (``corpus.parquet`` → ``corpus.rejects.jsonl``)."""
    name = output.name
    for suffix in (".jsonl", ".ndjson", ".parquet", ".spacy"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return output.with_name(name + ".rejects.jsonl")


def annotate(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    config: AnnotateConfig = AnnotateConfig(),
) -> RunStats:
    """Annotate every document of ``inputs`` into ``output``; returns the run's counts."""
    called = time.perf_counter()
    from .model import pick_device, resolve_model_dir
    from .tagging import default_batch_tokens

    output = Path(output)
    fmt = format_for(output, config.format)
    named = SUFFIXES.get(output.suffix.lower())
    if named is not None and named != fmt and not config.force:
        raise ConfigError(
            f"--format {fmt} does not match the suffix of {output} (a {named} name); name the output "
            f"{output.with_suffix(SUFFIX[fmt]).name}, or pass --force to write {fmt} under that name"
        )
    if fmt == "spacy" and not config.include_text:
        raise ConfigError("--no-text cannot apply to spacy output: a Doc always holds its text")
    rejects_path = Path(config.rejects) if config.rejects else default_rejects_path(output)
    own = own_paths(output, rejects_path)
    files = expand_inputs(inputs, options=config.reader, exclude=own)  # bad paths fail here, before the model loads
    _check_outputs(inputs, files, output, rejects_path, config)
    model_dir = resolve_model_dir(config.model)
    device = pick_device("cpu" if config.runtime == "onnx" else config.device)
    runtime, quantize = resolve_runtime(
        config.runtime, config.quantize, precision=config.precision, device=device, model_dir=model_dir
    )
    # resolved once, before the fingerprint: the run and its resume agree
    config = replace(config, runtime=cast(Runtime, runtime), quantize=cast(Quantization, quantize))
    batch_tokens = config.batch_tokens or default_batch_tokens(device)  # resolved once: the run and its resume agree
    store = PartStore(
        output,
        fmt,
        include_text=config.include_text,
        shard_size=config.shard_size,
        rejects=rejects_path,
        rejects_replaceable=config.rejects is None,
    )
    fingerprint = run_fingerprint(files, model_dir, fmt, config, device=device.type, batch_tokens=batch_tokens)
    with RunLock(output):
        stats = store.start(fingerprint, resume=config.resume, force=config.force)  # the parts already done
        stats.resumed_from, stats.resumed_words = stats.read, stats.words
        try:
            _run(store, stats, files, model_dir, device, batch_tokens, config, fmt=fmt, called=called)
        except BaseException:
            store.abandon()  # a failed start leaves no parts directory behind
            raise
        store.finish()
    stats.output = output
    stats.rejects = rejects_path if stats.rejected else None
    return stats


def run_fingerprint(files, model_dir: Path, fmt: str, config: AnnotateConfig, **engine: object) -> dict:
    """What must not change between a run and its ``--resume`` (either engine; ``engine`` adds its own
    settings). ``workers`` is not in it: any number of workers gives the same bytes. Where the run may use
    the ONNX export, its format version is in it, and where the int8 export, its quantization settings
    (they changed once: 8-bit to 7-bit; the format once: the last block at the labelled positions only)."""
    from .onnx_model import FORMAT_VERSION, INT8_SETTINGS

    onnx_int8 = config.runtime in ("onnx", "auto") and config.quantize in ("int8", "auto")
    onnx = config.runtime == "onnx" or onnx_int8
    return {
        "inputs": [_input_id(f) for f in files],
        "model": str(model_dir.resolve()),
        "format": fmt,
        "reader": repr(config.reader),
        "decoding": config.decoding,
        "quantize": config.quantize,
        "precision": config.precision,
        "runtime": config.runtime,
        "batch_size": config.batch_size,
        "window_overlap": config.window_overlap,
        "include_text": config.include_text,
        **({"onnx_export": FORMAT_VERSION} if onnx else {}),
        **({"onnx_int8": json.dumps(INT8_SETTINGS, sort_keys=True)} if onnx_int8 else {}),
        **engine,
    }


def own_paths(output: Path, rejects: Path) -> list[Path]:
    """What a run on ``output`` writes besides it: never read back as input from a directory walk."""
    parts = output.with_name(output.name + ".parts")
    return [output, parts, rejects, lock_path(output), tmp_path(output), tmp_path(rejects)]


def _check_outputs(inputs, files, output: Path, rejects: Path, config: AnnotateConfig) -> None:
    """The output and the rejects file are no inputs and no devices; existence is PartStore's to judge."""
    read = Inputs.of(
        [f.path for f in files if not f.stdin],
        stdin=any(f.stdin for f in files),
        dirs=[p for p in inputs if os.fspath(p) != "-" and os.path.isdir(p)],
    )
    check_output(output, inputs=read, force=True, directory=config.shard_size is not None)
    check_output(rejects, inputs=read, force=True, what="--rejects")
    if os.path.abspath(rejects) == os.path.abspath(output):
        raise ConfigError(f"--rejects {rejects} is the output itself; name another file")


def _run(
    store: PartStore,
    stats: RunStats,
    files,
    model_dir: Path,
    device,
    batch_tokens: int,
    config: AnnotateConfig,
    *,
    fmt: str,
    called: float,
) -> None:
    """Annotate the items after those done (nothing once finished), counting them into ``stats``."""
    from .engine import default_workers, run_stages
    from .inference import TokenClassifier

    if store.finished:
        return
    classifier = TokenClassifier.load(
        model_dir,
        device=config.device,
        decoding=config.decoding,
        batch_tokens=batch_tokens,
        window_overlap=config.window_overlap,
        quantize=config.quantize,
        precision=config.precision,
        runtime=config.runtime,
    )
    read = ReadProgress(files)
    items = open_records(files, options=config.reader, progress=read)
    stats.workers = default_workers(device) if config.workers is None else config.workers
    stats.computes = classifier.tagger.computes
    settings = StageSettings.from_tagger(classifier.tagger)
    jobs = ((job, [r.text for r in job[1]], job[1]) for job in _batches(items, config, skip=stats.read, store=store))
    # JSONL lines are serialized with the finish stage (in the workers, where there are workers)
    finalize = partial(serialize_jsonl, include_text=config.include_text) if fmt == "jsonl" else None
    bar = _progress_bar(config.progress, total=read.total, initial=stats.read)
    started = time.perf_counter()  # throughput counts from the first document, not the model load
    try:
        for (batch, records, rejects), spans, data in run_stages(
            jobs, tagger=classifier.tagger, settings=settings, workers=stats.workers, finalize=finalize
        ):
            annotated = [Annotated(r, tuple(s)) for r, s in zip(records, spans)]
            words = sum(count_words(r.text) for r in records)
            part = store.write_part(
                annotated, rejects, items=len(batch), words=words, digest=items_digest(batch), serialized=data
            )
            del annotated, spans
            release_memory()
            stats.add(part)
            if not stats.startup_seconds:
                stats.startup_seconds = time.perf_counter() - called
            if bar is not None:
                bar.update(len(batch) if read.total is None else read.bytes_read - bar.n)
                elapsed = time.perf_counter() - started
                bar.set_postfix_str(
                    f"{stats.read:,} docs, "
                    f"{(stats.words - stats.resumed_words) / max(elapsed, 1e-9):,.0f} words/s, "
                    f"{stats.rejected} rejected"
                )
        if bar is not None and read.total is not None:
            bar.update(read.bytes_read - bar.n)  # the last file is read to its end
    finally:
        if bar is not None:
            bar.close()
    stats.seconds = time.perf_counter() - started


def _input_id(file) -> str:
    """An input file as the resume check sees it: format, path, size and modification time.
    (Stdin has none: the per-part digests check it, see PartStore.check_resumed.)"""
    if file.stdin:
        return f"{file.format}:-"
    try:
        stat = os.stat(file.path)
    except OSError as exc:  # a dangling link or a loop: read, it becomes a reject naming it
        return f"{file.format}:{os.path.abspath(file.path)}:{exc.strerror}"
    return f"{file.format}:{os.path.abspath(file.path)}:{stat.st_size}:{stat.st_mtime_ns}"


def _batches(items: Iterator[Record | Reject], config: AnnotateConfig, *, skip: int, store: PartStore):
    """``(items, records, rejects)`` per batch of input items, after those done before a resume (checked
    to be the same items by their digests)."""
    skipped = 0
    for index, batch in enumerate(chunks(items, config.batch_size)):
        if skipped < skip:  # resume: these items are in complete parts already; the same ones?
            store.check_resumed(index, items_digest(batch))
            skipped += len(batch)
            continue
        records = [item for item in batch if isinstance(item, Record)]
        rejects = [item for item in batch if isinstance(item, Reject)]
        if config.strict and rejects:
            first = rejects[0]
            path, _, line = first.source.rpartition(":")
            if path and line.isdigit():
                raise InputFormatError(path, int(line), first.reason, fix="drop --strict to collect rejects and go on")
            raise InputFormatError(first.source, None, first.reason, fix="drop --strict to collect rejects and go on")
        yield batch, records, rejects
    if skipped < skip:  # resume: the input ended before what the interrupted run had read
        raise ConfigError(
            f"cannot resume: the input holds {skipped} documents, fewer than the {skip} the interrupted "
            "run had read; give the same input (the same data on standard input), or pass --force"
        )


def _progress_bar(enabled: bool, *, total: int | None, initial: int):
    """Bytes of the input files read (a total and an ETA); documents when reading stdin, which has no size."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    if total is None:
        return tqdm(desc="annotate", unit="doc", initial=initial, file=sys.stderr, dynamic_ncols=True)
    return tqdm(
        desc="annotate", total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, dynamic_ncols=True
    )
