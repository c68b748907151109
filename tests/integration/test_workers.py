"""`annotate --workers N`: the same bytes whatever N, resume across N after kill -9, huge documents
streamed in flat memory with the spans of the whole document."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from test_annotate import _parts_done, _run_cli, make_texts

from annotator.run import AnnotateConfig, annotate


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """Short documents, bad records, and three documents of many windows."""
    path = tmp_path_factory.mktemp("workers") / "corpus.jsonl"
    texts = make_texts(150, seed=5)
    with open(path, "w", encoding="utf-8") as out:
        for i, text in enumerate(texts):
            if i in (7, 70, 149):
                text = " ".join(make_texts(40, seed=i))  # ~ 4,000 words: dozens of windows
            out.write(json.dumps({"id": f"d{i}", "text": text, "n": i}) + "\n")
            if i == 12:
                out.write('{"id": "no-text"}\n')
    return path


def run(corpus: Path, out: Path, model: Path, **kwargs):
    return annotate(
        [str(corpus)], out, config=AnnotateConfig(model=model, progress=False, batch_size=16, device="cpu", **kwargs)
    )


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_any_number_of_workers_gives_the_same_bytes(tmp_path, corpus, random_model, monkeypatch, suffix):
    monkeypatch.setattr("annotator.stages.LONG_DOC_CHARS", 5_000)  # the long documents are streamed
    monkeypatch.setattr("annotator.stages.PIECE_WINDOWS", 8)
    outputs = []
    for workers in (0, 1, 2):
        out = tmp_path / f"w{workers}{suffix}"
        stats = run(corpus, out, random_model, workers=workers)
        assert (stats.annotated, stats.rejected, stats.workers) == (150, 1, workers)
        outputs.append(out.read_bytes())
    assert outputs[1] == outputs[0] and outputs[2] == outputs[0]
    assert (tmp_path / "w2.rejects.jsonl").read_bytes() == (tmp_path / "w0.rejects.jsonl").read_bytes()


def test_streamed_documents_have_the_spans_of_whole_ones(tmp_path, corpus, random_model, monkeypatch):
    from annotator.writers import read_jsonl

    whole = list(read_jsonl(_annotated(tmp_path / "whole.jsonl", corpus, random_model)))
    monkeypatch.setattr("annotator.stages.LONG_DOC_CHARS", 5_000)
    monkeypatch.setattr("annotator.stages.PIECE_WINDOWS", 8)
    streamed = list(read_jsonl(_annotated(tmp_path / "streamed.jsonl", corpus, random_model)))
    assert len(whole) == len(streamed) == 150
    for a, b in zip(whole, streamed):
        assert [(e["start"], e["end"], e["label"]) for e in a["entities"]] == [
            (e["start"], e["end"], e["label"]) for e in b["entities"]
        ]
        # the pieces run in other batches of windows than the whole document: float noise at most
        assert all(abs(x["score"] - y["score"]) <= 2e-4 for x, y in zip(a["entities"], b["entities"]))
    assert [r for r in whole if len(r["text"]) <= 5_000] == [r for r in streamed if len(r["text"]) <= 5_000]


def _annotated(out: Path, corpus: Path, model: Path) -> Path:
    run(corpus, out, model, workers=0)
    return out


def test_kill_9_during_a_multi_worker_run_then_resume_with_other_workers(tmp_path, random_model):
    corpus = tmp_path / "big.jsonl"
    with open(corpus, "w") as out:
        out.writelines(json.dumps({"id": i, "text": text}) + "\n" for i, text in enumerate(make_texts(300, seed=11)))
        out.write("not json\n")
    common = ["-m", random_model, corpus, "--batch-size", "8", "-q", "--device", "cpu"]
    reference = tmp_path / "ref.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "annotator", "annotate", *map(str, common), "-o", reference, "--workers", "0"],
        check=False,
        capture_output=True,
    )
    assert done.returncode == 0, done.stderr.decode()
    out = tmp_path / "out.jsonl"
    proc = _run_cli(["annotate", *common, "-o", out, "--workers", "2"])
    deadline = time.time() + 120
    while _parts_done(out) < 10 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, f"run finished before 10 parts: {proc.stderr.read().decode()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    final = _run_cli(["annotate", *common, "-o", out, "--resume", "--workers", "1"])
    assert final.wait(timeout=300) == 0, final.stderr.read().decode()
    assert out.read_bytes() == reference.read_bytes()
    assert (tmp_path / "out.rejects.jsonl").read_bytes() == (tmp_path / "ref.rejects.jsonl").read_bytes()


def test_a_huge_document_is_tagged_in_flat_memory(random_model):
    """Peak traced memory (numpy arrays included) while the spans of a 200 KB document stream out:
    within 1.3x that of a 30 KB one (the texts themselves aside; the model is loaded before)."""
    from annotator.inference import TokenClassifier
    from annotator.stages import Preparer, StageSettings, forward, iter_streamed_spans

    classifier = TokenClassifier.load(random_model, device="cpu")
    preparer = Preparer(StageSettings.from_tagger(classifier.tagger, long_chars=10_000, piece_windows=16))
    base = " ".join(make_texts(30, seed=2))

    def peak(size: int) -> int:
        text = (base * (size // len(base) + 1))[:size]
        tracemalloc.start()
        count = 0
        for _ in iter_streamed_spans(preparer, text, lambda piece: forward(piece, tagger=classifier.tagger)):
            count += 1
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert count > size // 1_000
        return top

    peak(30_000)  # warm-up: the word cache, the first forward pass
    small, large = peak(30_000), peak(300_000)
    assert large < 1.3 * small, (small, large)


def test_the_gpu_benchmark_runs_its_cpu_path(tmp_path, random_model):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(make_texts(12))))
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [
            "bash",
            str(root / "benchmarks" / "gpu.sh"),
            "--device",
            "cpu",
            "--model",
            str(random_model),
            "--corpus",
            str(corpus),
            "--repeat",
            "2",
            "--pipeline-docs",
            "3",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout[done.stdout.index("| method |") :]
    for method in (
        "| annotate (torch bf16, --workers auto, JSONL in, parquet out) |",
        "| bare forward bf16 (ceiling) |",
        "| transformers pipeline (batch 32, bf16) |",
    ):
        assert method in table
    assert "24 documents" in done.stdout and "annotate default / bare forward (same computation)" in done.stdout
