"""The CLI end to end with tiny models: help, exact errors, evaluate/predict/info outputs."""

from __future__ import annotations

import json
import subprocess
import sys

import conlleval
import pytest
from click.testing import CliRunner

from annotator.cli import main

COMMANDS = ["train", "evaluate", "predict", "info", "annotate", "export-spacy", "import-spans"]


def invoke(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Usage: main " + command in result.output or f"Usage: annotator {command}" in result.output
    assert "Exit codes" in result.output


def test_python_dash_m_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "annotator", "--help"], capture_output=True, text=True, check=True)
    assert "evaluate" in out.stdout and "train" in out.stdout


def test_missing_model_directory_is_a_clear_error(tmp_path, samples):
    result = invoke("evaluate", "--model", tmp_path / "nope", samples / "dev.conll")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: model directory {tmp_path / 'nope'} does not exist; pass --model DIR with a "
        "directory written by `annotator train` (models load from local paths only)\n"
    )


def test_directory_without_config_is_not_a_model(tmp_path):
    result = invoke("info", "--model", tmp_path)
    assert result.exit_code == 1
    assert "holds no config.json" in result.output


def test_bad_tag_names_path_and_line(tmp_path, tiny_models):
    bad = tmp_path / "bad.conll"
    bad.write_text("Bob B-PER\nsays O\n\nhi PER\n", encoding="utf-8")
    result = invoke("evaluate", "--model", tiny_models["torch"], bad)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {bad}:4: tag 'PER' is not O or <B|I|E|S|L|U>-<TYPE>")


def test_wrong_encoding_names_path_line_and_fix(tmp_path, tiny_models):
    bad = tmp_path / "latin1.conll"
    bad.write_bytes("Jos\u00e9 B-PER\nsays O\n".encode("iso-8859-1"))
    result = invoke("evaluate", "--model", tiny_models["torch"], bad)
    assert result.exit_code == 2
    assert f"Error: {bad}:1: not valid utf-8" in result.output
    assert "--encoding iso-8859-1" in result.output
    ok = invoke("evaluate", "--model", tiny_models["torch"], bad, "--encoding", "iso-8859-1")
    assert ok.exit_code == 0, ok.output


def test_train_refuses_a_non_empty_output_without_force(tmp_path, samples):
    out = tmp_path / "m"
    out.mkdir()
    (out / "x").write_text("x")
    result = invoke("train", "--train", samples / "train.conll", "--dev", samples / "dev.conll", "--output", out)
    assert result.exit_code == 2
    assert f"--output {out} exists and is not empty; pass --force to overwrite it" in result.output


def test_train_rejects_bad_options_before_loading_anything(tmp_path, samples):
    result = invoke(
        "train", "--train", samples / "train.conll", "--dev", tmp_path / "missing.conll", "--output", tmp_path / "m"
    )
    assert result.exit_code == 2
    assert f"--dev {tmp_path / 'missing.conll'}: no such file" in result.output


def test_evaluate_writes_report_and_conlleval_predictions(tmp_path, tiny_models, samples):
    report_path, pred_path = tmp_path / "r.json", tmp_path / "pred.txt"
    result = invoke(
        "evaluate",
        "--model",
        tiny_models["trainer"],
        samples / "dev.conll",
        "--output",
        report_path,
        "--predictions",
        pred_path,
    )
    assert result.exit_code == 0, result.output
    assert "overall (micro)" in result.output
    report = json.loads(report_path.read_text())
    assert set(report["overall"]) == {"precision", "recall", "f1", "f1_strict", "f1_macro", "accuracy"}
    assert set(report["per_type"]) == {"LOC", "MISC", "ORG", "PER"}
    assert set(report["per_type"]["PER"]) == {"precision", "recall", "f1", "support"}
    gold_lines = [
        line
        for line in (samples / "dev.conll").read_text().splitlines()
        if line.strip() and not line.startswith("-DOCSTART-")
    ]
    pred_lines = [line for line in pred_path.read_text().splitlines() if line.strip()]
    assert report["tokens"] == len(gold_lines) == len(pred_lines)  # nothing dropped
    assert report["documents"] == 12
    assert [p.split()[:2] for p in pred_lines] == [[g.split()[0], g.split()[-1]] for g in gold_lines]
    ref = conlleval.evaluate(pred_path.read_text().splitlines())
    for theirs, ours in (("prec", "precision"), ("rec", "recall"), ("f1", "f1")):
        assert ref["overall"]["chunks"]["evals"][theirs] == pytest.approx(report["overall"][ours], abs=1e-12)


def test_iob1_and_iob2_files_score_identically(tmp_path, tiny_models, samples):
    from annotator.labels import tags_to_spans

    iob1 = tmp_path / "dev_iob1.conll"
    with open(iob1, "w", encoding="utf-8") as out:
        sentence: list[list[str]] = []
        for line in (samples / "dev.conll").read_text().splitlines() + [""]:
            if line.strip() and not line.startswith("-DOCSTART-"):
                sentence.append(line.split())
                continue
            if sentence:
                tags = ["O"] * len(sentence)
                prev = None
                for span in tags_to_spans([row[-1] for row in sentence]):
                    for i in range(span.start, span.end):
                        tags[i] = "I-" + span.label
                    if prev is not None and prev.end == span.start and prev.label == span.label:
                        tags[span.start] = "B-" + span.label
                    prev = span
                out.writelines(" ".join(row[:-1] + [t]) + "\n" for row, t in zip(sentence, tags))
                sentence = []
            out.write(line + "\n")
    assert iob1.read_text() != (samples / "dev.conll").read_text()
    r1 = tmp_path / "r1.json"
    r2 = tmp_path / "r2.json"
    assert invoke("evaluate", "-m", tiny_models["torch"], iob1, "-o", r1).exit_code == 0
    assert invoke("evaluate", "-m", tiny_models["torch"], samples / "dev.conll", "-o", r2).exit_code == 0
    a, b = json.loads(r1.read_text()), json.loads(r2.read_text())
    a.pop("files"), b.pop("files")
    assert a == b


def test_predict_json_offsets_slice_the_text(tiny_models):
    text = "Maria Lindqvist flew from Oslo to Toronto."
    result = invoke("predict", "--model", tiny_models["torch"], "--json", text, "\ufe0f zero\u200bwidth")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["text"] for r in rows] == [text, "\ufe0f zero\u200bwidth"]
    assert rows[0]["entities"], "the model predicts no entity: the offset checks below would check nothing"
    for row in rows:
        for e in row["entities"]:
            assert row["text"][e["start"] : e["end"]] == e["text"]
            assert 0.0 <= e["score"] <= 1.0


def test_predict_reads_stdin(tiny_models):
    result = invoke("predict", "--model", tiny_models["torch"], input="First text.\n\nSecond one.\n")
    assert result.exit_code == 0, result.output
    assert "First text." in result.output and "Second one." in result.output


def test_info_json(tiny_models):
    result = invoke("info", "--model", tiny_models["torch"], "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["path"] == str(tiny_models["torch"].resolve())
    assert info["entity_types"] == ["LOC", "MISC", "ORG", "PER"]
    assert info["device"] == "cpu"
    assert "dev" in info["scores"] and "f1" in info["scores"]["dev"]
