"""Output writers: JSONL, Parquet and spaCy DocBin, picked by suffix with a format override.

Every writer has ``write(items) -> int`` (records written by that call), ``close() -> int`` (the
total), a running ``count``, and works as a context manager. :func:`open_writer` builds one from a
format name; :func:`format_for` picks the name from an output path. The readers give back the same
record dicts (see :func:`record_dict`), and the ``concat_*`` helpers merge part files.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from ..choices import OutputFormat, values
from ..errors import ConfigError
from ..records import Annotated, Reject
from .common import ENTITY_KEYS, FIXED_KEYS, Writer, record_dict
from .docbin import (
    DocBinWriter,
    aligned_words,
    blank_nlp,
    concat_docbin,
    item_to_doc,
    read_docbin,
)
from .jsonl import JsonlWriter, concat_jsonl, read_jsonl
from .parquet import (
    ParquetWriter,
    check_parquet,
    concat_parquet,
    output_schema,
    read_parquet,
)

FORMATS = values(OutputFormat)
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".spacy": "spacy"}
CONCATENATORS: dict[str, Callable[..., int]] = {
    "jsonl": concat_jsonl,
    "parquet": concat_parquet,
    "spacy": concat_docbin,
}

_FIX = "pass --format jsonl|parquet|spacy"

__all__ = [
    "CONCATENATORS",
    "DocBinWriter",
    "ENTITY_KEYS",
    "FIXED_KEYS",
    "FORMATS",
    "JsonlWriter",
    "ParquetWriter",
    "SUFFIXES",
    "WRITE_ERRORS",
    "Writer",
    "aligned_words",
    "concat_docbin",
    "concat_jsonl",
    "concat_parquet",
    "format_for",
    "item_to_doc",
    "open_writer",
    "output_schema",
    "read_docbin",
    "read_jsonl",
    "read_parquet",
    "record_dict",
    "split_unwritable",
]


def format_for(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The output format: ``fmt`` if given (checked), else from the suffix of ``path``.

    ``.jsonl``/``.ndjson`` → jsonl, ``.parquet`` → parquet, ``.spacy`` → spacy (case-insensitive).
    Raises ConfigError for an unknown ``fmt`` or suffix.
    """
    if fmt is not None:
        if fmt.lower() not in FORMATS:
            raise ConfigError(f"unknown output format {fmt!r} ({_FIX})")
        return fmt.lower()
    suffix = Path(os.fspath(path)).suffix
    if suffix.lower() in SUFFIXES:
        return SUFFIXES[suffix.lower()]
    what = f"suffix {suffix!r}" if suffix else "no suffix"
    raise ConfigError(f"cannot tell the output format of {os.fspath(path)!r} ({what}; {_FIX})")


def open_writer(
    fmt: str, target: BinaryIO | str | os.PathLike[str], *, include_text: bool = True
) -> JsonlWriter | ParquetWriter | DocBinWriter:
    """A writer for ``fmt``: ``target`` is an open binary handle for jsonl, a path otherwise.

    ``include_text=False`` is refused for spacy (a Doc always holds its text).
    """
    fmt = format_for("", fmt)
    if fmt == "jsonl":
        if isinstance(target, (str, os.PathLike)):
            raise TypeError("the jsonl writer takes an open binary handle, not a path: open(path, 'wb')")
        return JsonlWriter(target, include_text=include_text)
    if not isinstance(target, (str, os.PathLike)):
        raise TypeError(f"the {fmt} writer takes a path, not a handle")
    if fmt == "parquet":
        return ParquetWriter(target, include_text=include_text)
    if not include_text:
        raise ConfigError("a spaCy Doc always holds its text, so --format spacy cannot leave the text out")
    return DocBinWriter(target)


WRITE_ERRORS = (
    ConfigError,
    ValueError,
    TypeError,
    OverflowError,
    NotImplementedError,
)  # what one record's data can raise in a writer


def split_unwritable(
    fmt: str, items: Sequence[Annotated], *, include_text: bool = True
) -> tuple[list[Annotated], list[Reject]]:
    """The items of a batch that ``fmt`` can write together, and a Reject (with the reason) for each
    one it cannot (a kept field JSON cannot hold, a Parquet value that fits no column type with the
    others, a user_data value a DocBin cannot store). Called when writing the whole batch failed,
    so one bad record costs that record, not the run. Greedy, in input order: an item is kept if it
    can be written with the items kept before it."""
    good: list[Annotated] = []
    bad: list[Reject] = []
    for item in items:
        try:
            _check_writable(fmt, [*good, item] if fmt == "parquet" else [item], include_text=include_text)
        except WRITE_ERRORS as exc:
            reason = str(exc).removeprefix(f"{item.record.source}: ")
            bad.append(
                Reject(source=item.record.source, reason=f"cannot be written as {fmt}: {reason}", id=item.record.id)
            )
        else:
            good.append(item)
    return good, bad


def _check_writable(fmt: str, items: list[Annotated], *, include_text: bool) -> None:
    if fmt == "jsonl":
        JsonlWriter(io.BytesIO(), include_text=include_text).write(items)
    elif fmt == "parquet":
        check_parquet(items, include_text=include_text)
    else:
        from spacy.tokens import DocBin

        docbin = DocBin(store_user_data=True)
        nlp = blank_nlp()
        for item in items:
            docbin.add(item_to_doc(item, nlp))
        docbin.to_bytes()
