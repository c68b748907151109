"""Training actually learns: the default base encoder (MiniLM-L6, 22.7M parameters) fine-tuned on
samples/ for 4 epochs reaches a stated dev F1 with either backend. Slow (2-3 minutes per backend
measured on 2 shared CPU cores): run with --runslow."""

from __future__ import annotations

import json

import pytest

# Measured with these settings (seed 42, batch 4, lr 1e-4, 4 epochs): dev F1 0.1769/0.1538 after
# epoch 1, 0.9225 after epoch 4, both backends. Pinned with a margin for other CPUs and library versions.
DEV_F1_AT_LEAST = 0.85


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["trainer", "torch"])
def test_a_small_model_learns_the_samples(tmp_path, samples, backend):
    from click.testing import CliRunner

    from annotator.cli import main
    from annotator.errors import ModelError
    from annotator.model import default_base_encoder

    try:
        default_base_encoder()
    except ModelError as exc:
        pytest.skip(str(exc))
    out = tmp_path / backend
    args = [
        "train",
        "--backend",
        backend,
        "--train",
        str(samples / "train.conll"),
        "--dev",
        str(samples / "dev.conll"),
        "--output",
        str(out),
        "--epochs",
        "4",
        "--batch-size",
        "4",
        "--seed",
        "42",
        "--device",
        "cpu",
    ]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "annotator.json").read_text())
    curve = [h["dev"]["overall"]["f1"] for h in meta["history"]]
    assert len(curve) == 4 and curve[0] < 0.5  # it starts knowing nothing ...
    assert meta["scores"]["dev"]["overall"]["f1"] >= DEV_F1_AT_LEAST  # ... and learns
