"""Knowledge distillation (``annotator train --teacher DIR``): a trained model scores the training
windows once, before training, and the student learns from those scores as well as from the tags.

The loss at each labelled position (a word's first subword) is Hinton et al.'s

    alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) * cross-entropy(gold)

averaged over the labelled positions of the batch, the same in both backends. The teacher runs in
fp32 on the training device, in eval mode, over the student's own windows: it must read them as the
student does (the same vocabulary and word-shape setting) and predict the same labels in the same
order, or ConfigError says what differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..labels import LabelSet
from ..windows import IGNORE_INDEX, Window

TEACHER_KEY = "teacher_log_probs"  # the feature holding a window's teacher scores, (labelled positions, labels)


def teacher_log_probs(
    teacher: Path,
    *,
    windows: Sequence[Window],
    labels: LabelSet,
    tokenizer,
    word_shapes: bool,
    device,
) -> list[np.ndarray]:
    """The teacher's log-probabilities ``(len(positions), n_labels)`` at each window's positions,
    in window order (float32)."""
    from ..model import load_model
    from ..tagging import WordTagger

    loaded = load_model(teacher, device=str(device), quantize="none", runtime="torch", precision="fp32")
    tagger = WordTagger.from_loaded(loaded, precision="fp32")
    if tuple(tagger.labels) != tuple(labels.id2label[i] for i in sorted(labels.id2label)):
        raise ConfigError(
            f"--teacher {teacher}: it predicts {', '.join(tagger.labels)}, but the training data gives "
            f"{', '.join(labels.id2label[i] for i in sorted(labels.id2label))}; distil from a model trained on "
            "the same entity types"
        )
    if tagger.encoder.word_shapes != word_shapes:
        flag = "--word-shapes" if tagger.encoder.word_shapes else "--no-word-shapes"
        raise ConfigError(f"--teacher {teacher}: it was trained with {flag}; train the student with {flag} too")
    teacher_tokenizer: Any = loaded.tokenizer
    if teacher_tokenizer.get_vocab() != tokenizer.get_vocab():
        raise ConfigError(
            f"--teacher {teacher}: its tokenizer's vocabulary differs from the base encoder's; the teacher must "
            "read the same subwords (train it from the same base encoder, or pass that as --base-model)"
        )
    return tagger.window_log_probs(windows)


def with_teacher(features: list[dict], scores: Sequence[np.ndarray]) -> list[dict]:
    """``features`` with each window's teacher scores under :data:`TEACHER_KEY` (float32 arrays)."""
    out = []
    for feature, rows in zip(features, scores, strict=True):
        labelled = sum(1 for label in feature["labels"] if label != IGNORE_INDEX)
        if labelled != len(rows):
            raise ValueError(f"a window has {labelled} labelled positions but {len(rows)} teacher rows")
        out.append(feature | {TEACHER_KEY: rows})
    return out


class DistillCollator:
    """Wraps a token-classification collator: the teacher rows go into a ``(batch, length, labels)``
    tensor at the labelled positions (zeros elsewhere; the loss never reads them). The rows come as
    arrays (the loop backend) or nested lists (``datasets``, the Trainer backend)."""

    def __init__(self, collator, n_labels: int) -> None:
        self.collator = collator
        self.n_labels = n_labels

    def __call__(self, features: list[dict]) -> dict:
        import torch

        if not features or TEACHER_KEY not in features[0]:  # evaluation batches
            return self.collator(features)
        teacher = [f[TEACHER_KEY] for f in features]
        batch = self.collator([{k: v for k, v in f.items() if k != TEACHER_KEY} for f in features])
        labels = batch["labels"]
        scores = torch.zeros((*labels.shape, self.n_labels), dtype=torch.float32)
        rows = [np.asarray(t, dtype=np.float32).reshape(-1, self.n_labels) for t in teacher]
        scores[labels != IGNORE_INDEX] = torch.from_numpy(np.concatenate(rows))
        batch[TEACHER_KEY] = scores
        return batch


def distill_loss(logits, labels, teacher, *, alpha: float, temperature: float):
    """The mixed loss of the module docstring; ``teacher``: log-probabilities (or logits) of the
    same shape as ``logits``, read where ``labels`` is not ignored."""
    import torch.nn.functional as F

    mask = labels != IGNORE_INDEX
    student = logits[mask].float()
    ce = F.cross_entropy(student, labels[mask])
    if alpha == 0:
        return ce
    t = temperature
    soft = F.kl_div(
        F.log_softmax(student / t, dim=-1),
        F.log_softmax(teacher[mask].float() / t, dim=-1),
        log_target=True,
        reduction="batchmean",
    )
    return alpha * t * t * soft + (1 - alpha) * ce


def config_loss(config, logits, labels, teacher):
    """:func:`distill_loss` with ``--distill-alpha`` and ``--distill-temperature``."""
    return distill_loss(logits, labels, teacher, alpha=config.distill_alpha, temperature=config.distill_temperature)
