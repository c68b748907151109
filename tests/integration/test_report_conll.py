"""The default model on CoNLL-2003 test: one evaluation run (module fixture), several checks: its F1 (it guards the
shipped model), agreement with the reference conlleval, and the report."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.analysis import THRESHOLDS
from annotator.cli import main
from annotator.model import DEFAULT_MODEL_DIR


@pytest.fixture(scope="module")
def conll_report(tmp_path_factory, shared_data):
    """``(report dict, HTML text, predictions text)`` of `annotator evaluate ../shared/data/conll2003/test.txt
    --report r.html --predictions pred.txt`."""
    test_file = shared_data / "conll2003" / "test.txt"
    if not test_file.is_file():
        pytest.skip(f"CoNLL-2003 not found at {test_file} (reference data lives in ../shared/data)")
    if not (DEFAULT_MODEL_DIR / "config.json").is_file():
        pytest.skip("the default model is not in this checkout")
    tmp = tmp_path_factory.mktemp("conll_report")
    html, out, pred = tmp / "r.html", tmp / "r.json", tmp / "pred.txt"
    result = CliRunner().invoke(
        main, ["evaluate", str(test_file), "--report", str(html), "-o", str(out), "--predictions", str(pred)]
    )
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text()), html.read_text(encoding="utf-8"), pred.read_text(encoding="utf-8")


def test_the_default_model_scores_as_its_card_and_as_conlleval_counts(conll_report):
    import conlleval

    report, _, predictions = conll_report
    assert (report["documents"], report["sentences"], report["tokens"]) == (231, 3453, 46435)
    # the card: 0.8991 (fp32 and bf16). The default on a CPU is ONNX int8, which may cost at most 0.3 F1
    # against the 6-block model's fp32 0.9011 (issue 10; measured 0.8996 with AVX512-VNNI, 0.8994 on AVX2 kernels)
    floor = 0.9011 - 0.003 if (report["runtime"], report["quantize"]) == ("onnx", "int8") else 0.899
    assert report["overall"]["f1"] >= floor, (report["runtime"], report["quantize"])
    ref = conlleval.evaluate(predictions.splitlines())
    assert ref["overall"]["chunks"]["evals"]["f1"] == pytest.approx(report["overall"]["f1"], abs=1e-12)


def test_every_part_is_in_the_page_with_the_numbers_of_the_json(conll_report, parse_report):
    report, html, _ = conll_report
    page = parse_report(html)
    assert page.sections == ["model", "scores", "errors", "confusion", "thresholds", "training", "worst"]
    assert page.mismatches(report) == []
    assert list(page.rows("per-type")) == ["LOC", "MISC", "ORG", "PER", "overall (micro)"]
    assert len(report["worst_sentences"]) == 50
    assert len([c for c in page.marks if c.startswith("entity")]) == sum(
        len(s["gold"]) + len(s["pred"]) for s in report["worst_sentences"]
    )
    assert report["model_card"]["base_model"] and "train.txt" in report["model_card"]["data"]["train"]["path"]
    assert report["model_card"]["command"].startswith("annotator train")
    assert "http" not in html.lower() and "<script" not in html.lower()


def test_error_counts_add_up(conll_report):
    report, _, _ = conll_report
    errors, c = report["errors"], report["errors"]["counts"]
    paired = c["correct"] + c["wrong_type"] + c["wrong_boundary"] + c["wrong_type_and_boundary"]
    assert errors["gold"] == paired + c["missed"] == sum(v["support"] for v in report["per_type"].values()) == 5648
    assert errors["predicted"] == paired + c["spurious"]
    assert c["correct"] / errors["predicted"] == pytest.approx(report["overall"]["precision"], abs=1e-12)
    assert c["correct"] / errors["gold"] == pytest.approx(report["overall"]["recall"], abs=1e-12)
    for kind in c:
        assert sum(t[kind] for t in errors["by_type"].values()) == c[kind]
    matrix = report["confusion"]
    assert sum(sum(row.values()) for row in matrix.values()) == paired + c["missed"] + c["spurious"]
    for etype, v in report["per_type"].items():
        assert sum(matrix[etype].values()) == v["support"]


def test_worst_sentences_and_threshold_table(conll_report):
    report, _, _ = conll_report
    worst = [s["errors"] for s in report["worst_sentences"]]
    assert worst == sorted(worst, reverse=True) and worst[-1] >= 1
    rows = report["thresholds"]
    assert [r["threshold"] for r in rows] == list(THRESHOLDS)
    kept = [r["kept"] for r in rows]
    assert kept == sorted(kept, reverse=True) and kept[0] <= report["errors"]["predicted"]
    assert rows[-1]["precision"] >= rows[0]["precision"]
