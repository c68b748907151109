"""The HTML report from a hand-made report (no model): every part present, numbers as in the JSON, offline, escaped."""

from __future__ import annotations

import json

import pytest

from annotator.analysis import compare_reports
from annotator.conll import Sentence
from annotator.evaluate import score_tagged, write_reports
from annotator.report_html import render_report


def sentence(words: str, tags: str, line: int, path: str = "dev.conll") -> Sentence:
    return Sentence(tuple(words.split()), tuple(tags.split()), 0, path, line)


def decoded(tags: str, probs: list[float]) -> tuple[list[str], list[float]]:
    return tags.split(), probs


@pytest.fixture
def report() -> dict:
    doc = [
        sentence("Maria Lind met <b>Acme</b> in Oslo", "B-PER I-PER O B-ORG O B-LOC", 1),
        sentence("Vantor Labs hired Jo", "B-ORG I-ORG O B-PER", 8),
        sentence("Nothing here", "O O", 13),
    ]
    tagged = [
        (
            doc,
            [
                decoded("B-PER I-PER O B-LOC O B-LOC", [0.99, 0.97, 0.99, 0.55, 0.99, 0.93]),
                decoded("B-ORG O O B-PER", [0.81, 0.7, 0.99, 0.96]),
                decoded("O B-MISC", [0.99, 0.52]),
            ],
        )
    ]
    result = score_tagged(tagged, files=["dev.conll"], examples=5)
    result.update(
        {
            "model": "m",
            "decoding": "constrained",
            "quantize": "none",
            "precision": "fp32",
            "model_card": {
                "path": "/models/m",
                "base_model": "MiniLM <L6>",
                "command": "annotator train ...",
                "data": {"train": {"path": "train.conll", "sentences": 10}},
                "history": [
                    {"epoch": 1, "train_loss": 0.5, "dev_f1": 0.7},
                    {"epoch": 2, "train_loss": 0.2, "dev_f1": 0.8},
                ],
            },
            "comparison": None,
        }
    )
    return result


def test_score_tagged_counts_errors_by_kind(report):
    assert report["errors"]["counts"] == {
        "correct": 3,
        "missed": 0,
        "spurious": 1,
        "wrong_type": 1,
        "wrong_boundary": 1,
        "wrong_type_and_boundary": 0,
    }
    assert [(s["line"], s["errors"]) for s in report["worst_sentences"]] == [(1, 1), (8, 1), (13, 1)]
    assert report["worst_sentences"][0]["pred"][1] == {
        "start": 3,
        "end": 4,
        "label": "LOC",
        "score": 0.55,
        "kind": "wrong_type",
    }
    t = {r["threshold"]: r for r in report["thresholds"]}
    # predicted: PER 0.98 (correct), LOC 0.55 (wrong type), LOC 0.93 (correct), ORG 0.81 (boundary),
    # PER 0.96 (correct), MISC 0.52 (spurious); 5 gold
    assert (t[0.5]["kept"], t[0.5]["correct"]) == (6, 3)
    assert (t[0.56]["kept"], t[0.56]["correct"], t[0.56]["precision"], t[0.56]["recall"]) == (4, 3, 0.75, 0.6)
    assert (t[0.94]["kept"], t[0.94]["correct"]) == (2, 2)
    assert (t[0.99]["kept"], t[0.99]["precision"], t[0.99]["f1"]) == (0, 0.0, 0.0)


def test_page_holds_every_part_with_the_numbers_of_the_json_report(report, parse_report):
    page = parse_report(render_report(report))
    assert page.sections == ["model", "scores", "errors", "confusion", "thresholds", "training", "worst"]
    assert page.mismatches(report) == []
    assert len(page.rows("threshold-table")) == 50
    assert page.rows("history") == {"1": ["0.5000", "0.7000"], "2": ["0.2000", "0.8000"]}
    # displaCy: gold above predicted per worst sentence, the wrong entities outlined
    # gold entities 3 + 2 + 0, predicted 3 + 2 + 1; wrong: gold ORG twice, predicted LOC, ORG, MISC
    assert len(page.marks) == 11
    assert page.marks.count("entity err") == 5 and page.marks.count("entity ok") == 6
    assert "✗ type" in page.text and "✗ spurious" in page.text and "✗ boundary" in page.text
    assert sum(1 for t, _ in page.tags if t == "svg") == 5  # per type, errors by type, heat map, thresholds, history


def test_page_is_self_contained_and_escapes_text(report, parse_report):
    html = render_report(report)
    page = parse_report(html)
    tags = {t for t, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert all(
        not v or not v.startswith(("http:", "https:", "//"))
        for _, attrs in page.tags
        for k, v in attrs.items()
        if k in ("src", "href")
    )
    assert "http" not in html.lower()
    assert "<b>Acme</b>" not in html and "&lt;b&gt;Acme&lt;/b&gt;" in html
    assert "MiniLM &lt;L6&gt;" in html and "<L6>" not in html


def test_compare_adds_the_other_numbers_and_differences(report, parse_report):
    other = json.loads(json.dumps(report))
    other["overall"]["f1"] = 0.5
    other["per_type"]["PER"]["f1"] = 0.25
    other["errors"]["counts"]["missed"] = 4
    report["comparison"] = compare_reports(report, other) | {"report": "old.json"}
    page = parse_report(render_report(report))
    assert page.mismatches(report) == []
    overall = page.rows("overall")
    assert page.head("overall")[1] == "F1 (micro)" and list(overall) == ["this model", "other", "Δ"]
    assert (overall["other"][0], overall["Δ"][0]) == ("0.5000", f"{report['overall']['f1'] - 0.5:+.4f}")
    per_type = page.rows("per-type")
    assert page.head("per-type")[5:] == ["other P", "other R", "other F1", "other support", "Δ P", "Δ R", "Δ F1"]
    assert per_type["PER"][6] == "0.2500" and per_type["PER"][-1] == f"{report['per_type']['PER']['f1'] - 0.25:+.4f}"
    kinds = page.rows("error-kinds")
    assert kinds["missed"][-2:] == ["4", "-4"]
    assert "old.json" in page.text


def test_report_without_errors_or_history_still_renders(report, parse_report):
    for key in ("errors", "confusion", "worst_sentences", "thresholds", "model_card"):
        report.pop(key)
    page = parse_report(render_report(report))
    assert "training" not in page.sections and "per-type" in page.tables


def test_write_reports_writes_json_and_html(tmp_path, report):
    write_reports(report, output=tmp_path / "r.json", html=tmp_path / "r.html")
    assert json.loads((tmp_path / "r.json").read_text()) == report
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
