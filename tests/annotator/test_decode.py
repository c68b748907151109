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


UNCASED_LABELS = ("O", "B-LOC", "I-LOC", "B-PER", "I-PER")


def _ids(*tags: str) -> np.ndarray:
    return np.array([UNCASED_LABELS.index(t) for t in tags])


def test_an_entity_without_a_cased_word_becomes_outside():
    from annotator.decode import uncased_entities_to_outside

    ids = _ids("B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-PER", "O")
    cased = np.array([0, 0, 0, 1, 0, 1, 0, 0], dtype=bool)
    out = uncased_entities_to_outside(ids, cased, UNCASED_LABELS)
    # "names"-like PER (no cased word) goes; LOC with its cased word stays; the second LOC has a cased
    # word in its I- part and stays whole; a stray I-PER (an entity of its own, as conlleval reads it) goes
    assert [UNCASED_LABELS[i] for i in out] == ["O", "O", "O", "B-LOC", "B-LOC", "I-LOC", "O", "O"]
    assert [UNCASED_LABELS[i] for i in ids][0] == "B-PER", "the input is not modified"


def test_uncased_entities_respect_sentence_starts():
    from annotator.decode import uncased_entities_to_outside

    ids = _ids("B-PER", "I-PER", "I-PER")
    cased = np.array([1, 0, 0], dtype=bool)
    whole = uncased_entities_to_outside(ids, cased, UNCASED_LABELS)
    assert whole.tolist() == ids.tolist()
    split = uncased_entities_to_outside(ids, cased, UNCASED_LABELS, np.array([True, False, True]))
    assert [UNCASED_LABELS[i] for i in split] == ["B-PER", "I-PER", "O"]


def test_uncased_rule_leaves_other_schemes_and_empty_input_alone():
    from annotator.decode import uncased_entities_to_outside

    labels = ("O", "S-PER", "B-PER", "E-PER")
    ids = np.array([1, 0])
    assert uncased_entities_to_outside(ids, np.zeros(2, dtype=bool), labels) is ids
    empty = np.zeros(0, dtype=np.int64)
    assert uncased_entities_to_outside(empty, np.zeros(0, dtype=bool), UNCASED_LABELS) is empty


def test_entities_are_cased_follows_the_training_data():
    from annotator.conll import Sentence
    from annotator.training.data import entities_are_cased

    def sentence(words: str, tags: str) -> Sentence:
        return Sentence(tuple(words.split()), tuple(tags.split()), doc=0, path="x.conll", line=1)

    news = [sentence("Bob met Acme Corp", "B-PER O B-ORG I-ORG")] * 1000  # 2,000 entities
    assert entities_are_cased(news)
    assert entities_are_cased([*news, sentence("interior ministry", "B-ORG I-ORG")])  # 1 in 2,001
    tweets = [sentence("lol at justin", "O O B-person")] * 10 + news[:100]
    assert not entities_are_cased(tweets)
    assert not entities_are_cased([sentence("no names", "O O")])
