"""Pure, model-free decoding: per-word label scores → IOB2 tags.

``constrained`` (default) is Viterbi over the sentence with the IOB2 transition rules (no
``I-X`` at the start, after ``O`` or after another type), so every predicted entity is well
formed; ``argmax`` takes each word's best label on its own (what transformers' pipeline does).
Both read the scores of each word's first subword. Tests feed hand-made log-probabilities.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

from .choices import Decoding, check
from .labels import OUTSIDE
from .shapes import CASED
from .windows import Window, fill_gaps

_FORBIDDEN = -1e9


@lru_cache(maxsize=32)
def transition_scores(labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(start[L], trans[L, L])``: 0 where IOB2 allows the label (after ``prev``), -1e9 where not."""
    n = len(labels)
    start = np.zeros(n)
    trans = np.zeros((n, n))
    for j, label in enumerate(labels):
        if not label.startswith("I-"):
            continue
        start[j] = _FORBIDDEN
        for i, prev in enumerate(labels):
            if prev == OUTSIDE or prev[2:] != label[2:]:
                trans[i, j] = _FORBIDDEN
    return start, trans


def viterbi(log_probs: np.ndarray, labels: tuple[str, ...]) -> np.ndarray:
    """Best label ids of a sequence under the IOB2 constraints; ``log_probs`` is ``(n, L)``."""
    n = len(log_probs)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start, trans = transition_scores(labels)
    score = log_probs[0] + start
    back = np.empty((n, len(labels)), dtype=np.int64)
    for t in range(1, n):
        cand = score[:, None] + trans
        back[t] = cand.argmax(0)
        score = cand[back[t], np.arange(len(labels))] + log_probs[t]
    best = np.empty(n, dtype=np.int64)
    best[-1] = int(score.argmax())
    for t in range(n - 1, 0, -1):
        best[t - 1] = back[t, best[t]]
    return best


@lru_cache(maxsize=32)
def _label_kinds(labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Per label id: is it an ``I-`` label, and its type number (-1 for ``O``)."""
    types = sorted({label[2:] for label in labels if label != OUTSIDE})
    is_inside = np.array([label.startswith("I-") for label in labels])
    type_ids = np.array([types.index(label[2:]) if label != OUTSIDE else -1 for label in labels])
    return is_inside, type_ids


CASED_KEY = "cased_entities"  # annotator.json: entities need a cased word (set by train from its data)


def uncased_entities_to_outside(
    ids: np.ndarray,
    cased: np.ndarray,
    labels: tuple[str, ...],
    sequence_starts: np.ndarray | None = None,
) -> np.ndarray:
    """``ids`` with every entity none of whose words is cased set to ``O``.

    ``cased[i]``: word ``i`` has an upper-case letter or a digit (its shape is Title, UPPER, mixed or
    digit: :data:`annotator.shapes.CASED`). An entity is a run of ``B-``/``I-`` labels of one type, read
    as :func:`annotator.labels.tags_to_spans` reads IOB2 (an ``I-`` after ``O`` or another type starts
    one); ``sequence_starts`` marks where a new sentence begins when several are concatenated. For a
    model whose training data had (almost) no uncased entity: a lower-case word alone is then no name,
    whatever the model's scores say. Label sets other than IOB2 are returned unchanged. Pure.
    """
    if not len(ids) or any(label != OUTSIDE and label[:2] not in ("B-", "I-") for label in labels):
        return ids
    is_inside, type_ids = _label_kinds(labels)
    types = type_ids[ids]
    previous = np.empty_like(types)
    previous[0] = -1
    previous[1:] = types[:-1]
    if sequence_starts is not None:
        previous[sequence_starts] = -1
    in_entity = types >= 0
    starts = in_entity & (~is_inside[ids] | (previous != types))
    entity = np.cumsum(starts) - 1  # the entity each word belongs to (>= 0 inside an entity)
    has_case = np.zeros(int(starts.sum()), dtype=bool)
    np.logical_or.at(has_case, entity[in_entity], np.asarray(cased, dtype=bool)[in_entity])
    drop = in_entity.copy()
    drop[in_entity] = ~has_case[entity[in_entity]]
    if not drop.any():
        return ids
    out = ids.copy()
    out[drop] = labels.index(OUTSIDE)
    return out


def decode_ids(log_probs: np.ndarray, labels: tuple[str, ...], decoding: str = "constrained") -> np.ndarray:
    if decoding == "constrained":
        best = log_probs.argmax(-1) if len(log_probs) else np.zeros(0, dtype=np.int64)
        is_inside, type_ids = _label_kinds(labels)
        types = type_ids[best]
        previous = np.concatenate(([-1], types[:-1]))
        if not (is_inside[best] & (previous != types)).any():
            return best  # the unconstrained optimum is a valid sequence, so it is Viterbi's answer too
        return viterbi(log_probs, labels)
    if decoding == "argmax":
        return log_probs.argmax(-1) if len(log_probs) else np.zeros(0, dtype=np.int64)
    check(decoding, Decoding, what="decoding")
    raise AssertionError("unreachable")  # pragma: no cover


def decode_words(
    lengths: Sequence[int],
    scored: Iterable[tuple[Window, np.ndarray]],
    labels: tuple[str, ...],
    *,
    first_index: int = 0,
    decoding: str = "constrained",
    cased_entities: bool = False,
) -> list[tuple[list[str], list[float]]]:
    """Tags and probabilities per word for sentences ``first_index ..`` of ``lengths``.

    ``scored`` pairs each window with the log-probabilities ``(len(window.positions), L)`` at its
    positions. A sentence split over several windows is decoded as one sequence; a word seen by
    two overlapping windows takes the scores of the window where it sits farther from an edge.
    Words with no subword are filled by :func:`annotator.windows.fill_gaps`, with probability 0.
    ``cased_entities``: :func:`uncased_entities_to_outside` on each sentence, with each word's shape
    from the windows' token types (models that take word shapes).
    """
    rows: list[dict[int, tuple[int, np.ndarray, bool]]] = [{} for _ in lengths]
    for window, log_probs in scored:
        width = len(window.input_ids)
        types = window.type_ids
        for pos, (s_idx, w_idx), row in zip(window.positions, window.word_refs, log_probs):
            centrality = min(pos, width - 1 - pos)
            seen = rows[s_idx - first_index].get(w_idx)
            if seen is None or centrality > seen[0]:
                cased = cased_entities and types is not None and types[pos] in CASED
                rows[s_idx - first_index][w_idx] = (centrality, row, cased)
    out: list[tuple[list[str], list[float]]] = []
    for n_words, sentence_rows in zip(lengths, rows):
        tags: list[str | None] = [None] * n_words
        probs = [0.0] * n_words
        if sentence_rows:
            order = sorted(sentence_rows)
            matrix = np.stack([sentence_rows[w][1] for w in order])
            ids = decode_ids(matrix, labels, decoding)
            if cased_entities:
                ids = uncased_entities_to_outside(ids, np.array([sentence_rows[w][2] for w in order]), labels)
            chosen = np.exp(matrix[np.arange(len(ids)), ids])
            for w_idx, label_id, p in zip(order, ids, chosen):
                tags[w_idx] = labels[label_id]
                probs[w_idx] = float(p)
        out.append((fill_gaps(tags), probs))
    return out
