"""Tests of annotator.windows with a tiny fake tokenizer (no files), plus one real-tokenizer check."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.errors import ConfigError, ModelError
from annotator.windows import (
    IGNORE_INDEX,
    Window,
    WindowEncoder,
    special_tokens_around,
    window_labels,
)

CLS, SEP = 101, 102
INVISIBLE = {"\ufe0f", "\u200b"}


def fill_words(lengths, predictions, *, first_index=0):
    """Tags per word from the tag predicted at each window position, through the real decoder
    (argmax over one-hot scores), so the placement of words and the gap rule are the production ones."""
    import numpy as np

    from annotator.decode import decode_words

    labels = tuple(sorted({"O", *(tag for _, tags in predictions for tag in tags)}))
    scored = []
    for window, tags in predictions:
        scores = np.full((len(window.positions), len(labels)), -50.0)
        scores[np.arange(len(tags)), [labels.index(tag) for tag in tags]] = 0.0
        scored.append((window, scores))
    decoded = decode_words(lengths, scored, labels, first_index=first_index, decoding="argmax")
    return [tags for tags, _ in decoded]


class FakeBatch:
    def __init__(self, ids: list[list[int]], word_ids: list[list[int | None]]):
        self._data = {"input_ids": ids}
        self._word_ids = word_ids

    def __getitem__(self, key):
        return self._data[key]

    def word_ids(self, i: int) -> list[int | None]:
        return self._word_ids[i]


class FakeTokenizer:
    """Splits every word into pieces of 3 characters; words of only U+FE0F / U+200B get none.

    Piece ids are 1000 + the piece's index in ``self.pieces``, so ``decode`` gives the text back.
    """

    def __init__(self):
        self.pieces: list[str] = []
        self.calls = 0

    def piece_ids(self, word: str) -> list[int]:
        if all(ch in INVISIBLE for ch in word):
            return []
        out = []
        for k in range(0, len(word), 3):
            piece = word[k : k + 3]
            if piece not in self.pieces:
                self.pieces.append(piece)
            out.append(1000 + self.pieces.index(piece))
        return out

    def decode(self, ids) -> str:
        return "".join(self.pieces[i - 1000] for i in ids)

    def __call__(
        self,
        text,
        is_split_into_words=False,
        add_special_tokens=True,
        return_attention_mask=True,
        return_token_type_ids=True,
    ):
        self.calls += 1
        if is_split_into_words:
            assert add_special_tokens is False
            batch_ids, batch_wids = [], []
            for words in text:
                assert isinstance(words, list)
                ids, wids = [], []
                for w_idx, word in enumerate(words):
                    pieces = self.piece_ids(word)
                    ids += pieces
                    wids += [w_idx] * len(pieces)
                batch_ids.append(ids)
                batch_wids.append(wids)
            return FakeBatch(batch_ids, batch_wids)
        ids = self.piece_ids(text)
        return {"input_ids": [CLS] + ids + [SEP] if add_special_tokens else ids}


@pytest.fixture
def tok():
    return FakeTokenizer()


def body(window: Window) -> tuple[int, ...]:
    assert window.input_ids[0] == CLS and window.input_ids[-1] == SEP
    return window.input_ids[1:-1]


def word_slices(window: Window) -> list[tuple[int, ...]]:
    """The ids of each referenced word: from its position up to the next word's (or [SEP])."""
    ends = list(window.positions[1:]) + [len(window.input_ids) - 1]
    return [window.input_ids[p:e] for p, e in zip(window.positions, ends)]


# --------------------------------------------------------------------------------------------
# the fake tokenizer itself
# --------------------------------------------------------------------------------------------


def test_fake_tokenizer(tok):
    enc = tok(
        [["abcdefg", "\ufe0f", "hi"]],
        is_split_into_words=True,
        add_special_tokens=False,
        return_attention_mask=False,
        return_token_type_ids=False,
    )
    assert tok.decode(enc["input_ids"][0]) == "abcdefghi"
    assert len(enc["input_ids"][0]) == 4
    assert enc.word_ids(0) == [0, 0, 0, 2]
    assert tok("a", add_special_tokens=True)["input_ids"] == [CLS, tok.piece_ids("a")[0], SEP]


