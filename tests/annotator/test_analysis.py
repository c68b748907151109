"""Error analysis on hand-made gold and predicted spans: kinds, confusion matrix, worst sentences, thresholds."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.analysis import (
    ERROR_KINDS,
    KINDS,
    THRESHOLDS,
    ErrorAnalysis,
    compare_reports,
    confusion_matrix,
    match_entities,
    scored_spans,
    threshold_curve,
)
from annotator.labels import Span, spans_to_tags
from annotator.scoring import score


def kinds(outcomes):
    return [
        (
            o.kind,
            (o.gold.start, o.gold.end, o.gold.label) if o.gold else None,
            (o.pred.start, o.pred.end, o.pred.label) if o.pred else None,
        )
        for o in outcomes
    ]


def test_each_kind_on_a_hand_made_sentence():
    gold = [Span(0, 2, "PER"), Span(3, 4, "LOC"), Span(5, 7, "ORG"), Span(8, 10, "MISC"), Span(11, 12, "LOC")]
    pred = [
        Span(0, 2, "PER"),  # correct
        Span(3, 4, "ORG"),  # same words, another type
        Span(5, 6, "ORG"),  # same type, fewer words
        Span(9, 11, "PER"),  # overlaps MISC[8,10): other words and another type
        Span(13, 14, "LOC"),
    ]  # overlaps nothing
    assert kinds(match_entities(gold, pred)) == [
        ("correct", (0, 2, "PER"), (0, 2, "PER")),
        ("wrong_type", (3, 4, "LOC"), (3, 4, "ORG")),
        ("wrong_boundary", (5, 7, "ORG"), (5, 6, "ORG")),
        ("wrong_type_and_boundary", (8, 10, "MISC"), (9, 11, "PER")),
        ("missed", (11, 12, "LOC"), None),
        ("spurious", None, (13, 14, "LOC")),
    ]


def test_one_to_one_pairing_prefers_same_type_then_more_shared_words():
    # gold ORG[0,4) overlaps pred PER[0,3) (3 shared words) and pred ORG[3,5) (1 shared): same type wins
    gold = [Span(0, 4, "ORG")]
    pred = [Span(0, 3, "PER"), Span(3, 5, "ORG")]
    assert kinds(match_entities(gold, pred)) == [
        ("wrong_boundary", (0, 4, "ORG"), (3, 5, "ORG")),
        ("spurious", None, (0, 3, "PER")),
    ]
    # two gold entities, one predicted entity over both: it pairs with the one it shares more words with
    gold = [Span(0, 1, "LOC"), Span(1, 4, "LOC")]
    pred = [Span(0, 4, "LOC")]
    assert kinds(match_entities(gold, pred)) == [
        ("wrong_boundary", (1, 4, "LOC"), (0, 4, "LOC")),
        ("missed", (0, 1, "LOC"), None),
    ]


def test_empty_sentences():
    assert match_entities([], []) == []
    assert kinds(match_entities([Span(0, 1, "PER")], [])) == [("missed", (0, 1, "PER"), None)]


spans_strategy = st.lists(st.tuples(st.integers(1, 3), st.integers(0, 2), st.sampled_from(["A", "B", "C"])), max_size=6)


def layout(parts) -> list[Span]:
    """Non-overlapping spans from (length, gap before, label) triples."""
    spans, pos = [], 0
    for length, gap, label in parts:
        pos += gap
        spans.append(Span(pos, pos + length, label, 0.5))
        pos += length
    return spans


@settings(max_examples=300, deadline=None)
@given(spans_strategy, spans_strategy)
def test_every_gold_and_every_predicted_entity_is_counted_exactly_once(gold_parts, pred_parts):
    gold, pred = layout(gold_parts), layout(pred_parts)
    outcomes = match_entities(gold, pred)
    assert sorted((g.start, g.end) for o in outcomes if (g := o.gold)) == [(g.start, g.end) for g in gold]
    assert sorted((p.start, p.end) for o in outcomes if (p := o.pred)) == [(p.start, p.end) for p in pred]
    assert all(o.kind in KINDS for o in outcomes)
    # correct equals the true positives seqeval (conlleval counting) finds
    if gold and pred:
        n = max(s.end for s in gold + pred)
        report = score([spans_to_tags(gold, n)], [spans_to_tags(pred, n)])
        correct = sum(o.kind == "correct" for o in outcomes)
        assert report["overall"]["precision"] == pytest.approx(correct / len(pred))
        assert report["overall"]["recall"] == pytest.approx(correct / len(gold))
    matrix = confusion_matrix(outcomes)
    for label in {s.label for s in gold}:
        assert sum(matrix[label].values()) == sum(g.label == label for g in gold)
    for label in {s.label for s in pred}:
        assert sum(row[label] for row in matrix.values()) == sum(p.label == label for p in pred)


def test_analysis_counts_add_up_and_the_confusion_matrix_is_complete():
    analysis = ErrorAnalysis(examples=10)
    analysis.add(
        ["w"] * 12,
        [Span(0, 2, "PER"), Span(3, 4, "LOC"), Span(5, 7, "ORG"), Span(11, 12, "LOC")],
        [Span(0, 2, "PER", 0.9), Span(3, 4, "ORG", 0.6), Span(5, 6, "ORG", 0.7), Span(8, 9, "MISC", 0.55)],
    )
    analysis.add(["w"] * 3, [Span(0, 1, "PER")], [Span(0, 1, "PER", 0.99)])
    errors = analysis.report()["errors"]
    assert errors["counts"] == {
        "correct": 2,
        "missed": 1,
        "spurious": 1,
        "wrong_type": 1,
        "wrong_boundary": 1,
        "wrong_type_and_boundary": 0,
    }
    assert (errors["gold"], errors["predicted"]) == (5, 5)
    c = errors["counts"]
    paired = c["correct"] + c["wrong_type"] + c["wrong_boundary"] + c["wrong_type_and_boundary"]
    assert paired + c["missed"] == errors["gold"] and paired + c["spurious"] == errors["predicted"]
    assert errors["by_type"]["LOC"] == {
        "correct": 0,
        "missed": 1,
        "spurious": 0,
        "wrong_type": 1,
        "wrong_boundary": 0,
        "wrong_type_and_boundary": 0,
    }
    assert errors["by_type"]["MISC"]["spurious"] == 1
    assert analysis.confusion() == {
        "LOC": {"LOC": 0, "MISC": 0, "ORG": 1, "PER": 0, "none": 1},
        "MISC": {"LOC": 0, "MISC": 0, "ORG": 0, "PER": 0, "none": 0},
        "ORG": {"LOC": 0, "MISC": 0, "ORG": 1, "PER": 0, "none": 0},
        "PER": {"LOC": 0, "MISC": 0, "ORG": 0, "PER": 2, "none": 0},
        "none": {"LOC": 0, "MISC": 1, "ORG": 0, "PER": 0, "none": 0},
    }


def test_worst_sentences_most_errors_first_ties_in_input_order():
    analysis = ErrorAnalysis(examples=2)
    one_error = ([Span(0, 1, "PER")], [])
    analysis.add(["a"], *one_error, line=1)
    analysis.add(["b", "c"], [Span(0, 1, "PER")], [Span(0, 1, "PER", 0.9)], line=3)  # no error: never listed
    analysis.add(["d", "e"], [Span(0, 1, "PER")], [Span(1, 2, "LOC", 0.8)], line=5)  # missed + spurious
    analysis.add(["f"], *one_error, line=8)
    worst = analysis.worst()
    assert [(s["line"], s["errors"]) for s in worst] == [(5, 2), (1, 1)]
    assert worst[0] == {
        "file": 0,
        "line": 5,
        "errors": 2,
        "words": ["d", "e"],
        "gold": [{"start": 0, "end": 1, "label": "PER", "kind": "missed"}],
        "pred": [{"start": 1, "end": 2, "label": "LOC", "score": 0.8, "kind": "spurious"}],
    }
    assert ErrorAnalysis(examples=0).worst() == []


def test_threshold_curve_on_a_hand_made_example():
    # 4 gold entities; 5 predicted with these scores, 3 of them correct
    scored = [(0.95, True), (0.80, True), (0.80, False), (0.62, True), (0.40, False)]
    rows = {r["threshold"]: r for r in threshold_curve(scored, 4)}
    assert list(rows) == list(THRESHOLDS) and len(THRESHOLDS) == 50
    assert THRESHOLDS[0] == 0.5 and THRESHOLDS[-1] == 0.99
    # t=0.50 .. 0.62: the four entities scored 0.62 and above: 3 correct -> P 3/4, R 3/4
    assert rows[0.5] == {"threshold": 0.5, "kept": 4, "correct": 3, "precision": 0.75, "recall": 0.75, "f1": 0.75}
    assert rows[0.62]["kept"] == 4
    # t=0.63 .. 0.80: 0.95, 0.80, 0.80 kept: 2 correct -> P 2/3, R 1/2, F1 4/7
    assert (rows[0.63]["kept"], rows[0.63]["correct"]) == (3, 2)
    assert rows[0.8]["precision"] == pytest.approx(2 / 3) and rows[0.8]["recall"] == 0.5
    assert rows[0.8]["f1"] == pytest.approx(4 / 7)
    # t=0.81 .. 0.95: only 0.95 -> P 1, R 1/4, F1 0.4
    assert rows[0.81] == {"threshold": 0.81, "kept": 1, "correct": 1, "precision": 1.0, "recall": 0.25, "f1": 0.4}
    assert rows[0.95]["kept"] == 1
    # t=0.96 .. 0.99: nothing kept
    assert rows[0.96] == {"threshold": 0.96, "kept": 0, "correct": 0, "precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_threshold_curve_from_tags_uses_the_mean_word_probability():
    analysis = ErrorAnalysis()
    # PER over words 0-1 with probabilities 0.9 and 0.7 -> score 0.8 (correct); LOC at word 3 scored 0.6 (spurious)
    analysis.add_tags(
        ["A", "B", "c", "D"], ["B-PER", "I-PER", "O", "O"], ["B-PER", "I-PER", "O", "B-LOC"], [0.9, 0.7, 0.99, 0.6]
    )
    rows = {r["threshold"]: r for r in analysis.report()["thresholds"]}
    assert (rows[0.6]["kept"], rows[0.6]["correct"], rows[0.6]["precision"]) == (2, 1, 0.5)
    assert (rows[0.61]["kept"], rows[0.61]["correct"], rows[0.61]["precision"]) == (1, 1, 1.0)
    assert (rows[0.8]["kept"], rows[0.81]["kept"]) == (1, 0)


def test_scored_spans_score_as_annotate_does():
    from annotator.inference import _char_spans

    tags, probs = ["B-PER", "I-PER", "O", "B-LOC"], [0.9, 0.6, 0.99, 0.123456]
    assert scored_spans(tags, probs) == [Span(0, 2, "PER", 0.75), Span(3, 4, "LOC", 0.1235)]
    offsets = [[(0, 1), (2, 3), (4, 5), (6, 7)]]  # one character per word: word offsets = character offsets / 2
    assert [s.score for s in _char_spans(offsets, [(tags, probs)])] == [s.score for s in scored_spans(tags, probs)]


def test_compare_reports_pairs_numbers_and_differences():
    this = {
        "overall": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "f1_strict": 0.85, "f1_macro": 0.8, "accuracy": 0.95},
        "per_type": {"PER": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2}},
        "errors": {"counts": {k: 1 for k in KINDS}},
    }
    other = {
        "model": "m2",
        "files": ["dev.txt"],
        "overall": {"precision": 0.8, "recall": 0.8, "f1": 0.8, "f1_strict": 0.8, "f1_macro": 0.7, "accuracy": 0.9},
        "per_type": {"LOC": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 4}},
        "errors": {"counts": {k: 3 for k in KINDS}},
    }
    c = compare_reports(this, other)
    assert c["model"] == "m2" and c["files"] == ["dev.txt"]
    assert c["overall"]["precision"] == {"this": 0.9, "other": 0.8, "diff": pytest.approx(0.1)}
    assert c["per_type"]["PER"]["support"] == {"this": 2, "other": None, "diff": None}
    assert c["per_type"]["LOC"]["f1"] == {"this": None, "other": 0.5, "diff": None}
    assert c["errors"]["missed"] == {"this": 1, "other": 3, "diff": -2}
    assert set(c["errors"]) == set(KINDS) and set(ERROR_KINDS) < set(KINDS)
    del other["errors"]
    assert compare_reports(this, other)["errors"] is None
