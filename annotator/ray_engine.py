"""The Ray engine: `annotator annotate --engine ray`, the same job on a Ray cluster with Ray Data.

    read (our readers, one read task per input file, one row per batch of ``batch_size`` items)
      → map_batches(prepare_batches)      CPU tasks: segment, tokenize, pack windows (stages.Preparer)
      → map_batches(AnnotateBatches)      an actor pool: the model loaded once per actor (GPU or CPU),
                                          forward + finish (stages.forward, stages.finish)
      → write_datasink(PartsSink)         one part file per batch, named by its input position

Every stage calls the functions of :mod:`annotator.stages`, as the local engine does, on the very
batches the local engine forms (``batch_size`` input items, counted per file), so the records are
the local engine's (byte for byte for a single input file). A row of the dataset is one batch: its
input position (file number, index of its first item in the file), its records and rejects
(pickled), then its packed windows, then its spans. Blocks hold about one batch each, so Ray
spreads batches over the workers and back-pressure holds few of them in memory.

Output ``OUT`` is a directory of ``part-FFFFF-IIIIIIIIIIII.<fmt>`` files (input file number, first
item's index in that file), each written to a temporary name and renamed: a retried task rewrites
the same file, so the output holds every document exactly once, and the files sorted by name are in
input order. Rejects go to ``OUT/.rejects/`` per batch and are gathered into one rejects file at the
end. ``--resume`` skips the batches whose part file exists.

Ray is imported only here, and this module only when ``--engine ray`` is asked for.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import shutil
import time
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import (
    AnnotatorError,
    ConfigError,
    InputFormatError,
    MissingDependencyError,
)
from .readers import READERS, InputFile, ReaderOptions, expand_inputs
from .records import Annotated, Record, Reject
from .stages import (
    Packed,
    Preparer,
    StageSettings,
    finish,
    forward,
    split_long,
    stream_spans,
)
from .stats import count_words

INSTALL_HINT = 'the Ray engine needs Ray Data: pip install -e ".[ray]" (ray[data]==2.60.0)'
MANIFEST = ".annotator-ray.json"  # inside OUT: the options fingerprint, and whether the run finished
REJECTS_DIR = ".rejects"  # inside OUT: one rejects file per batch that had any, gathered at the end
PART = "part-{file:05d}-{start:012d}"
TASK_RETRIES = 3  # a prepare or write task whose worker dies is run again (system failures only)
ACTOR_RESTARTS = -1  # a model actor that dies is restarted, without limit (a lost node, a preempted GPU)
ACTOR_TASK_RETRIES = 3  # a batch whose actor died is retried on another (or the restarted) actor 3 times
BLOCK_BYTES = 64 * 1024  # target block size: a block holds about one batch


@dataclass(frozen=True)
class RayOptions:
    """How to run on Ray: the cluster (``address``; None starts a local Ray), the model actors
    (``num_workers``, each with ``gpus_per_worker`` GPUs and ``cpus_per_worker`` CPUs; None: from
    the cluster's resources), and whether Ray keeps the input order while it runs."""

    address: str | None = None
    num_workers: int | None = None
    gpus_per_worker: float | None = None
    cpus_per_worker: float | None = None
    preserve_order: bool = False

    def __post_init__(self) -> None:
        if self.num_workers is not None and self.num_workers < 1:
            raise ConfigError("--num-workers must be at least 1")
        if self.gpus_per_worker is not None and self.gpus_per_worker < 0:
            raise ConfigError("--gpus-per-worker must not be negative")
        if self.cpus_per_worker is not None and self.cpus_per_worker <= 0:
            raise ConfigError("--cpus-per-worker must be positive")


def import_ray():
    """The ``ray`` module with Ray Data, or MissingDependencyError saying how to install it."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise MissingDependencyError(INSTALL_HINT) from None
    return ray


# -- read -----------------------------------------------------------------------------------------


def part_name(file: int, start: int) -> str:
    """The part file stem of the batch that starts at item ``start`` of input file ``file``."""
    return PART.format(file=file, start=start)


class StrictReject(Exception):
    """A bad record under ``--strict``: raised in a read task, turned back into InputFormatError."""

    def __init__(self, source: str, reason: str):
        super().__init__(source, reason)
        self.source = source
        self.reason = reason


def read_batches(
    index: int,
    file: InputFile,
    *,
    options: ReaderOptions,
    batch_size: int,
    done: frozenset[str],
    strict: bool,
    cwd: str,
) -> Iterator[Any]:
    """One-row pyarrow tables, one per batch of ``batch_size`` items of ``file`` (input file ``index``):
    position, item counts and words, and the pickled records and rejects (left out of batches in ``done``).

    A relative path is read from the driver's directory ``cwd`` where this node has it, so that sources
    (``path:line``) read as in the local engine."""
    import pyarrow as pa

    from .batching import chunks

    if not os.path.isabs(file.path) and os.path.isdir(cwd):
        here = os.getcwd()
        os.chdir(cwd)  # this worker process runs this one task until the file is read
        try:
            yield from read_batches(
                index, file, options=options, batch_size=batch_size, done=done, strict=strict, cwd=""
            )
        finally:
            os.chdir(here)
        return
    start = 0
    for batch in chunks(READERS[file.format](file, options=options), batch_size):
        records = [item for item in batch if isinstance(item, Record)]
        rejects = [item for item in batch if isinstance(item, Reject)]
        if strict and rejects:
            raise StrictReject(rejects[0].source, rejects[0].reason)
        skip = part_name(index, start) in done
        yield pa.table(
            {
                "file": pa.array([index], pa.int64()),
                "start": pa.array([start], pa.int64()),
                "items": pa.array([len(batch)], pa.int64()),
                "n_records": pa.array([len(records)], pa.int64()),
                "n_rejects": pa.array([len(rejects)], pa.int64()),
                "words": pa.array([sum(count_words(r.text) for r in records)], pa.int64()),
                "done": pa.array([skip], pa.bool_()),
                "batch": pa.array([b"" if skip else pickle.dumps((records, rejects), protocol=5)], pa.large_binary()),
            }
        )
        start += len(batch)


def _datasource(files: list[InputFile], **read_kwargs):
    """A Ray Data datasource over our readers: one read task per input file, so every format, reader
    option and reject works as in the local engine."""
    from functools import partial

    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    class InputsDatasource(Datasource):
        def estimate_inmemory_data_size(self) -> int | None:
            return sum(_size(f) for f in files) or None

        def get_read_tasks(
            self, parallelism: int, per_task_row_limit: int | None = None, data_context=None
        ) -> list[ReadTask]:
            return [
                ReadTask(
                    partial(read_batches, i, f, **read_kwargs),
                    BlockMetadata(num_rows=None, size_bytes=_size(f), input_files=(f.path,), exec_stats=None),
                )
                for i, f in enumerate(files)
            ]

    return InputsDatasource()


def _size(file: InputFile) -> int:
    try:
        return os.path.getsize(file.path)
    except OSError:
        return 0


# -- prepare (CPU tasks) --------------------------------------------------------------------------

_PREPARERS: dict[StageSettings, Preparer] = {}  # per worker process: tasks reuse the tokenizer and its cache


def prepare_batches(table, *, settings: StageSettings):
    """Map stage: each batch's records → ``(packed, long)`` (pickled): the short documents segmented,
    tokenized and packed by :meth:`Preparer.prepare`, and the indices of the long ones to stream."""
    import pyarrow as pa

    preparer = _PREPARERS.get(settings)
    if preparer is None:
        _PREPARERS.clear()
        preparer = _PREPARERS[settings] = Preparer(settings)
    out = []
    for done, blob in zip(table.column("done").to_pylist(), table.column("batch").to_pylist()):
        if done:
            out.append(b"")
            continue
        records, _ = pickle.loads(blob)
        short, long = split_long([r.text for r in records], settings)
        out.append(pickle.dumps((preparer.prepare(short), long), protocol=5))
    return table.append_column("packed", pa.array(out, pa.large_binary()))


# -- forward + finish (the model actors) ----------------------------------------------------------


class AnnotateBatches:
    """Actor stage: loads the model once, then runs :func:`forward` and :func:`finish` on each prepared
    batch (and streams its long documents with :func:`stream_spans`), as the local engine does."""

    def __init__(self, *, model_dir: str, load: dict[str, Any], long_chars: int, piece_windows: int, threads: int):
        import torch

        from .inference import TokenClassifier

        torch.set_num_threads(max(1, threads))
        self.tagger = TokenClassifier.load(model_dir, **load).tagger
        # the settings of the prepare tasks, from the same model directory (small constructor arguments:
        # Ray keeps them inline, so a restarted actor always finds them)
        self.settings = StageSettings.from_tagger(self.tagger, long_chars=long_chars, piece_windows=piece_windows)
        self.long_preparer = Preparer(self.settings)

    def _forward(self, packed: Packed):
        return forward(packed, tagger=self.tagger)

    def __call__(self, table):
        import pyarrow as pa

        settings = self.settings
        out = []
        for done, batch, prepared in zip(
            table.column("done").to_pylist(), table.column("batch").to_pylist(), table.column("packed").to_pylist()
        ):
            if done:
                out.append(b"")
                continue
            records, _ = pickle.loads(batch)
            packed, long = pickle.loads(prepared)
            spans = finish(
                packed,
                self._forward(packed),
                labels=settings.labels,
                decoding=settings.decoding,
                cased_entities=settings.cased_entities,
            )
            if long:
                short = iter(spans)
                longs = set(long)
                spans = [
                    stream_spans(self.long_preparer, r.text, self._forward) if i in longs else next(short)
                    for i, r in enumerate(records)
                ]
            out.append(pickle.dumps(spans, protocol=5))
        return table.drop_columns(["packed"]).append_column("spans", pa.array(out, pa.large_binary()))


# -- write ----------------------------------------------------------------------------------------

SUFFIX = {"jsonl": ".jsonl", "parquet": ".parquet", "spacy": ".spacy"}


def write_part(path: Path, fmt: str, annotated: Sequence[Annotated], *, include_text: bool) -> None:
    """Write one part file atomically (a temporary name, fsync, rename): a rewrite gives the same file."""
    from .writers import open_writer

    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    if fmt == "jsonl":
        with open(tmp, "wb") as handle:
            with open_writer("jsonl", handle, include_text=include_text) as writer:
                writer.write(annotated)
            handle.flush()
            os.fsync(handle.fileno())
    else:
        with open_writer(fmt, tmp, include_text=include_text) as writer:
            writer.write(annotated)
    os.replace(tmp, path)


def _reject_line(reject: Reject) -> str:
    return json.dumps({"source": reject.source, "id": reject.id, "reason": reject.reason}, ensure_ascii=False) + "\n"


def _sink(out_dir: Path, fmt: str, include_text: bool):
    from ray.data.block import BlockAccessor
    from ray.data.datasource import Datasink

    class PartsSink(Datasink):
        """Writes each batch row as a part file (and its rejects), named by input position; returns
        the counts of each batch to the driver (``results``)."""

        def __init__(self) -> None:
            self.results: list[dict] = []

        def write(self, blocks, ctx) -> list[dict]:
            counts = []
            for block in blocks:
                for row in BlockAccessor.for_block(block).to_arrow().to_pylist():
                    counts.append(_write_batch(row, out_dir, fmt, include_text))
            return counts

        def on_write_complete(self, write_result) -> None:
            self.results = [c for task in write_result.write_returns for c in task]

    return PartsSink()


def _write_batch(row: dict, out_dir: Path, fmt: str, include_text: bool) -> dict:
    name = part_name(row["file"], row["start"])
    counts = {
        "part": name,
        "items": row["items"],
        "records": row["n_records"],
        "rejects": row["n_rejects"],
        "words": row["words"],
        "done": row["done"],
        "entities": {},
    }
    if row["done"]:
        return counts
    records, rejects = pickle.loads(row["batch"])
    spans = pickle.loads(row["spans"])
    annotated = [Annotated(r, tuple(s)) for r, s in zip(records, spans)]
    if rejects:  # before the part: a part that exists is a complete batch
        path = out_dir / REJECTS_DIR / (name + ".jsonl")
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        tmp.write_text("".join(_reject_line(r) for r in rejects), encoding="utf-8")
        os.replace(tmp, path)
    write_part(out_dir / (name + SUFFIX[fmt]), fmt, annotated, include_text=include_text)
    counts["entities"] = dict(Counter(span.label for item in annotated for span in item.entities))
    return counts


# -- the job --------------------------------------------------------------------------------------


def annotate_on_ray(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    config,
    options: RayOptions = RayOptions(),
):
    """Annotate ``inputs`` into the directory ``output`` on Ray; returns :class:`annotator.run.RunStats`.

    ``config`` is the local engine's :class:`annotator.run.AnnotateConfig` (model, formats, reader
    options, batch size, rejects, resume/force); ``options`` says where and how wide to run.
    """
    from .model import resolve_model_dir
    from .outputs import Inputs, RunLock, check_output
    from .run import default_rejects_path, own_paths, run_fingerprint
    from .writers import format_for

    called = time.perf_counter()
    ray = import_ray()  # before anything is checked or created: without Ray, nothing else matters
    output = Path(output)
    fmt = format_for(output, config.format)
    if fmt == "spacy" and not config.include_text:
        raise ConfigError("--no-text cannot apply to spacy output: a Doc always holds its text")
    if config.shard_size is not None:
        raise ConfigError("--shard-size does not apply to --engine ray: it writes one part file per batch")
    if config.workers is not None:
        raise ConfigError("--workers is for the local engine; with --engine ray pass --num-workers")
    rejects_path = Path(config.rejects) if config.rejects else default_rejects_path(output)
    files = expand_inputs(inputs, options=config.reader, exclude=own_paths(output, rejects_path))
    if any(f.stdin for f in files):
        raise ConfigError(
            "--engine ray cannot read standard input: give the input files (on storage every Ray node can read)"
        )
    reads = Inputs.of([f.path for f in files], dirs=[p for p in inputs if os.path.isdir(p)])
    check_output(output, inputs=reads, force=True, directory=True)  # never an input; existence is _start's
    check_output(rejects_path, inputs=reads, force=True, what="--rejects")
    model_dir = resolve_model_dir(config.model)
    fingerprint = run_fingerprint(files, model_dir, fmt, config, engine="ray", batch_tokens=config.batch_tokens)
    with RunLock(output):
        return _run(ray, files, output, fingerprint, rejects_path, model_dir, fmt, config, options, called)


def _run(
    ray,
    files,
    output: Path,
    fingerprint: dict,
    rejects_path: Path,
    model_dir: Path,
    fmt: str,
    config,
    options: RayOptions,
    called: float,
):
    from .run import RunStats

    done = _start(output, fingerprint, resume=config.resume, force=config.force, rejects=rejects_path, fmt=fmt)
    settings = _settings(model_dir, config)
    started_ray = _connect(ray, options)
    try:
        cpu_only = config.runtime == "onnx" or str(config.device) == "cpu"  # no GPU to reserve
        num_workers, gpus, cpus = _resources(ray, options, cpu_only=cpu_only)
        sink = _sink(output.absolute(), fmt, config.include_text)  # the workers' directory is not ours
        dataset = _pipeline(ray, files, config, options, settings, model_dir, done, num_workers, gpus, cpus)
        started = time.perf_counter()
        try:
            dataset.write_datasink(sink, ray_remote_args={"max_retries": TASK_RETRIES})
        except Exception as exc:
            ours = _our_error(exc)
            if ours is exc:
                raise
            raise ours from None
        seconds = time.perf_counter() - started
    finally:
        if started_ray:
            ray.shutdown()
    results = sorted(sink.results, key=lambda c: c["part"])
    _finish(output, fingerprint, rejects_path)
    fresh = [c for c in results if not c["done"]]
    entities: Counter = Counter()
    for c in fresh:
        entities.update(c["entities"])
    return RunStats(
        read=sum(c["items"] for c in results),
        annotated=sum(c["records"] for c in results),
        rejected=sum(c["rejects"] for c in results),
        words=sum(c["words"] for c in results),
        seconds=seconds,
        resumed_from=sum(c["items"] for c in results if c["done"]),
        resumed_words=sum(c["words"] for c in results if c["done"]),
        startup_seconds=started - called,
        workers=num_workers,
        entities=entities,
        output=output,
        rejects=rejects_path if any(c["rejects"] for c in results) else None,
    )


def _settings(model_dir: Path, config) -> StageSettings:
    """The stage settings of the model (read on the driver, on the CPU: tokenizer, windows, labels)."""
    from .inference import TokenClassifier

    tagger = TokenClassifier.load(
        model_dir, device="cpu", decoding=config.decoding, window_overlap=config.window_overlap, precision="fp32"
    ).tagger
    return StageSettings.from_tagger(tagger)


def _worker_env() -> dict[str, str]:
    """Environment of the workers of a Ray this process starts: this copy of annotator first on the path."""
    root = str(Path(__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": root + (os.pathsep + path if path else ""), "TOKENIZERS_PARALLELISM": "false"}


def _connect(ray, options: RayOptions) -> bool:
    """Connect to ``options.address``, or start a local Ray; True when this call started one (to stop)."""
    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": "WARNING", "log_to_driver": False}
    address = options.address or os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, **kwargs)
        return True
    workers = options.num_workers or 1
    cpus = options.cpus_per_worker or 1.0
    kwargs["num_cpus"] = max(os.cpu_count() or 1, math.ceil(workers * cpus) + 1)  # leaves a CPU for the tasks
    ray.init(runtime_env={"env_vars": _worker_env()}, **kwargs)
    return True


def _resources(ray, options: RayOptions, *, cpu_only: bool = False) -> tuple[int, float, float]:
    """``(actors, GPUs each, CPUs each)``: as given, else one actor per GPU (or one on a CPU-only
    cluster, or where the model runs on the CPU: ``cpu_only``, --runtime onnx or --device cpu), with a
    CPU each or less, so that one CPU stays free for the read, prepare and write tasks."""
    total = ray.cluster_resources()
    cluster_gpus = 0.0 if cpu_only else float(total.get("GPU", 0))
    cluster_cpus = float(total.get("CPU", 1))
    gpus = options.gpus_per_worker if options.gpus_per_worker is not None else (1.0 if cluster_gpus else 0.0)
    if cpu_only and gpus:
        raise ConfigError("--gpus-per-worker: the model runs on the CPU here (--runtime onnx or --device cpu)")
    if options.num_workers is not None:
        workers = options.num_workers
    elif gpus:
        workers = max(1, int(cluster_gpus // gpus))
    else:
        workers = 1
    if gpus and workers * gpus > cluster_gpus:
        raise ConfigError(
            f"--num-workers {workers} x --gpus-per-worker {gpus:g} needs {workers * gpus:g} GPUs; "
            f"the cluster has {cluster_gpus:g}"
        )
    cpus = options.cpus_per_worker
    if cpus is None:
        cpus = min(1.0, max(0.1, (cluster_cpus - 1) / workers))
    return workers, gpus, cpus


def _pipeline(
    ray,
    files,
    config,
    options: RayOptions,
    settings: StageSettings,
    model_dir: Path,
    done: frozenset[str],
    workers: int,
    gpus: float,
    cpus: float,
):
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = options.preserve_order
    context.target_max_block_size = BLOCK_BYTES
    context.enable_progress_bars = bool(config.progress)
    context.print_on_execution_start = bool(config.progress)
    if not config.progress:  # --quiet: Ray Data's progress log lines too
        import logging

        logging.getLogger("ray.data").setLevel(logging.ERROR)
    source = _datasource(
        files, options=config.reader, batch_size=config.batch_size, done=done, strict=config.strict, cwd=os.getcwd()
    )
    import torch

    from .model import resolve_runtime

    # "auto": torch on GPU workers, onnx int8 on CPU workers (for a BERT model, precision auto)
    runtime, quantize = resolve_runtime(
        config.runtime,
        config.quantize,
        precision=config.precision,
        device=torch.device("cuda" if gpus else "cpu"),
        model_dir=model_dir,
    )
    load = {
        "device": config.device if gpus else "cpu",
        "decoding": config.decoding,
        "batch_tokens": config.batch_tokens,
        "window_overlap": config.window_overlap,
        "quantize": quantize,
        "precision": config.precision,
        "runtime": runtime,
    }
    with warnings.catch_warnings():  # Ray 2.60 deprecates the retry arguments for 2.64 (without them: unlimited)
        warnings.simplefilter("ignore", DeprecationWarning)
        return _stages(ray, source, settings, model_dir, load, workers, gpus, cpus)


def _stages(ray, source, settings: StageSettings, model_dir: Path, load: dict, workers: int, gpus: float, cpus: float):
    return (
        ray.data.read_datasource(source)  # read tasks: Ray Data retries them on system failures
        .map_batches(
            prepare_batches,
            batch_format="pyarrow",
            batch_size=1,
            zero_copy_batch=True,
            fn_kwargs={"settings": settings},
            max_retries=TASK_RETRIES,
        )
        .map_batches(
            AnnotateBatches,
            batch_format="pyarrow",
            batch_size=1,
            zero_copy_batch=True,
            fn_constructor_kwargs={
                "model_dir": str(model_dir),
                "load": load,
                "long_chars": settings.long_chars,
                "piece_windows": settings.piece_windows,
                "threads": int(cpus) or 1,
            },
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_gpus=gpus or None,
            num_cpus=cpus,
            max_restarts=ACTOR_RESTARTS,
            max_task_retries=ACTOR_TASK_RETRIES,
        )
    )


def _our_error(exc: BaseException) -> BaseException:
    """The first of our errors in the chain of ``exc`` (Ray wraps task errors), else ``exc``."""
    seen = set()
    stack: list[BaseException] = [exc]
    while stack:
        err = stack.pop()
        if id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, StrictReject):
            path, _, line = err.source.rpartition(":")
            if path and line.isdigit():
                return InputFormatError(path, int(line), err.reason, fix="drop --strict to collect rejects and go on")
            return InputFormatError(err.source, None, err.reason, fix="drop --strict to collect rejects and go on")
        if isinstance(err, AnnotatorError):
            return err
        for nxt in (getattr(err, "cause", None), err.__cause__, err.__context__):
            if isinstance(nxt, BaseException):
                stack.append(nxt)
    return exc


# -- the output directory -------------------------------------------------------------------------


def _start(output: Path, fingerprint: dict, *, resume: bool, force: bool, rejects: Path, fmt: str) -> frozenset[str]:
    """Prepare ``output`` for a fresh run, or read what an interrupted one left: the parts done."""
    manifest = output / MANIFEST
    if resume and force:
        raise ConfigError("use just one of --resume and --force")
    if force:
        for path in (output, rejects):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    elif output.exists() and not resume:
        if manifest.exists() and not json.loads(manifest.read_text(encoding="utf-8")).get("finished"):
            raise ConfigError(
                f"{output} holds an interrupted run; pass --resume to continue it or --force to start over"
            )
        raise ConfigError(f"{output} exists; pass --force to overwrite it")
    done: frozenset[str] = frozenset()
    if resume and output.exists():
        if not manifest.exists():
            raise ConfigError(f"cannot resume {output}: it holds no Ray engine run (no {MANIFEST}); pass --force")
        previous = json.loads(manifest.read_text(encoding="utf-8"))
        changed = sorted(
            k
            for k in set(fingerprint) | set(previous["fingerprint"])
            if fingerprint.get(k) != previous["fingerprint"].get(k)
        )
        if changed:
            raise ConfigError(
                f"cannot resume {output}: the interrupted run used other settings "
                f"({', '.join(changed)}); run it with the same options, or pass --force"
            )
        if previous.get("finished"):
            raise ConfigError(
                f"{output} exists; pass --force to overwrite it (it is complete: there is nothing to resume)"
            )
        for stray in list(output.glob("*.tmp")) + list((output / REJECTS_DIR).glob("*.tmp")):
            stray.unlink()
        done = frozenset(p.name[: -len(SUFFIX[fmt])] for p in output.glob("part-*" + SUFFIX[fmt]))
    else:
        output.mkdir(parents=True)
        _write_manifest(output, {"fingerprint": fingerprint, "finished": False})
    (output / REJECTS_DIR).mkdir(exist_ok=True)
    return done


def _write_manifest(output: Path, manifest: dict) -> None:
    tmp = output / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(tmp, output / MANIFEST)


def _finish(output: Path, fingerprint: dict, rejects: Path) -> None:
    """Gather the rejects of every batch (in input order) into the rejects file; mark the run finished."""
    parts = sorted((output / REJECTS_DIR).glob("part-*.jsonl"))
    if parts:
        tmp = rejects.with_name(rejects.name + ".tmp")
        with open(tmp, "wb") as out:
            for path in parts:
                with open(path, "rb") as src:
                    shutil.copyfileobj(src, out)
        os.replace(tmp, rejects)
    shutil.rmtree(output / REJECTS_DIR)
    _write_manifest(output, {"fingerprint": fingerprint, "finished": True})


def read_output(output: str | os.PathLike[str]) -> Iterator[dict]:
    """The record dicts of a Ray engine output directory, in input order (part files sorted by name)."""
    from .writers import read_docbin, read_jsonl, read_parquet

    readers = {".jsonl": read_jsonl, ".parquet": read_parquet, ".spacy": read_docbin}
    for path in sorted(Path(output).glob("part-*")):
        if path.suffix in readers:
            yield from readers[path.suffix](path)


__all__ = ["RayOptions", "annotate_on_ray", "import_ray", "read_output"]
