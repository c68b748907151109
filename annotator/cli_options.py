"""Option groups and texts shared by the command modules (cli.py, cli_export.py).

Every choice is built from its value set in :mod:`annotator.choices`.
"""

from __future__ import annotations

from typing import Any

import click

from .choices import Decoding, Precision, Quantization, Runtime, Scheme, values

EXIT_CODES = """Exit codes: 0 success, 1 failure (model or runtime error), 2 bad input or usage."""


def choice(value_set: Any, *, case_sensitive: bool = True) -> click.Choice:
    """A click.Choice of the values of a :mod:`annotator.choices` Literal."""
    return click.Choice(values(value_set), case_sensitive=case_sensitive)


def device_option(f):
    """--device: where the model runs (annotator.model.pick_device checks it)."""
    return click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda[:N].")(f)


def decoding_option(f):
    return click.option(
        "--decoding",
        type=choice(Decoding),
        default="constrained",
        show_default=True,
        help="constrained: best IOB2-valid tag sequence per sentence (Viterbi); argmax: each word's best label.",
    )(f)


def precision_options(f):
    """--precision, --quantize and --runtime: how the model computes."""
    f = click.option(
        "--runtime",
        type=choice(Runtime),
        default="auto",
        show_default=True,
        help="onnx: export the model to ONNX once (cached in $ANNOTATOR_CACHE, else ~/.cache/annotator) and "
        "run it with ONNX Runtime on the CPU, in int8 (or fp32 with --quantize none). auto: onnx where a BERT "
        "model runs on a CPU and --precision and --quantize are left to auto, else torch (see README and "
        "BENCHMARKS.md).",
    )(f)
    f = click.option(
        "--precision",
        type=choice(Precision),
        default="auto",
        show_default=True,
        help="auto: bf16 where the hardware runs it natively (CUDA; CPUs with AVX512-BF16 or AMX), else fp32 "
        "(with --runtime torch; a fixed --precision picks torch where --runtime is auto).",
    )(f)
    f = click.option(
        "--quantize",
        type=choice(Quantization),
        default="auto",
        show_default=True,
        help="int8: dynamic int8 quantization of the linear layers (CPU only; costs accuracy, see BENCHMARKS.md). "
        "auto: int8 with the onnx runtime (0.19 F1 on the shipped model), none with torch (int8 there costs 0.31).",
    )(f)
    return f


def conll_options(f):
    """--scheme, --tag-column and --encoding: how to read CoNLL files (annotator.conll.ConllFormat)."""
    f = click.option(
        "--encoding",
        default="utf-8",
        show_default=True,
        help="Encoding of the CoNLL files (the original CoNLL-2002 files are iso-8859-1).",
    )(f)
    f = click.option(
        "--tag-column",
        type=int,
        default=-1,
        show_default=True,
        help="Column of the NE tag (0-based; negative counts from the end).",
    )(f)
    f = click.option(
        "--scheme",
        type=choice(Scheme, case_sensitive=False),
        default=None,
        help="Tag scheme of the files; detected from each file when not given.",
    )(f)
    return f
