"""The shipped default model: present, described, and as accurate as its card says on CoNLL-2003."""

from __future__ import annotations

import json

import conlleval
import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.model import DEFAULT_MODEL_DIR

pytestmark = pytest.mark.skipif(
    not (DEFAULT_MODEL_DIR / "config.json").is_file(), reason="the default model is not in this checkout"
)


def test_info_describes_the_default_model():
    result = CliRunner().invoke(main, ["info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["default"] is True
    assert info["path"] == str(DEFAULT_MODEL_DIR.resolve())
    assert info["entity_types"] == ["LOC", "MISC", "ORG", "PER"]
    assert info["scores"]["test"]["f1"] >= 0.875


def test_default_model_weights_are_fp16_and_small():
    from safetensors import safe_open

    weights = DEFAULT_MODEL_DIR / "model.safetensors"
    assert weights.stat().st_size < 50_000_000
    with safe_open(str(weights), "pt") as f:
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {"torch.float16"}


def test_default_model_loads_in_fp32_in_plain_transformers():
    """fp16 on disk, but the config says float32: transformers runs it in fp32 on a CPU without being told."""
    from transformers import AutoModelForTokenClassification

    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text(encoding="utf-8"))
    assert config["dtype"] == "float32"
    model = AutoModelForTokenClassification.from_pretrained(DEFAULT_MODEL_DIR)
    assert {str(p.dtype) for p in model.parameters()} == {"torch.float32"}
    from transformers import pipeline

    ner = pipeline("token-classification", model=str(DEFAULT_MODEL_DIR), device="cpu")
    assert str(ner.model.dtype) == "torch.float32"


def test_predict_uses_the_default_model():
    result = CliRunner().invoke(main, ["predict", "--json", "Angela Merkel met Emmanuel Macron in Paris."])
    assert result.exit_code == 0, result.output
    entities = json.loads(result.output)["entities"]
    assert [(e["text"], e["label"]) for e in entities] == [
        ("Angela Merkel", "PER"),
        ("Emmanuel Macron", "PER"),
        ("Paris", "LOC"),
    ]


@pytest.mark.slow
def test_conll2003_test_f1_and_conlleval_agreement(tmp_path, shared_data):
    test_file = shared_data / "conll2003" / "test.txt"
    if not test_file.is_file():
        pytest.skip(f"CoNLL-2003 not found at {test_file} (reference data lives in ../shared/data)")
    report_path, pred_path = tmp_path / "r.json", tmp_path / "pred.txt"
    result = CliRunner().invoke(
        main, ["evaluate", str(test_file), "-o", str(report_path), "--predictions", str(pred_path)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text())
    assert (report["documents"], report["sentences"], report["tokens"]) == (231, 3453, 46435)
    assert report["overall"]["f1"] >= 0.875
    ref = conlleval.evaluate(pred_path.read_text(encoding="utf-8").splitlines())
    assert ref["overall"]["chunks"]["evals"]["f1"] == pytest.approx(report["overall"]["f1"], abs=1e-12)
