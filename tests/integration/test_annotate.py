"""`annotator annotate` end to end with a tiny model: order, completeness, formats, rejects, resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.errors import ConfigError, InputFormatError
from annotator.readers import ReaderOptions
from annotator.run import AnnotateConfig, annotate
from annotator.writers import read_docbin, read_jsonl, read_parquet

WORDS = [
    "Maria",
    "Lindqvist",
    "flew",
    "from",
    "Oslo",
    "to",
    "Toronto",
    "with",
    "Vantor",
    "Labs",
    "and",
    "the",
    "Nordic",
    "team",
    "of",
    "Greenline",
    "Rail",
    "on",
    "Friday",
    ".",
]


def make_texts(n: int, seed: int = 3) -> list[str]:
    import random

    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        sentences = []
        for _ in range(rng.randint(1, 4)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(3, 40))]
            sentences.append(" ".join(words).rstrip(" .") + ".")
        texts.append(" ".join(sentences))
    return texts


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A JSONL corpus with good records and every kind of bad one, in known places."""
    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    texts = make_texts(120)
    with open(path, "wb") as out:
        for i, text in enumerate(texts):
            out.write(json.dumps({"id": f"d{i}", "text": text, "lang": "en", "n": i}).encode() + b"\n")
            if i == 10:
                out.write(b'{"id": "bad-json", "text": \n')
            if i == 20:
                out.write(b'{"id": "no-text"}\n')
            if i == 30:
                out.write(b'{"id": "empty", "text": "   "}\n')
            if i == 40:
                out.write(b'{"id": "latin1", "text": "caf\xe9"}\n')
            if i == 50:
                out.write(b'{"id": "number", "text": 12}\n')
    return path


def run(inputs, output, **kwargs):
    reader = kwargs.pop("reader", ReaderOptions())
    return annotate([str(i) for i in inputs], output, config=AnnotateConfig(progress=False, reader=reader, **kwargs))