# --------------------------------------------------------------------------------------------
# encoder set-up
# --------------------------------------------------------------------------------------------


def test_special_tokens_around(tok):
    assert special_tokens_around(tok) == ([CLS], [SEP])


def test_special_tokens_around_without_specials(tok):
    class Bare(FakeTokenizer):
        def __call__(self, text, add_special_tokens=True, **kw):
            return super().__call__(text, add_special_tokens=False, **kw)

    assert special_tokens_around(Bare()) == ([], [])


def test_special_tokens_around_failure():
    class Weird(FakeTokenizer):
        def __call__(self, text, add_special_tokens=True, **kw):
            return {"input_ids": [7] if add_special_tokens else [8]}

    with pytest.raises(ValueError, match="^cannot find where the tokenizer puts its special tokens$"):
        special_tokens_around(Weird())


def test_encoder_budget(tok):
    enc = WindowEncoder(tok, max_length=10)
    assert (enc.prefix_ids, enc.suffix_ids, enc.prefix, enc.n_special, enc.budget) == ([CLS], [SEP], 1, 2, 8)
    assert enc.context == "document"


def test_encoder_rejects_bad_arguments(tok):
    with pytest.raises(ConfigError) as info:
        WindowEncoder(tok, max_length=16, context="paragraph")
    assert str(info.value) == "context must be one of document, sentence, not 'paragraph'"
    with pytest.raises(ValueError) as info:
        WindowEncoder(tok, max_length=2)
    assert str(info.value) == "max_length 2 leaves no room for words"
    assert WindowEncoder(tok, max_length=3).budget == 1


def test_word_pieces(tok):
    enc = WindowEncoder(tok, max_length=16)
    pieces = enc.word_pieces([["abcd", "\u200b", "e"], ("fgh",)])
    assert [[tok.decode(p) for p in s] for s in pieces] == [["abcd", "", "e"], ["fgh"]]
    assert [[len(p) for p in s] for s in pieces] == [[2, 0, 1], [1]]
    assert enc.word_pieces([]) == []


def test_word_pieces_tokenizes_each_distinct_word_once(tok, monkeypatch):
    enc = WindowEncoder(tok, max_length=16)
    tok.calls = 0
    enc.word_pieces([["abcd", "e", "abcd"], ["e"]])
    assert tok.calls == 1
    again = enc.word_pieces([["e", "abcd"]])
    assert tok.calls == 1  # every word was cached
    assert [tok.decode(p) for p in again[0]] == ["e", "abcd"]
    monkeypatch.setattr("annotator.windows.PIECE_CACHE_WORDS", 3)
    pieces = enc.word_pieces([["xyzw", "uv", "abcd"]])  # 2 cached + 2 new > 3: starts afresh
    assert tok.calls == 2
    assert [tok.decode(p) for p in pieces[0]] == ["xyzw", "uv", "abcd"]
    assert len(enc._pieces) == 3


# --------------------------------------------------------------------------------------------
# encode
# --------------------------------------------------------------------------------------------

# pieces per word: abc=1 de=1 | fgh=1 | ijk lmn o = 2+1
DOC = [["abc", "de"], ["fgh"], ["ijklmn", "o"]]


def test_document_context_packs_sentences(tok):
    enc = WindowEncoder(tok, max_length=5)  # budget 3
    windows = enc.encode(DOC)
    assert [tok.decode(body(w)) for w in windows] == ["abcdefgh", "ijklmno"]
    assert [len(w.input_ids) for w in windows] == [5, 5]
    assert windows[0].positions == (1, 2, 3)
    assert windows[0].word_refs == ((0, 0), (0, 1), (1, 0))
    assert windows[1].positions == (1, 3)
    assert windows[1].word_refs == ((2, 0), (2, 1))


