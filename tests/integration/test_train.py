"""Both training backends on a tiny random-init model: same model directory, usable by transformers."""

from __future__ import annotations

import json

import pytest

EXPECTED_FILES = {
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "README.md",
    "annotator.json",
}


@pytest.mark.parametrize("backend", ["trainer", "torch"])
def test_backend_writes_a_complete_model_directory(tiny_models, backend):
    out = tiny_models[backend]
    assert EXPECTED_FILES <= {p.name for p in out.iterdir()}
    assert not (out / "_checkpoints").exists()
    config = json.loads((out / "config.json").read_text())
    assert config["id2label"] == {
        "0": "O",
        "1": "B-LOC",
        "2": "I-LOC",
        "3": "B-MISC",
        "4": "I-MISC",
        "5": "B-ORG",
        "6": "I-ORG",
        "7": "B-PER",
        "8": "I-PER",
    }
    assert config["label2id"]["B-PER"] == 7
    meta = json.loads((out / "annotator.json").read_text())
    assert meta["hyperparameters"]["backend"] == backend
    assert meta["max_length"] == 128 and meta["context"] == "document"
    assert set(meta["scores"]["dev"]["overall"]) >= {"precision", "recall", "f1", "f1_strict", "accuracy"}
    assert meta["history"] and "dev" in meta["history"][-1]
    assert meta["command"].startswith("annotator train --backend " + backend)
    card = (out / "README.md").read_text()
    for needle in ("## Command", "## Data", "## Hyperparameters", "### Dev", "## Training", "transformers "):
        assert needle in card


@pytest.mark.parametrize("backend", ["trainer", "torch"])
def test_model_directory_loads_in_transformers_unchanged(tiny_models, backend):
    from transformers import AutoModelForTokenClassification, pipeline

    out = tiny_models[backend]
    model = AutoModelForTokenClassification.from_pretrained(out)
    assert model.config.num_labels == 9
    ner = pipeline("token-classification", model=str(out), aggregation_strategy="first", device="cpu")
    result = ner("Maria Lindqvist flew from Oslo to Toronto.")
    assert isinstance(result, list) and result, "no entity predicted: the label check below would check nothing"
    for entity in result:
        assert entity["entity_group"] in {"LOC", "MISC", "ORG", "PER"}


def test_label_set_comes_from_the_training_data(tmp_path, tiny_encoder, train_model):
    data = tmp_path / "wnut.conll"
    data.write_text(
        "Saw\tO\nStar\tB-creative-work\nWars\tI-creative-work\nwith\tO\nBob\tB-person\n\n"
        "Ana\tB-person\nlikes\tO\nAcme\tB-corporation\n\n",
        encoding="utf-8",
    )
    out = train_model(tmp_path, tiny_encoder, "torch", train=data, dev=data)
    labels = json.loads((out / "config.json").read_text())["id2label"]
    assert sorted(labels.values()) == sorted(
        ["O", "B-corporation", "I-corporation", "B-creative-work", "I-creative-work", "B-person", "I-person"]
    )


def test_iob1_training_data_gives_the_same_labels_as_iob2(tmp_path, tiny_encoder, train_model):
    iob1 = tmp_path / "iob1.conll"
    iob1.write_text("Bob I-PER\nSmith I-PER\nAnn B-PER\nin O\nRome I-LOC\n\n", encoding="utf-8")
    out = train_model(tmp_path, tiny_encoder, "torch", train=iob1, dev=iob1)
    meta = json.loads((out / "annotator.json").read_text())
    assert meta["data"]["train"]["scheme"] == "IOB1"
    assert meta["labels"] == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert meta["scores"]["dev"]["per_type"]["PER"]["support"] == 2


def test_torch_backend_is_deterministic_for_a_seed(tmp_path, tiny_encoder, train_model):
    from safetensors.torch import load_file

    a = train_model(tmp_path / "a", tiny_encoder, "torch")
    b = train_model(tmp_path / "b", tiny_encoder, "torch")
    wa, wb = load_file(a / "model.safetensors"), load_file(b / "model.safetensors")
    assert wa.keys() == wb.keys()
    assert all((wa[k] == wb[k]).all() for k in wa)


