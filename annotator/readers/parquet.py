"""Parquet reader: streams record batches of only the needed columns, never the whole table.

Rows are numbered from 0 across batches; a row's source is ``path#row``. A file pyarrow cannot open,
or one without the text column, is one Reject for the file. A read that fails part-way ends the file
with a Reject at the first row it could not read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from ..records import Record, Reject
from .inputs import InputFile
from .options import ReaderOptions
from .progress import ReadProgress
from .text import EMPTY

BATCH_SIZE = 1024
ARROW_ERRORS = (pa.ArrowException, OSError, ValueError)


def read_parquet(
    file: InputFile, *, options: ReaderOptions, progress: ReadProgress | None = None
) -> Iterator[Record | Reject]:
    """Yield one Record or Reject per row of a Parquet file."""
    try:
        parquet = pq.ParquetFile(file.path)
        schema = parquet.schema_arrow
    except ARROW_ERRORS as exc:
        yield Reject(source=file.path, reason=f"cannot read Parquet file: {exc}")
        return
    with parquet:
        yield from _rows(parquet, schema, file, options, progress)


def _rows(
    parquet: pq.ParquetFile,
    schema: pa.Schema,
    file: InputFile,
    options: ReaderOptions,
    progress: ReadProgress | None = None,
) -> Iterator[Record | Reject]:
    names = schema.names
    text_key, id_key = options.text_key, options.id_key
    if text_key not in names:
        yield Reject(
            source=file.path,
            reason=f"no column {text_key!r}; the file has columns: {', '.join(names) or '(none)'} "
            "(pass --text-key with the text column's name)",
        )
        return
    text_type = schema.field(text_key).type
    has_id = id_key in names
    if options.keep_all:
        kept = [name for name in names if name not in (text_key, id_key)]
    else:
        kept = list(options.keep)
    columns = list(dict.fromkeys([text_key, *([id_key] if has_id else []), *(n for n in kept if n in names)]))
    row = 0
    batches = parquet.iter_batches(batch_size=BATCH_SIZE, columns=columns)
    while True:
        try:
            batch = next(batches)
            data = batch.to_pydict()
        except StopIteration:
            return
        except ARROW_ERRORS as exc:
            yield Reject(source=f"{file.path}#{row}", reason=f"cannot read Parquet file from row {row} on: {exc}")
            return
        texts = data[text_key]
        if progress is not None and parquet.metadata.num_rows:  # rows read, as a share of the file's bytes
            size = os.path.getsize(file.path)
            progress.advance(size * (row + len(texts)) // parquet.metadata.num_rows)
        ids = data[id_key] if has_id else [None] * len(texts)
        for index, (text, raw_id) in enumerate(zip(texts, ids)):
            source = f"{file.path}#{row}"
            row += 1
            given_id = None if raw_id is None else str(raw_id)
            if not isinstance(text, str):
                what = "null" if text is None else f"of type {text_type}"
                yield Reject(source=source, reason=f"column {text_key!r} is {what}, not a string", id=given_id)
            elif not text.strip():
                yield Reject(source=source, reason=EMPTY, id=given_id)
            else:
                fields = {name: data[name][index] if name in data else None for name in kept}
                yield Record(id=source if given_id is None else given_id, text=text, source=source, fields=fields)
