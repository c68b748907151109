"""Parquet output: a fixed schema, one row group per ``write()`` call, byte-deterministic files.

Schema: ``id`` string, ``source`` string, the kept fields (types inferred by pyarrow from the first
batch), ``text`` string (unless ``include_text=False``) and ``entities``
``list<struct<start: int32, end: int32, label: string, text: string, score: float32>>``.
Scores are rounded to 4 decimals before they become float32; :func:`read_parquet` rounds them
back to 4 decimals, so its dicts equal the JSONL ones.

Every writer option that shapes the bytes is pinned in :data:`PARQUET_OPTIONS`; the file holds no
timestamp or random value (its ``created_by`` names the pyarrow version).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ConfigError
from ..records import Annotated
from .common import FIXED_KEYS, WriterBase, record_dict, round_score

ENTITY_TYPE = pa.struct(
    [
        pa.field("start", pa.int32()),
        pa.field("end", pa.int32()),
        pa.field("label", pa.string()),
        pa.field("text", pa.string()),
        pa.field("score", pa.float32()),
    ]
)
ENTITIES_TYPE = pa.list_(ENTITY_TYPE)

PARQUET_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
    "store_schema": True,
    "write_page_index": False,
    "write_page_checksum": False,
    "use_compliant_nested_type": True,
}

_CONVERSION_ERRORS = (
    pa.ArrowInvalid,
    pa.ArrowTypeError,
    pa.ArrowNotImplementedError,
    OverflowError,
    TypeError,
    ValueError,
)


def output_schema(kept: Sequence[pa.Field] = (), *, include_text: bool = True) -> pa.Schema:
    """The schema of an output file with the given kept-field columns."""
    fields = [pa.field("id", pa.string()), pa.field("source", pa.string()), *kept]
    if include_text:
        fields.append(pa.field("text", pa.string()))
    fields.append(pa.field("entities", ENTITIES_TYPE))
    return pa.schema(fields)


class ParquetWriter(WriterBase):
    """Write records to a Parquet file at ``path``; ``close()`` writes the footer.

    The kept-field columns and their types come from the first non-empty batch; a later record
    with a field outside them, or a value that does not convert to its column's type, raises
    ConfigError naming the field. Zero records written still gives a valid file (no kept fields).
    """

    def __init__(self, path: str | os.PathLike[str], *, include_text: bool = True):
        self.path = os.fspath(path)
        self.include_text = include_text
        self.count = 0
        self.schema: pa.Schema | None = None
        self._writer: pq.ParquetWriter | None = None
        self._closed = False

    def write(self, items: Sequence[Annotated]) -> int:
        """Write ``items`` as one row group (nothing for an empty batch); return how many were written."""
        if self._closed:
            raise ValueError(f"{self.path}: write() after close()")
        if not items:
            return 0
        rows = [record_dict(item, include_text=self.include_text) for item in items]
        schema = (
            self.schema
            if self.schema is not None
            else output_schema(_infer_kept(items), include_text=self.include_text)
        )
        table = _to_table(items, rows, schema)
        self.schema = schema
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, self.schema, **PARQUET_OPTIONS)
        self._writer.write_table(table, row_group_size=len(rows))
        self.count += len(rows)
        return len(rows)

    def close(self) -> int:
        """Finish the file (an empty one gets the schema without kept fields); return the row count."""
        if self._closed:
            return self.count
        self._closed = True
        if self._writer is None:
            self.schema = output_schema(include_text=self.include_text)
            self._writer = pq.ParquetWriter(self.path, self.schema, **PARQUET_OPTIONS)
        self._writer.close()
        return self.count


def check_parquet(items: Sequence[Annotated], *, include_text: bool = True) -> None:
    """Raise ConfigError (or an Arrow conversion error) unless ``items`` can be one Parquet row group."""
    rows = [record_dict(item, include_text=include_text) for item in items]
    table = _to_table(items, rows, output_schema(_infer_kept(items), include_text=include_text))
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, table.schema, **PARQUET_OPTIONS) as writer:
        writer.write_table(table)


def _kept_names(items: Sequence[Annotated]) -> list[str]:
    names: dict[str, None] = {}
    for item in items:
        names.update(dict.fromkeys(item.record.fields))
    return list(names)


def _infer_kept(items: Sequence[Annotated]) -> list[pa.Field]:
    fields = []
    for name in _kept_names(items):
        values = [item.record.fields.get(name) for item in items]
        try:
            arrow_type = pa.array(values).type
        except _CONVERSION_ERRORS as exc:
            raise ConfigError(
                f"kept field {name!r} cannot be stored in Parquet ({exc}); give it one type in every record or drop it"
            ) from exc
        fields.append(pa.field(name, arrow_type))
    return fields


def _to_table(items: Sequence[Annotated], rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    kept = {field.name for field in schema} - set(FIXED_KEYS)
    for item in items:
        for name in item.record.fields:
            if name not in kept:
                raise ConfigError(
                    f"{item.record.source}: kept field {name!r} is not a column of {_columns_text(schema)} "
                    "(the columns come from the first batch); give every record the same fields"
                )
    arrays = []
    for field in schema:
        values = [row.get(field.name) for row in rows]
        try:
            arrays.append(pa.array(values, type=field.type))
        except _CONVERSION_ERRORS as exc:
            if field.name in FIXED_KEYS:
                raise
            raise ConfigError(_misfit(field, values, rows, exc)) from exc
    return pa.Table.from_arrays(arrays, schema=schema)


def _columns_text(schema: pa.Schema) -> str:
    return "the Parquet file (" + ", ".join(schema.names) + ")"


def _misfit(field: pa.Field, values: list[Any], rows: list[dict[str, Any]], exc: Exception) -> str:
    """Name the field, the first value that does not fit its column type, and that record's source."""
    for value, row in zip(values, rows):
        try:
            pa.array([value], type=field.type)
        except _CONVERSION_ERRORS:
            return (
                f"{row['source']}: kept field {field.name!r} has value {value!r}, which does not fit the "
                f"Parquet column type {field.type} (inferred from the first batch); "
                "give the field one type in every record or drop it"
            )
    return f"kept field {field.name!r} does not fit the Parquet column type {field.type} ({exc})"  # pragma: no cover