def test_document_context_counts_the_two_specials(tok):
    # 4 pieces of words fit in max_length 6 but not in max_length 5
    sentences = [["abc", "def"], ["ghi", "jkl"]]
    assert len(WindowEncoder(tok, max_length=6).encode(sentences)) == 1
    assert len(WindowEncoder(tok, max_length=5).encode(sentences)) == 2


def test_document_context_one_window_when_everything_fits(tok):
    windows = WindowEncoder(tok, max_length=512).encode(DOC)
    assert len(windows) == 1
    assert windows[0].word_refs == ((0, 0), (0, 1), (1, 0), (2, 0), (2, 1))
    assert windows[0].positions == (1, 2, 3, 4, 6)


def test_sentence_context_one_window_per_sentence(tok):
    windows = WindowEncoder(tok, max_length=512, context="sentence").encode(DOC)
    assert len(windows) == 3
    assert [{s for s, _ in w.word_refs} for w in windows] == [{0}, {1}, {2}]
    assert [tok.decode(body(w)) for w in windows] == ["abcde", "fgh", "ijklmno"]


def test_long_sentence_is_split_at_word_boundaries(tok):
    words = ["abcdef", "gh", "ijklmnopq", "r", "\ufe0f", "stuvw", "x", "\u200b", "yz"]
    n_pieces = [2, 1, 3, 1, 0, 2, 1, 0, 1]
    enc = WindowEncoder(tok, max_length=6)  # budget 4
    windows = enc.encode([words])
    assert len(windows) > 1
    assert all(len(w.input_ids) <= 6 for w in windows)
    refs = [r for w in windows for r in w.word_refs]
    assert refs == [(0, i) for i, n in enumerate(n_pieces) if n]  # each word once, in order
    # every piece of every word is there, in order: nothing truncated
    assert "".join(tok.decode(body(w)) for w in windows) == "".join(words).replace("\ufe0f", "").replace("\u200b", "")
    # each word lies whole inside one window and its position is its first piece
    for w in windows:
        for (_, w_idx), ids in zip(w.word_refs, word_slices(w)):
            assert tok.decode(ids) == words[w_idx]
            assert len(ids) == n_pieces[w_idx]
    assert [tok.decode(body(w)) for w in windows] == ["abcdefgh", "ijklmnopqr", "stuvwxyz"]


def test_long_sentence_in_sentence_context(tok):
    windows = WindowEncoder(tok, max_length=4, context="sentence").encode([["abcdef", "gh", "i"], ["jkl"]])
    assert [w.word_refs for w in windows] == [((0, 0),), ((0, 1), (0, 2)), ((1, 0),)]


def test_word_longer_than_a_window_keeps_its_first_pieces(tok):
    # documented: a single word longer than the budget is cut to the budget
    windows = WindowEncoder(tok, max_length=4).encode([["ab", "cdefghijklm", "n"]])
    assert [tok.decode(body(w)) for w in windows] == ["ab", "cdefgh", "n"]
    assert [w.word_refs for w in windows] == [((0, 0),), ((0, 1),), ((0, 2),)]


def test_first_index_offsets_sentence_refs(tok):
    enc = WindowEncoder(tok, max_length=5)
    plain = enc.encode(DOC)
    shifted = enc.encode(DOC, first_index=10)
    assert [w.input_ids for w in shifted] == [w.input_ids for w in plain]
    assert [w.positions for w in shifted] == [w.positions for w in plain]
    assert shifted[0].word_refs == ((10, 0), (10, 1), (11, 0))
    assert shifted[1].word_refs == ((12, 0), (12, 1))


def test_encode_empty(tok):
    enc = WindowEncoder(tok, max_length=8)
    assert enc.encode([]) == []
    windows = enc.encode([["abc"], [], ["def"]])
    assert [r for w in windows for r in w.word_refs] == [(0, 0), (2, 0)]


