"""The shipped default model: present, described, and as accurate as its card says on CoNLL-2003."""

from __future__ import annotations

import json

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
    # fp32; the card's: 0.8991 (the 4-block model with all 1,536 feed-forward units: 0.9003; the default
    # path on a CPU, ONNX int8, scores 0.8994-0.8996 against its 0.8988-0.8990: tests/integration/test_report_conll.py)
    assert info["scores"]["test"]["f1"] >= 0.899
    assert info["scores"]["dev"]["f1"] >= 0.94
    assert info["trained_on"] == ["dev"]  # a final fit on train + valid: the card's dev is not held out
    text = CliRunner().invoke(main, ["info"]).output
    assert "dev F1:" in text and "[also trained on: not held out]" in text.split("dev F1:")[1].splitlines()[0]
    assert "not held out" not in text.split("test F1:")[1].splitlines()[0]


def test_default_model_weights_are_fp16_and_small():
    from safetensors import safe_open

    weights = DEFAULT_MODEL_DIR / "model.safetensors"
    assert weights.stat().st_size < 50_000_000
    with safe_open(str(weights), "pt") as f:
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {"torch.float16"}


def test_default_model_takes_word_shapes_and_loads_in_plain_transformers_unchanged():
    """A plain BertForTokenClassification with six token types (the word shapes): AutoModel and the pipeline load
    it as it is; the pipeline, which passes no shapes, still finds entities (all words read as lower-case)."""
    from transformers import AutoModelForTokenClassification, pipeline

    from annotator.shapes import SHAPES

    meta = json.loads((DEFAULT_MODEL_DIR / "annotator.json").read_text(encoding="utf-8"))
    assert meta["word_shapes"] == list(SHAPES)
    model = AutoModelForTokenClassification.from_pretrained(DEFAULT_MODEL_DIR)
    assert type(model).__name__ == "BertForTokenClassification" and model.config.type_vocab_size == len(SHAPES)
    ner = pipeline("token-classification", model=str(DEFAULT_MODEL_DIR), aggregation_strategy="first", device="cpu")
    found = ner("Angela Merkel met Emmanuel Macron in Paris on Monday.")
    assert found and {e["entity_group"] for e in found} <= {"PER", "LOC", "ORG", "MISC"}


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
    entities = json.loads(result.stdout)["entities"]
    assert [(e["text"], e["label"]) for e in entities] == [
        ("Angela Merkel", "PER"),
        ("Emmanuel Macron", "PER"),
        ("Paris", "LOC"),
    ]


def test_the_readme_samples_come_out_right():
    """Issue 11: no entity in a sentence without names (the model alone says MISC "names"; the
    model's cased_entities drops it), and "Greenline Rail" whole."""
    from annotator.predict import predict_texts

    texts = [
        "No names in this sentence at all.",
        "Northwind Bank and Greenline Rail agreed to merge their French units .",
    ]
    results = list(predict_texts(texts, device="cpu"))
    assert results[0].entities == []
    text = results[1].text
    assert ("Greenline Rail", "ORG") in [(text[e.start : e.end], e.label) for e in results[1].entities]
