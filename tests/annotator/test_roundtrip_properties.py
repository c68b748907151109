"""Property tests: any Unicode a reader can be given (lone surrogates, NUL, NFD, astral characters)
comes out of reader → writer → reader unchanged, or as a Reject with a reason; never a crash."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.labels import Span
from annotator.readers import ReaderOptions, open_records
from annotator.records import Annotated, Record, Reject
from annotator.writers import JsonlWriter, ParquetWriter, read_jsonl, read_parquet

SPECIAL = ["\ud800", "\udfff", "\x00", "e\u0301", "\u0915\u093f", "\U0001f600", "\U0010ffff", "\r", "\u2028", " "]
chars = st.one_of(st.characters(), st.sampled_from(SPECIAL))
texts = st.lists(chars, max_size=30).map("".join)
valid_texts = texts.map(lambda t: "".join(c for c in t if not 0xD800 <= ord(c) <= 0xDFFF))
docs = st.lists(st.fixed_dictionaries({"id": texts, "text": texts, "note": texts}), min_size=1, max_size=8)


def _has_surrogate(value: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in value)


def _expected(doc: dict) -> str | None:
    """The reason a document must be rejected, or None."""
    if _has_surrogate(doc["text"]):
        return "text"
    if not doc["text"].strip():
        return "empty"
    if _has_surrogate(doc["id"]):
        return "id"
    if _has_surrogate(doc["note"]):
        return "note"
    return None


def _annotated(records: list[Record]) -> list[Annotated]:
    return [Annotated(r, (Span(0, len(r.text), "X", 0.5),)) for r in records]


def _written_and_read(records: list[Record], fmt: str, tmp_path) -> list[dict]:
    if fmt == "jsonl":
        path = tmp_path / "o.jsonl"
        with open(path, "wb") as handle, JsonlWriter(handle) as writer:
            writer.write(_annotated(records))
        return list(read_jsonl(path))
    path = tmp_path / "o.parquet"
    with ParquetWriter(path) as writer:
        writer.write(_annotated(records))
    return list(read_parquet(path))


def _check(docs_in: list[dict], items: list, tmp_path) -> None:
    assert len(items) == len(docs_in)  # one Record or Reject per document
    records = []
    for doc, item in zip(docs_in, items):
        why = _expected(doc)
        if why is None:
            assert isinstance(item, Record), (doc, item)
            assert (item.id, item.text, item.fields) == (doc["id"], doc["text"], {"note": doc["note"]})
            records.append(item)
        else:
            assert isinstance(item, Reject), (doc, item)
            assert item.reason
            for value in (item.source, item.reason, item.id or ""):
                value.encode("utf-8")  # a reject is always writable
    for fmt in ("jsonl", "parquet"):
        back = _written_and_read(records, fmt, tmp_path)
        assert [(r["id"], r["text"], r["note"]) for r in back] == [(r.id, r.text, r.fields["note"]) for r in records]
        for row in back:
            [entity] = row["entities"]
            assert entity["text"] == row["text"][entity["start"] : entity["end"]] == row["text"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs_in=docs)
def test_jsonl_input_round_trips_or_rejects(docs_in, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs_in))  # ensure_ascii: surrogates as \ud800 escapes
    items = list(open_records([str(path)], options=ReaderOptions(keep=("note",))))
    _check([json.loads(json.dumps(d)) for d in docs_in], items, tmp_path)  # JSON joins \ud800\udc00 into a pair


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    docs_in=st.lists(
        st.fixed_dictionaries({"id": valid_texts, "text": valid_texts, "note": valid_texts}), min_size=1, max_size=8
    )
)
def test_parquet_input_round_trips_or_rejects(docs_in, tmp_path):
    path = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(docs_in), path)
    items = list(open_records([str(path)], options=ReaderOptions(keep=("note",))))
    _check(docs_in, items, tmp_path)


@settings(max_examples=100, deadline=None)
@given(docs_in=docs)
def test_the_jsonl_writer_never_sees_an_unencodable_record(docs_in):
    """What the readers let through always encodes: the writer cannot crash on it."""
    data = "".join(json.dumps(d) + "\n" for d in docs_in).encode()
    from annotator.readers.jsonl import parse_line

    for line in data.decode().splitlines():
        from annotator.readers.validity import validate

        item = validate(parse_line(line, "x:1", options=ReaderOptions(keep=("note",))))
        if isinstance(item, Record):
            JsonlWriter(io.BytesIO()).write(_annotated([item]))
