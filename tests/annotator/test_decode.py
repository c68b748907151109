"""Decoding on hand-made scores: no model."""

from __future__ import annotations

import numpy as np
import pytest

from annotator.decode import decode_ids, decode_words, transition_scores, viterbi
from annotator.errors import ConfigError
from annotator.windows import Window

LABELS = ("O", "B-LOC", "I-LOC", "B-PER", "I-PER")


def lp(*rows):
    """Rows of probabilities → log-probabilities."""
    return np.log(np.array(rows, dtype=float))


def test_transitions_forbid_i_after_o_or_another_type_and_at_start():
    start, trans = transition_scores(LABELS)
    assert list(start < 0) == [False, False, True, False, True]
    o, b_loc, i_loc, b_per, i_per = range(5)
    assert trans[o, i_loc] < 0 and trans[b_per, i_loc] < 0 and trans[i_per, i_loc] < 0
    assert trans[b_loc, i_loc] == 0 and trans[i_loc, i_loc] == 0 and trans[o, b_per] == 0


def test_argmax_keeps_a_stray_i_that_viterbi_repairs():
    # word 2 slightly prefers I-PER after an O: argmax gives an ill-formed entity
    scores = lp([0.9, 0.02, 0.02, 0.03, 0.03], [0.40, 0.05, 0.05, 0.05, 0.45])
    assert list(decode_ids(scores, LABELS, "argmax")) == [0, 4]
    # Viterbi: O then I-PER is forbidden; best valid path is O, O (0.9*0.40) vs O, B-PER (0.9*0.05)
    assert list(viterbi(scores, LABELS)) == [0, 0]


def test_viterbi_prefers_a_whole_entity_over_pieces():
    scores = lp([0.1, 0.1, 0.1, 0.6, 0.1], [0.05, 0.05, 0.45, 0.05, 0.40])
    # argmax: B-PER, I-LOC (type clash); Viterbi: B-PER, I-PER
    assert list(decode_ids(scores, LABELS, "argmax")) == [3, 2]
    assert list(viterbi(scores, LABELS)) == [3, 4]


def test_viterbi_on_empty_and_unknown_decoding():
    assert len(viterbi(np.zeros((0, 5)), LABELS)) == 0
    with pytest.raises(ConfigError, match="^decoding must be one of constrained, argmax, not 'beam'$"):
        decode_ids(np.zeros((1, 5)), LABELS, "beam")


def test_decode_words_joins_windows_and_fills_words_without_pieces():
    # sentence 0 has 4 words; word 2 has no subword; the sentence is split over two windows
    w1 = Window(input_ids=(101, 7, 8, 102), positions=(1, 2), word_refs=((0, 0), (0, 1)))
    w2 = Window(input_ids=(101, 9, 102), positions=(1,), word_refs=((0, 3),))
    scored = [(w1, lp([0.1, 0.1, 0.1, 0.6, 0.1], [0.1, 0.1, 0.1, 0.1, 0.6])), (w2, lp([0.1, 0.1, 0.1, 0.1, 0.6]))]
    [(tags, probs)] = decode_words([4], scored, LABELS)
    assert tags == ["B-PER", "I-PER", "I-PER", "I-PER"]
    assert probs[2] == 0.0 and probs[0] == pytest.approx(0.6)


def test_constrained_shortcut_equals_full_viterbi_on_random_scores():
    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 12))
        scores = np.log(rng.dirichlet(np.full(len(LABELS), 0.3), size=n))
        assert list(decode_ids(scores, LABELS, "constrained")) == list(viterbi(scores, LABELS))
