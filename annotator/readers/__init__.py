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
from typing import cast

from ..records import Record, Reject
from .inputs import SUFFIXES, InputFile, detect_format, expand_inputs
from .jsonl import read_jsonl
from .options import FORMATS, ReaderOptions
from .parquet import read_parquet
from .progress import ReadProgress
from .text import read_text
from .validity import validate

Reader = Callable[..., Iterator[Record | Reject]]  # reader(file: InputFile, *, options) -> Iterator

READERS: dict[str, Reader] = {  # keys are options.FORMATS (tests check they agree)
    "txt": read_text,
    "jsonl": read_jsonl,
    "parquet": read_parquet,
}


def open_records(
    inputs: Sequence[str | os.PathLike[str]] | Sequence[InputFile],
    *,
    options: ReaderOptions | None = None,
    progress: ReadProgress | None = None,
) -> Iterator[Record | Reject]:
    """Stream every document of ``inputs`` (paths, or the files :func:`expand_inputs` returned).

    Inputs are expanded now, so a missing path or an unknown suffix raises InputFormatError at the
    call, before anything is read. The returned generator then yields exactly one Record or Reject
    per document, in input order, holding one document (one Parquet batch) at a time.
    ``progress`` (made from the same files) follows how many of their bytes have been read.
    """
    options = ReaderOptions() if options is None else options
    given = [] if isinstance(inputs, (str, bytes, os.PathLike)) else list(inputs)
    files = [item for item in given if isinstance(item, InputFile)]
    if not files or len(files) != len(given):  # paths (a lone path: TypeError there)
        files = expand_inputs(cast("Sequence[str | os.PathLike[str]]", inputs), options=options)
    return _stream(files, options, progress)


def _stream(files: list[InputFile], options: ReaderOptions, progress: ReadProgress | None) -> Iterator[Record | Reject]:
    for file in files:
        if progress is not None:
            progress.start(file)
        for item in READERS[file.format](file, options=options, progress=progress):
            yield validate(item)  # the one validity rule: an unencodable record is a reject
        if progress is not None:
            progress.finish(file)


__all__ = [
    "FORMATS",
    "READERS",
    "SUFFIXES",
    "InputFile",
    "ReadProgress",
    "ReaderOptions",
    "detect_format",
    "expand_inputs",
    "open_records",
]
