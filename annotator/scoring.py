"""Entity-level scores of IOB2 tag sequences, computed by seqeval.

``precision/recall/f1`` count entities exactly as conlleval does (seqeval's default mode: an I-
after O opens an entity); ``f1_strict`` is seqeval's strict mode with the IOB2 scheme beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

SeqTags = Sequence[Sequence[str]]


class Overall(TypedDict):
    precision: float
    recall: float
    f1: float  # conlleval counting (seqeval's default mode)
    f1_strict: float  # seqeval strict mode, IOB2
    f1_macro: float
    accuracy: float  # token accuracy


class TypeScores(TypedDict):
    precision: float
    recall: float
    f1: float
    support: int


class Scores(TypedDict):
    overall: Overall
    per_type: dict[str, TypeScores]


def score(gold: SeqTags, pred: SeqTags) -> Scores:
    """Scores of predicted against gold tag sequences (one list of tags per sentence).

    Returns ``{"overall": {precision, recall, f1, f1_strict, f1_macro, accuracy},
    "per_type": {TYPE: {precision, recall, f1, support}}}``.
    """
    from seqeval.metrics import accuracy_score, classification_report, f1_score
    from seqeval.scheme import IOB2

    gold = [list(s) for s in gold]
    pred = [list(s) for s in pred]
    if len(gold) != len(pred) or any(len(g) != len(p) for g, p in zip(gold, pred)):
        raise ValueError("gold and predicted sequences differ in shape")
    if not gold:
        raise ValueError("nothing to score: no sentences")
    report = classification_report(gold, pred, output_dict=True, zero_division=0)
    per_type = {
        name: {k: float(v) if k != "support" else int(v) for k, v in values.items()}
        for name, values in sorted(report.items())
        if not name.endswith(" avg")
    }
    micro = report["micro avg"]
    overall: Overall = {
        "precision": float(micro["precision"]),
        "recall": float(micro["recall"]),
        "f1": float(micro["f1-score"]),
        "f1_strict": float(f1_score(gold, pred, mode="strict", scheme=IOB2, zero_division=0))
        if any(t != "O" for s in gold + pred for t in s)
        else 0.0,
        "f1_macro": float(report["macro avg"]["f1-score"]) if per_type else 0.0,
        "accuracy": float(accuracy_score(gold, pred)),
    }
    types: dict[str, TypeScores] = {
        name: {"precision": v["precision"], "recall": v["recall"], "f1": v["f1-score"], "support": int(v["support"])}
        for name, v in per_type.items()
    }
    return {"overall": overall, "per_type": types}