def test_float16_save_halves_the_weights(tmp_path, tiny_encoder, train_model):
    from safetensors.torch import load_file

    out = train_model(tmp_path, tiny_encoder, "torch", "--save-dtype", "float16")
    weights = load_file(out / "model.safetensors")
    assert {str(t.dtype) for t in weights.values()} == {"torch.float16"}

    # the config says float32, so plain transformers runs the model in fp32 on a CPU
    assert json.loads((out / "config.json").read_text())["dtype"] == "float32"
    from transformers import AutoModelForTokenClassification

    model = AutoModelForTokenClassification.from_pretrained(out)
    assert {str(p.dtype) for p in model.parameters()} == {"torch.float32"}
    assert "stored in float16" in (out / "README.md").read_text()


def test_word_tagger_leaves_the_callers_model_in_fp32_by_default(tiny_models):
    """A library user's model (one being trained, say) is not cast under them: bf16 only when asked."""
    import torch
    from transformers import AutoModelForTokenClassification

    from annotator.model import load_tokenizer
    from annotator.tagging import WordTagger

    out = tiny_models["torch"]
    model = AutoModelForTokenClassification.from_pretrained(out)
    tokenizer = load_tokenizer(out)
    tagger = WordTagger(model, tokenizer, id2label=model.config.id2label, max_length=128, context="document")
    assert tagger.bf16 is False
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    WordTagger(
        model,
        tokenizer,
        id2label=model.config.id2label,
        max_length=128,
        context="document",
        precision="bf16",
        device=torch.device("cpu"),
    )
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}


def test_rescore_reads_the_data_with_the_format_the_model_was_trained_with(
    tmp_path, tiny_encoder, train_model, samples
):
    """A Latin-1 model is re-scored on its Latin-1 files: annotator.json records the whole CoNLL format."""
    from annotator.training.rescore import rescore

    files = {}
    for name in ("train", "dev"):
        text = (samples / f"{name}.conll").read_text(encoding="utf-8") + "Zoé X X B-PER\nsmiled X X O\n\n"
        files[name] = tmp_path / f"{name}.latin1.conll"
        files[name].write_bytes(text.encode("iso-8859-1"))
    out = train_model(
        tmp_path,
        tiny_encoder,
        "torch",
        "--encoding",
        "iso-8859-1",
        "--tag-column",
        "3",
        train=files["train"],
        dev=files["dev"],
    )
    meta = json.loads((out / "annotator.json").read_text())
    assert meta["conll_format"] == {"tag_column": 3, "scheme": None, "encoding": "iso-8859-1"}
    scores = rescore(out)  # the default format (utf-8) would stop at "Zoé": not valid utf-8
    assert scores["dev"] == meta["scores"]["dev"]


@pytest.mark.parametrize("backend", ["trainer", "torch"])
def test_models_take_word_shapes_by_default(tiny_models, backend):
    from annotator.model import load_model
    from annotator.shapes import SHAPES

    out = tiny_models[backend]
    assert json.loads((out / "annotator.json").read_text())["word_shapes"] == list(SHAPES)
    assert json.loads((out / "config.json").read_text())["type_vocab_size"] == len(SHAPES)
    assert load_model(out, device="cpu").word_shapes
    assert "Inputs: word shapes" in (out / "README.md").read_text()


def test_a_model_without_word_shapes_keeps_working(tmp_path, tiny_encoder, train_model):
    from annotator.inference import TokenClassifier

    out = train_model(tmp_path, tiny_encoder, "torch", "--no-word-shapes")
    meta = json.loads((out / "annotator.json").read_text())
    assert "word_shapes" not in meta and meta["hyperparameters"]["word_shapes"] is False
    assert "--no-word-shapes" in meta["command"]  # the card's command re-runs what was run
    assert json.loads((out / "config.json").read_text())["type_vocab_size"] == 2
    clf = TokenClassifier.load(out, device="cpu")
    assert not clf.tagger.encoder.word_shapes
    (window,) = clf.prepare(["Maria flew to Oslo."]).windows[0]
    assert window.type_ids is None
    assert isinstance(clf.annotate_batch(["Maria flew to Oslo."]), list)


