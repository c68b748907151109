"""The value sets of every option, one ``Literal`` each: Click choices and config checks are built from these.

    Decoding = Literal["constrained", "argmax"]
    values(Decoding)                               # ("constrained", "argmax"): the click.Choice
    check(value, Decoding, what="--decoding")      # ConfigError naming the values, else the value

The first value of each set is the default where the option has one. Light: imports nothing heavy.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from .errors import ConfigError

Decoding = Literal["constrained", "argmax"]  # Viterbi over IOB2-valid sequences, or each word's best label
Precision = Literal["auto", "fp32", "bf16"]  # auto: bf16 where the hardware runs it natively
Quantization = Literal["auto", "none", "int8"]  # int8: dynamic quantization of linear layers (CPU); auto: int8 on onnx
Runtime = Literal["auto", "torch", "onnx"]  # onnx: exported to ONNX, run by ONNX Runtime (CPU); auto: onnx on a CPU
Context = Literal["document", "sentence"]  # what a window packs: consecutive sentences, or one
TrainContext = Literal["auto", "document", "sentence"]  # auto: document only where the data has -DOCSTART-
Engine = Literal["local", "ray"]  # annotate on this machine, or on a Ray cluster with Ray Data
Keep = Literal["best", "last"]  # which epoch train keeps: the best by dev F1, or the last (final fit)
Backend = Literal["trainer", "torch"]  # transformers' Trainer, or our loop
SaveDtype = Literal["float32", "float16"]  # precision of the saved weights (the config always says float32)
Scheme = Literal["IOB1", "IOB2", "BIO", "IOBES", "BIOES", "BILOU", "IO"]  # CoNLL tag schemes (BIO = IOB2 ...)
InputFormat = Literal["txt", "jsonl", "parquet"]  # annotate inputs
OutputFormat = Literal["jsonl", "parquet", "spacy"]  # annotate outputs
ExportInputFormat = Literal["conll", "jsonl", "parquet", "spacy", "spans-jsonl"]  # export-spacy inputs
ExportOutputFormat = Literal["spacy", "spans-jsonl"]  # export-spacy outputs
Alignment = Literal["strict", "contract", "expand"]  # entities off spaCy's token boundaries


def values(choice: Any) -> tuple[str, ...]:
    """The values of a ``Literal`` value set, in declaration order."""
    return get_args(choice)


def check(value: str, choice: Any, *, what: str) -> str:
    """``value`` if it is one of ``choice``'s values, else ConfigError naming them all."""
    allowed = values(choice)
    if value not in allowed:
        raise ConfigError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return value