def test_every_document_yields_one_record_or_one_reject_in_input_order(tmp_path, corpus, tiny_models):
    out = tmp_path / "out.jsonl"
    stats = run([corpus], out, model=tiny_models["torch"], batch_size=16)
    assert (stats.read, stats.annotated, stats.rejected) == (125, 120, 5)
    records = list(read_jsonl(out))
    assert [r["id"] for r in records] == [f"d{i}" for i in range(120)]
    rejects = [json.loads(line) for line in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert [(r["id"], r["source"]) for r in rejects] == [
        (None, f"{corpus}:12"),
        ("no-text", f"{corpus}:23"),
        ("empty", f"{corpus}:34"),
        (None, f"{corpus}:45"),
        ("number", f"{corpus}:56"),
    ]
    assert "no field 'text'" in rejects[1]["reason"] and "empty text" in rejects[2]["reason"]
    assert sum(len(record["entities"]) for record in records) > 0, "no entity predicted: nothing checked below"
    for record in records:
        for e in record["entities"]:
            assert record["text"][e["start"] : e["end"]] == e["text"]
    assert not (tmp_path / "out.jsonl.parts").exists()


def test_batching_does_not_change_the_output(tmp_path, corpus, tiny_models):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    run([corpus], a, model=tiny_models["torch"], batch_size=7, batch_tokens=256)
    run([corpus], b, model=tiny_models["torch"], batch_size=64, batch_tokens=8192)
    ra, rb = list(read_jsonl(a)), list(read_jsonl(b))
    assert [r["id"] for r in ra] == [r["id"] for r in rb]
    assert any(r["entities"] for r in ra), "no entity predicted: the comparison below would compare nothing"
    assert [[(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in ra] == [
        [(e["start"], e["end"], e["label"]) for e in r["entities"]] for r in rb
    ]


def test_three_formats_round_trip_to_the_same_records(tmp_path, corpus, tiny_models):
    reader = ReaderOptions(keep=("lang", "n"))
    run([corpus], tmp_path / "o.jsonl", model=tiny_models["torch"], reader=reader)
    run([corpus], tmp_path / "o.parquet", model=tiny_models["torch"], reader=reader)
    run([corpus], tmp_path / "o.spacy", model=tiny_models["torch"], reader=reader)
    as_jsonl = list(read_jsonl(tmp_path / "o.jsonl"))
    as_parquet = list(read_parquet(tmp_path / "o.parquet"))
    assert as_jsonl == as_parquet
    assert list(as_jsonl[0]) == ["id", "source", "lang", "n", "text", "entities"]
    assert any(d["entities"] for d in as_jsonl), "no entity predicted: the comparison below would compare nothing"
    as_docbin = list(read_docbin(tmp_path / "o.spacy"))
    assert [(d["id"], d["text"], [(e["start"], e["end"], e["label"]) for e in d["entities"]]) for d in as_docbin] == [
        (d["id"], d["text"], [(e["start"], e["end"], e["label"]) for e in d["entities"]]) for d in as_jsonl
    ]


def test_shards_and_no_text(tmp_path, corpus, tiny_models):
    out = tmp_path / "sharded.parquet"
    run([corpus], out, model=tiny_models["torch"], batch_size=16, shard_size=50, include_text=False)
    parts = sorted(out.iterdir())
    assert [p.name for p in parts] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    rows = [r for p in parts for r in read_parquet(p)]
    assert len(rows) == 120 and "text" not in rows[0]


def test_existing_output_and_strict(tmp_path, corpus, tiny_models):
    out = tmp_path / "o.jsonl"
    out.write_text("old")
    result = CliRunner().invoke(main, ["annotate", "-m", str(tiny_models["torch"]), str(corpus), "-o", str(out)])
    assert result.exit_code == 2
    assert f"{out} exists; pass --force to overwrite it" in result.output
    result = CliRunner().invoke(
        main, ["annotate", "-m", str(tiny_models["torch"]), str(corpus), "-o", str(out), "--force", "--strict", "-q"]
    )
    assert result.exit_code == 2
    assert f"Error: {corpus}:12: malformed JSON" in result.output
    assert "drop --strict" in result.output


def test_stdin_and_text_files(tmp_path, tiny_models):
    out = tmp_path / "o.jsonl"
    result = CliRunner().invoke(
        main,
        ["annotate", "-m", str(tiny_models["torch"]), "-", "-o", str(out), "-q"],
        input="Maria flew to Oslo.\n\nVantor Labs hired Tomas.\n",
    )
    assert result.exit_code == 0, result.output
    records = list(read_jsonl(out))
    assert [(r["id"], r["text"]) for r in records] == [
        ("<stdin>:1", "Maria flew to Oslo."),
        ("<stdin>:3", "Vantor Labs hired Tomas."),
    ]


def _run_cli(args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "annotator", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **kwargs,
    )


def _parts_done(output: Path) -> int:
    manifest = output.with_name(output.name + ".parts") / "manifest.json"
    try:
        return len(json.loads(manifest.read_text())["parts"])
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_kill_9_at_three_points_then_resume_gives_byte_identical_output(tmp_path, tiny_models, suffix):
    corpus = tmp_path / "big.jsonl"
    with open(corpus, "w") as out:
        for i, text in enumerate(make_texts(600, seed=11)):
            out.write(json.dumps({"id": i, "text": text}) + "\n")
        out.write("not json\n")
    common = ["-m", tiny_models["torch"], corpus, "--batch-size", "8", "-q"]
    reference = tmp_path / f"ref{suffix}"
    assert (
        subprocess.run(
            [sys.executable, "-m", "annotator", "annotate", *map(str, common), "-o", reference], capture_output=True
        ).returncode
        == 0
    )
    out = tmp_path / f"out{suffix}"
    kill_after = [3, 20, 45]  # parts done when the process is killed
    first = True
    for k in kill_after:
        proc = _run_cli(["annotate", *common, "-o", out] + ([] if first else ["--resume"]))
        first = False
        deadline = time.time() + 120
        while _parts_done(out) < k and proc.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, f"run finished before {k} parts: {proc.stderr.read().decode()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not out.exists()
    final = _run_cli(["annotate", *common, "-o", out, "--resume"])
    assert final.wait(timeout=300) == 0, final.stderr.read().decode()
    assert out.read_bytes() == reference.read_bytes()
    assert (tmp_path / "out.rejects.jsonl").read_bytes() == (tmp_path / "ref.rejects.jsonl").read_bytes()
    assert not out.with_name(out.name + ".parts").exists()


def test_resume_refuses_other_options(tmp_path, corpus, tiny_models):
    out = tmp_path / "o.jsonl"
    parts = out.with_name(out.name + ".parts")
    parts.mkdir()
    (parts / "manifest.json").write_text(
        json.dumps({"version": 1, "fingerprint": {"batch_size": 3}, "parts": [], "finished": False})
    )
    with pytest.raises(ConfigError, match="the interrupted run used other settings"):
        run([corpus], out, model=tiny_models["torch"], resume=True)
    with pytest.raises(ConfigError, match="holds an interrupted run; pass --resume"):
        run([corpus], out, model=tiny_models["torch"])


def test_resume_refuses_a_changed_input(tmp_path, corpus, tiny_models):
    data = tmp_path / "c.jsonl"
    data.write_bytes(corpus.read_bytes())
    out = tmp_path / "o.jsonl"
    with pytest.raises(InputFormatError, match="malformed JSON"):  # stops after 2 parts: an interrupted run is left
        run([data], out, model=tiny_models["torch"], strict=True, batch_size=4)
    with open(data, "ab") as handle:
        handle.write(b'{"id": "new", "text": "Added later."}\n')
    with pytest.raises(ConfigError, match=r"other settings \(inputs\)"):
        run([data], out, model=tiny_models["torch"], strict=True, resume=True, batch_size=4)


def test_manifest_records_the_device_and_the_batch_tokens_it_resolved(tmp_path, corpus, tiny_models):
    out = tmp_path / "o.jsonl"
    with pytest.raises(InputFormatError, match="malformed JSON"):
        run([corpus], out, model=tiny_models["torch"], strict=True, device="cpu", batch_size=4)  # leaves parts
    manifest = json.loads((tmp_path / "o.jsonl.parts" / "manifest.json").read_text())
    assert manifest["fingerprint"]["device"] == "cpu"
    assert manifest["fingerprint"]["batch_tokens"] == 2048  # the CPU default, written out
    with pytest.raises(InputFormatError, match="malformed JSON"):  # the same settings, so --resume goes on
        run(
            [corpus],
            out,
            model=tiny_models["torch"],
            strict=True,
            device="cpu",
            batch_tokens=2048,
            resume=True,
            batch_size=4,
        )
    with pytest.raises(ConfigError, match=r"other settings \(batch_tokens\)"):
        run(
            [corpus],
            out,
            model=tiny_models["torch"],
            strict=True,
            device="cpu",
            batch_tokens=4096,
            resume=True,
            batch_size=4,
        )


def test_loading_a_classifier_caps_the_onednn_kernel_caches(monkeypatch, tiny_models):
    from annotator.inference import TokenClassifier

    monkeypatch.delenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", raising=False)
    monkeypatch.delenv("LRU_CACHE_CAPACITY", raising=False)
    TokenClassifier.load(tiny_models["torch"], device="cpu")
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "64"
    assert os.environ["LRU_CACHE_CAPACITY"] == "16"
    monkeypatch.setenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "7")  # the user's setting wins
    TokenClassifier.load(tiny_models["torch"], device="cpu")
    assert os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "7"
