"""Input readers: files, directories, globs and stdin → a stream of Record or Reject, in input order.

    options = ReaderOptions(input_format=None, lines=True, keep=("lang",))
    files = expand_inputs(["corpus/", "extra.jsonl.gz", "-"], options=options)  # formats detected
    for item in open_records(files, options=options):
        ...  # exactly one Record or Reject per document read

Formats come from :data:`SUFFIXES` (suffix → format) unless ``options.input_format`` forces one;
:data:`READERS` maps each format to its reader generator ``reader(file, *, options)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence

from ..records import Record, Reject
from .inputs import SUFFIXES, InputFile, detect_format, expand_inputs
from .jsonl import read_jsonl
from .options import FORMATS, ReaderOptions
from .parquet import read_parquet
from .text import read_text
from .validity import validate

Reader = Callable[..., Iterator[Record | Reject]]  # reader(file: InputFile, *, options) -> Iterator

READERS: dict[str, Reader] = {  # keys are options.FORMATS (tests check they agree)
    "txt": read_text,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
}


def open_records(
    inputs: Sequence[str | os.PathLike[str]] | Sequence[InputFile], *, options: ReaderOptions | None = None
) -> Iterator[Record | Reject]:
    """Stream every document of ``inputs`` (paths, or the files :func:`expand_inputs` returned).

    Inputs are expanded now, so a missing path or an unknown suffix raises InputFormatError at the
    call, before anything is read. The returned generator then yields exactly one Record or Reject
    per document, in input order, holding one document (one Parquet batch) at a time.
    """
    options = ReaderOptions() if options is None else options
    items = inputs if isinstance(inputs, (str, bytes, os.PathLike)) else list(inputs)  # a lone path: TypeError below
    if items and all(isinstance(item, InputFile) for item in items):
        files = list(items)
    else:
        files = expand_inputs(items, options=options)
    return _stream(files, options)


def _stream(files: list[InputFile], options: ReaderOptions) -> Iterator[Record | Reject]:
    for file in files:
        for item in READERS[file.format](file, options=options):
            yield validate(item)  # the one validity rule: an unencodable record is a reject


__all__ = [
    "FORMATS",
    "READERS",
    "SUFFIXES",
    "InputFile",
    "ReaderOptions",
    "detect_format",
    "expand_inputs",
    "open_records",
]
