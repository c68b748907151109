"""`annotator train`: bad data and outputs are refused before training; a killed training resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faults_helpers import ROOT, invoke

SAMPLES = ROOT / "samples"


def _train(
    encoder: Path,
    out: Path,
    *extra,
    train: Path = SAMPLES / "train.conll",
    dev: Path = SAMPLES / "dev.conll",
    backend: str = "torch",
):
    return invoke(
        "train",
        "--backend",
        backend,
        "--train",
        train,
        "--dev",
        dev,
        "--output",
        out,
        "--base-model",
        encoder,
        "--batch-size",
        "4",
        "--lr",
        "5e-4",
        "--seed",
        "7",
        *extra,
    )


@pytest.mark.parametrize("content", ["", "-DOCSTART- -X- -X- O\n\n"])
def test_an_empty_dev_file_is_refused_before_training(tmp_path, tiny_encoder, content):
    dev = tmp_path / "dev.conll"
    dev.write_text(content)
    started = time.time()
    result = _train(tiny_encoder, tmp_path / "m", dev=dev)
    assert result.code == 2
    assert result.error == (
        f"Error: {dev}: --dev holds no sentences (empty, or only -DOCSTART- lines) "
        "(give a CoNLL file with one `token ... TAG` line per word)"
    )
    assert time.time() - started < 60 and not (tmp_path / "m").exists()


def test_output_that_is_a_file_is_refused_even_with_force(tmp_path, tiny_encoder):
    target = tmp_path / "existing_file"
    target.write_text("keep me")
    result = _train(tiny_encoder, target, "--force")
    assert result.code == 2
    assert result.error == f"Error: --output {target} is a file; it must be a directory: choose another path"
    assert target.read_text() == "keep me"


def test_output_holding_the_training_data_is_never_removed(tmp_path, tiny_encoder):
    data = tmp_path / "data"
    data.mkdir()
    train = data / "train.conll"
    train.write_text((SAMPLES / "train.conll").read_text())
    result = _train(tiny_encoder, data, "--force", train=train)
    assert result.code == 2
    assert result.error == f"Error: --output {data} holds input files; they would be removed: choose another path"
    assert train.exists()


def test_resume_and_force_together_and_nothing_to_resume(tmp_path, tiny_encoder):
    assert _train(tiny_encoder, tmp_path / "m", "--force", "--resume").error == (
        "Error: use just one of --resume and --force"
    )
    out = tmp_path / "m"
    out.mkdir()
    (out / "something").write_text("x")
    result = _train(tiny_encoder, out, "--resume", "--max-steps", "2")
    assert result.code == 2
    assert result.error == (
        f"Error: nothing to resume in {out}: it holds no epoch checkpoint yet "
        f"({out / '_checkpoints'}); run without --resume (with --force to start over)"
    )


def test_a_type_in_dev_that_train_lacks_is_a_warning(tmp_path, tiny_encoder):
    dev = tmp_path / "dev.conll"
    dev.write_text((SAMPLES / "dev.conll").read_text() + "\nZorblax B-ALIEN\nlands O\n")
    result = _train(tiny_encoder, tmp_path / "m", "--max-steps", "2", dev=dev)
    assert result.code == 0, result.stderr
    assert (
        f"warning: {dev}: entity type ALIEN of --dev never occurs in --train {SAMPLES / 'train.conll'}; "
        "the model cannot predict them, so they count as misses"
    ) in result.stderr.splitlines()


def test_torch_resume_after_an_interruption_gives_the_uninterrupted_model(tmp_path, tiny_encoder, monkeypatch):
    from safetensors.numpy import load_file

    from annotator.training import loop

    args = ("--epochs", "2")
    assert _train(tiny_encoder, tmp_path / "whole", *args).code == 0
    calls = {"n": 0}
    real = loop.score_model

    def interrupted(*a, **k):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("interrupted")  # as a kill would, during the second epoch's evaluation
        return real(*a, **k)

    monkeypatch.setattr(loop, "score_model", interrupted)
    with pytest.raises(RuntimeError, match="interrupted"):
        _train(tiny_encoder, tmp_path / "cut", *args)
    assert (tmp_path / "cut" / "_checkpoints" / "last.pt").exists()
    monkeypatch.setattr(loop, "score_model", real)
    result = _train(tiny_encoder, tmp_path / "cut", *args, "--resume")
    assert result.code == 0, result.stderr
    whole, cut = load_file(tmp_path / "whole" / "model.safetensors"), load_file(tmp_path / "cut" / "model.safetensors")
    assert whole.keys() == cut.keys()
    assert all((whole[k] == cut[k]).all() for k in whole)
    assert not (tmp_path / "cut" / "_checkpoints").exists()


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "marker"), [("torch", "last.pt"), ("trainer", "checkpoint-*")])
def test_kill_9_mid_training_then_resume_writes_a_model(tmp_path, tiny_encoder, backend, marker):
    out = tmp_path / "m"
    args = [
        sys.executable,
        "-m",
        "annotator",
        "train",
        "--backend",
        backend,
        "--train",
        str(SAMPLES / "train.conll"),
        "--dev",
        str(SAMPLES / "dev.conll"),
        "--output",
        str(out),
        "--base-model",
        str(tiny_encoder),
        "--batch-size",
        "4",
        "--epochs",
        "30",
        "--seed",
        "7",
    ]
    proc = subprocess.Popen(args, cwd=ROOT, stderr=subprocess.PIPE, env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None and not list((out / "_checkpoints").glob(marker)):
        time.sleep(0.05)
    time.sleep(0.5)  # mid-epoch
    assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "model.safetensors").exists()
    again = _train(tiny_encoder, out, "--epochs", "30", backend=backend)
    assert again.code == 2 and "(or --resume to continue its training)" in again.error
    resumed = subprocess.run(
        [*args, "--resume"],
        cwd=ROOT,
        capture_output=True,
        timeout=600,
        check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert resumed.returncode == 0, resumed.stderr.decode()[-3000:]
    assert (out / "model.safetensors").exists() and (out / "config.json").exists()
    assert not (out / "_checkpoints").exists()