def test_keep_last_is_recorded_and_named_in_the_card(tmp_path, tiny_encoder, train_model):
    out = train_model(tmp_path, tiny_encoder, "torch", "--keep", "last")
    assert json.loads((out / "annotator.json").read_text())["hyperparameters"]["keep"] == "last"
    assert "dev (scored each epoch; the last epoch is kept)" in (out / "README.md").read_text()


def test_repeated_train_files_are_one_training_set_and_a_trained_on_dev_is_marked(tmp_path, tiny_encoder, train_model):
    first = tmp_path / "a.conll"
    first.write_text("-DOCSTART- O\n\nBob B-PER\nsmiled O\n\n", encoding="utf-8")
    second = tmp_path / "b.conll"
    second.write_text("-DOCSTART- O\n\nAcme B-ORG\nCorp I-ORG\nwon O\n\nAnn B-PER\nleft O\n\n", encoding="utf-8")
    out = train_model(
        tmp_path, tiny_encoder, "torch", "--train", str(second), "--keep", "last", train=first, dev=second
    )
    meta = json.loads((out / "annotator.json").read_text())
    assert meta["labels"] == ["O", "B-ORG", "I-ORG", "B-PER", "I-PER"]  # ORG occurs only in the second file
    assert meta["data"]["train"] == {
        "path": f"{first} + {second}",
        "files": [str(first), str(second)],
        "sentences": 3,
        "documents": 2,
        "scheme": "IOB2",
    }
    assert meta["data"]["dev"]["trained_on"] is True
    assert meta["context"] == "document"
    assert "also a training file, so its scores are not held out" in (out / "README.md").read_text()


def test_a_held_out_dev_file_is_not_marked_as_trained_on(tiny_models):
    meta = json.loads((tiny_models["torch"] / "annotator.json").read_text())
    assert meta["data"]["dev"]["trained_on"] is False
    assert "not held out" not in (tiny_models["torch"] / "README.md").read_text()


def test_the_recorded_command_repeats_a_repeated_train_option(tmp_path, tiny_encoder, train_model, samples):
    out = train_model(tmp_path, tiny_encoder, "torch", "--train", str(samples / "dev.conll"))
    command = json.loads((out / "annotator.json").read_text())["command"]
    assert f"--train {samples / 'train.conll'} --train {samples / 'dev.conll'} --dev" in command


def test_layers_keeps_the_first_blocks_of_the_base_encoder(tmp_path, tiny_encoder, train_model, samples):
    """--layers N: the top blocks dropped, a plain transformers model of N blocks, recorded in the card."""
    from click.testing import CliRunner
    from safetensors import safe_open
    from transformers import AutoModelForTokenClassification

    from annotator.cli import main

    out = train_model(tmp_path, tiny_encoder, "torch", "--layers", "1", "--max-steps", "1")
    assert json.loads((out / "config.json").read_text())["num_hidden_layers"] == 1
    with safe_open(str(out / "model.safetensors"), "pt") as weights:
        blocks = {k.split("layer.")[1].split(".")[0] for k in weights.keys() if ".encoder.layer." in k}
    assert blocks == {"0"}  # block 1 of the 2-block encoder is gone
    assert len(AutoModelForTokenClassification.from_pretrained(out).bert.encoder.layer) == 1
    assert json.loads((out / "annotator.json").read_text())["hyperparameters"]["layers"] == 1
    card = (out / "README.md").read_text()
    assert "its first 1 blocks" in card and "| layers | 1 |" in card
    args = ["train", "--base-model", tiny_encoder, "--layers", 3, "--max-steps", 1, "-o", tmp_path / "m3"]
    args += ["--train", samples / "train.conll", "--dev", samples / "dev.conll"]
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code != 0 and "--layers 3: the base encoder has 2 blocks" in result.output


