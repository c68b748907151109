"""Dev/test scoring during training: predictions → word tags → annotator.scoring.score."""

from __future__ import annotations

import numpy as np

from ..decode import decode_words
from ..scoring import Scores, score
from .data import Split


def score_window_predictions(split: Split, log_probs: np.ndarray, labels: tuple[str, ...]) -> Scores:
    """Scores from the Trainer's padded per-window log-probabilities (rows in ``split.windows`` order),
    decoded exactly as :class:`annotator.tagging.WordTagger` decodes (constrained)."""
    rows = (log_probs[row, list(w.positions)] for row, w in enumerate(split.windows))
    decoded = decode_words([len(s.words) for s in split.sentences], zip(split.windows, rows), labels)
    return score(split.gold, [tags for tags, _ in decoded])


def score_model(split: Split, tagger) -> Scores:
    """Scores of a :class:`annotator.tagging.WordTagger` on a split (the `annotator evaluate` path)."""
    decoded = tagger.decode(
        [len(s.words) for s in split.sentences], split.windows, tagger.window_log_probs(split.windows)
    )
    return score(split.gold, [tags for tags, _ in decoded])


def epoch_line(epoch: float, scores: Scores, loss: float | None) -> str:
    o = scores["overall"]
    loss_part = f" train loss {loss:.4f}" if loss is not None else ""
    return (
        f"epoch {epoch:g}:{loss_part} dev F1 {o['f1']:.4f} (P {o['precision']:.4f} "
        f"R {o['recall']:.4f}, strict F1 {o['f1_strict']:.4f})"
    )