def test_encode_calls_the_tokenizer_once_per_document(tok):
    enc = WindowEncoder(tok, max_length=5)
    tok.calls = 0
    enc.encode(DOC)
    assert tok.calls == 1


words_st = st.one_of(
    st.text(alphabet="abcdefgh", min_size=1, max_size=9),
    st.sampled_from(["\ufe0f", "\u200b", "\u200b\ufe0f"]),
)


@settings(deadline=None, max_examples=150)
@given(
    doc=st.lists(st.lists(words_st, max_size=8), max_size=5),
    max_length=st.integers(5, 14),
    context=st.sampled_from(["document", "sentence"]),
    first_index=st.integers(0, 3),
)
def test_encode_invariants(doc, max_length, context, first_index):
    tok = FakeTokenizer()
    enc = WindowEncoder(tok, max_length=max_length, context=context)
    windows = enc.encode(doc, first_index=first_index)
    # words are at most 3 pieces and the budget at least 3: nothing is cut
    expected_refs = [
        (first_index + s, w) for s, sent in enumerate(doc) for w, word in enumerate(sent) if tok.piece_ids(word)
    ]
    assert [r for win in windows for r in win.word_refs] == expected_refs
    for win in windows:
        assert len(win.input_ids) <= max_length
        assert len(win.positions) == len(win.word_refs)
        assert list(win.positions) == sorted(win.positions)
        for (s, w), ids in zip(win.word_refs, word_slices(win)):
            assert tok.decode(ids) == doc[s - first_index][w]
        if context == "sentence":
            assert len({s for s, _ in win.word_refs}) <= 1
    labels = [window_labels(win, [[1] * len(s) for s in doc]) for win in windows] if first_index == 0 else []
    for win, lab in zip(windows, labels):
        assert [i for i, v in enumerate(lab) if v != IGNORE_INDEX] == list(win.positions)


# --------------------------------------------------------------------------------------------
# window_labels
# --------------------------------------------------------------------------------------------


def test_window_labels(tok):
    windows = WindowEncoder(tok, max_length=512).encode([["abcdef", "g"], ["hi", "jklmnop"]])
    (window,) = windows
    # [CLS] abc def g hi jkl mno p [SEP]
    assert window.positions == (1, 3, 4, 5)
    labels = window_labels(window, [[3, 4], [5, 6]])
    assert labels == [IGNORE_INDEX, 3, IGNORE_INDEX, 4, 5, 6, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]
    assert len(labels) == len(window.input_ids)


def test_window_labels_skip_words_without_pieces(tok):
    (window,) = WindowEncoder(tok, max_length=512).encode([["New", "\ufe0f", "York", "is", "\u200b", "big"]])
    # [CLS] New Yor k is big [SEP]
    assert window.positions == (1, 2, 4, 5)
    assert window.word_refs == ((0, 0), (0, 2), (0, 3), (0, 5))
    labels = window_labels(window, [[1, 9, 2, 0, 9, 0]])
    assert labels == [IGNORE_INDEX, 1, 2, IGNORE_INDEX, 0, 0, IGNORE_INDEX]


# --------------------------------------------------------------------------------------------
# fill_words
# --------------------------------------------------------------------------------------------


def test_fill_words_sentence_with_invisible_words(tok):
    words = ["New", "\ufe0f", "York", "is", "\u200b", "big"]
    (window,) = WindowEncoder(tok, max_length=512).encode([words])
    tags = fill_words([len(words)], [(window, ["B-LOC", "I-LOC", "O", "O"])])
    assert tags == [["B-LOC", "I-LOC", "I-LOC", "O", "O", "O"]]


