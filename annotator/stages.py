"""The annotate pipeline as pure per-batch stages: prepare (CPU) → forward (the device) → finish (CPU).

* :func:`prepare`: texts → a :class:`Packed` batch: sentences and words (character offsets),
  subword windows of whole sentences, all in flat numpy arrays (no per-window objects);
* :func:`forward`: a :class:`Packed` batch → log-probabilities at each labelled position
  (length-sorted batches capped at ``batch_tokens`` padded subwords, as :class:`WordTagger` runs them);
* :func:`finish`: a :class:`Packed` batch and its log-probabilities → entity spans per document,
  decoded over the whole batch at once (constrained decoding runs Viterbi only on the sentences
  whose argmax is not a valid IOB2 sequence).

Inputs and outputs are picklable (numpy arrays, tuples, :class:`StageSettings`), so the local engine
(:mod:`annotator.engine`) runs prepare and finish in worker processes, and a Ray Data engine can run
them in ``map_batches``. The windows, tags and scores are exactly those of
:class:`annotator.windows.WindowEncoder` and :func:`annotator.decode.decode_words`.

A document longer than ``long_chars`` characters is not prepared whole: :func:`prepare_stream`
segments it lazily and yields it as a run of :class:`Packed` pieces, each cut where a window of the
whole-document packing starts with a sentence, so its windows and spans are those of the whole
document while memory holds only one piece.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, chain, islice, repeat

import numpy as np

from .choices import Context, Decoding, check
from .decode import _label_kinds, transition_scores, uncased_entities_to_outside
from .labels import Span, split_tag, tags_to_spans
from .segment import iter_sentences, split_sentences
from .shapes import CASED, word_shape
from .windows import PIECE_CACHE_WORDS, fill_gaps

LONG_DOC_CHARS = 100_000  # documents longer than this are streamed piece by piece
PIECE_WINDOWS = 256  # windows per piece of a streamed document (at least)
_STREAM_SENTENCES = 128  # sentences tokenized together while streaming a document


@dataclass(frozen=True)
class StageSettings:
    """What the CPU stages need, picklable: the tokenizer (its ``tokenizer.json``) and the window and
    decoding settings of the model."""

    tokenizer_json: str
    prefix_ids: tuple[int, ...]
    suffix_ids: tuple[int, ...]
    max_length: int
    context: str
    overlap: int
    labels: tuple[str, ...]
    decoding: str = "constrained"
    word_shapes: bool = False  # the model takes each word's shape as its token types (annotator.shapes)
    cased_entities: bool = False  # drop entities without a cased word (annotator.decode.uncased_entities_to_outside)
    long_chars: int = LONG_DOC_CHARS  # longer documents are streamed (prepare_stream)
    piece_windows: int = PIECE_WINDOWS

    def __post_init__(self) -> None:
        check(self.context, Context, what="context")
        check(self.decoding, Decoding, what="decoding")
        if self.budget < 1:
            raise ValueError(f"max_length {self.max_length} leaves no room for words")
        if not 0 <= self.overlap <= self.budget // 2:
            raise ValueError(f"window overlap {self.overlap} must be between 0 and half a window ({self.budget // 2})")

    @property
    def budget(self) -> int:
        """Subwords of words per window (``max_length`` less the special tokens)."""
        return self.max_length - len(self.prefix_ids) - len(self.suffix_ids)

    @classmethod
    def from_tagger(cls, tagger, **kwargs) -> StageSettings:
        """The settings of a loaded :class:`annotator.tagging.WordTagger` (same windows, same decoding)."""
        encoder = tagger.encoder
        kwargs.setdefault("long_chars", LONG_DOC_CHARS)  # read now, so that tests can lower it
        kwargs.setdefault("piece_windows", PIECE_WINDOWS)
        return cls(
            tokenizer_json=encoder.tokenizer.backend_tokenizer.to_str(),
            prefix_ids=tuple(encoder.prefix_ids),
            suffix_ids=tuple(encoder.suffix_ids),
            max_length=encoder.budget + encoder.n_special,
            context=encoder.context,
            overlap=encoder.overlap,
            labels=tuple(tagger.labels),
            decoding=tagger.decoding,
            word_shapes=encoder.word_shapes,
            cased_entities=getattr(tagger, "cased_entities", False),
            **kwargs,
        )


@dataclass
class Packed:
    """A batch of documents (or a piece of one), segmented and packed into windows, as flat arrays.

    Words are numbered across the batch, sentence by sentence, document by document. Window ``k``
    holds ``input_ids[tok[k]:tok[k+1]]`` (with ``tok`` the running sum of ``window_tokens``) and
    labels the subwords at ``positions[pos[k]:pos[k+1]]`` (``pos``: the running sum of
    ``window_positions``), the first subwords of the words ``position_words[...]``. ``type_ids``
    (models that take word shapes) sits beside ``input_ids`` with the same layout: the shape class of
    each token's word, 0 for special tokens.
    """

    word_spans: np.ndarray  # (words, 2) int64: half-open character offsets into the document's text
    sentence_words: np.ndarray  # (sentences,) int64: words per sentence
    doc_sentences: np.ndarray  # (documents,) int64: sentences per document
    input_ids: np.ndarray  # (tokens,) int64, all windows one after the other, special tokens included
    window_tokens: np.ndarray  # (windows,) int64
    positions: np.ndarray  # (labelled positions,) int64: token index inside its window
    window_positions: np.ndarray  # (windows,) int64
    position_words: np.ndarray  # (labelled positions,) int64: the word each position labels
    type_ids: np.ndarray | None = None  # (tokens,) int64 word shapes, or None when the model takes none
    position_shapes: np.ndarray | None = None  # (labelled positions,) int64: the shape of each position's word

    @property
    def n_docs(self) -> int:
        return len(self.doc_sentences)

    def without_tokens(self) -> Packed:
        """The same batch without ``input_ids`` and ``type_ids`` (what :func:`finish` needs, smaller to send)."""
        return Packed(
            self.word_spans,
            self.sentence_words,
            self.doc_sentences,
            np.zeros(0, dtype=np.int64),
            self.window_tokens,
            self.positions,
            self.window_positions,
            self.position_words,
            position_shapes=self.position_shapes,
        )


# Parts of a tokenizer that treat every pre-split word alone, whatever its neighbours (BERT's)
_WORDWISE: dict[str, set[str | None]] = {
    "normalizer": {None, "BertNormalizer", "Lowercase", "NFC", "NFD", "NFKC", "NFKD", "StripAccents"},
    "pre_tokenizer": {None, "BertPreTokenizer", "Whitespace", "WhitespaceSplit", "Punctuation", "Digits"},
    "model": {"WordPiece"},
}


def _tokenizes_words_alone(tokenizer_json: str) -> bool:
    """Whether one call over many pre-split words gives each word the subwords it gets alone: true of
    a WordPiece model whose normalizer and pre-tokenizer (or each step of their ``Sequence``) are
    in :data:`_WORDWISE`; not of, e.g., a Metaspace or byte-level tokenizer (they mark a word by
    where it stands)."""
    import json

    spec = json.loads(tokenizer_json)

    def wordwise(part: dict | None, allowed: set) -> bool:
        if part is None:
            return None in allowed
        if part.get("type") == "Sequence":
            steps = part.get("normalizers", part.get("pretokenizers", [None]))
            return all(wordwise(step, allowed) for step in steps)
        return part.get("type") in allowed

    return all(wordwise(spec.get(key), allowed) for key, allowed in _WORDWISE.items())


class _PieceTokenizer:
    """Subword ids of single words with the fast tokenizer's Rust core (``tokenizers``: no transformers
    import in a worker), exactly as ``tokenizer([[word], ...], is_split_into_words=True,
    add_special_tokens=False)`` gives them. Where the tokenizer treats each word alone (BERT's:
    :func:`_tokenizes_words_alone`), all words go in one pre-split sequence, cut back into words by
    its word ids: one encoding instead of one per word, 2-3x faster on CoNLL-2003 (BENCHMARKS.md)."""

    def __init__(self, tokenizer_json: str):
        from tokenizers import Tokenizer

        self.backend = Tokenizer.from_str(tokenizer_json)
        self.backend.no_truncation()
        self.backend.no_padding()
        self.one_sequence = _tokenizes_words_alone(tokenizer_json)

    def __call__(self, words: Sequence[str]) -> list[list[int]]:
        if not self.one_sequence or not words:
            return self.each_alone(words)
        encoding = self.backend.encode(list(words), is_pretokenized=True, add_special_tokens=False)
        ids = encoding.ids
        word_ids = np.fromiter(encoding.word_ids, dtype=np.int64, count=len(ids))
        bounds = np.searchsorted(word_ids, np.arange(len(words) + 1)).tolist()
        return [ids[a:b] for a, b in zip(bounds, bounds[1:])]

    def each_alone(self, words: Sequence[str]) -> list[list[int]]:
        """One encoding per word (any tokenizer)."""
        return [
            e.ids
            for e in self.backend.encode_batch([[w] for w in words], is_pretokenized=True, add_special_tokens=False)
        ]


class Preparer:
    """Runs :func:`prepare` for one :class:`StageSettings`, with a cache of word pieces (one thread at a time)."""

    def __init__(self, settings: StageSettings):
        self.settings = settings
        self._tokenize = _PieceTokenizer(settings.tokenizer_json)
        self._cache: dict[str, list[int]] = {}

    def pieces(self, words: list[str]) -> list[list[int]]:
        """Subword ids of each word, cut to one window (shared lists: do not modify them)."""
        cache = self._cache
        missing = list(dict.fromkeys(w for w in words if w not in cache))
        if len(cache) + len(missing) > PIECE_CACHE_WORDS:
            cache.clear()
            missing = list(dict.fromkeys(words))
        if missing:
            budget = self.settings.budget
            cache.update(zip(missing, (ids[:budget] for ids in self._tokenize(missing))))
        return [cache[w] for w in words]

    def shapes(self, words: list[str]) -> list[int]:
        """The shape class of each word (:func:`annotator.shapes.word_shape`), all 0 when the model takes none."""
        return [word_shape(w) for w in words] if self.settings.word_shapes else [0] * len(words)

    def prepare(self, texts: Sequence[str]) -> Packed:
        """Segment, tokenize and pack ``texts`` (whole documents) into one :class:`Packed` batch."""
        sentences = [split_sentences(text) for text in texts]
        words = [text[s:e] for text, doc in zip(texts, sentences) for sent in doc for s, e in sent]
        pieces = iter(self.pieces(words))
        shapes = iter(self.shapes(words))
        packer = _Packer(self.settings)
        for doc in sentences:
            packer.start_document()
            for sent in doc:
                packer.add_sentence(sent, list(islice(pieces, len(sent))), list(islice(shapes, len(sent))))
            packer.end_document()
        return packer.packed()

    def prepare_stream(self, text: str) -> Iterator[Packed]:
        """One document as consecutive :class:`Packed` pieces of about ``piece_windows`` windows (each
        holding one document: the piece), in flat memory whatever the length of ``text``."""
        settings = self.settings
        packer = _Packer(settings)
        packer.start_document()
        sentences = iter_sentences(text)
        while group := list(islice(sentences, _STREAM_SENTENCES)):
            words = [text[s:e] for sent in group for s, e in sent]
            pieces, shapes = iter(self.pieces(words)), iter(self.shapes(words))
            for sent in group:
                sent_pieces, sent_shapes = list(islice(pieces, len(sent))), list(islice(shapes, len(sent)))
                if packer.add_sentence(sent, sent_pieces, sent_shapes, cut_after=settings.piece_windows):
                    yield packer.cut()
                    packer.add_sentence(sent, sent_pieces, sent_shapes)
        packer.end_document()
        yield packer.packed()


class _Packer:
    """Greedy window packing as :meth:`annotator.windows.WindowEncoder.encode` does it, into flat lists."""

    def __init__(self, settings: StageSettings):
        self.budget = settings.budget
        self.overlap = settings.overlap
        self.per_sentence = settings.context == "sentence"
        self.word_shapes = settings.word_shapes
        self.prefix = list(settings.prefix_ids)
        self.suffix = list(settings.suffix_ids)
        self._reset()

    def _reset(self) -> None:
        self.word_spans: list[tuple[int, int]] = []
        self.sentence_words: list[int] = []
        self.doc_sentences: list[int] = []
        self.input_ids: list[int] = []
        self.type_ids: list[int] = []
        self.window_tokens: list[int] = []
        self.positions: list[int] = []
        self.window_positions: list[int] = []
        self.position_words: list[int] = []
        self.position_shapes: list[int] = []
        # the open window: each word's number, pieces and shape
        self.run_words: list[int] = []
        self.run_pieces: list[list[int]] = []
        self.run_shapes: list[int] = []
        self.run_len = 0
        self.doc_start = 0  # sentences before the open document

    def start_document(self) -> None:
        self.doc_start = len(self.sentence_words)

    def end_document(self) -> None:
        self._close()
        self.doc_sentences.append(len(self.sentence_words) - self.doc_start)

    def _close(self) -> None:
        pieces = self.run_pieces
        if not pieces:
            return
        ids = self.input_ids
        start = len(ids)
        lens = list(map(len, pieces))
        # each word's first subword, counted from the window's start; a word without subwords has none
        firsts = list(accumulate(lens[:-1], initial=len(self.prefix)))
        words, shapes = self.run_words, self.run_shapes
        if 0 in lens:
            kept = [k for k, n in enumerate(lens) if n]
            firsts, words, shapes = [firsts[k] for k in kept], [words[k] for k in kept], [shapes[k] for k in kept]
        self.positions.extend(firsts)
        self.position_words.extend(words)
        if self.word_shapes:
            self.position_shapes.extend(shapes)
        ids.extend(self.prefix)
        ids.extend(chain.from_iterable(pieces))
        ids.extend(self.suffix)
        if self.word_shapes:
            types = self.type_ids
            types.extend([0] * len(self.prefix))
            types.extend(chain.from_iterable(map(repeat, self.run_shapes, lens)))
            types.extend([0] * len(self.suffix))
        self.window_tokens.append(len(ids) - start)
        self.window_positions.append(len(firsts))
        self.run_words, self.run_pieces, self.run_shapes, self.run_len = [], [], [], 0

    def add_sentence(
        self, spans: list[tuple[int, int]], pieces: list[list[int]], shapes: list[int], *, cut_after: int = 0
    ) -> bool:
        """Pack one sentence. With ``cut_after``: returns True (and adds nothing) when a window has just
        closed before this sentence and at least ``cut_after`` windows are packed; call :meth:`cut`
        and add the sentence again."""
        budget = self.budget
        lens = [len(p) for p in pieces]
        total = sum(lens)
        runs = [(0, len(lens), total)] if total <= budget else list(self._runs(lens))
        if cut_after and self.run_pieces and (self.per_sentence or self.run_len + runs[0][2] > budget):
            self._close()
            if len(self.window_tokens) >= cut_after:
                return True
        first_word = len(self.word_spans)
        self.word_spans.extend(spans)
        self.sentence_words.append(len(spans))
        for a, b, size in runs:
            if self.run_pieces and (self.per_sentence or self.run_len + size > budget):
                self._close()
            self.run_words.extend(range(first_word + a, first_word + b))
            self.run_pieces.extend(pieces[a:b])
            self.run_shapes.extend(shapes[a:b])
            self.run_len += size
        return False

    def _runs(self, lens: list[int]) -> Iterator[tuple[int, int, int]]:
        """As :meth:`annotator.windows.WindowEncoder._runs`: ``(start, end, subwords)`` of runs of whole
        words of at most ``budget`` subwords, each sharing up to ``overlap`` subwords with the previous."""
        n, budget, overlap = len(lens), self.budget, self.overlap
        start = 0
        while start < n:
            end, size = start, 0
            while end < n and (end == start or size + lens[end] <= budget):
                size += lens[end]
                end += 1
            yield start, end, size
            if end >= n:
                return
            nxt, shared = end, 0
            while nxt - 1 > start and shared + lens[nxt - 1] <= overlap:
                nxt -= 1
                shared += lens[nxt]
            start = nxt

    def cut(self) -> Packed:
        """The piece packed so far (whole sentences, closed windows) as one document; starts a new piece."""
        self.doc_sentences.append(len(self.sentence_words) - self.doc_start)
        piece = self.packed()
        self._reset()
        return piece

    def packed(self) -> Packed:
        def arr(values: list[int]) -> np.ndarray:
            return np.array(values, dtype=np.int64)

        spans = np.array(self.word_spans, dtype=np.int64).reshape(-1, 2)
        return Packed(
            spans,
            arr(self.sentence_words),
            arr(self.doc_sentences),
            arr(self.input_ids),
            arr(self.window_tokens),
            arr(self.positions),
            arr(self.window_positions),
            arr(self.position_words),
            arr(self.type_ids) if self.word_shapes else None,
            arr(self.position_shapes) if self.word_shapes else None,
        )


# -- forward --------------------------------------------------------------------------------------


def forward(packed: Packed, *, tagger) -> np.ndarray:
    """Log-probabilities ``(positions, labels)`` float32 at every labelled position of ``packed``,
    with the model of ``tagger`` (:class:`annotator.tagging.WordTagger`), in length-sorted batches of
    at most ``tagger.batch_tokens`` padded subwords (the batches :func:`~annotator.tagging.batches_by_tokens`
    forms, so the numbers are those of :meth:`WordTagger.window_log_probs`)."""
    torch = tagger._torch
    lengths = packed.window_tokens
    counts = packed.window_positions
    tok_ends = np.cumsum(lengths)
    tok_starts = tok_ends - lengths
    pos_ends = np.cumsum(counts)
    pos_starts = pos_ends - counts
    result = np.zeros((len(packed.positions), len(tagger.labels)), dtype=np.float32)
    model = tagger.model
    window_logits = getattr(model, "window_logits", None)
    if window_logits is not None:  # a model that runs each window alone (ONNX): no padded batches
        types = packed.type_ids
        logits = window_logits(
            [
                (
                    packed.input_ids[tok_starts[i] : tok_ends[i]],
                    None if types is None else types[tok_starts[i] : tok_ends[i]],
                    packed.positions[pos_starts[i] : pos_ends[i]],
                )
                for i in range(len(lengths))
            ]
        )
        if len(result):
            result[:] = torch.log_softmax(torch.from_numpy(np.concatenate(logits)), dim=-1).numpy()
        tagger._trim()
        return result
    was_training = model.training
    model.eval()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=tagger.bf16 and tagger.device.type == "cuda")
    try:
        with torch.inference_mode(), autocast:
            for batch in _token_batches(lengths, tagger.batch_tokens):
                width = int(lengths[batch[0]])
                ids = np.full((len(batch), width), tagger.pad_id, dtype=np.int64)
                mask = np.zeros((len(batch), width), dtype=np.int64)
                type_ids = packed.type_ids
                types = None if type_ids is None else np.zeros((len(batch), width), dtype=np.int64)
                for row, i in enumerate(batch.tolist()):
                    n = int(lengths[i])
                    ids[row, :n] = packed.input_ids[tok_starts[i] : tok_ends[i]]
                    mask[row, :n] = 1
                    if types is not None and type_ids is not None:
                        types[row, :n] = type_ids[tok_starts[i] : tok_ends[i]]
                rows = np.repeat(np.arange(len(batch)), counts[batch])
                dest = np.concatenate([np.arange(pos_starts[i], pos_ends[i]) for i in batch.tolist()])
                result[dest] = batch_log_probs(tagger, ids, mask, types, rows, packed.positions[dest])
    finally:
        model.train(was_training)
    return result


def batch_log_probs(tagger, ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None, rows, cols) -> np.ndarray:
    """Log-probabilities ``(len(rows), labels)`` float32 at ``(rows[k], cols[k])`` of one padded batch
    (``ids``, ``mask``, ``types``: ``(batch, width)`` int64; ``types`` None for a model without word
    shapes), with the model of ``tagger``, called inside ``inference_mode`` (and autocast). A model that
    computes the labelled positions only (ONNX: ``takes_label_mask``) gets them as ``label_mask``."""
    torch, model, device = tagger._torch, tagger.model, tagger.device
    inputs = {"input_ids": ids, "attention_mask": mask}
    if types is not None:
        inputs["token_type_ids"] = types
    if getattr(model, "takes_label_mask", False):
        labelled = np.zeros(ids.shape, dtype=np.int64)
        labelled[rows, cols] = 1
        inputs["label_mask"] = labelled
    tensors = {k: torch.from_numpy(v) for k, v in inputs.items()}
    if device.type == "cuda":  # pinned host memory lets the copies run asynchronously
        tensors = {k: v.pin_memory() for k, v in tensors.items()}
    logits = model(**{k: v.to(device, non_blocking=True) for k, v in tensors.items()}).logits
    rows_t, cols_t = torch.from_numpy(rows).to(device), torch.from_numpy(cols).to(device)
    picked = torch.log_softmax(logits[rows_t, cols_t].float(), dim=-1).cpu().numpy()
    del logits
    tagger._trim()
    return picked


def _token_batches(lengths: np.ndarray, batch_tokens: int) -> Iterator[np.ndarray]:
    """Window indices, longest first (stable), in batches whose padded size stays under ``batch_tokens``."""
    order = np.argsort(-lengths, kind="stable")
    start = 0
    n = len(order)
    while start < n:
        width = int(lengths[order[start]])
        size = max(1, batch_tokens // width)  # the longest window leads, so it sets the padded width
        yield order[start : start + size]
        start += size


# -- finish ---------------------------------------------------------------------------------------


class _LabelCodes:
    """Per label id: IOB2 kind (0 O, 1 B, 2 I) and entity type; None when the labels are not plain IOB2."""

    def __init__(self, labels: tuple[str, ...]):
        self.labels = labels
        kinds, types, names = [], [], []
        for label in labels:
            prefix, etype = split_tag(label)
            kinds.append({"O": 0, "B": 1, "I": 2}.get(prefix, -1))
            if etype is not None and etype not in names:
                names.append(etype)
            types.append(names.index(etype) if etype is not None else -1)
        self.kind = np.array(kinds, dtype=np.int64)
        self.type = np.array(types, dtype=np.int64)
        self.type_names = names
        self.iob2 = bool((self.kind >= 0).all())

    @cached_property
    def index(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}


_CODES: dict[tuple[str, ...], _LabelCodes] = {}


def _codes(labels: tuple[str, ...]) -> _LabelCodes:
    if labels not in _CODES:
        _CODES[labels] = _LabelCodes(labels)
    return _CODES[labels]


def finish(
    packed: Packed,
    log_probs: np.ndarray,
    *,
    labels: tuple[str, ...],
    decoding: str = "constrained",
    cased_entities: bool = False,
) -> list[list[Span]]:
    """Entity spans (character offsets, label, mean word probability) of each document of ``packed``.

    The same tags and scores as :func:`annotator.decode.decode_words` per sentence followed by
    :func:`annotator.labels.tags_to_spans`, decoded for the whole batch at once (``cased_entities``
    too: entities without a cased word are dropped, for batches packed with word shapes).
    """
    n_words = len(packed.word_spans)
    n_labels = len(labels)
    # each word's scores: from the window where its first subword sits farthest from an edge (first on ties)
    window_of = np.repeat(np.arange(len(packed.window_tokens)), packed.window_positions)
    pos = packed.positions
    centrality = np.minimum(pos, packed.window_tokens[window_of] - 1 - pos)
    order = np.lexsort((np.arange(len(pos)), -centrality, packed.position_words))
    sorted_words = packed.position_words[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_words[1:] != sorted_words[:-1]
    words = sorted_words[first]  # the words that have a position, ascending
    rows = log_probs[order[first]].reshape(-1, n_labels)
    sentence_of_word = np.repeat(np.arange(len(packed.sentence_words)), packed.sentence_words)
    row_sentence = sentence_of_word[words]
    best = rows.argmax(-1) if len(rows) else np.zeros(0, dtype=np.int64)
    if decoding == "constrained" and len(rows):
        is_inside, type_ids = _label_kinds(labels)
        types = type_ids[best]
        previous = np.empty_like(types)
        previous[0] = -1
        previous[1:] = types[:-1]
        new_sentence = np.ones(len(rows), dtype=bool)
        new_sentence[1:] = row_sentence[1:] != row_sentence[:-1]
        previous[new_sentence] = -1
        bad = is_inside[best] & (previous != types)
        if bad.any():
            invalid = np.unique(row_sentence[bad])
            firsts = np.searchsorted(row_sentence, invalid)
            lasts = np.searchsorted(row_sentence, invalid, side="right")
            _viterbi_many(rows, firsts, lasts, labels, best)
    else:
        check(decoding, Decoding, what="decoding")
    if cased_entities and packed.position_shapes is not None and len(rows):
        new_sentence = np.ones(len(rows), dtype=bool)
        new_sentence[1:] = row_sentence[1:] != row_sentence[:-1]
        cased = np.isin(packed.position_shapes[order[first]], list(CASED))
        best = uncased_entities_to_outside(best, cased, labels, new_sentence)
    word_label = np.full(n_words, -1, dtype=np.int64)
    word_label[words] = best
    word_prob = np.zeros(n_words, dtype=np.float32)
    word_prob[words] = np.exp(rows[np.arange(len(best)), best]) if len(best) else 0
    return _spans(packed, word_label, word_prob, sentence_of_word, _codes(labels))


def _viterbi_many(
    rows: np.ndarray, firsts: np.ndarray, ends: np.ndarray, labels: tuple[str, ...], best: np.ndarray
) -> None:
    """:func:`annotator.decode.viterbi` on each sequence ``rows[firsts[k]:ends[k]]`` at once (the same
    arithmetic, step by step over all sequences), written into ``best``."""
    start, trans = transition_scores(labels)
    n_labels = len(labels)
    lengths = ends - firsts
    order = np.argsort(-lengths, kind="stable")  # longest first: the sequences still going are a prefix
    firsts, lengths = firsts[order], lengths[order]
    n_steps = int(lengths[0])
    score = rows[firsts] + start
    back = np.zeros((n_steps, len(firsts), n_labels), dtype=np.int64)
    finals = np.zeros((len(firsts), n_labels))
    before = len(firsts)
    for t in range(1, n_steps):
        going = int((lengths > t).sum())  # a prefix: the lengths are sorted
        finals[going:before] = score[going:before]  # the sequences of length t end here
        cand = score[:going, :, None] + trans
        step = cand.argmax(1)
        back[t, :going] = step
        score = np.take_along_axis(cand, step[:, None, :], 1)[:, 0, :] + rows[firsts[:going] + t]
        before = going
    finals[:before] = score
    for k in range(len(firsts)):
        n = int(lengths[k])
        path = np.empty(n, dtype=np.int64)
        path[-1] = int(finals[k].argmax())
        for t in range(n - 1, 0, -1):
            path[t - 1] = back[t, k, path[t]]
        best[firsts[k] : firsts[k] + n] = path


def _spans(
    packed: Packed, word_label: np.ndarray, word_prob: np.ndarray, sentence_of_word: np.ndarray, codes: _LabelCodes
) -> list[list[Span]]:
    n_words = len(word_label)
    doc_of_sentence = np.repeat(np.arange(packed.n_docs), packed.doc_sentences)
    out: list[list[Span]] = [[] for _ in range(packed.n_docs)]
    probs = word_prob.tolist()
    sentence_starts = np.cumsum(packed.sentence_words) - packed.sentence_words
    gap_sentences = np.unique(sentence_of_word[word_label < 0])
    if codes.iob2 and n_words:
        labelled = np.where(word_label < 0, 0, word_label)
        kind, etype = codes.kind[labelled], codes.type[labelled]
        etype = np.where(kind == 0, -1, etype)
        previous = np.empty_like(etype)
        previous[0] = -1
        previous[1:] = etype[:-1]
        previous[sentence_starts[packed.sentence_words > 0]] = -1
        starts = (kind != 0) & ((kind == 1) | (previous != etype))
        goes_on = (kind != 0) & ~starts
        breaks = np.flatnonzero(~goes_on)
        first_words = np.flatnonzero(starts)
        nxt = np.searchsorted(breaks, first_words, side="right")
        ends = np.append(breaks, n_words)[nxt]
        keep = ~np.isin(sentence_of_word[first_words], gap_sentences) if len(gap_sentences) else slice(None)
        first_words, ends = first_words[keep], ends[keep]
        found_docs = doc_of_sentence[sentence_of_word[first_words]]
        names = codes.type_names
        found_labels = [names[t] for t in etype[first_words].tolist()]
        redo = gap_sentences.tolist()
    else:
        first_words = ends = found_docs = np.zeros(0, dtype=np.int64)
        found_labels = []
        redo = list(range(len(packed.sentence_words)))
    if redo:  # words without a subword (filled as in fill_gaps), or labels that are not plain IOB2
        extra: list[tuple[int, int, int, str]] = []
        for s in redo:
            a = int(sentence_starts[s])
            n = int(packed.sentence_words[s])
            tags = fill_gaps([codes.labels[i] if i >= 0 else None for i in word_label[a : a + n].tolist()])
            d = int(doc_of_sentence[s])
            extra.extend((d, a + span.start, a + span.end, span.label) for span in tags_to_spans(tags))
        if extra:
            docs_x, firsts_x, ends_x, labels_x = zip(*extra)
            found_docs = np.concatenate([found_docs, docs_x])
            first_words = np.concatenate([first_words, firsts_x])
            ends = np.concatenate([ends, ends_x])
            found_labels = found_labels + list(labels_x)
            order = np.lexsort((first_words, found_docs))
            found_docs, first_words, ends = found_docs[order], first_words[order], ends[order]
            found_labels = [found_labels[k] for k in order.tolist()]
    char_starts = packed.word_spans[first_words, 0].tolist()
    char_ends = packed.word_spans[ends - 1, 1].tolist() if len(ends) else []
    for d, a, b, label, start, end in zip(
        found_docs.tolist(), first_words.tolist(), ends.tolist(), found_labels, char_starts, char_ends
    ):
        out[d].append(Span(start, end, label, round(sum(probs[a:b]) / (b - a), 4)))
    return out


def iter_streamed_spans(preparer: Preparer, text: str, run_forward) -> Iterator[Span]:
    """Spans of one long document, emitted as they are decoded: prepared, run
    (``run_forward(packed) -> log_probs``) and finished piece by piece, one piece in memory at a time."""
    settings = preparer.settings
    for piece in preparer.prepare_stream(text):
        yield from finish(
            piece,
            run_forward(piece),
            labels=settings.labels,
            decoding=settings.decoding,
            cased_entities=settings.cased_entities,
        )[0]


def stream_spans(preparer: Preparer, text: str, run_forward) -> list[Span]:
    """The spans of :func:`iter_streamed_spans` as a list (what an output record holds)."""
    return list(iter_streamed_spans(preparer, text, run_forward))


def serialize_jsonl(records: Sequence, spans: Sequence[Sequence[Span]], *, include_text: bool = True) -> bytes | None:
    """The JSONL lines of ``records`` (:class:`annotator.records.Record`) with their ``spans``: the bytes
    :class:`annotator.writers.JsonlWriter` writes (so a worker can serialize its batch). ``None`` when a
    record cannot be written: the part writer then turns that record into a reject."""
    import io

    from .records import Annotated
    from .writers import WRITE_ERRORS
    from .writers.jsonl import JsonlWriter

    buffer = io.BytesIO()
    try:
        JsonlWriter(buffer, include_text=include_text).write([Annotated(r, tuple(s)) for r, s in zip(records, spans)])
    except WRITE_ERRORS:
        return None
    return buffer.getvalue()


def is_long(text: str, settings: StageSettings) -> bool:
    return len(text) > settings.long_chars


def split_long(texts: Iterable[str], settings: StageSettings) -> tuple[list[str], list[int]]:
    """The texts to prepare as a batch and the indices of those to stream."""
    short: list[str] = []
    long: list[int] = []
    for i, text in enumerate(texts):
        if is_long(text, settings):
            long.append(i)
        else:
            short.append(text)
    return short, long
