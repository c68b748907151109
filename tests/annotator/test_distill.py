"""The distillation loss and collator, fed hand-made scores (no model)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from annotator.training.distill import TEACHER_KEY, DistillCollator, distill_loss, with_teacher  # noqa: E402

IGNORE = -100


def _pair():
    logits = torch.tensor([[[2.0, 0.0, -1.0], [0.5, 0.5, 0.0], [9.0, 9.0, 9.0]]])
    labels = torch.tensor([[0, 2, IGNORE]])
    teacher = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 0.0]]])
    return logits, labels, teacher


def test_alpha_zero_is_the_cross_entropy_of_the_labelled_positions():
    logits, labels, teacher = _pair()
    expected = torch.nn.functional.cross_entropy(logits.view(-1, 3), labels.view(-1), ignore_index=IGNORE)
    assert torch.isclose(distill_loss(logits, labels, teacher, alpha=0.0, temperature=2.0), expected)


def test_alpha_one_is_zero_when_the_student_equals_the_teacher_up_to_a_constant():
    logits, labels, _ = _pair()
    shifted = logits - 5.0  # log-probabilities and logits differ by a constant per position: same softmax
    assert distill_loss(logits, labels, shifted, alpha=1.0, temperature=3.0).item() == pytest.approx(0.0, abs=1e-6)


def test_soft_term_is_t_squared_kl_averaged_over_labelled_positions():
    logits, labels, teacher = _pair()
    t = 2.0

    def softmax(row):
        e = [math.exp(v / t) for v in row]
        return [v / sum(e) for v in e]

    kl = 0.0
    for pos in (0, 1):  # position 2 is ignored: its scores must not count
        p = softmax(teacher[0, pos].tolist())
        q = softmax(logits[0, pos].tolist())
        kl += sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))
    loss = distill_loss(logits, labels, teacher, alpha=1.0, temperature=t)
    assert loss.item() == pytest.approx(t * t * kl / 2, rel=1e-5)
    mixed = distill_loss(logits, labels, teacher, alpha=0.25, temperature=t)
    ce = distill_loss(logits, labels, teacher, alpha=0.0, temperature=t)
    assert mixed.item() == pytest.approx(0.25 * loss.item() + 0.75 * ce.item(), rel=1e-5)


def test_collator_puts_the_teacher_rows_at_the_labelled_positions():
    from transformers import DataCollatorForTokenClassification

    class Tok:  # the little of a tokenizer the collator uses for padding
        pad_token_id = 0
        padding_side = "right"

        def pad(self, features, **kwargs):
            width = max(len(f["input_ids"]) for f in features)
            ids = [f["input_ids"] + [0] * (width - len(f["input_ids"])) for f in features]
            mask = [[1] * len(f["input_ids"]) + [0] * (width - len(f["input_ids"])) for f in features]
            return {"input_ids": torch.tensor(ids), "attention_mask": torch.tensor(mask)}

    features = [
        {"input_ids": [101, 7, 8, 102], "labels": [IGNORE, 1, IGNORE, IGNORE]},
        {"input_ids": [101, 9, 102], "labels": [IGNORE, 0, 2]},
    ]
    scores = [np.array([[0.1, 0.2, 0.3]]), np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])]
    collated = DistillCollator(DataCollatorForTokenClassification(Tok()), n_labels=3)(with_teacher(features, scores))
    teacher = collated[TEACHER_KEY]
    assert teacher.shape == (2, 4, 3)
    assert torch.allclose(teacher[0, 1], torch.tensor([0.1, 0.2, 0.3]))
    assert torch.allclose(teacher[1, 1], torch.tensor([1.0, 2.0, 3.0]))
    assert torch.allclose(teacher[1, 2], torch.tensor([4.0, 5.0, 6.0]))
    assert teacher[0, 0].abs().sum() == 0 and teacher[1, 3].abs().sum() == 0
    assert collated["labels"].tolist() == [[IGNORE, 1, IGNORE, IGNORE], [IGNORE, 0, 2, IGNORE]]
    plain = DistillCollator(DataCollatorForTokenClassification(Tok()), n_labels=3)(features)  # dev batches: no teacher
    assert TEACHER_KEY not in plain


def test_with_teacher_refuses_rows_that_do_not_match_the_labelled_positions():
    with pytest.raises(ValueError, match="2 labelled positions but 1 teacher rows"):
        with_teacher([{"input_ids": [1, 2], "labels": [0, 1]}], [np.zeros((1, 3))])
