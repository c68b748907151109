"""Fixtures for tests that train and load real (tiny, randomly initialised) models on CPU."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide BERT with random weights and the MiniLM tokenizer, saved as an encoder dir."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from annotator.errors import ModelError
    from annotator.model import default_base_encoder

    try:
        base = default_base_encoder()
    except ModelError as exc:
        pytest.skip(f"needs the MiniLM tokenizer: {exc}")
    out = tmp_path_factory.mktemp("tiny_encoder")
    tokenizer = AutoTokenizer.from_pretrained(base, trust_remote_code=False)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def run_train(
    tmp: Path, encoder: Path, backend: str, *extra: str, train: Path | None = None, dev: Path | None = None
) -> Path:
    from click.testing import CliRunner

    from annotator.cli import main

    out = tmp / f"model_{backend}"
    args = [
        "train",
        "--backend",
        backend,
        "--train",
        str(train or SAMPLES / "train.conll"),
        "--dev",
        str(dev or SAMPLES / "dev.conll"),
        "--output",
        str(out),
        "--base-model",
        str(encoder),
        "--max-steps",
        "6",
        "--batch-size",
        "4",
        "--lr",
        "5e-4",
        "--seed",
        "7",
        *extra,
    ]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="session")
def train_model():
    """``train_model(tmp, encoder, backend, *extra_cli_args, train=None, dev=None) -> model dir``."""
    return run_train


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, tiny_encoder) -> dict[str, Path]:
    """One tiny model per backend, trained for a few steps on samples/."""
    tmp = tmp_path_factory.mktemp("tiny_models")
    return {backend: run_train(tmp, tiny_encoder, backend) for backend in ("trainer", "torch")}


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference corpora (research licences: read in place, never copied into the repo)."""
    return SHARED_DATA


@pytest.fixture(scope="session")
def random_model(tmp_path_factory) -> Path:
    """A 1-layer, 32-wide random BERT token classifier with the shipped model's tokenizer, labels and
    annotator.json (benchmarks/tiny_model.py): the real windows and decoding, at almost no model cost."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("tiny_model", ROOT / "benchmarks" / "tiny_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_tiny_model(tmp_path_factory.mktemp("random_model"), seed=1)