@pytest.mark.parametrize("backend", ["trainer", "torch"])
def test_teacher_with_alpha_zero_trains_the_same_weights_as_no_teacher(
    tmp_path, tiny_encoder, tiny_models, train_model, backend
):
    """The distillation path changes the loss only: same batches, same order, same updates."""
    from safetensors.torch import load_file

    teacher = tiny_models["torch"]
    plain = train_model(tmp_path / "plain", tiny_encoder, backend)
    with_alpha0 = train_model(
        tmp_path / "kd0", tiny_encoder, backend, "--teacher", str(teacher), "--distill-alpha", "0"
    )
    a, b = load_file(plain / "model.safetensors"), load_file(with_alpha0 / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch_allclose(a[key], b[key]), key
    hp = json.loads((with_alpha0 / "annotator.json").read_text())["hyperparameters"]
    assert hp["teacher"] == str(teacher) and hp["distill_alpha"] == 0.0 and hp["distill_temperature"] == 2.0


@pytest.mark.parametrize("backend", ["trainer", "torch"])
def test_teacher_moves_the_student(tmp_path, tiny_encoder, tiny_models, train_model, backend):
    from safetensors.torch import load_file

    plain = load_file(tiny_models[backend] / "model.safetensors")
    out = train_model(tmp_path, tiny_encoder, backend, "--teacher", str(tiny_models["trainer"]), "--distill-alpha", "1")
    distilled = load_file(out / "model.safetensors")
    assert not torch_allclose(plain["classifier.weight"], distilled["classifier.weight"])
    card = (out / "README.md").read_text()
    assert f"Distilled from `{tiny_models['trainer']}`" in card and "| distill_alpha | 1.0 |" in card


def test_teacher_must_predict_the_same_labels_and_read_the_same_inputs(
    tmp_path, tiny_encoder, tiny_models, train_model, samples
):
    from click.testing import CliRunner

    from annotator.cli import main

    other = tmp_path / "other.conll"
    other.write_text("Ana\tB-person\nlikes\tO\nAcme\tB-corporation\n\n", encoding="utf-8")
    no_shapes = train_model(tmp_path / "ns", tiny_encoder, "torch", "--no-word-shapes")

    def train(teacher, *extra, data=samples / "train.conll"):
        args = ["train", "--base-model", tiny_encoder, "--max-steps", 1, "-o", tmp_path / "student", "--force"]
        args += ["--train", data, "--dev", data, "--teacher", teacher, *extra]
        return CliRunner().invoke(main, [str(a) for a in args])

    result = train(tiny_models["torch"], data=other)
    assert result.exit_code != 0 and "predicts O, B-LOC" in result.output
    assert "distil from a model trained on the same entity types" in result.output
    result = train(no_shapes)
    assert result.exit_code != 0 and "trained with --no-word-shapes; train the student with --no-word-shapes" in (
        result.output
    )
    result = train(tmp_path / "missing")
    assert result.exit_code != 0 and "not a model directory" in result.output
    result = train(tiny_models["torch"], "--distill-alpha", "1.5")
    assert result.exit_code != 0 and "--distill-alpha" in result.output
    assert "Traceback" not in result.output


def torch_allclose(a, b) -> bool:
    import torch

    return bool(torch.allclose(a.float(), b.float(), atol=1e-5, rtol=1e-4))


def test_a_trained_model_as_base_keeps_its_word_shape_rows_and_classifier(
    tmp_path, tiny_encoder, tiny_models, train_model
):
    """--base-model MODEL --layers N: the student starts from the trained model's lower blocks, its
    learned word-shape embeddings and its classifier (same labels), not from copies of type 0."""
    from safetensors.torch import load_file

    base = tiny_models["torch"]
    out = train_model(tmp_path, base, "torch", "--layers", "1", "--max-steps", "1", "--lr", "1e-12")
    before, after = load_file(base / "model.safetensors"), load_file(out / "model.safetensors")
    key = "bert.embeddings.token_type_embeddings.weight"
    assert not torch_allclose(before[key][1], before[key][0])  # the base learned the rows apart
    assert torch_allclose(before[key], after[key])
    assert torch_allclose(before["classifier.weight"], after["classifier.weight"])
    name = json.loads((out / "annotator.json").read_text())["base_model_name"]
    assert name == f"{base.name} (an annotator model trained from {tiny_encoder.name})"
    assert torch_allclose(
        before["bert.encoder.layer.0.output.dense.weight"], after["bert.encoder.layer.0.output.dense.weight"]
    )
