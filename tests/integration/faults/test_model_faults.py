"""A model directory is data: it never runs code, never prompts, and a broken one is one line naming it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from faults_helpers import cli, invoke

from annotator.errors import ModelError
from annotator.model import check_safetensors, load_model


@pytest.fixture
def copy(tmp_path, model) -> Path:
    target = tmp_path / "m"
    shutil.copytree(model, target)
    return target


def _edit_config(path: Path, **changes) -> None:
    config = json.loads((path / "config.json").read_text())
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    (path / "config.json").write_text(json.dumps(config))


EVIL = """import pathlib
pathlib.Path(__file__).with_name("RAN").write_text("the model's code ran")
from transformers import BertConfig, BertForTokenClassification
class EvilConfig(BertConfig):
    model_type = "evil-bert"
class EvilModel(BertForTokenClassification):
    config_class = EvilConfig
"""


@pytest.mark.parametrize("model_type", ["bert", "evil-bert"])
def test_auto_map_never_prompts_and_never_runs_the_code(copy, model_type):
    (copy / "evil.py").write_text(EVIL)
    _edit_config(
        copy,
        model_type=model_type,
        auto_map={"AutoConfig": "evil.EvilConfig", "AutoModelForTokenClassification": "evil.EvilModel"},
    )
    tok = json.loads((copy / "tokenizer_config.json").read_text())
    tok["auto_map"] = {"AutoTokenizer": ["evil.EvilTokenizer", None]}
    (copy / "tokenizer_config.json").write_text(json.dumps(tok))
    result = cli("predict", "--model", copy, "Maria flew to Oslo.", stdin=b"y\ny\ny\n", timeout=120)
    assert not (copy / "RAN").exists()
    assert "Do you wish to run the custom code" not in result.stdout + result.stderr
    if model_type == "bert":  # the library's own class reads it: the auto_map is ignored
        assert result.code == 0, result.stderr
    else:
        assert result.code == 1
        assert result.error == (
            f"Error: {copy / 'config.json'}: model type 'evil-bert' needs the directory's own Python code (auto_map), "
            "and annotator never runs code from a model directory; use a model of a type transformers knows "
            "(bert, roberta, deberta-v2, ...)"
        )


def test_truncated_safetensors_is_one_line_naming_the_file(copy):
    weights = copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    result = invoke("predict", "--model", copy, "Maria flew to Oslo.")
    assert result.code == 1
    size = weights.stat().st_size
    assert result.error == (
        f"Error: {weights}: truncated (the header announces {size + 1000:,} bytes, the file has "
        f"{size:,}); copy the directory again, or train it again with `annotator train`"
    )


@pytest.mark.parametrize("data", [b"", b"garbage" * 10, b"\xff" * 8 + b"{}"])
def test_garbage_safetensors_is_one_line(copy, data):
    weights = copy / "model.safetensors"
    weights.write_bytes(data)
    with pytest.raises(ModelError, match=r"model.safetensors: not a valid safetensors file \("):
        check_safetensors(weights)
    result = invoke("evaluate", "--model", copy, Path(__file__).parents[3] / "samples" / "dev.conll")
    assert result.code == 1 and "not a valid safetensors file" in result.error


def test_a_pickle_weights_only_refuses_is_a_model_error(copy):
    import pickle

    (copy / "model.safetensors").unlink()

    class Boom:
        def __reduce__(self):
            return (print, ("the pickle ran",))

    (copy / "pytorch_model.bin").write_bytes(pickle.dumps({"w": Boom()}))
    result = cli("predict", "--model", copy, "Maria flew to Oslo.", timeout=120)
    assert result.code == 1, result.stderr
    assert "the pickle ran" not in result.stdout + result.stderr
    assert result.error.startswith(f"Error: cannot load the model in {copy}: ")


def test_no_weights_at_all(copy):
    (copy / "model.safetensors").unlink()
    result = invoke("predict", "--model", copy, "x")
    assert result.error == (
        f"Error: {copy} holds no weights (model.safetensors); copy the directory again, or "
        "train it again with `annotator train`"
    )


def test_config_without_id2label_names_the_fix(copy):
    _edit_config(copy, id2label=None, label2id=None)
    result = invoke("predict", "--model", copy, "x")
    assert result.code == 1
    assert result.error == (
        f"Error: {copy / 'config.json'} has no id2label, so it is no token-classification model; "
        "train a model with `annotator train`, or give config.json an id2label of IOB2 labels "
        '(e.g. {"0": "O", "1": "B-PER", "2": "I-PER"})'
    )


def test_labels_outside_iob2_name_the_label(copy):
    config = json.loads((copy / "config.json").read_text())
    n = len(config["id2label"])
    _edit_config(copy, id2label={str(i): ("O" if i == 0 else "PERSON" if i == 1 else f"B-T{i}") for i in range(n)})
    with pytest.raises(ModelError, match=r"config.json: label 'PERSON' is not IOB2; train a model"):
        load_model(copy)


def test_unreadable_config_is_one_line(copy):
    (copy / "config.json").write_text("{not json")
    result = invoke("predict", "--model", copy, "x")
    assert result.code == 1 and result.error.startswith(f"Error: {copy / 'config.json'}: unreadable (")


def test_every_from_pretrained_call_passes_trust_remote_code_false():
    """The class, not the case: no call to from_pretrained anywhere in the package without it."""
    import re

    root = Path(__file__).resolve().parents[3]
    for path in [
        *(root / "annotator").rglob("*.py"),
        *(root / "training").rglob("*.py"),
        *(root / "benchmarks").rglob("*.py"),
    ]:
        for call in re.finditer(r"from_pretrained\((.*?)\)\n", path.read_text(), flags=re.DOTALL):
            args = call.group(1)
            assert "trust_remote_code=False" in args or "SAFE_LOAD" in args or "DIR" in args, (path, args)