@pytest.mark.parametrize(
    "predicted, expected",
    [
        # (tags of the words with pieces: a, c, e) -> tags of a, ∅, c, ∅, e
        (["B-LOC", "I-LOC", "I-LOC"], ["B-LOC", "I-LOC", "I-LOC", "I-LOC", "I-LOC"]),
        (["B-LOC", "B-LOC", "O"], ["B-LOC", "O", "B-LOC", "O", "O"]),  # next opens a new entity
        (["O", "I-LOC", "O"], ["O", "O", "I-LOC", "O", "O"]),  # previous is O
        (["I-PER", "I-LOC", "I-LOC"], ["I-PER", "O", "I-LOC", "I-LOC", "I-LOC"]),  # type change
        (["B-LOC", "O", "I-LOC"], ["B-LOC", "O", "O", "O", "I-LOC"]),
        (
            ["B-creative-work", "I-creative-work", "O"],
            ["B-creative-work", "I-creative-work", "I-creative-work", "O", "O"],
        ),
    ],
)
def test_fill_words_gap_rule(tok, predicted, expected):
    words = ["a", "\u200b", "c", "\ufe0f", "e"]
    (window,) = WindowEncoder(tok, max_length=512).encode([words])
    assert window.word_refs == ((0, 0), (0, 2), (0, 4))
    assert fill_words([5], [(window, predicted)]) == [expected]


def test_fill_words_edges_and_runs(tok):
    words = ["\ufe0f", "a", "\u200b", "\ufe0f", "b", "\u200b"]
    (window,) = WindowEncoder(tok, max_length=512).encode([words])
    # invisible words at the start and end are O; a run of them inside an entity is I-
    assert fill_words([6], [(window, ["B-PER", "I-PER"])]) == [["O", "B-PER", "I-PER", "I-PER", "I-PER", "O"]]
    # a sentence of invisible words only
    (window,) = WindowEncoder(tok, max_length=512).encode([["\u200b", "\ufe0f"]])
    assert window.word_refs == ()
    assert fill_words([2], [(window, [])]) == [["O", "O"]]


def test_fill_words_across_windows_with_first_index(tok):
    doc = [["abcdef", "gh", "\ufe0f", "ijk"], ["lmn", "opq"]]
    enc = WindowEncoder(tok, max_length=4)  # budget 2: the first sentence needs two windows
    windows = enc.encode(doc, first_index=7)
    assert [w.word_refs for w in windows] == [((7, 0),), ((7, 1), (7, 3)), ((8, 0), (8, 1))]
    gold = {(7, 0): "B-ORG", (7, 1): "I-ORG", (7, 3): "I-ORG", (8, 0): "O", (8, 1): "B-PER"}
    predictions = [(w, [gold[r] for r in w.word_refs]) for w in windows]
    assert fill_words([4, 2], predictions, first_index=7) == [["B-ORG", "I-ORG", "I-ORG", "I-ORG"], ["O", "B-PER"]]


def test_fill_words_round_trip_with_window_labels(tok):
    # the labels a window trains on and the tags fill_words decodes line up word for word
    label_names = ["O", "B-LOC", "I-LOC"]
    words = ["New", "\ufe0f", "Yorkshire", "is", "\u200b", "big"]
    tag_ids = [1, 2, 2, 0, 0, 0]
    (window,) = WindowEncoder(tok, max_length=512).encode([words])
    labels = window_labels(window, [tag_ids])
    predicted = [label_names[labels[p]] for p in window.positions]
    assert fill_words([6], [(window, predicted)]) == [[label_names[i] for i in tag_ids]]


# --------------------------------------------------------------------------------------------
# the real tokenizer of the default base encoder
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_tokenizer():
    from annotator.model import default_base_encoder

    try:
        path = default_base_encoder()
    except ModelError as exc:
        pytest.skip(f"default base encoder not installed: {exc}")
    transformers = pytest.importorskip("transformers")
    return transformers.AutoTokenizer.from_pretrained(str(path), trust_remote_code=False)


