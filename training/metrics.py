"""Dev/test scoring during training: predictions → word tags → annotator.scoring.score."""

from __future__ import annotations

import numpy as np

from annotator.scoring import score
from annotator.windows import fill_words

from .data import Split


def score_window_predictions(split: Split, best_ids: np.ndarray, id2label: dict[int, str]) -> dict:
    """Scores from per-window argmax ids (rows in ``split.windows`` order, padded columns ignored)."""
    window_tags = [[id2label[int(best_ids[row, p])] for p in w.positions] for row, w in enumerate(split.windows)]
    pred = fill_words([len(s.words) for s in split.sentences], zip(split.windows, window_tags))
    return score(split.gold, pred)


def score_model(split: Split, tagger) -> dict:
    """Scores of a :class:`annotator.tagging.WordTagger` on a split (the `annotator evaluate` path)."""
    tags = tagger.predict_windows(split.windows)
    pred = fill_words([len(s.words) for s in split.sentences], zip(split.windows, tags))
    return score(split.gold, pred)


def epoch_line(epoch: float, scores: dict, loss: float | None) -> str:
    o = scores["overall"]
    loss_part = f" train loss {loss:.4f}" if loss is not None else ""
    return (f"epoch {epoch:g}:{loss_part} dev F1 {o['f1']:.4f} (P {o['precision']:.4f} "
            f"R {o['recall']:.4f}, strict F1 {o['f1_strict']:.4f})")
