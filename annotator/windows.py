"""Words → subword windows for the model, and window predictions → one tag per word.

Shared by training (both backends) and by evaluation, so that a model is trained and scored on
exactly the same inputs. Pure apart from the tokenizer call.

A *window* packs consecutive whole sentences of one document up to ``max_length`` subwords
(``context="document"``), or holds one sentence (``context="sentence"``). A sentence longer than
a window is split at word boundaries into several windows: nothing is truncated. Only the first
subword of a word carries its label; a word the tokenizer turns into no subword at all (a lone
U+FE0F, a zero-width space) has no position and still gets a tag when decoded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .choices import Context, check
from .labels import OUTSIDE, split_tag
from .shapes import word_shape

IGNORE_INDEX = -100
PIECE_CACHE_WORDS = 1 << 17  # distinct words whose subwords are kept (a few tens of MiB at most)


@dataclass(frozen=True)
class Window:
    """Model input for a run of words. ``word_refs[k]`` is the (sentence, word) whose first
    subword sits at token position ``positions[k]``; sentence indices are the caller's.
    ``type_ids`` (models trained with word shapes) holds the shape class of each token's word
    (0 for special tokens), the model's ``token_type_ids``; ``None`` otherwise."""

    input_ids: tuple[int, ...]
    positions: tuple[int, ...]
    word_refs: tuple[tuple[int, int], ...]
    type_ids: tuple[int, ...] | None = None


_Item = tuple[int, int, list[int], int]  # (sentence, word, subword ids, word shape)


class WindowEncoder:
    """Turns documents of pre-split words into :class:`Window` objects for one tokenizer."""

    def __init__(
        self, tokenizer, *, max_length: int, context: str = "document", overlap: int = 0, word_shapes: bool = False
    ):
        check(context, Context, what="context")
        self.tokenizer = tokenizer
        self.context = context
        self.prefix_ids, self.suffix_ids = special_tokens_around(tokenizer)
        self.prefix = len(self.prefix_ids)
        self.n_special = len(self.prefix_ids) + len(self.suffix_ids)
        self.budget = max_length - self.n_special
        if self.budget < 1:
            raise ValueError(f"max_length {max_length} leaves no room for words")
        if not 0 <= overlap <= self.budget // 2:
            raise ValueError(f"window overlap {overlap} must be between 0 and half a window ({self.budget // 2})")
        self.overlap = overlap
        self.word_shapes = word_shapes
        self._pieces: dict[str, list[int]] = {}

    def word_pieces(self, sentences: Sequence[Sequence[str]]) -> list[list[list[int]]]:
        """Subword ids of every word of every sentence (shared lists: do not modify them).

        A word's subwords do not depend on its neighbours (the tokenizer splits pre-split words
        one by one), so they are cached: only words not seen before go to the tokenizer, in one
        batch. The cache holds at most ``PIECE_CACHE_WORDS`` words and starts afresh when full,
        so memory stays bounded on any corpus. Use an encoder from one thread at a time.
        """
        cache = self._pieces
        missing = list(dict.fromkeys(w for sentence in sentences for w in sentence if w not in cache))
        if len(cache) + len(missing) > PIECE_CACHE_WORDS:
            cache.clear()
            missing = list(dict.fromkeys(w for sentence in sentences for w in sentence))
        if missing:
            enc = self.tokenizer(
                [[word] for word in missing],
                is_split_into_words=True,
                add_special_tokens=False,
                return_attention_mask=False,
                return_token_type_ids=False,
            )
            cache.update(zip(missing, (list(ids) for ids in enc["input_ids"])))
        return [[cache[w] for w in sentence] for sentence in sentences]

    def encode(self, sentences: Sequence[Sequence[str]], *, first_index: int = 0) -> list[Window]:
        """Windows for one document. Sentence ``k`` is referred to as ``first_index + k``.

        Windows pack whole consecutive sentences (document context) or hold one sentence; a sentence
        longer than a window is cut into runs that share ``overlap`` subwords (see :meth:`_runs`).
        Why not sliding windows over the whole document: BENCHMARKS.md.
        """
        shaped = self.word_shapes
        items = [
            [
                (first_index + s_idx, w_idx, pieces[: self.budget], word_shape(word) if shaped else 0)
                for w_idx, (word, pieces) in enumerate(zip(words, sentence_pieces))
            ]
            for s_idx, (words, sentence_pieces) in enumerate(zip(sentences, self.word_pieces(sentences)))
        ]
        windows: list[Window] = []
        run: list[_Item] = []
        run_len = 0
        for sentence in items:
            for chunk in self._runs(sentence):
                chunk_len = sum(len(item[2]) for item in chunk)
                if run and (self.context == "sentence" or run_len + chunk_len > self.budget):
                    windows.append(self._window(run))
                    run, run_len = [], 0
                run.extend(chunk)
                run_len += chunk_len
        if run:
            windows.append(self._window(run))
        return windows

    def _runs(self, items: list[_Item]) -> Iterator[list[_Item]]:
        """Consecutive runs of whole words of at most ``budget`` subwords; each run shares up to
        ``overlap`` subwords of words with the previous one."""
        n = len(items)
        start = 0
        while start < n:
            end, size = start, 0
            while end < n and (end == start or size + len(items[end][2]) <= self.budget):
                size += len(items[end][2])
                end += 1
            yield items[start:end]
            if end >= n:
                return
            nxt, shared = end, 0
            while nxt - 1 > start and shared + len(items[nxt - 1][2]) <= self.overlap:
                nxt -= 1
                shared += len(items[nxt][2])
            start = nxt

    def _window(self, run: list[_Item]) -> Window:
        ids: list[int] = []
        positions: list[int] = []
        refs: list[tuple[int, int]] = []
        types: list[int] = []
        for s_idx, w_idx, word, shape in run:
            if word:
                positions.append(self.prefix + len(ids))
                refs.append((s_idx, w_idx))
                ids.extend(word)
                types.extend([shape] * len(word))
        type_ids = tuple([0] * self.prefix + types + [0] * len(self.suffix_ids)) if self.word_shapes else None
        return Window(tuple(self.prefix_ids + ids + self.suffix_ids), tuple(positions), tuple(refs), type_ids)


