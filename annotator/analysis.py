"""Pure, model-free error analysis of predicted against gold entities: kinds, confusion, worst sentences, thresholds.

Entities are :class:`annotator.labels.Span` objects over word positions of one sentence (half-open,
read from tags the conlleval way by :func:`annotator.labels.tags_to_spans`); a predicted entity
carries its ``score``, the mean probability of its words' tags (as ``annotate`` computes it).

**Matching rule.** Within one sentence, gold entities never overlap each other, nor do predicted
ones. Each gold and each predicted entity gets exactly one outcome, in this order:

1. ``correct``: a predicted entity with the same start, end and type as a gold entity (what
   conlleval counts as correct; at most one can exist per gold entity);
2. ``wrong_type``: of those left, a predicted entity with the same start and end, another type;
3. the gold and predicted entities still left that overlap (share at least one word) are paired
   one to one, greedily: candidate pairs sorted by (same type first, more shared words first,
   gold start, predicted start), a pair taken when neither side is paired yet. A pair of the same
   type is ``wrong_boundary``, else ``wrong_type_and_boundary``;
4. ``missed``: a gold entity left unpaired; ``spurious``: a predicted entity left unpaired.

So ``gold = correct + wrong_type + wrong_boundary + wrong_type_and_boundary + missed`` and
``predicted = correct + wrong_type + wrong_boundary + wrong_type_and_boundary + spurious``,
always. Each outcome other than ``correct`` is one error of its sentence.

**Confusion matrix.** Rows are gold types plus ``none``, columns predicted types plus ``none``:
every pair of steps 1-3 counts at (gold type, predicted type), whatever its boundaries; a missed
entity at (type, none), a spurious one at (none, type). Row sums are the gold counts per type,
column sums the predicted counts.

**Threshold curve.** For each threshold ``t`` (0.50 to 0.99 by 0.01), the predicted entities with
``score >= t`` are kept (as ``export-spacy --min-score t`` keeps them); precision is correct kept
/ kept, recall correct kept / all gold entities, F1 their harmonic mean.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .labels import Span, tags_to_spans

CORRECT = "correct"
ERROR_KINDS = ("missed", "spurious", "wrong_type", "wrong_boundary", "wrong_type_and_boundary")
KINDS = (CORRECT, *ERROR_KINDS)
NONE = "none"
THRESHOLDS = tuple(round(0.5 + i / 100, 2) for i in range(50))  # 0.50, 0.51, ..., 0.99


@dataclass(frozen=True)
class Outcome:
    """What happened to one gold entity, one predicted entity, or a pair of them."""

    kind: str
    gold: Span | None = None
    pred: Span | None = None


def scored_spans(tags: Sequence[str], probs: Sequence[float]) -> list[Span]:
    """Entities of one sentence's predicted tags, each scored by the mean probability of its words
    (rounded to 4 places, the score ``annotate`` writes and ``export-spacy --min-score`` reads)."""
    return [
        Span(s.start, s.end, s.label, round(sum(probs[s.start : s.end]) / (s.end - s.start), 4))
        for s in tags_to_spans(tags)
    ]


def match_entities(gold: Sequence[Span], pred: Sequence[Span]) -> list[Outcome]:
    """Outcomes of one sentence's entities under the matching rule of the module docstring.

    Every gold and every predicted entity appears in exactly one outcome. Order: pairs in gold
    order, then missed in gold order, then spurious in predicted order.
    """
    paired: dict[int, tuple[int, str]] = {}  # gold index -> (pred index, kind)
    used: set[int] = set()
    for kind, same in ((CORRECT, lambda g, p: g.label == p.label), ("wrong_type", lambda g, p: g.label != p.label)):
        for gi, g in enumerate(gold):
            if gi in paired:
                continue
            for pi, p in enumerate(pred):
                if pi not in used and (p.start, p.end) == (g.start, g.end) and same(g, p):
                    paired[gi] = (pi, kind)
                    used.add(pi)
                    break
    candidates = []
    for gi, g in enumerate(gold):
        if gi in paired:
            continue
        for pi, p in enumerate(pred):
            shared = min(g.end, p.end) - max(g.start, p.start)
            if pi not in used and shared > 0:
                candidates.append((g.label != p.label, -shared, g.start, p.start, gi, pi))
    for other_type, _, _, _, gi, pi in sorted(candidates):
        if gi in paired or pi in used:
            continue
        paired[gi] = (pi, "wrong_type_and_boundary" if other_type else "wrong_boundary")
        used.add(pi)
    outcomes = [Outcome(paired[gi][1], gold[gi], pred[paired[gi][0]]) for gi in sorted(paired)]
    outcomes += [Outcome("missed", g, None) for gi, g in enumerate(gold) if gi not in paired]
    outcomes += [Outcome("spurious", None, p) for pi, p in enumerate(pred) if pi not in used]
    return outcomes


def confusion_matrix(outcomes: Iterable[Outcome], types: Iterable[str] = ()) -> dict[str, dict[str, int]]:
    """``{gold type or "none": {predicted type or "none": count}}`` over ``types`` (plus any seen), sorted,
    ``none`` last; every cell present."""
    counts: Counter[tuple[str, str]] = Counter()
    seen = set(types)
    for o in outcomes:
        g = o.gold.label if o.gold else NONE
        p = o.pred.label if o.pred else NONE
        counts[g, p] += 1
        seen.update(x for x in (g, p) if x != NONE)
    labels = [*sorted(seen), NONE]
    return {g: {p: counts[g, p] for p in labels} for g in labels}


def threshold_curve(
    scored: Iterable[tuple[float, bool]], gold_total: int, thresholds: Sequence[float] = THRESHOLDS
) -> list[dict]:
    """Rows ``{threshold, kept, correct, precision, recall, f1}`` from ``(score, is_correct)`` per predicted
    entity and the number of gold entities; an entity is kept when ``score >= threshold``."""
    entities = list(scored)
    rows = []
    for t in thresholds:
        kept = [ok for s, ok in entities if s >= t]
        correct = sum(kept)
        precision = correct / len(kept) if kept else 0.0
        recall = correct / gold_total if gold_total else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append(
            {"threshold": t, "kept": len(kept), "correct": correct, "precision": precision, "recall": recall, "f1": f1}
        )
    return rows


@dataclass
class ErrorAnalysis:
    """Accumulates sentences one at a time (memory: the scores of predicted entities and the worst
    ``examples`` sentences); :meth:`report` gives the JSON-ready sections."""

    examples: int = 50
    types: set[str] = field(default_factory=set)
    kinds: Counter = field(default_factory=Counter)
    by_type: dict[str, Counter] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)  # errors only (kept for the confusion matrix)
    diagonal: Counter = field(default_factory=Counter)  # correct pairs per type
    scored: list[tuple[float, bool]] = field(default_factory=list)
    gold_total: int = 0
    pred_total: int = 0
    sentences: int = 0
    _worst: list = field(default_factory=list)  # min-heap of (errors, -index, sentence dict)

    def add(
        self, words: Sequence[str], gold: Sequence[Span], pred: Sequence[Span], *, file: int = 0, line: int = 0
    ) -> list[Outcome]:
        """Count one sentence (gold and predicted entities over its words); returns its outcomes."""
        outcomes = match_entities(gold, pred)
        index = self.sentences
        self.sentences += 1
        self.gold_total += len(gold)
        self.pred_total += len(pred)
        errors = 0
        gold_kind: dict[Span, str] = {}
        pred_kind: dict[Span, str] = {}
        for o in outcomes:
            self.kinds[o.kind] += 1
            etype = o.gold.label if o.gold else o.pred.label  # type: ignore[union-attr]
            self.types.add(etype)
            self.by_type.setdefault(etype, Counter())[o.kind] += 1
            if o.gold:
                gold_kind[o.gold] = o.kind
            if o.pred:
                pred_kind[o.pred] = o.kind
                self.types.add(o.pred.label)
                self.scored.append((o.pred.score if o.pred.score is not None else 1.0, o.kind == CORRECT))
            if o.kind == CORRECT:
                self.diagonal[etype] += 1
            else:
                errors += 1
                self.outcomes.append(o)
        if errors and self.examples > 0:
            sentence = {
                "file": file,
                "line": line,
                "errors": errors,
                "words": list(words),
                "gold": [{"start": g.start, "end": g.end, "label": g.label, "kind": gold_kind[g]} for g in gold],
                "pred": [
                    {"start": p.start, "end": p.end, "label": p.label, "score": p.score, "kind": pred_kind[p]}
                    for p in pred
                ],
            }
            item = (errors, -index, sentence)
            if len(self._worst) < self.examples:
                heapq.heappush(self._worst, item)
            elif item[:2] > self._worst[0][:2]:
                heapq.heapreplace(self._worst, item)
        return outcomes

    def add_tags(
        self,
        words: Sequence[str],
        gold_tags: Sequence[str],
        pred_tags: Sequence[str],
        probs: Sequence[float],
        *,
        file: int = 0,
        line: int = 0,
    ) -> list[Outcome]:
        """:meth:`add` for one sentence given as gold tags, predicted tags and per-word probabilities."""
        return self.add(words, tags_to_spans(gold_tags), scored_spans(pred_tags, probs), file=file, line=line)

    def confusion(self) -> dict[str, dict[str, int]]:
        matrix = confusion_matrix(self.outcomes, self.types)
        for etype, n in self.diagonal.items():
            matrix[etype][etype] += n
        return matrix

    def worst(self) -> list[dict]:
        """The sentences with the most errors (ties: earlier sentence first), at most ``examples``."""
        return [s for _, _, s in sorted(self._worst, key=lambda item: (-item[0], -item[1]))]

    def report(self) -> dict:
        """``{"errors", "confusion", "worst_sentences", "thresholds"}``, JSON-ready.

        ``errors``: ``{"gold", "predicted", "counts": {kind: n}, "by_type": {type: {kind: n}}}``, an
        outcome counted under its gold entity's type (its predicted entity's for ``spurious``);
        ``worst_sentences``: ``{"file", "line", "errors", "words", "gold", "pred"}`` per sentence, each
        entity with its word offsets, type, kind (and ``score`` when predicted).
        """
        return {
            "errors": {
                "gold": self.gold_total,
                "predicted": self.pred_total,
                "counts": {kind: self.kinds[kind] for kind in KINDS},
                "by_type": {
                    t: {kind: self.by_type.get(t, Counter())[kind] for kind in KINDS} for t in sorted(self.types)
                },
            },
            "confusion": self.confusion(),
            "worst_sentences": self.worst(),
            "thresholds": threshold_curve(self.scored, self.gold_total),
        }


COMPARED_OVERALL = ("precision", "recall", "f1", "f1_strict", "f1_macro", "accuracy")
COMPARED_PER_TYPE = ("precision", "recall", "f1", "support")


def _pair(this, other) -> dict:
    diff = this - other if this is not None and other is not None else None
    return {"this": this, "other": other, "diff": diff}


def compare_reports(this: Mapping[str, Any], other: Mapping[str, Any]) -> dict:
    """This report's numbers beside another's (``other`` may be an older report without error kinds):
    ``{"model", "files", "overall", "per_type", "errors"}``, each number as ``{"this", "other", "diff"}``
    (``None`` where one side lacks it; ``diff = this - other``)."""
    types = sorted(set(this["per_type"]) | set(other["per_type"]))
    out = {
        "model": other.get("model"),
        "files": other.get("files", []),
        "overall": {k: _pair(this["overall"].get(k), other["overall"].get(k)) for k in COMPARED_OVERALL},
        "per_type": {
            t: {
                k: _pair(this["per_type"].get(t, {}).get(k), other["per_type"].get(t, {}).get(k))
                for k in COMPARED_PER_TYPE
            }
            for t in types
        },
        "errors": None,
    }
    if "errors" in this and "errors" in other:
        mine, theirs = this["errors"]["counts"], other["errors"]["counts"]
        out["errors"] = {k: _pair(mine.get(k), theirs.get(k)) for k in KINDS}
    return out