def test_cached_word_pieces_equal_the_tokenizer_on_whole_sentences(real_tokenizer):
    """The cache tokenizes words one by one; the pieces must equal those of a whole-sentence call."""
    sentences = [
        ["Anna", "O'Neill", "visited", "U.S.", "'s", "Lyon-based", "1,000.50", "Nordkapp", "\u200b", "."],
        ["東京", "Zürich", "naïve", "\ufe0f", "😀", "ÉCOLE", "x" * 60, "12:30", "--", "A.B.C."],
        ["Anna", "visited", "東京", "again"],
    ]
    enc = WindowEncoder(real_tokenizer, max_length=16)
    cached = enc.word_pieces(sentences)
    batch = real_tokenizer(sentences, is_split_into_words=True, add_special_tokens=False)
    for i, sentence in enumerate(sentences):
        expected = [[] for _ in sentence]
        for tok_id, wid in zip(batch["input_ids"][i], batch.word_ids(i)):
            expected[wid].append(tok_id)
        assert cached[i] == expected


def test_real_tokenizer_invisible_words(real_tokenizer):
    enc = WindowEncoder(real_tokenizer, max_length=16)
    words = ["Anna", "\ufe0f", "visited", "Nordkapp", "\u200b", "today", "\ufe0f"]
    pieces = enc.word_pieces([words])[0]
    assert pieces[1] == []
    assert all(pieces[i] for i in (0, 2, 3, 5))
    windows = enc.encode([words, ["Oslo", "\ufe0f"]])
    refs = [r for w in windows for r in w.word_refs]
    assert (0, 1) not in refs and (1, 1) not in refs
    assert all(len(w.input_ids) <= 16 for w in windows)
    predictions = [(w, ["B-LOC" if wi == 0 else "I-LOC" for _, wi in w.word_refs]) for w in windows]
    tags = fill_words([len(words), 2], predictions)
    assert [len(t) for t in tags] == [len(words), 2]
    assert all(isinstance(t, str) and t for sentence in tags for t in sentence)
    assert tags == [["B-LOC", "I-LOC", "I-LOC", "I-LOC", "I-LOC", "I-LOC", "O"], ["B-LOC", "O"]]


# --- overlapping windows for long sentences (inference) ---------------------------------------


def test_long_sentence_windows_overlap_and_cover_every_word(tok):
    words = [f"w{i:03d}x" for i in range(40)]  # 2 pieces each ("w00", "0x"): 80 pieces
    enc = WindowEncoder(tok, max_length=22, overlap=6)  # budget 20 pieces = 10 words, overlap 3 words
    windows = enc.encode([words])
    covered = [w for win in windows for _, w in win.word_refs]
    assert set(covered) == set(range(40))
    for a, b in zip(windows, windows[1:]):
        shared = {w for _, w in a.word_refs} & {w for _, w in b.word_refs}
        assert len(shared) == 3  # 6 pieces of overlap = 3 words
        assert all(len(win.input_ids) <= 22 for win in (a, b))


def test_overlap_larger_than_half_a_window_is_refused(tok):
    with pytest.raises(ValueError, match="window overlap 11 must be between 0 and half a window"):
        WindowEncoder(tok, max_length=22, overlap=11)


def test_decode_takes_each_word_from_the_window_where_it_is_most_central(tok):
    import numpy as np

    from annotator.decode import decode_words

    labels = ("O", "B-PER", "I-PER")
    words = [f"w{i:03d}x" for i in range(40)]
    enc = WindowEncoder(tok, max_length=22, overlap=6)
    windows = enc.encode([words])
    # each window votes B-PER for every word it holds at its left edge half, O elsewhere;
    # overlapping words must take the vote of the window where they sit nearer the middle
    scored = []
    for win in windows:
        rows = np.log(np.full((len(win.positions), 3), 0.01))
        for k, pos in enumerate(win.positions):
            centre = min(pos, len(win.input_ids) - 1 - pos)
            rows[k] = np.log([0.98, 0.01, 0.01]) if centre >= 3 else np.log([0.01, 0.98, 0.01])
        scored.append((win, rows))
    [(tags, _)] = decode_words([40], scored, labels, decoding="argmax")
    # words at the very start/end of the sentence only ever sit at an edge: B-PER; all joins resolve to O
    assert tags[0] == "B-PER" and tags[-1] == "B-PER"
    assert tags[5:35].count("B-PER") == 0