def read_parquet(path: str | os.PathLike[str], *, batch_size: int = 1024) -> Iterator[dict[str, Any]]:
    """Yield each row of an output Parquet file as a record dict, streaming batch by batch.

    Entities come back as lists of dicts with scores rounded to 4 decimals (they are float32 on disk).
    """
    with pq.ParquetFile(os.fspath(path)) as parquet_file:
        for batch in parquet_file.iter_batches(batch_size=batch_size):
            for row in batch.to_pylist():
                for entity in row.get("entities") or ():
                    entity["score"] = round_score(entity["score"])
                yield row


def concat_parquet(part_paths: Iterable[str | os.PathLike[str]], out_path: str | os.PathLike[str]) -> int:
    """Copy Parquet part files, row group by row group and in order, into one file; return the row count.

    Memory holds one row group at a time. Parts must be outputs of :class:`ParquetWriter`; where
    their kept-field columns differ (e.g. one part's column is all-null), the output schema unifies
    them (types promoted as pyarrow's ``permissive`` mode does, missing columns filled with nulls);
    kept types that cannot be unified raise ConfigError. Zero parts give an empty file.
    """
    paths = [os.fspath(path) for path in part_paths]
    schemas = [_canonical_schema(pq.read_schema(path)) for path in paths]
    schema = _merged_schema(paths, schemas)
    count = 0
    with pq.ParquetWriter(os.fspath(out_path), schema, **PARQUET_OPTIONS) as writer:
        for path in paths:
            with pq.ParquetFile(path) as parquet_file:
                for index in range(parquet_file.num_row_groups):
                    table = _conform(parquet_file.read_row_group(index), schema, path)
                    writer.write_table(table, row_group_size=max(table.num_rows, 1))
                    count += table.num_rows
    return count


def _canonical_schema(schema: pa.Schema) -> pa.Schema:
    """The schema as the writer builds it: Parquet reads lists back with ``element`` children where
    pyarrow's own lists say ``item``; without this the merged file's stored schema would differ."""
    return pa.schema([field.with_type(_canonical_type(field.type)) for field in schema])


def _canonical_type(arrow_type: pa.DataType) -> pa.DataType:
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        value = arrow_type.value_field
        child = pa.field("item", _canonical_type(value.type), nullable=value.nullable, metadata=value.metadata)
        return pa.list_(child) if pa.types.is_list(arrow_type) else pa.large_list(child)
    if pa.types.is_struct(arrow_type):
        return pa.struct([field.with_type(_canonical_type(field.type)) for field in arrow_type])
    return arrow_type


def _merged_schema(paths: list[str], schemas: list[pa.Schema]) -> pa.Schema:
    for path, schema in zip(paths, schemas):
        missing = [name for name in ("id", "source", "entities") if name not in schema.names]
        if missing:
            raise ConfigError(f"{path}: not an annotator Parquet output (no {', '.join(missing)} column)")
    if not schemas:
        return output_schema()
    if all(schema.equals(schemas[0]) for schema in schemas[1:]):
        return schemas[0]
    kept: dict[str, list[tuple[str, pa.DataType]]] = {}
    for path, schema in zip(paths, schemas):
        for field in schema:
            if field.name not in FIXED_KEYS:
                kept.setdefault(field.name, []).append((path, field.type))
    fields = [pa.field(name, _unify(name, typed)) for name, typed in kept.items()]
    include_text = any("text" in schema.names for schema in schemas)
    return output_schema(fields, include_text=include_text)


def _unify(name: str, typed: list[tuple[str, pa.DataType]]) -> pa.DataType:
    try:
        unified = pa.unify_schemas(
            [pa.schema([pa.field(name, arrow_type)]) for _, arrow_type in typed], promote_options="permissive"
        )
    except _CONVERSION_ERRORS as exc:
        found = ", ".join(f"{arrow_type} in {path}" for path, arrow_type in typed)
        raise ConfigError(f"kept field {name!r} has types that cannot be merged ({found})") from exc
    return unified.field(name).type


def _conform(table: pa.Table, schema: pa.Schema, path: str) -> pa.Table:
    columns = []
    for field in schema:
        if field.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table.column(field.name)
        try:
            columns.append(column if column.type == field.type else column.cast(field.type))
        except _CONVERSION_ERRORS as exc:
            raise ConfigError(f"{path}: column {field.name!r} does not convert to {field.type} ({exc})") from exc
    return pa.Table.from_arrays(columns, schema=schema)