def special_tokens_around(tokenizer) -> tuple[list[int], list[int]]:
    """The special token ids a tokenizer puts before and after one sequence ([CLS] / [SEP], <s> / </s>)."""
    plain = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    for k in range(len(full) - len(plain) + 1):
        if full[k : k + len(plain)] == plain:
            return list(full[:k]), list(full[k + len(plain) :])
    raise ValueError("cannot find where the tokenizer puts its special tokens")


def window_labels(window: Window, tag_ids: Sequence[Sequence[int]]) -> list[int]:
    """Training labels of a window: the word's tag id at its first subword, -100 elsewhere.

    ``tag_ids[s][w]`` is the tag id of word ``w`` of sentence ``s`` (indices as in ``word_refs``).
    """
    labels = [IGNORE_INDEX] * len(window.input_ids)
    for pos, (s_idx, w_idx) in zip(window.positions, window.word_refs):
        labels[pos] = tag_ids[s_idx][w_idx]
    return labels


def fill_gaps(tags: Sequence[str | None]) -> list[str]:
    """Tags for the words that have none (``None``: no subword): ``I-T`` inside an entity, else ``O``."""
    out: list[str] = []
    for i, tag in enumerate(tags):
        if tag is None:
            prev = out[-1] if out else OUTSIDE
            nxt = next((t for t in tags[i + 1 :] if t is not None), OUTSIDE)
            prev_type = split_tag(prev)[1]
            nprefix, ntype = split_tag(nxt)
            tag = f"I-{prev_type}" if prev_type is not None and nprefix == "I" and ntype == prev_type else OUTSIDE
        out.append(tag)
    return out
