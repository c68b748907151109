"""Tests of annotator.readers: every format, every reject reason, input expansion and streaming.

All data is built inline in tmp_path; Parquet fixtures are written with pyarrow here.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.errors import ConfigError, InputFormatError
from annotator.readers import (
    FORMATS,
    READERS,
    SUFFIXES,
    InputFile,
    ReaderOptions,
    ReadProgress,
    detect_format,
    expand_inputs,
    open_records,
)
from annotator.readers import parquet as parquet_reader
from annotator.records import Record, Reject

LINES = ReaderOptions(lines=True)


def write(path, data: str | bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def jsonl(*objects) -> str:
    return "".join(json.dumps(obj) + "\n" for obj in objects)


def read(*paths, **options) -> list[Record | Reject]:
    return list(open_records([str(p) for p in paths], options=ReaderOptions(**options)))


def summary(items) -> list[tuple]:
    """(kind, source, text or reason) per item: compact and exact."""
    return [("R", i.source, i.text) if isinstance(i, Record) else ("X", i.source, i.reason) for i in items]


def only_reject(items) -> Reject:
    assert len(items) == 1 and isinstance(items[0], Reject), items
    return items[0]


def write_parquet(path, columns: dict, **kwargs):
    pq.write_table(pa.table(columns), path, **kwargs)
    return path


# --------------------------------------------------------------------------- options


def test_options_defaults_and_keep_becomes_tuple():
    options = ReaderOptions(keep=["lang", "url"])
    assert options.keep == ("lang", "url")
    assert ReaderOptions() == ReaderOptions(None, False, "text", "id", (), False, "utf-8")


def test_readers_registry_matches_formats():
    assert tuple(READERS) == FORMATS == ("txt", "jsonl", "parquet")
    assert set(SUFFIXES.values()) == set(FORMATS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"keep": ("a",), "keep_all": True}, "use just one of --keep and --keep-all"),
        ({"input_format": "csv"}, "unknown input format 'csv': use one of txt, jsonl, parquet"),
        ({"input_format": "jsonl", "lines": True}, "--lines applies only to txt input, not --input-format jsonl"),
        ({"text_key": "body", "id_key": "body"}, "--text-key and --id-key must differ (both are 'body')"),
        ({"text_key": ""}, "--text-key must be a non-empty field name"),
        ({"id_key": ""}, "--id-key must be a non-empty field name"),
        ({"keep": ("a", "a")}, "--keep names 'a' twice"),
        ({"keep": ("",)}, "--keep names must be non-empty strings, got ''"),
        ({"keep": "lang"}, "keep must be a sequence of field names, not the string 'lang'"),
        ({"encoding": "no-such-codec"}, "unknown encoding 'no-such-codec'"),
        ({"encoding": "rot13"}, "encoding 'rot13' is not supported"),
        ({"encoding": "utf-16"}, "encoding 'utf-16' is not supported: input is decoded line by line"),
    ],
)
def test_options_reject_bad_values(kwargs, message):
    with pytest.raises(ConfigError) as info:
        ReaderOptions(**kwargs)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("encoding", ["utf-8", "UTF8", "utf-8-sig", "cp1252", "iso-8859-1", "ascii"])
def test_options_accept_ascii_compatible_encodings(encoding):
    assert ReaderOptions(encoding=encoding).encoding == encoding


# --------------------------------------------------------------------------- suffixes and expansion


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.txt", "txt"),
        ("a.text", "txt"),
        ("A.TXT", "txt"),
        ("a.txt.gz", "txt"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.jsonl.gz", "jsonl"),
        ("a.ndjson.gz", "jsonl"),
        ("a.parquet", "parquet"),
        ("a.pq", "parquet"),
        ("dir.txt/a.csv", None),
        ("a.gz", None),
        ("a.parquet.gz", None),
        ("a.json", None),
        ("txt", None),
    ],
)
def test_detect_format(name, fmt):
    assert detect_format(name) == fmt


def test_expand_file_detects_format_and_compression(tmp_path):
    files = [write(tmp_path / n, "x\n") for n in ("a.txt", "b.jsonl.gz", "c.pq")]
    assert expand_inputs([str(f) for f in files], options=ReaderOptions()) == [
        InputFile(str(files[0]), "txt"),
        InputFile(str(files[1]), "jsonl", compressed=True),
        InputFile(str(files[2]), "parquet"),
    ]


def test_expand_rejects_a_single_string():
    with pytest.raises(TypeError):
        expand_inputs("a.txt", options=ReaderOptions())


def test_expand_missing_path(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputFormatError) as info:
        expand_inputs([str(missing)], options=ReaderOptions())
    assert (info.value.path, info.value.line, info.value.message) == (str(missing), None, "no such file or directory")
    assert str(info.value) == f"{missing}: no such file or directory"


def test_expand_unknown_suffix_given_explicitly(tmp_path):
    path = write(tmp_path / "notes.md", "hello\n")
    with pytest.raises(InputFormatError) as info:
        expand_inputs([str(path)], options=ReaderOptions())
    assert info.value.path == str(path)
    assert info.value.fix == "pass --input-format txt|jsonl|parquet"
    assert str(info.value).endswith("(pass --input-format txt|jsonl|parquet)")
    forced = expand_inputs([str(path)], options=ReaderOptions(input_format="txt"))
    assert forced == [InputFile(str(path), "txt")]


def make_tree(root):
    for name in ("b.txt", "a.txt", "a/z.jsonl", "a/y/x.txt", "sub/c.parquet", "notes.md", "data.bin"):
        write(root / name, "x\n")
    for hidden in (".hidden.txt", ".git/config.txt", "a/.cache/deep.jsonl"):
        write(root / hidden, "secret\n")


def test_directory_walk_is_sorted_depth_first_and_skips_hidden_and_unknown(tmp_path):
    make_tree(tmp_path)
    files = expand_inputs([str(tmp_path)], options=ReaderOptions())
    assert [f.path for f in files] == [
        str(tmp_path / "a" / "y" / "x.txt"),
        str(tmp_path / "a" / "z.jsonl"),
        str(tmp_path / "a.txt"),
        str(tmp_path / "b.txt"),
        str(tmp_path / "sub" / "c.parquet"),
    ]
    assert [f.format for f in files] == ["txt", "jsonl", "txt", "txt", "parquet"]


def test_directory_walk_with_input_format_takes_every_visible_file(tmp_path):
    make_tree(tmp_path)
    files = expand_inputs([str(tmp_path)], options=ReaderOptions(input_format="txt"))
    names = [f.path[len(str(tmp_path)) + 1 :] for f in files]
    assert names == ["a/y/x.txt", "a/z.jsonl", "a.txt", "b.txt", "data.bin", "notes.md", "sub/c.parquet"]
    assert {f.format for f in files} == {"txt"}


def test_directory_without_input_files_is_an_error(tmp_path):
    write(tmp_path / "notes.md", "x")
    write(tmp_path / ".hidden.txt", "x")
    with pytest.raises(InputFormatError) as info:
        expand_inputs([str(tmp_path)], options=ReaderOptions())
    assert info.value.path == str(tmp_path)
    assert info.value.message.startswith("no input files in directory")
    assert info.value.fix == "pass --input-format txt|jsonl|parquet"


def test_hidden_file_given_by_name_is_read(tmp_path):
    path = write(tmp_path / ".hidden.txt", "visible when named")
    assert summary(read(path)) == [("R", str(path), "visible when named")]


def test_glob_is_sorted_skips_unknown_suffixes_and_walks_matched_directories(tmp_path):
    for name in ("b2.txt", "b1.jsonl", "b3.md", "bdir/in.txt", "c.txt"):
        write(tmp_path / name, "x\n")
    files = expand_inputs([str(tmp_path / "b*")], options=ReaderOptions())
    assert [f.path for f in files] == [str(tmp_path / n) for n in ("b1.jsonl", "b2.txt", "bdir/in.txt")]


def test_glob_matching_nothing(tmp_path):
    pattern = str(tmp_path / "*.jsonl")
    with pytest.raises(InputFormatError) as info:
        expand_inputs([pattern], options=ReaderOptions())
    assert str(info.value) == f"{pattern}: no such file or directory"


def test_glob_matching_only_unknown_suffixes(tmp_path):
    write(tmp_path / "a.csv", "x")
    pattern = str(tmp_path / "*")
    with pytest.raises(InputFormatError) as info:
        expand_inputs([pattern], options=ReaderOptions())
    assert info.value.message == "no files with a known suffix match this pattern"


def test_stdin_input_file():
    assert expand_inputs(["-"], options=ReaderOptions()) == [InputFile("<stdin>", "txt", stdin=True)]
    assert expand_inputs(["-"], options=ReaderOptions(input_format="jsonl")) == [
        InputFile("<stdin>", "jsonl", stdin=True)
    ]


@pytest.mark.parametrize(
    ("inputs", "fmt", "message"),
    [
        (["-"], "parquet", "<stdin>: cannot read Parquet from stdin (pass the file's path)"),
        (["-", "-"], None, "<stdin>: '-' (stdin) is given more than once"),
    ],
)
def test_stdin_errors(inputs, fmt, message):
    with pytest.raises(InputFormatError) as info:
        expand_inputs(inputs, options=ReaderOptions(input_format=fmt))
    assert str(info.value) == message


def test_open_records_expands_eagerly(tmp_path):
    """A bad path fails at the call, before the generator is started (before a model loads)."""
    good = write(tmp_path / "a.txt", "x")
    with pytest.raises(InputFormatError):
        open_records([str(good), str(tmp_path / "missing.txt")], options=ReaderOptions())


def test_inputs_are_read_in_the_order_given(tmp_path):
    a = write(tmp_path / "a.txt", "A")
    b = write(tmp_path / "b.jsonl", jsonl({"text": "B"}))
    assert [i.text for i in read(b, a, a)] == ["B", "A", "A"]


def test_open_records_accepts_expanded_files(tmp_path):
    path = write(tmp_path / "a.txt", "one\ntwo\n")
    files = expand_inputs([str(path)], options=LINES)
    assert [i.text for i in open_records(files, options=LINES)] == ["one", "two"]


# --------------------------------------------------------------------------- txt


def test_txt_whole_file_is_one_document_kept_exactly(tmp_path):
    path = write(tmp_path / "doc.txt", "\ufeffFirst line.\r\n\n  Second\ufeff line.\n")
    (record,) = read(path)
    assert record == Record(id=str(path), text="First line.\r\n\n  Second\ufeff line.\n", source=str(path), fields={})


def test_txt_lines_skip_blank_lines_and_strip_newlines(tmp_path):
    path = write(tmp_path / "d.txt", "\ufeffone\r\n\n   \ntwo  \n\tthree\n\ufefffour")
    assert summary(read(path, lines=True)) == [
        ("R", f"{path}:1", "one"),
        ("R", f"{path}:4", "two  "),
        ("R", f"{path}:5", "\tthree"),
        ("R", f"{path}:6", "\ufefffour"),  # a BOM is stripped at the start of the file only
    ]
    first = read(path, lines=True)[0]
    assert first.id == first.source == f"{path}:1"


def test_txt_kept_fields_are_none(tmp_path):
    path = write(tmp_path / "d.txt", "a\nb\n")
    assert [r.fields for r in read(path, lines=True, keep=("lang", "url"))] == [{"lang": None, "url": None}] * 2
    assert [r.fields for r in read(path, lines=True, keep_all=True)] == [{}, {}]


@pytest.mark.parametrize("data", ["", " \n\t\n"])
def test_txt_empty_file_is_rejected(tmp_path, data):
    path = write(tmp_path / "empty.txt", data)
    assert only_reject(read(path)) == Reject(source=str(path), reason="empty text")


def test_txt_lines_invalid_encoding_names_the_exact_line_and_goes_on(tmp_path):
    path = write(tmp_path / "d.txt", b"ok\n\ncaf\xe9\nnext\n")
    items = read(path, lines=True)
    assert [(type(i).__name__, i.source) for i in items] == [
        ("Record", f"{path}:1"),
        ("Reject", f"{path}:3"),
        ("Record", f"{path}:4"),
    ]
    reason = items[1].reason
    assert reason.startswith("not valid utf-8: unexpected end of data at byte 3")
    assert "pass the file's encoding with --encoding" in reason
    assert [i.text for i in read(path, lines=True, encoding="cp1252")] == ["ok", "café", "next"]


def test_txt_whole_file_invalid_encoding_names_line_in_reason(tmp_path):
    path = write(tmp_path / "d.txt", b"line one\nab\xffc\n")
    reject = only_reject(read(path))
    assert reject.source == str(path)
    assert reject.reason.startswith("not valid utf-8: invalid start byte at line 2, byte 2;")
    assert "--encoding" in reject.reason


def test_binary_file_is_one_reject(tmp_path):
    path = write(tmp_path / "blob.txt", b"abc\n" * 10 + b"\x00\x01\x02\n" + b"more\n" * 5)
    assert only_reject(read(path, lines=False)) == Reject(
        source=str(path), reason="binary file (NUL bytes in the first 8 KiB), not text"
    )
    path = write(tmp_path / "blob2.txt", b"\x00\x01\n\x00\n" * 20)
    assert only_reject(read(path, lines=True)) == Reject(
        source=str(path), reason="binary file (NUL bytes in the first 8 KiB), not text"
    )


def test_a_nul_byte_in_one_line_rejects_that_line_only(tmp_path):
    path = write(tmp_path / "blob.txt", b"abc\n" * 10 + b"\x00\x01\x02\n" + b"more\n" * 5)
    items = read(path, lines=True)
    assert len(items) == 16
    assert items[10] == Reject(source=f"{path}:11", reason="binary data (a NUL byte) in the line, not text")
    assert [item.text for item in items if isinstance(item, Record)] == ["abc"] * 10 + ["more"] * 5


def test_binary_file_met_in_directory_walk(tmp_path):
    write(tmp_path / "a.txt", "text")
    write(tmp_path / "b.bin", bytes(range(256)))
    write(tmp_path / "c.jsonl", b'{"text": "x"}\n\x00')
    items = read(tmp_path, input_format="txt")
    assert summary(items) == [
        ("R", str(tmp_path / "a.txt"), "text"),
        ("X", str(tmp_path / "b.bin"), "binary file (NUL bytes in the first 8 KiB), not text"),
        ("X", str(tmp_path / "c.jsonl"), "binary file (NUL bytes in the first 8 KiB), not text"),
    ]
    jsonl_items = read(tmp_path / "c.jsonl")
    assert only_reject(jsonl_items).reason.startswith("binary file")


def test_nul_after_first_8_kib_rejects_its_line_as_before_it(tmp_path):
    path = write(tmp_path / "d.txt", b"a" * 9000 + b"\nb\x00c\n")
    items = read(path, lines=True)
    assert items[0].text == "a" * 9000
    assert items[1] == Reject(source=f"{path}:2", reason="binary data (a NUL byte) in the line, not text")


def test_file_gone_after_expansion_is_rejected(tmp_path):
    path = write(tmp_path / "a.txt", "x")
    files = expand_inputs([str(path)], options=ReaderOptions())
    path.unlink()
    reject = only_reject(list(open_records(files, options=ReaderOptions())))
    assert reject == Reject(source=str(path), reason="cannot open: No such file or directory")


# --------------------------------------------------------------------------- gzip


def test_gzip_txt_and_jsonl(tmp_path):
    txt = write(tmp_path / "a.txt.gz", gzip.compress("\ufeffone\n\ntwo\n".encode()))
    js = write(tmp_path / "b.ndjson.gz", gzip.compress(jsonl({"id": 7, "text": "seven"}).encode()))
    whole = write(tmp_path / "c.txt.gz", gzip.compress(b"all\nof it\n"))
    assert summary(read(txt, lines=True)) == [("R", f"{txt}:1", "one"), ("R", f"{txt}:3", "two")]
    assert read(js) == [Record(id="7", text="seven", source=f"{js}:1", fields={})]
    assert summary(read(whole)) == [("R", str(whole), "all\nof it\n")]


def test_gzip_invalid_encoding_names_the_line(tmp_path):
    path = write(tmp_path / "a.jsonl.gz", gzip.compress(b'{"text": "a"}\n{"text": "\xff"}\n'))
    items = read(path)
    assert [i.source for i in items] == [f"{path}:1", f"{path}:2"]
    assert items[1].reason.startswith("not valid utf-8")


def test_truncated_gzip_keeps_documents_before_the_failure(tmp_path):
    data = gzip.compress(b"one\ntwo\nthree\n")
    path = write(tmp_path / "a.txt.gz", data[:-8])  # no CRC/size trailer: the stream never ends
    assert summary(read(path, lines=True))[:3] == [
        ("R", f"{path}:1", "one"),
        ("R", f"{path}:2", "two"),
        ("R", f"{path}:3", "three"),
    ]
    reject = read(path, lines=True)[3]
    assert reject.source == f"{path}:4"
    assert reject.reason.startswith("gzip stream is truncated or corrupt: ")


def test_truncated_gzip_in_the_middle_of_a_large_file(tmp_path):
    rng = random.Random(7)
    lines = [" ".join(f"{rng.random():.12f}" for _ in range(8)) for _ in range(3000)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path = write(tmp_path / "big.txt.gz", data[: len(data) // 2])
    items = read(path, lines=True)
    records, last = items[:-1], items[-1]
    assert len(records) > 100 and all(isinstance(r, Record) for r in records)
    assert [r.text for r in records] == lines[: len(records)]
    assert [r.source for r in records] == [f"{path}:{n}" for n in range(1, len(records) + 1)]
    assert last.source == f"{path}:{len(records) + 1}"
    assert "truncated or corrupt" in last.reason


def test_truncated_gzip_whole_file_is_one_reject(tmp_path):
    path = write(tmp_path / "a.txt.gz", gzip.compress(b"one\ntwo\n")[:-8])
    reject = only_reject(read(path))
    assert reject.source == str(path)
    assert reject.reason.startswith("gzip stream is truncated or corrupt")


def test_not_gzip_at_all(tmp_path):
    path = write(tmp_path / "a.jsonl.gz", b"plain text, not gzip\n")
    reject = only_reject(read(path))
    assert reject.source == f"{path}:1"
    assert reject.reason.startswith("gzip stream is truncated or corrupt: Not a gzipped file")


# --------------------------------------------------------------------------- jsonl


def test_jsonl_records_ids_and_fields(tmp_path):
    path = write(
        tmp_path / "d.jsonl",
        "\ufeff"
        + jsonl(
            {"id": "doc-1", "text": "Alpha", "lang": "en", "n": 1},
            {"text": "Beta", "n": 2},  # no id: the source is the id
            {"id": None, "text": "Gamma"},  # null id: same
            {"id": 42, "text": "Delta", "lang": "de"},
            {"id": "", "text": "Epsilon"},  # present and not None: kept as given
        ),
    )
    items = read(path, keep=("n", "lang"))
    assert items == [
        Record(id="doc-1", text="Alpha", source=f"{path}:1", fields={"n": 1, "lang": "en"}),
        Record(id=f"{path}:2", text="Beta", source=f"{path}:2", fields={"n": 2, "lang": None}),
        Record(id=f"{path}:3", text="Gamma", source=f"{path}:3", fields={"n": None, "lang": None}),
        Record(id="42", text="Delta", source=f"{path}:4", fields={"n": None, "lang": "de"}),
        Record(id="", text="Epsilon", source=f"{path}:5", fields={"n": None, "lang": None}),
    ]


def test_jsonl_keep_all_keeps_input_order_without_text_and_id(tmp_path):
    path = write(tmp_path / "d.jsonl", jsonl({"z": 1, "id": "a", "meta": {"k": [1]}, "text": "T", "b": None}))
    (record,) = read(path, keep_all=True)
    assert list(record.fields.items()) == [("z", 1), ("meta", {"k": [1]}), ("b", None)]


def test_jsonl_custom_keys(tmp_path):
    path = write(tmp_path / "d.jsonl", jsonl({"uid": 5, "body": "Hello", "text": "not this", "id": "nor this"}))
    (record,) = read(path, text_key="body", id_key="uid", keep_all=True)
    assert (record.id, record.text, record.fields) == ("5", "Hello", {"text": "not this", "id": "nor this"})


def test_jsonl_every_reject_reason(tmp_path):
    lines = [
        '{"text": "good"}',
        "",  # blank: skipped, no output
        '{"text": "unterminated',
        "[1, 2]",
        '"just a string"',
        '{"id": "x9", "body": "wrong key"}',
        '{"id": 3, "text": 12}',
        '{"text": null}',
        '{"text": ["a"]}',
        '{"text": {"a": 1}}',
        '{"text": true}',
        '{"text": "   \\n "}',
        '{"text": ""}',
        "   ",
        '{"text": "last"}',
    ]
    path = write(tmp_path / "d.jsonl", "\n".join(lines) + "\n")
    items = read(path)
    assert summary(items) == [
        ("R", f"{path}:1", "good"),
        ("X", f"{path}:3", "malformed JSON: Unterminated string starting at: line 1 column 10 (char 9)"),
        ("X", f"{path}:4", "not a JSON object but an array"),
        ("X", f"{path}:5", "not a JSON object but a string"),
        ("X", f"{path}:6", "no field 'text'"),
        ("X", f"{path}:7", "field 'text' is a number, not a string"),
        ("X", f"{path}:8", "field 'text' is null, not a string"),
        ("X", f"{path}:9", "field 'text' is an array, not a string"),
        ("X", f"{path}:10", "field 'text' is an object, not a string"),
        ("X", f"{path}:11", "field 'text' is a boolean, not a string"),
        ("X", f"{path}:12", "empty text"),
        ("X", f"{path}:13", "empty text"),
        ("R", f"{path}:15", "last"),
    ]
    assert [i.id for i in items if isinstance(i, Reject)][3:5] == ["x9", "3"]  # rejects carry the id when known


def test_jsonl_missing_custom_text_key_names_it(tmp_path):
    path = write(tmp_path / "d.jsonl", jsonl({"text": "x"}))
    assert only_reject(read(path, text_key="body")).reason == "no field 'body'"


def test_jsonl_invalid_encoding_is_a_reject_on_its_line(tmp_path):
    path = write(tmp_path / "d.jsonl", b'{"text": "a"}\n{"text": "caf\xe9"}\n{"text": "b"}\n')
    items = read(path)
    assert [(type(i).__name__, i.source) for i in items] == [
        ("Record", f"{path}:1"),
        ("Reject", f"{path}:2"),
        ("Record", f"{path}:3"),
    ]
    assert items[1].reason.startswith("not valid utf-8:") and "--encoding" in items[1].reason
    assert read(path, encoding="latin-1")[1].text == "café"


def test_jsonl_line_longer_than_the_sniffed_head(tmp_path):
    long_text = "x" * 20000
    path = write(tmp_path / "d.jsonl", jsonl({"text": long_text}, {"text": "short"}))
    assert [i.text for i in read(path)] == [long_text, "short"]


LINE_KINDS = {
    "good": '{"id": 1, "text": "fine"}',
    "blank": "",
    "spaces": "  \t ",
    "malformed": '{"text": ',
    "array": "[1]",
    "no_text": '{"id": 2}',
    "number_text": '{"text": 5}',
    "empty_text": '{"text": " "}',
    "bad_utf8": b'{"text": "\xc3\x28"}',
    "crlf": '{"text": "crlf"}\r',
}


def write_kinds(path, kinds) -> None:
    chunks = [LINE_KINDS[k] if isinstance(LINE_KINDS[k], bytes) else LINE_KINDS[k].encode() for k in kinds]
    path.write_bytes(b"\n".join(chunks) + (b"\n" if chunks else b""))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kinds=st.lists(st.sampled_from(sorted(LINE_KINDS)), max_size=40))
def test_exactly_one_output_per_non_blank_line(tmp_path, kinds):
    path = tmp_path / "generated.jsonl"
    write_kinds(path, kinds)
    items = read(path)
    expected_lines = [n for n, kind in enumerate(kinds, 1) if kind not in ("blank", "spaces")]
    assert [i.source for i in items] == [f"{path}:{n}" for n in expected_lines]
    records = [n for n, kind in enumerate(kinds, 1) if kind in ("good", "crlf")]
    assert [i.source for i in items if isinstance(i, Record)] == [f"{path}:{n}" for n in records]


def test_exactly_one_output_per_line_seeded_random_big_file(tmp_path):
    rng = random.Random(1234)
    kinds = [rng.choice(sorted(LINE_KINDS)) for _ in range(5000)]
    path = tmp_path / "random.jsonl"
    write_kinds(path, kinds)
    items = read(path)
    non_blank = sum(kind not in ("blank", "spaces") for kind in kinds)
    assert len(items) == non_blank
    assert sum(isinstance(i, Record) for i in items) == sum(kind in ("good", "crlf") for kind in kinds)


# --------------------------------------------------------------------------- stdin


@pytest.fixture
def stdin(monkeypatch):
    def feed(data: bytes, *, buffered: bool = False):
        raw = io.BytesIO(data)
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(raw) if buffered else raw))

    return feed


@pytest.mark.parametrize("buffered", [False, True])
def test_stdin_txt_is_one_document_per_line(stdin, buffered):
    stdin(b"\xef\xbb\xbfone\n\ntwo\r\n" + b"y" * 9000 + b"\nlast", buffered=buffered)
    assert summary(open_records(["-"], options=ReaderOptions())) == [
        ("R", "<stdin>:1", "one"),
        ("R", "<stdin>:3", "two"),
        ("R", "<stdin>:4", "y" * 9000),
        ("R", "<stdin>:5", "last"),
    ]


def test_stdin_jsonl_with_rejects(stdin):
    stdin(b'{"id": "a", "text": "A"}\nnot json\n{"text": "\xff"}\n')
    items = list(open_records(["-"], options=ReaderOptions(input_format="jsonl")))
    assert items[0] == Record(id="a", text="A", source="<stdin>:1", fields={})
    assert [i.source for i in items[1:]] == ["<stdin>:2", "<stdin>:3"]
    assert items[1].reason.startswith("malformed JSON: Expecting value")
    assert items[2].reason.startswith("not valid utf-8")


def test_stdin_binary_is_one_reject(stdin):
    stdin(b"abc\n\x00\x00\n")
    assert only_reject(list(open_records(["-"], options=ReaderOptions()))).source == "<stdin>"


def test_stdin_between_files(stdin, tmp_path):
    stdin(b"from stdin\n")
    a = write(tmp_path / "a.txt", "A")
    b = write(tmp_path / "b.txt", "B")
    assert [i.text for i in open_records([str(a), "-", str(b)], options=ReaderOptions())] == ["A", "from stdin", "B"]


# --------------------------------------------------------------------------- parquet


def test_parquet_records_ids_and_kept_fields(tmp_path):
    path = write_parquet(
        tmp_path / "d.parquet",
        {"lang": ["en", None, "fr"], "text": ["Alpha", "Beta", "Gamma"], "id": [10, None, 30], "n": [1, 2, 3]},
    )
    assert read(path, keep=("n", "missing")) == [
        Record(id="10", text="Alpha", source=f"{path}#0", fields={"n": 1, "missing": None}),
        Record(id=f"{path}#1", text="Beta", source=f"{path}#1", fields={"n": 2, "missing": None}),
        Record(id="30", text="Gamma", source=f"{path}#2", fields={"n": 3, "missing": None}),
    ]
    assert [list(r.fields.items()) for r in read(path, keep_all=True)][0] == [("lang", "en"), ("n", 1)]


def test_parquet_without_id_column_and_custom_text_key(tmp_path):
    path = write_parquet(tmp_path / "d.pq", {"body": ["x", "y"]})
    assert summary(read(path, text_key="body")) == [("R", f"{path}#0", "x"), ("R", f"{path}#1", "y")]
    assert [r.id for r in read(path, text_key="body")] == [f"{path}#0", f"{path}#1"]


def test_parquet_row_rejects(tmp_path):
    path = write_parquet(tmp_path / "d.parquet", {"text": ["ok", None, "  ", ""], "id": ["a", "b", "c", None]})
    items = read(path)
    assert summary(items) == [
        ("R", f"{path}#0", "ok"),
        ("X", f"{path}#1", "column 'text' is null, not a string"),
        ("X", f"{path}#2", "empty text"),
        ("X", f"{path}#3", "empty text"),
    ]
    assert [i.id for i in items] == ["a", "b", "c", None]


def test_parquet_text_column_of_another_type_rejects_each_row(tmp_path):
    path = write_parquet(tmp_path / "d.parquet", {"text": [1, 2]})
    assert summary(read(path)) == [
        ("X", f"{path}#0", "column 'text' is of type int64, not a string"),
        ("X", f"{path}#1", "column 'text' is of type int64, not a string"),
    ]


def test_parquet_without_text_column_is_one_reject(tmp_path):
    path = write_parquet(tmp_path / "d.parquet", {"id": [1, 2], "body": ["a", "b"]})
    reject = only_reject(read(path))
    assert reject == Reject(
        source=str(path),
        reason="no column 'text'; the file has columns: id, body (pass --text-key with the text column's name)",
    )


@pytest.mark.parametrize("data", [b"", b"not parquet at all", b"PAR1" + b"\x00" * 20 + b"PAR1"])
def test_corrupt_parquet_is_one_reject_with_pyarrow_message(tmp_path, data):
    path = write(tmp_path / "bad.parquet", data)
    with pytest.raises(parquet_reader.ARROW_ERRORS) as arrow:
        pq.ParquetFile(str(path))
    reject = only_reject(read(path))
    assert reject == Reject(source=str(path), reason=f"cannot read Parquet file: {arrow.value}")


def test_parquet_failing_mid_file_rejects_at_the_first_unread_row(tmp_path, monkeypatch):
    path = write_parquet(tmp_path / "d.parquet", {"text": [f"t{i}" for i in range(3000)]})
    real = pq.ParquetFile.iter_batches

    def failing(self, *args, **kwargs):
        batches = real(self, *args, **kwargs)
        yield next(batches)
        raise pa.ArrowInvalid("page header is corrupt")

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", failing)
    items = read(path)
    assert len(items) == 1025 and all(isinstance(i, Record) for i in items[:1024])
    assert items[-1] == Reject(
        source=f"{path}#1024", reason="cannot read Parquet file from row 1024 on: page header is corrupt"
    )


def test_parquet_rows_are_numbered_across_batches_and_row_groups(tmp_path):
    n = 2500
    path = write_parquet(tmp_path / "d.parquet", {"text": [f"doc {i}" for i in range(n)]}, row_group_size=700)
    items = read(path)
    assert [i.source for i in items] == [f"{path}#{i}" for i in range(n)]
    assert [i.text for i in items] == [f"doc {i}" for i in range(n)]


def test_parquet_50000_rows_streamed_in_batches_of_needed_columns(tmp_path, monkeypatch):
    n = 50_000
    path = write_parquet(
        tmp_path / "big.parquet",
        {
            "id": list(range(n)),
            "text": [f"row {i}" for i in range(n)],
            "unused": [b"\x00" * 16] * n,
            "lang": ["en"] * n,
        },
    )
    calls = []
    batches_read = []
    real = pq.ParquetFile.iter_batches

    def spy(self, *args, **kwargs):
        calls.append(kwargs)
        for batch in real(self, *args, **kwargs):
            batches_read.append(batch.num_rows)
            yield batch

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    monkeypatch.setattr(pq.ParquetFile, "read", lambda *a, **k: pytest.fail("read the whole table"))
    items = open_records([str(path)], options=ReaderOptions(keep=("lang",)))
    first = next(items)
    assert first == Record(id="0", text="row 0", source=f"{path}#0", fields={"lang": "en"})
    assert batches_read == [parquet_reader.BATCH_SIZE]  # only the first batch has been read so far
    assert calls == [{"batch_size": 1024, "columns": ["text", "id", "lang"]}]
    rest = list(items)
    assert len(rest) == n - 1
    assert rest[-1].source == f"{path}#{n - 1}" and rest[-1].id == str(n - 1)
    assert len(batches_read) == -(-n // 1024) and sum(batches_read) == n


def test_parquet_mixed_with_other_formats_in_a_directory(tmp_path):
    write_parquet(tmp_path / "b.parquet", {"text": ["P"]})
    write(tmp_path / "a.jsonl", jsonl({"text": "J"}))
    write(tmp_path / "c.txt", "T")
    assert [i.text for i in read(tmp_path)] == ["J", "P", "T"]


# --- read progress (annotate's progress bar) ------------------------------------------------------


def test_read_progress_counts_the_bytes_of_every_format_up_to_the_total(tmp_path):
    text = write(tmp_path / "a.txt", "one document\nanother one\n" * 50)
    zipped = tmp_path / "b.jsonl.gz"
    zipped.write_bytes(gzip.compress(jsonl(*({"text": f"doc {i}"} for i in range(300))).encode()))
    table = write_parquet(tmp_path / "c.parquet", {"text": [f"row {i}" for i in range(3000)]})
    options = ReaderOptions(lines=True)
    files = expand_inputs([text, zipped, table], options=options)
    progress = ReadProgress(files)
    sizes = [p.stat().st_size for p in (text, zipped, table)]
    assert progress.total == sum(sizes)  # gzip counts its compressed size, as on disk
    seen = []
    for item in open_records(files, options=options, progress=progress):
        seen.append(progress.bytes_read)
        assert isinstance(item, Record)
    assert len(seen) == 100 + 300 + 3000
    assert seen == sorted(seen) and 0 < seen[0] and progress.bytes_read == progress.total
    assert sizes[0] + sizes[1] <= seen[400] < sum(sizes)  # within the Parquet file: by the rows read


def test_read_progress_has_no_total_for_stdin():
    assert ReadProgress(expand_inputs(["-"], options=ReaderOptions())).total is None
