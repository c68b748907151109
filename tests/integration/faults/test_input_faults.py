"""Bad and unusual input: every record is annotated or a reject with a reason; every failure one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from faults_helpers import ROOT, cli, invoke

from annotator.readers import ReaderOptions, open_records
from annotator.records import Record, Reject
from annotator.segment import split_words


def _rejects(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# -- lone surrogates: the reader-level validity rule ----------------------------------------------------


def test_lone_surrogates_in_text_id_or_kept_field_are_rejects_and_the_run_finishes(tmp_path, model):
    data = tmp_path / "s.jsonl"
    data.write_text(
        '{"id": "a", "text": "John Smith lives in Paris."}\n'
        '{"id": "b", "text": "John \\ud800 Smith"}\n'
        '{"id": "c\\udc00", "text": "Mary went to Rome."}\n'
        '{"id": "d", "text": "Anna is here.", "meta": {"k": ["\\ud83d"]}}\n'
        '{"id": "e", "text": "Astral \\ud83d\\ude00 pairs are fine."}\n'
    )
    out = tmp_path / "o.jsonl"
    result = invoke("annotate", "-m", model, data, "-o", out, "--keep-all", "-q")
    assert result.code == 0, result.stderr
    assert [r["id"] for r in _records(out)] == ["a", "e"]
    assert _rejects(tmp_path / "o.rejects.jsonl") == [
        {"source": f"{data}:2", "id": "b", "reason": "the text is not valid Unicode (a lone surrogate at character 5)"},
        {"source": f"{data}:3", "id": "c\\udc00", "reason": "the id is not valid Unicode (a lone surrogate)"},
        {"source": f"{data}:4", "id": "d", "reason": "kept field 'meta' is not valid Unicode (a lone surrogate)"},
    ]
    again = invoke("annotate", "-m", model, data, "-o", out, "--keep-all", "-q", "--resume")
    assert again.code == 2 and "it is complete: there is nothing to resume" in again.error


def test_a_file_name_that_is_not_utf8_is_a_reject(tmp_path):
    name = os.fsdecode(b"bad\xff.txt")
    (tmp_path / name).write_text("Maria flew to Oslo.")
    items = list(open_records([str(tmp_path)], options=ReaderOptions()))
    assert len(items) == 1 and isinstance(items[0], Reject)
    assert items[0].reason == "the file name is not valid UTF-8 (rename the file)"
    assert items[0].source.encode("utf-8")  # writable


# -- NUL bytes: per line, not per file ---------------------------------------------------------------


def test_one_nul_byte_rejects_its_line_only(tmp_path):
    data = tmp_path / "n.jsonl"
    data.write_bytes(b'{"id": "a", "text": "one"}\n{"id": "b", "text": "t\x00wo"}\n{"id": "c", "text": "three"}\n')
    items = list(open_records([str(data)], options=ReaderOptions()))
    assert [type(i).__name__ for i in items] == ["Record", "Reject", "Record"]
    assert items[1] == Reject(source=f"{data}:2", reason="binary data (a NUL byte) in the line, not text")


# -- NFD text and offsets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["José García", "Zoë Ångström", "Nguyễn Thị Minh", "हिन्दी भाषा", "x\u0301\u0302y z"])
def test_decomposed_text_keeps_words_whole_and_offsets_index_the_original(text):
    nfd = unicodedata.normalize("NFD", text)
    words = [nfd[a:b] for a, b in split_words(nfd)]
    assert [unicodedata.normalize("NFC", w) for w in words] == unicodedata.normalize("NFC", nfd).split()
    assert "".join(words) == nfd.replace(" ", "")


def test_nfd_entities_cover_whole_words(model):
    from annotator.inference import TokenClassifier

    nfd = unicodedata.normalize("NFD", "José García met Zoë Ångström in Málaga.")
    spans = TokenClassifier.load(model, device="cpu").annotate_batch([nfd])[0]
    words = {(a, b) for a, b in split_words(nfd)}
    starts, ends = {a for a, _ in words}, {b for _, b in words}
    for span in spans:
        assert span.start in starts and span.end in ends, (span, nfd[span.start : span.end])


# -- predict --------------------------------------------------------------------------------------------


def test_predict_strips_crlf_from_stdin(model):
    result = cli("predict", "-m", model, "--json", stdin=b"Maria flew to Oslo.\r\nAnna met Bob.\r\n")
    assert result.code == 0, result.stderr
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == ["Maria flew to Oslo.", "Anna met Bob."]


def test_predict_with_invalid_utf8_on_stdin_is_one_line(model):
    result = cli("predict", "-m", model, stdin=b"good line\nbad \xff here\n")
    assert result.code == 2
    assert result.error == (
        "Error: <stdin>:2: not valid UTF-8 (invalid start byte at byte 4) "
        "(pipe UTF-8 text, e.g. through `iconv -f cp1252 -t utf-8`)"
    )


def test_predict_with_an_invalid_utf8_argument_is_one_line(model):
    proc = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"annotator", b"predict", b"-m", os.fsencode(model), b"ok", b"bad \xff"],
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().splitlines()[-1] == (
        "Error: argument 2: not valid UTF-8 (pass the text in UTF-8, or annotate the file with --encoding)"
    )


# -- directories with broken links --------------------------------------------------------------------------


def test_symlink_loops_and_dangling_links_in_a_directory_are_rejects(tmp_path, model):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Maria flew to Oslo.")
    (corpus / "dangling.txt").symlink_to(corpus / "nowhere.txt")
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "sub").symlink_to(corpus)  # a directory loop: walked once
    out = tmp_path / "o.jsonl"
    result = invoke("annotate", "-m", model, corpus, "-o", out, "-q")
    assert result.code == 0, result.stderr
    assert [r["id"] for r in _records(out)] == [str(corpus / "a.txt")]
    assert _rejects(tmp_path / "o.rejects.jsonl") == [
        {"source": str(corpus / "dangling.txt"), "id": None, "reason": "cannot open: No such file or directory"},
        {"source": str(corpus / "loop.txt"), "id": None, "reason": "cannot open: Too many levels of symbolic links"},
    ]


# -- one bad kept field costs one record ------------------------------------------------------------------


def test_a_kept_field_parquet_cannot_hold_rejects_that_record_only(tmp_path, model):
    data = tmp_path / "k.jsonl"
    data.write_text(
        '{"id": "a", "text": "Maria flew to Oslo.", "meta": {"x": 1}}\n'
        '{"id": "b", "text": "Anna met Bob.", "meta": "plain"}\n'
        '{"id": "c", "text": "Bob is here.", "meta": {"x": 2}}\n'
    )
    out = tmp_path / "o.parquet"
    result = invoke("annotate", "-m", model, data, "-o", out, "--keep-all", "-q")
    assert result.code == 0, result.stderr
    assert pq.read_table(out).column("id").to_pylist() == ["a", "c"]
    [reject] = _rejects(tmp_path / "o.rejects.jsonl")
    assert reject["source"] == f"{data}:2" and reject["id"] == "b"
    assert reject["reason"].startswith("cannot be written as parquet: kept field 'meta' cannot be stored in Parquet")


def test_a_kept_value_json_cannot_hold_is_a_reject(tmp_path, model):
    data = tmp_path / "p.parquet"
    pq.write_table(
        pa.table(
            {
                "id": ["a", "b"],
                "text": ["Maria flew to Oslo.", "Anna met Bob."],
                "when": pa.array([b"ok", b"\xff"], pa.binary()),
            }
        ),
        data,
    )
    out = tmp_path / "o.jsonl"
    result = invoke("annotate", "-m", model, data, "-o", out, "--keep-all", "-q")
    assert result.code == 0, result.stderr
    assert _records(out) == [] and len(_rejects(tmp_path / "o.rejects.jsonl")) == 2
    assert _rejects(tmp_path / "o.rejects.jsonl")[0]["reason"].startswith("cannot be written as jsonl: a kept field")


# -- resume from stdin ---------------------------------------------------------------------------------------


def _kill_after_parts(args: list[str], stdin: Path, parts: Path, n: int) -> None:
    with open(stdin, "rb") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "annotator", *args],
            stdin=handle,
            cwd=ROOT,
            stderr=subprocess.PIPE,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            manifest = parts / "manifest.json"
            if manifest.exists() and len(json.loads(manifest.read_text() or "{}").get("parts", [])) >= n:
                break
            time.sleep(0.02)
        assert proc.poll() is None, proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.slow
def test_resume_from_stdin_refuses_other_data_and_continues_the_same(tmp_path, model):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("".join(f"Maria Lindqvist flew from Oslo to Toronto, trip {i}.\n" for i in range(400)))
    b.write_text("".join(f"Anna met Bob in Rome, meeting {i}.\n" for i in range(400)))
    out = tmp_path / "o.jsonl"
    args = ["annotate", "-m", str(model), "-", "-o", str(out), "--batch-size", "4", "-q"]
    _kill_after_parts(args, a, tmp_path / "o.jsonl.parts", 3)
    result = cli(*args, "--resume", stdin=b.read_bytes())
    assert result.code == 2
    assert result.error.startswith(
        f"Error: cannot resume {out}: the input differs from the interrupted run's at "
        "documents 1-4 (part 0); give the same input"
    )
    result = cli(*args, "--resume", stdin=a.read_bytes())
    assert result.code == 0, result.stderr
    assert (
        cli(
            "annotate", "-m", model, "-", "-o", tmp_path / "ref.jsonl", "--batch-size", "4", "-q", stdin=a.read_bytes()
        ).code
        == 0
    )
    assert out.read_bytes() == (tmp_path / "ref.jsonl").read_bytes()


# -- evaluate -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("content", ["", "-DOCSTART- -X- -X- O\n\n", "\n\n  \n"])
def test_evaluate_on_a_file_without_sentences_is_one_line(tmp_path, model, content):
    path = tmp_path / "e.conll"
    path.write_text(content)
    result = invoke("evaluate", "-m", model, path, "--predictions", tmp_path / "p.txt")
    assert result.code == 2
    assert result.error == (
        f"Error: {path}: holds no sentences (empty, or only -DOCSTART- lines) "
        "(give a CoNLL file with one `token ... TAG` line per word)"
    )
    assert not (tmp_path / "p.txt").exists()


def test_evaluate_a_directory_says_so(tmp_path, model):
    result = invoke("evaluate", "-m", model, tmp_path)
    assert result.code == 2
    assert result.error == f"Error: {tmp_path} is a directory; give the CoNLL files in it, e.g. {tmp_path}/*.conll"


# -- smaller surprises -------------------------------------------------------------------------------------


def test_bf16_without_native_support_warns_in_one_line(model, monkeypatch):
    from annotator import tagging

    monkeypatch.setattr(tagging, "native_bf16", lambda device: False)
    result = invoke("predict", "-m", model, "--precision", "bf16", "Maria flew to Oslo.")
    assert result.code == 0
    assert result.stderr.splitlines() == [
        (
            "warning: --precision bf16 on a CPU without native bf16 is slower than "
            "fp32 (emulated); drop --precision to get fp32 here"
        )
    ]


def test_records_of_every_kind_add_up(tmp_path):
    data = tmp_path / "m.jsonl"
    data.write_bytes(b'{"text": "a"}\n{"text": "\\ud800"}\nnot json\n\xff\n{"text": "b\\u0000c"}\n')
    items = list(open_records([str(data)], options=ReaderOptions()))
    assert [isinstance(i, Record) for i in items] == [True, False, False, False, True]
    assert items[4].text == "b\x00c"  # a NUL character inside a JSON string is text


def test_a_kept_field_whose_type_changes_between_batches_rejects_those_records(tmp_path, model):
    data = tmp_path / "k.jsonl"
    rows = [{"id": f"a{i}", "text": "Maria flew to Oslo.", "meta": {"x": i}} for i in range(4)]
    rows += [{"id": "b", "text": "Anna met Bob.", "meta": "plain"}, {"id": "c", "text": "Bob is here.", "meta": None}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "o.parquet"
    result = invoke("annotate", "-m", model, data, "-o", out, "--keep-all", "-q", "--batch-size", "2")
    assert result.code == 0, result.stderr
    assert pq.read_table(out).column("id").to_pylist() == ["a0", "a1", "a2", "a3", "c"]
    assert _rejects(tmp_path / "o.rejects.jsonl") == [
        {
            "source": f"{data}:5",
            "id": "b",
            "reason": "cannot be written as parquet: kept field 'meta' does not fit the "
            "column type struct<x: int64> of the records before it; give the field one type in every record",
        }
    ]


def test_resume_from_stdin_that_ends_early_is_refused(tmp_path, model):
    lines = [f"Maria flew to Oslo, trip {i}.\n" for i in range(4)]
    data = "".join(lines[:4]).encode() + b"\xff bad\n" + b"Anna met Bob.\n"
    out = tmp_path / "o.jsonl"
    args = ("annotate", "-m", model, "-", "-o", out, "--batch-size", "2", "--strict", "-q")
    first = cli(*args, stdin=data)  # two parts written, then the --strict stop: an interrupted run is left
    assert first.code == 2 and first.error.startswith("Error: <stdin>:5: not valid utf-8")
    short = cli(*args, "--resume", stdin="".join(lines[:2]).encode())
    assert short.code == 2
    assert short.error == (
        "Error: cannot resume: the input holds 2 documents, fewer than the 4 the interrupted run "
        "had read; give the same input (the same data on standard input), or pass --force"
    )
