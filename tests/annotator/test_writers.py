"""Tests of annotator.writers: record dicts, JSONL/Parquet/DocBin round trips, determinism, part merging."""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import DocBin

from annotator.errors import ConfigError, InputFormatError
from annotator.labels import Span
from annotator.records import Annotated, Record
from annotator.writers import (
    FORMATS,
    DocBinWriter,
    JsonlWriter,
    ParquetWriter,
    Writer,
    concat_docbin,
    concat_jsonl,
    concat_parquet,
    format_for,
    item_to_doc,
    open_writer,
    read_docbin,
    read_jsonl,
    read_parquet,
    record_dict,
)
from annotator.writers.docbin import blank_nlp


def ent(text: str, sub: str, label: str, score: float | None, nth: int = 0) -> Span:
    """The span of the ``nth`` occurrence of ``sub`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(sub, start + 1)
    return Span(start, start + len(sub), label, score)


def item(id_: str, text: str, entities: list[tuple], **fields) -> Annotated:
    kept = {"lang": "en", "page": 1, "weight": 0.25, "ok": True, "tags": ["a", "b"]}
    kept.update(fields)
    return Annotated(
        Record(id=id_, text=text, source=f"in.jsonl:{id_}", fields=kept),
        tuple(ent(text, *spec) for spec in entities),
    )


T_ACCENTS = "Café Müller met José Ñúñez in Zürich."
T_NEWYORK = "NewYork 🗽 is big"
T_CJK = "東京は日本の首都です。"
T_ZWSP = "Zero\u200bWidth Inc. sued Bob"
T_SPACES = "a New York b"
T_LINES = "Line one\n\nBerlin  Wall"

ITEMS = [
    item(
        "1",
        T_ACCENTS,
        [("Café Müller", "PER", 0.987654321), ("José Ñúñez", "PER", 0.5), ("Zürich", "LOC", 0.99999)],
        lang="fr",
        tags=["é", "😀"],
    ),
    item("2", T_NEWYORK, [("York", "LOC", 0.912345), ("🗽", "MISC", 0.3)], page=2, weight=1.5),
    item("3", T_CJK, [("東京", "LOC", 0.8), ("日本", "LOC", 0.7)], lang="ja", ok=False, tags=[]),
    item("4", T_ZWSP, [("Width Inc.", "ORG", 0.66666), ("Bob", "PER", 1.0)], page=None),
    item("5", "Paris", [("Paris", "LOC", 0.0)], weight=-2.0),
    item("6", "nothing to see here", [], page=None, tags=None),
    item("7", T_SPACES, [("New ", "MISC", 0.4), ("York", "LOC", None)], page=7),
    item("8", "in New York", [(" York", "LOC", 0.55)], page=8),
    item("9", T_LINES, [("Line", "MISC", 0.1), ("\n", "X", None), ("Berlin  Wall", "LOC", 0.2)], page=9),
]


@cache
def nlp():
    return spacy.blank("en")


def expected_dicts(items=ITEMS, *, include_text=True) -> list[dict]:
    return [record_dict(i, include_text=include_text) for i in items]


def write_jsonl(path: Path, items, batches=(3,), **options) -> int:
    with path.open("wb") as handle, JsonlWriter(handle, **options) as writer:
        return _write_batches(writer, items, batches)


def write_parquet(path: Path, items, batches=(3,), **options) -> int:
    with ParquetWriter(path, **options) as writer:
        return _write_batches(writer, items, batches)


def write_docbin(path: Path, items, batches=(3,), **options) -> int:
    with DocBinWriter(path, **options) as writer:
        return _write_batches(writer, items, batches)


def _write_batches(writer, items, sizes) -> int:
    """Write ``items`` in batches of the given sizes (the last size repeats); check the counts."""
    total, position, index = 0, 0, 0
    while position < len(items):
        size = sizes[min(index, len(sizes) - 1)]
        batch = items[position : position + size]
        assert writer.write(batch) == len(batch)
        total += len(batch)
        position += size
        index += 1
    assert writer.count == total
    return total


# --- formats and the registry ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt", "expected"),
    [
        ("out.jsonl", None, "jsonl"),
        ("out.ndjson", None, "jsonl"),
        ("OUT.JSONL", None, "jsonl"),
        ("dir/out.parquet", None, "parquet"),
        ("out.spacy", None, "spacy"),
        ("out.txt", "parquet", "parquet"),
        ("-", "JSONL", "jsonl"),
        (Path("x.parquet"), "spacy", "spacy"),
    ],
)
def test_format_for(path, fmt, expected):
    assert format_for(path, fmt) == expected


def test_format_for_unknown_suffix_names_the_fix():
    with pytest.raises(ConfigError) as info:
        format_for("out.csv")
    assert str(info.value) == (
        "cannot tell the output format of 'out.csv' (suffix '.csv'; pass --format jsonl|parquet|spacy)"
    )
    with pytest.raises(ConfigError) as info:
        format_for("-")
    assert str(info.value) == "cannot tell the output format of '-' (no suffix; pass --format jsonl|parquet|spacy)"


def test_format_for_unknown_format():
    with pytest.raises(ConfigError) as info:
        format_for("out.jsonl", "csv")
    assert str(info.value) == "unknown output format 'csv' (pass --format jsonl|parquet|spacy)"


def test_formats_are_the_output_choices():
    assert FORMATS == ("jsonl", "parquet", "spacy")


# --- record_dict -------------------------------------------------------------------------------


def test_record_dict_key_order_and_values():
    d = record_dict(ITEMS[1])
    assert list(d) == ["id", "source", "lang", "page", "weight", "ok", "tags", "text", "entities"]
    assert d["text"] == T_NEWYORK
    assert d["entities"] == [
        {"start": 3, "end": 7, "label": "LOC", "text": "York", "score": 0.9123},
        {"start": 8, "end": 9, "label": "MISC", "text": "🗽", "score": 0.3},
    ]
    assert list(d["entities"][0]) == ["start", "end", "label", "text", "score"]


def test_record_dict_without_text_and_none_score():
    d = record_dict(ITEMS[6], include_text=False)
    assert list(d) == ["id", "source", "lang", "page", "weight", "ok", "tags", "entities"]
    assert d["entities"][1] == {"start": 6, "end": 10, "label": "LOC", "text": "York", "score": None}


def test_record_dict_rounds_numpy_like_scores_to_plain_floats():
    np = pytest.importorskip("numpy")
    a = Annotated(Record("x", "Bob", "s:1"), (Span(np.int64(0), np.int64(3), "PER", np.float32(0.123456)),))
    entity = record_dict(a)["entities"][0]
    assert entity == {"start": 0, "end": 3, "label": "PER", "text": "Bob", "score": 0.1235}
    assert type(entity["score"]) is float and type(entity["start"]) is int
    json.dumps(entity)


@pytest.mark.parametrize("name", ["id", "source", "text", "entities"])
def test_record_dict_rejects_a_field_named_like_a_fixed_key(name):
    a = Annotated(Record("x", "Bob", "in.jsonl:3", {"lang": "en", name: 1}), ())
    with pytest.raises(ConfigError) as info:
        record_dict(a, include_text=False)
    assert str(info.value) == (
        f"in.jsonl:3: kept field {name!r} has the name of an output key (id, source, text, entities); "
        "rename or drop that input field"
    )


@pytest.mark.parametrize("span", [Span(0, 4, "X"), Span(2, 2, "X"), Span(-1, 1, "X")])
def test_record_dict_rejects_a_span_outside_the_text(span):
    with pytest.raises(ValueError, match="does not fit a text of 3 characters"):
        record_dict(Annotated(Record("x", "Bob", "s:1"), (span,)))


def test_entity_text_is_always_the_offset_slice():
    for d in expected_dicts():
        for e in d["entities"]:
            assert d["text"][e["start"] : e["end"]] == e["text"]


# --- JSONL -------------------------------------------------------------------------------------


def test_jsonl_exact_bytes():
    buffer = io.BytesIO()
    writer = JsonlWriter(buffer)
    a = Annotated(Record("n1", "NewYork 🗽", "in.txt:1", {"lang": "en"}), (Span(3, 7, "LOC", 0.912345),))
    assert writer.write([a]) == 1
    assert writer.close() == 1
    assert not buffer.closed  # the caller owns the handle
    assert (
        buffer.getvalue()
        == (
            '{"id": "n1", "source": "in.txt:1", "lang": "en", "text": "NewYork 🗽", '
            '"entities": [{"start": 3, "end": 7, "label": "LOC", "text": "York", "score": 0.9123}]}\n'
        ).encode()
    )


@pytest.mark.parametrize("entities", [0, 1, 3, 4, 5, 9])
@pytest.mark.parametrize("include_text", [True, False])
def test_jsonl_line_encodes_entities_in_groups_to_the_bytes_of_one_dumps(monkeypatch, entities, include_text):
    """Entities go through json.dumps ENTITY_GROUP at a time (4 here: groups end inside and at the end);
    the line is json.dumps of the whole record dict, byte for byte."""
    from annotator.writers import jsonl

    monkeypatch.setattr(jsonl, "ENTITY_GROUP", 4)
    text = "Zoë met 東京 \u200b people " * 3
    spans = tuple(Span(k * 3, k * 3 + 2, ("PER", "LOC")[k % 2], 0.5 + k / 100) for k in range(entities))
    item = Annotated(Record('d"1', text, "in.jsonl:2", {"meta": {"a": [1, "é"]}}), spans)
    buffer = io.BytesIO()
    JsonlWriter(buffer, include_text=include_text).write([item])
    whole = json.dumps(record_dict(item, include_text=include_text), ensure_ascii=False) + "\n"
    assert buffer.getvalue() == whole.encode()


def test_jsonl_round_trip_and_determinism(tmp_path):
    assert write_jsonl(tmp_path / "a.jsonl", ITEMS) == len(ITEMS)
    assert write_jsonl(tmp_path / "b.jsonl", ITEMS, batches=(1, 5)) == len(ITEMS)
    data = (tmp_path / "a.jsonl").read_bytes()
    assert data == (tmp_path / "b.jsonl").read_bytes()
    assert data.count(b"\n") == len(ITEMS)
    assert "\u200b".encode() in data and "東京".encode() in data  # ensure_ascii=False
    assert list(read_jsonl(tmp_path / "a.jsonl")) == expected_dicts()


def test_jsonl_without_text(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", ITEMS, include_text=False)
    rows = list(read_jsonl(tmp_path / "a.jsonl"))
    assert rows == expected_dicts(include_text=False)
    assert all("text" not in row for row in rows)


def test_jsonl_refuses_a_text_handle(tmp_path):
    with (tmp_path / "a.jsonl").open("w") as handle, pytest.raises(TypeError, match="binary handle"):
        JsonlWriter(handle)


def test_jsonl_batch_is_all_or_nothing():
    buffer = io.BytesIO()
    writer = JsonlWriter(buffer)
    bad = Annotated(Record("x", "Bob", "in.jsonl:9", {"when": object()}), ())
    with pytest.raises(ConfigError, match=r"^in.jsonl:9: a kept field cannot be written as JSON"):
        writer.write([ITEMS[0], bad])
    assert buffer.getvalue() == b"" and writer.count == 0


def test_read_jsonl_names_path_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": "1"}\n\n{"id": \n')
    rows = read_jsonl(path)
    assert next(rows) == {"id": "1"}
    with pytest.raises(InputFormatError) as info:
        next(rows)
    assert info.value.path == str(path) and info.value.line == 3


# --- Parquet -----------------------------------------------------------------------------------

ENTITIES_TYPE = pa.list_(
    pa.struct(
        [
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("label", pa.string()),
            ("text", pa.string()),
            ("score", pa.float32()),
        ]
    )
)


def test_parquet_schema_and_row_groups(tmp_path):
    path = tmp_path / "a.parquet"
    write_parquet(path, ITEMS, batches=(2, 4))
    schema = pq.read_schema(path)
    assert schema.names == ["id", "source", "lang", "page", "weight", "ok", "tags", "text", "entities"]
    assert [schema.field(name).type for name in schema.names] == [
        pa.string(), pa.string(), pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.list_(pa.string()),
        pa.string(), ENTITIES_TYPE,
    ]  # fmt: skip
    metadata = pq.ParquetFile(path).metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [2, 4, 3]


def test_parquet_round_trip_equals_jsonl(tmp_path):
    write_parquet(tmp_path / "a.parquet", ITEMS)
    write_jsonl(tmp_path / "a.jsonl", ITEMS)
    rows = list(read_parquet(tmp_path / "a.parquet", batch_size=2))
    assert rows == list(read_jsonl(tmp_path / "a.jsonl")) == expected_dicts()
    assert [list(row) for row in rows] == [list(d) for d in expected_dicts()]  # same key order


def test_parquet_is_byte_deterministic(tmp_path):
    write_parquet(tmp_path / "a.parquet", ITEMS)
    write_parquet(tmp_path / "b.parquet", ITEMS)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_parquet_without_text(tmp_path):
    write_parquet(tmp_path / "a.parquet", ITEMS, include_text=False)
    assert "text" not in pq.read_schema(tmp_path / "a.parquet").names
    assert list(read_parquet(tmp_path / "a.parquet")) == expected_dicts(include_text=False)


def test_parquet_empty_output_is_a_valid_file(tmp_path):
    path = tmp_path / "empty.parquet"
    with ParquetWriter(path) as writer:
        assert writer.write([]) == 0
    assert writer.count == 0
    assert pq.read_schema(path).names == ["id", "source", "text", "entities"]
    assert pq.read_schema(path).field("entities").type == ENTITIES_TYPE
    assert pq.read_table(path).num_rows == 0
    assert list(read_parquet(path)) == []


def test_parquet_later_value_that_does_not_fit_names_the_field(tmp_path):
    first = Annotated(Record("1", "a", "b:1", {"page": 1}), ())
    later = Annotated(Record("2", "b", "b:2", {"page": "x"}), ())
    with ParquetWriter(tmp_path / "a.parquet") as writer:
        writer.write([first])
        with pytest.raises(ConfigError) as info:
            writer.write([first, later])
        assert writer.count == 1
    assert str(info.value) == (
        "b:2: kept field 'page' has value 'x', which does not fit the Parquet column type int64 "
        "(inferred from the first batch); give the field one type in every record or drop it"
    )
    assert pq.read_table(tmp_path / "a.parquet").num_rows == 1


def test_parquet_later_unknown_field_names_it(tmp_path):
    with ParquetWriter(tmp_path / "a.parquet") as writer:
        writer.write([Annotated(Record("1", "a", "b:1", {"page": 1}), ())])
        with pytest.raises(ConfigError, match=r"^b:2: kept field 'extra' is not a column"):
            writer.write([Annotated(Record("2", "b", "b:2", {"page": 2, "extra": 1}), ())])


def test_parquet_first_batch_with_mixed_types_names_the_field(tmp_path):
    items = [Annotated(Record("1", "a", "b:1", {"page": 1}), ()), Annotated(Record("2", "b", "b:2", {"page": "x"}), ())]
    with (
        ParquetWriter(tmp_path / "a.parquet") as writer,
        pytest.raises(ConfigError, match=r"^kept field 'page' cannot"),
    ):
        writer.write(items)


def test_parquet_kept_fields_of_several_types_and_missing_ones(tmp_path):
    items = [
        Annotated(Record("1", "a", "s:1", {"i": 1, "f": 0.5, "s": "x", "b": True, "l": [1, 2], "d": {"k": "v"}}), ()),
        Annotated(Record("2", "b", "s:2", {"i": None, "f": 2.0, "s": "ü", "b": False, "l": [], "d": {"k": None}}), ()),
        Annotated(Record("3", "c", "s:3", {"i": 3, "f": 1, "s": "😀", "b": None}), ()),  # int into double; l, d missing
    ]
    write_parquet(tmp_path / "a.parquet", items, batches=(2, 1))
    rows = list(read_parquet(tmp_path / "a.parquet"))
    assert [{k: row[k] for k in ("i", "f", "s", "b", "l", "d")} for row in rows] == [
        {"i": 1, "f": 0.5, "s": "x", "b": True, "l": [1, 2], "d": {"k": "v"}},
        {"i": None, "f": 2.0, "s": "ü", "b": False, "l": [], "d": {"k": None}},
        {"i": 3, "f": 1.0, "s": "😀", "b": None, "l": None, "d": None},
    ]


# --- spaCy DocBin ------------------------------------------------------------------------------


def test_docbin_round_trip_equals_jsonl(tmp_path):
    assert write_docbin(tmp_path / "a.spacy", ITEMS) == len(ITEMS)
    assert list(read_docbin(tmp_path / "a.spacy")) == expected_dicts()


def test_docbin_is_readable_by_spacy(tmp_path):
    write_docbin(tmp_path / "a.spacy", ITEMS)
    vocab = nlp().vocab
    docs = list(DocBin().from_disk(tmp_path / "a.spacy").get_docs(vocab))
    assert len(docs) == len(ITEMS)
    for doc, it in zip(docs, ITEMS):
        assert doc.text == it.record.text
        assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
            (s.start, s.end, s.label) for s in sorted(it.entities, key=lambda s: s.start)
        ]
        assert doc.user_data["id"] == it.record.id
        assert doc.user_data["source"] == it.record.source
        assert list(doc.user_data["scores"]) == [e["score"] for e in record_dict(it)["entities"]]


def test_docbin_splits_a_token_at_an_entity_boundary():
    doc = item_to_doc(ITEMS[1], nlp())
    assert [t.text for t in doc][:2] == ["New", "York"]
    assert [t.text for t in nlp()(T_NEWYORK)][0] == "NewYork"
    assert [(e.text, e.label_) for e in doc.ents] == [("York", "LOC"), ("🗽", "MISC")]


def test_docbin_cjk_and_spaces():
    doc = item_to_doc(ITEMS[2], nlp())
    assert [e.text for e in doc.ents] == ["東京", "日本"]
    doc = item_to_doc(ITEMS[6], nlp())
    assert [t.text for t in doc] == ["a", "New", " ", "York", "b"]  # the space after New ends an entity
    assert [e.text for e in doc.ents] == ["New ", "York"]
    doc = item_to_doc(Annotated(Record("x", T_SPACES, "s"), (ent(T_SPACES, "New York", "LOC", 0.5),)), nlp())
    assert [t.text for t in doc] == ["a", "New", "York", "b"]  # spaCy's tokens where nothing needs a split


def test_docbin_sorts_entities_and_keeps_scores_with_them():
    text = "Ann met Bob"
    a = Annotated(Record("x", text, "s"), (ent(text, "Bob", "PER", 0.2), ent(text, "Ann", "PER", 0.1)))
    doc = item_to_doc(a, nlp())
    assert [e.text for e in doc.ents] == ["Ann", "Bob"]
    assert doc.user_data["scores"] == [0.1, 0.2]


def test_docbin_refuses_overlapping_entities():
    text = "New York City"
    a = Annotated(Record("x", text, "in.txt:4"), (Span(0, 8, "LOC"), Span(4, 13, "LOC")))
    with pytest.raises(ValueError, match=r"^in.txt:4: entities .* overlap"):
        item_to_doc(a, nlp())


def test_docbin_is_byte_deterministic(tmp_path):
    write_docbin(tmp_path / "a.spacy", ITEMS)
    write_docbin(tmp_path / "b.spacy", ITEMS, batches=(1,))
    assert (tmp_path / "a.spacy").read_bytes() == (tmp_path / "b.spacy").read_bytes()


def test_docbin_empty_output(tmp_path):
    with DocBinWriter(tmp_path / "e.spacy") as writer:
        assert writer.write([]) == 0
    assert list(read_docbin(tmp_path / "e.spacy")) == []
    assert list(DocBin().from_disk(tmp_path / "e.spacy").get_docs(nlp().vocab)) == []


def test_docbin_unknown_language():
    with pytest.raises(ConfigError, match=r"^unknown spaCy language 'zz-nope'"):
        blank_nlp("zz-nope")


def test_docbin_shard_directory_reads_in_order(tmp_path):
    out = tmp_path / "shards"
    out.mkdir()
    for k, start in enumerate(range(0, len(ITEMS), 4)):
        with DocBinWriter(out / f"part-{k:05d}.spacy") as writer:
            writer.write(ITEMS[start : start + 4])
    assert [len(DocBin().from_disk(p)) for p in sorted(out.iterdir())] == [4, 4, 1]
    assert list(read_docbin(out)) == expected_dicts()
    assert concat_docbin([out], tmp_path / "all.spacy") == len(ITEMS)
    assert list(read_docbin(tmp_path / "all.spacy")) == expected_dicts()


@st.composite
def texts_and_spans(draw):
    text = draw(st.text(alphabet=st.sampled_from(list("abY é🗽東京\u200b\n.-'")), min_size=1, max_size=24))
    cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=8)))
    spans = [Span(start, end, "E", None) for start, end in zip(cuts[::2], cuts[1::2])]
    return text, spans


@settings(max_examples=60, deadline=None)
@given(texts_and_spans())
def test_docbin_every_entity_aligns(case):
    text, spans = case
    doc = item_to_doc(Annotated(Record("x", text, "s"), tuple(spans)), nlp())
    assert doc.text == text
    assert [(e.start_char, e.end_char) for e in doc.ents] == [(s.start, s.end) for s in spans]
    assert [e.text for e in doc.ents] == [text[s.start : s.end] for s in spans]


# --- part merging ------------------------------------------------------------------------------


def test_concat_jsonl_equals_one_write(tmp_path):
    write_jsonl(tmp_path / "all.jsonl", ITEMS)
    parts = [tmp_path / "p0.jsonl", tmp_path / "p1.jsonl", tmp_path / "p2.jsonl"]
    write_jsonl(parts[0], ITEMS[:4])
    write_jsonl(parts[1], [])
    write_jsonl(parts[2], ITEMS[4:])
    out = io.BytesIO()
    assert concat_jsonl(parts, out) == len(ITEMS)
    assert out.getvalue() == (tmp_path / "all.jsonl").read_bytes()


def test_concat_jsonl_ends_a_part_without_newline(tmp_path):
    (tmp_path / "a.jsonl").write_bytes(b'{"id": "1"}')
    (tmp_path / "b.jsonl").write_bytes(b'{"id": "2"}\n')
    out = io.BytesIO()
    assert concat_jsonl([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], out) == 2
    assert out.getvalue() == b'{"id": "1"}\n{"id": "2"}\n'


def test_concat_parquet_equals_one_write(tmp_path):
    write_parquet(tmp_path / "all.parquet", ITEMS, batches=(3,))
    parts = [tmp_path / "p0.parquet", tmp_path / "p1.parquet"]
    write_parquet(parts[0], ITEMS[:6], batches=(3,))
    write_parquet(parts[1], ITEMS[6:], batches=(3,))
    assert concat_parquet(parts, tmp_path / "out.parquet") == len(ITEMS)
    assert list(read_parquet(tmp_path / "out.parquet")) == list(read_parquet(tmp_path / "all.parquet"))
    assert pq.read_schema(tmp_path / "out.parquet") == pq.read_schema(tmp_path / "all.parquet")
    # Same row groups and the same options: the very same bytes, and deterministic.
    assert (tmp_path / "out.parquet").read_bytes() == (tmp_path / "all.parquet").read_bytes()
    concat_parquet(parts, tmp_path / "again.parquet")
    assert (tmp_path / "again.parquet").read_bytes() == (tmp_path / "out.parquet").read_bytes()


def test_concat_parquet_unifies_part_schemas(tmp_path):
    a = [Annotated(Record("1", "a", "s:1", {"page": None}), ())]  # inferred as null
    b = [Annotated(Record("2", "b", "s:2", {"page": 2}), ())]
    empty = tmp_path / "empty.parquet"
    write_parquet(tmp_path / "a.parquet", a)
    write_parquet(tmp_path / "b.parquet", b)
    write_parquet(empty, [])
    assert concat_parquet([tmp_path / "a.parquet", empty, tmp_path / "b.parquet"], tmp_path / "out.parquet") == 2
    assert pq.read_schema(tmp_path / "out.parquet").field("page").type == pa.int64()
    assert [row["page"] for row in read_parquet(tmp_path / "out.parquet")] == [None, 2]


def test_concat_parquet_refuses_types_that_do_not_merge(tmp_path):
    write_parquet(tmp_path / "a.parquet", [Annotated(Record("1", "a", "s:1", {"page": 1}), ())])
    write_parquet(tmp_path / "b.parquet", [Annotated(Record("2", "b", "s:2", {"page": "x"}), ())])
    with pytest.raises(ConfigError, match=r"^kept field 'page' has types that cannot be merged"):
        concat_parquet([tmp_path / "a.parquet", tmp_path / "b.parquet"], tmp_path / "out.parquet")


def test_concat_parquet_of_no_parts_is_an_empty_file(tmp_path):
    assert concat_parquet([], tmp_path / "out.parquet") == 0
    assert pq.read_schema(tmp_path / "out.parquet").names == ["id", "source", "text", "entities"]


def test_concat_docbin_equals_one_write(tmp_path):
    write_docbin(tmp_path / "all.spacy", ITEMS)
    write_docbin(tmp_path / "p0.spacy", ITEMS[:5])
    write_docbin(tmp_path / "p1.spacy", [])
    write_docbin(tmp_path / "p2.spacy", ITEMS[5:])
    parts = [tmp_path / "p0.spacy", tmp_path / "p1.spacy", tmp_path / "p2.spacy"]
    assert concat_docbin(parts, tmp_path / "out.spacy") == len(ITEMS)
    assert list(read_docbin(tmp_path / "out.spacy")) == list(read_docbin(tmp_path / "all.spacy"))


# --- open_writer -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_open_writer_round_trip(tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    if fmt == "jsonl":
        with path.open("wb") as handle, open_writer(fmt, handle) as writer:
            assert isinstance(writer, Writer)
            assert writer.write(ITEMS) == len(ITEMS)
    else:
        with open_writer(fmt, path) as writer:
            assert isinstance(writer, {"parquet": ParquetWriter, "spacy": DocBinWriter}[fmt])
            assert writer.write(ITEMS) == len(ITEMS)
    assert writer.close() == len(ITEMS)  # a second close is harmless and returns the total
    read = {"jsonl": read_jsonl, "parquet": read_parquet, "spacy": read_docbin}[fmt]
    assert list(read(path)) == expected_dicts()


def test_open_writer_refuses_wrong_targets_and_options(tmp_path):
    with pytest.raises(TypeError, match="binary handle"):
        open_writer("jsonl", tmp_path / "a.jsonl")
    with pytest.raises(TypeError, match="takes a path"):
        open_writer("parquet", io.BytesIO())
    with pytest.raises(ConfigError, match="cannot leave the text out"):
        open_writer("spacy", tmp_path / "a.spacy", include_text=False)
    with pytest.raises(ConfigError, match="unknown output format 'csv'"):
        open_writer("csv", tmp_path / "a.csv")
