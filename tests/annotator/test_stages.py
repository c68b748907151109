"""The pure stages on hand-made inputs: prepare packs the windows WindowEncoder makes, finish decodes
as decode_words + tags_to_spans do, and a streamed document gives the windows of the whole one."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.decode import decode_words
from annotator.labels import Span, tags_to_spans
from annotator.model import DEFAULT_MODEL_DIR
from annotator.segment import iter_sentences, split_sentences
from annotator.stages import Packed, Preparer, StageSettings, _PieceTokenizer, _tokenizes_words_alone, finish
from annotator.windows import Window, WindowEncoder

LABELS = ("O", "B-LOC", "I-LOC", "B-PER", "I-PER")
TEXTS = [
    "Maria Lindqvist flew from Oslo to Toronto. She met Vantor Labs on Friday.",
    "",
    "A zero\u200bwidth \ufe0f word and Mr. B. Young of the U.S. said 1,000.5 things.\nNew line here.",
    " ".join(["Supercalifragilisticexpialidocious"] * 30) + ". Short one.",
    "One. Two. Three. Four. Five. Six. Seven. Eight. Nine. Ten.",
]


@pytest.fixture(scope="module")
def hf_tokenizer():
    from annotator.model import load_tokenizer

    if not (DEFAULT_MODEL_DIR / "tokenizer.json").is_file():
        pytest.skip("needs the shipped model's tokenizer")
    return load_tokenizer(DEFAULT_MODEL_DIR)


def settings_for(tokenizer, *, max_length=24, context="document", overlap=4, **kwargs) -> StageSettings:
    encoder = WindowEncoder(tokenizer, max_length=max_length)
    return StageSettings(
        tokenizer_json=tokenizer.backend_tokenizer.to_str(),
        prefix_ids=tuple(encoder.prefix_ids),
        suffix_ids=tuple(encoder.suffix_ids),
        max_length=max_length,
        context=context,
        overlap=overlap,
        labels=LABELS,
        **kwargs,
    )


def windows_of(packed: Packed) -> list[list[Window]]:
    """The packed windows as Window objects with (sentence in document, word in sentence) refs."""
    sentence_start = np.cumsum(packed.sentence_words) - packed.sentence_words
    sentence_of_word = np.repeat(np.arange(len(packed.sentence_words)), packed.sentence_words)
    doc_of_sentence = np.repeat(np.arange(packed.n_docs), packed.doc_sentences)
    doc_first_sentence = np.cumsum(packed.doc_sentences) - packed.doc_sentences
    out: list[list[Window]] = [[] for _ in range(packed.n_docs)]
    tok = np.concatenate([[0], np.cumsum(packed.window_tokens)])
    pos = np.concatenate([[0], np.cumsum(packed.window_positions)])
    for k in range(len(packed.window_tokens)):
        words = packed.position_words[pos[k] : pos[k + 1]]
        sentences = sentence_of_word[words]
        doc = int(doc_of_sentence[sentences[0]]) if len(words) else None
        refs = tuple((int(s - doc_first_sentence[doc]), int(w - sentence_start[s])) for s, w in zip(sentences, words))
        types = None if packed.type_ids is None else tuple(packed.type_ids[tok[k] : tok[k + 1]].tolist())
        window = Window(
            tuple(packed.input_ids[tok[k] : tok[k + 1]].tolist()),
            tuple(packed.positions[pos[k] : pos[k + 1]].tolist()),
            refs,
            types,
        )
        out[doc if doc is not None else 0].append(window)
    return out


@pytest.mark.parametrize(("context", "word_shapes"), [("document", False), ("sentence", False), ("document", True)])
def test_prepare_packs_the_windows_of_the_window_encoder(hf_tokenizer, context, word_shapes):
    settings = settings_for(hf_tokenizer, context=context, word_shapes=word_shapes)
    packed = Preparer(settings).prepare(TEXTS)
    assert (packed.type_ids is not None) == word_shapes
    encoder = WindowEncoder(hf_tokenizer, max_length=24, context=context, overlap=4, word_shapes=word_shapes)
    expected = []
    for text in TEXTS:
        sentences = split_sentences(text)
        expected.append(encoder.encode([[text[s:e] for s, e in sent] for sent in sentences]))
    assert windows_of(packed) == expected
    assert packed.word_spans.tolist() == [list(w) for text in TEXTS for sent in split_sentences(text) for w in sent]
    assert packed.doc_sentences.tolist() == [len(split_sentences(t)) for t in TEXTS]
    assert pickle.loads(pickle.dumps(packed)).input_ids.tolist() == packed.input_ids.tolist()


def test_a_streamed_document_has_the_windows_of_the_whole_document(hf_tokenizer):
    text = " ".join(TEXTS * 20)
    settings = settings_for(hf_tokenizer, piece_windows=5, word_shapes=True)
    whole = Preparer(settings).prepare([text])
    pieces = list(Preparer(settings).prepare_stream(text))
    assert len(pieces) > 5 and all(p.n_docs == 1 for p in pieces)
    assert all(len(p.window_tokens) >= 5 for p in pieces[:-1])
    for name in ("input_ids", "type_ids", "window_tokens", "positions", "window_positions", "sentence_words"):
        assert np.array_equal(np.concatenate([getattr(p, name) for p in pieces]), getattr(whole, name)), name
    assert np.array_equal(np.concatenate([p.word_spans for p in pieces]), whole.word_spans)


_WORDS = st.lists(
    st.text(st.characters(blacklist_categories=("Zs", "Cc", "Cs")), min_size=1, max_size=12)
    | st.sampled_from(["U.S.", "1,000.5", "don't", "\u200b", "\ufe0f", "Ünïcödé", "東京", "x" * 120, "e\u0301"]),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(words=_WORDS)
def test_one_sequence_of_words_gives_each_word_its_own_subwords(hf_tokenizer, words):
    """BERT's tokenizer treats each pre-split word alone, so all missing words go in one sequence; cut back
    into words, it gives the subwords of one encoding per word (zero-width words give none)."""
    tokenize = _PieceTokenizer(hf_tokenizer.backend_tokenizer.to_str())
    assert tokenize.one_sequence
    assert tokenize(words) == tokenize.each_alone(words)


def test_tokenizers_that_mark_where_a_word_stands_are_called_word_by_word():
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    metaspace = Tokenizer(models.Unigram([("<unk>", 0.0), ("▁a", -1.0), ("a", -1.5)], 0))
    metaspace.pre_tokenizer = pre_tokenizers.Metaspace()
    byte_level = Tokenizer(models.BPE())
    byte_level.pre_tokenizer = pre_tokenizers.ByteLevel()
    byte_level.decoder = decoders.ByteLevel()
    wordpiece = Tokenizer(models.WordPiece({"[UNK]": 0, "a": 1}, unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.Lowercase()])
    wordpiece.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.Digits()])
    assert not _tokenizes_words_alone(metaspace.to_str())
    assert not _tokenizes_words_alone(byte_level.to_str())
    assert _tokenizes_words_alone(wordpiece.to_str())
    wordpiece.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.Metaspace()])
    assert not _tokenizes_words_alone(wordpiece.to_str())
    words = ["a", "aa", "b a"]
    tokenize = _PieceTokenizer(metaspace.to_str())
    assert not tokenize.one_sequence and tokenize(words) == tokenize.each_alone(words)


def test_iter_sentences_is_split_sentences():
    text = "Dr. Smith said \"Go.\" Then he left!\n(It rained.) 2-1 win. O'Neill's U.S. trip... ok? Yes"
    assert list(iter_sentences(text)) == split_sentences(text)
    assert list(iter_sentences("")) == []


def hand_packed() -> Packed:
    """Two documents: doc 0 has sentence 0 (3 words) and sentence 1 (2 words, the second without a
    subword); doc 1 has sentence 2 (4 words) split over two overlapping windows sharing word 7."""
    return Packed(
        word_spans=np.array(
            [[0, 5], [6, 15], [16, 20], [21, 25], [26, 27], [0, 4], [5, 9], [10, 14], [15, 20]], dtype=np.int64
        ),
        sentence_words=np.array([3, 2, 4]),
        doc_sentences=np.array([2, 1]),
        input_ids=np.zeros(0, dtype=np.int64),
        window_tokens=np.array([7, 5, 5]),
        positions=np.array([1, 2, 4, 5, 1, 2, 3, 1, 2]),  # window 0: words 0-3; window 1: 5-7; window 2: 7, 8
        window_positions=np.array([4, 3, 2]),
        position_words=np.array([0, 1, 2, 3, 5, 6, 7, 7, 8]),
    )


def log_rows(*labels: str, p: float = 0.9) -> np.ndarray:
    rows = np.full((len(labels), len(LABELS)), np.log((1 - p) / (len(LABELS) - 1)), dtype=np.float32)
    for k, label in enumerate(labels):
        rows[k, LABELS.index(label)] = np.log(p)
    return rows


def test_finish_decodes_hand_made_scores():
    packed = hand_packed()
    log_probs = log_rows("B-PER", "I-PER", "O", "I-LOC", "B-PER", "O", "I-PER", "B-LOC", "I-PER")
    log_probs[3] = np.log(np.array([0.3, 0.05, 0.4, 0.15, 0.1], dtype=np.float32))  # argmax I-LOC opens nothing
    # word 7 sits at position 3 of window 1 (width 5: 1 from the edge) and at position 1 of window 2
    # (also 1): a tie, so the first window's row wins (I-PER 0.6, B-PER 0.3), not window 2's B-LOC
    log_probs[6] = np.log(np.array([0.04, 0.03, 0.02, 0.3, 0.61], dtype=np.float32))
    f = [float(np.float32(x)) for x in (0.9, 0.3, 0.61, 0.4)]
    spans = finish(packed, log_probs, labels=LABELS)
    # sentence 1: Viterbi gives O to word 3 (no I- at a start); word 4 (no subword) follows it: O
    # sentence 2: B-PER O I-PER I-PER is invalid; B-PER O B-PER I-PER is the best valid sequence
    assert spans == [
        [Span(0, 15, "PER", round((f[0] + f[0]) / 2, 4))],
        [Span(0, 4, "PER", round(f[0], 4)), Span(10, 20, "PER", round((f[1] + f[0]) / 2, 4))],
    ]
    argmax = finish(packed, log_probs, labels=LABELS, decoding="argmax")
    assert argmax == [
        [Span(0, 15, "PER", round(f[0], 4)), Span(21, 25, "LOC", round(f[3], 4))],
        [Span(0, 4, "PER", round(f[0], 4)), Span(10, 20, "PER", round((f[2] + f[0]) / 2, 4))],
    ]


def reference_spans(
    packed: Packed, log_probs: np.ndarray, decoding: str, cased_entities: bool = False
) -> list[list[Span]]:
    """decode_words + tags_to_spans per document, as TokenClassifier did before the stages."""
    windows = windows_of(packed)
    pos = np.concatenate([[0], np.cumsum(packed.window_positions)])
    rows = [log_probs[pos[k] : pos[k + 1]] for k in range(len(packed.window_tokens))]
    out, k, s0, w0 = [], 0, 0, 0
    for d in range(packed.n_docs):
        lengths = packed.sentence_words[s0 : s0 + packed.doc_sentences[d]].tolist()
        doc_windows = windows[d] if d < len(windows) else []
        decoded = decode_words(
            lengths,
            zip(doc_windows, rows[k : k + len(doc_windows)]),
            LABELS,
            decoding=decoding,
            cased_entities=cased_entities,
        )
        k += len(doc_windows)
        spans = []
        for n, (tags, probs) in zip(lengths, decoded):
            for span in tags_to_spans(tags):
                p = probs[span.start : span.end]
                spans.append(
                    Span(
                        int(packed.word_spans[w0 + span.start, 0]),
                        int(packed.word_spans[w0 + span.end - 1, 1]),
                        span.label,
                        round(sum(p) / len(p), 4),
                    )
                )
            w0 += n
        s0 += packed.doc_sentences[d]
        out.append(spans)
    return out


@pytest.mark.parametrize("decoding", ["constrained", "argmax"])
def test_finish_equals_the_per_sentence_decoder_on_random_scores(hf_tokenizer, decoding):
    settings = settings_for(hf_tokenizer)
    packed = Preparer(settings).prepare(TEXTS * 3)
    rng = np.random.default_rng(0)
    for _ in range(5):
        logits = rng.normal(size=(len(packed.positions), len(LABELS))).astype(np.float32) * 3
        log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        assert finish(packed, log_probs, labels=LABELS, decoding=decoding) == reference_spans(
            packed, log_probs, decoding
        )


@pytest.mark.parametrize("decoding", ["constrained", "argmax"])
def test_finish_drops_uncased_entities_as_the_per_sentence_decoder_does(hf_tokenizer, decoding):
    settings = settings_for(hf_tokenizer, word_shapes=True)
    texts = [*TEXTS, "no capitals here at all, none. But Oslo has one and so does 1990 here."] * 3
    packed = Preparer(settings).prepare(texts)
    assert packed.position_shapes is not None and (packed.position_shapes == 0).any()
    rng = np.random.default_rng(1)
    dropped = 0
    for _ in range(5):
        logits = rng.normal(size=(len(packed.positions), len(LABELS))).astype(np.float32) * 3
        log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        kept = finish(packed, log_probs, labels=LABELS, decoding=decoding, cased_entities=True)
        assert kept == reference_spans(packed, log_probs, decoding, cased_entities=True)
        every = finish(packed, log_probs, labels=LABELS, decoding=decoding)
        dropped += sum(len(a) - len(b) for a, b in zip(every, kept))
        for doc, spans in zip(texts, kept):
            for span in spans:
                assert any(c.isupper() or c.isdigit() for c in doc[span.start : span.end]), doc[span.start : span.end]
    assert dropped > 0, "random scores never predicted an uncased entity: the test would check nothing"


def test_finish_of_nothing():
    empty = Packed(
        np.zeros((0, 2), dtype=np.int64), *(np.zeros(0, dtype=np.int64),) * 2, *(np.zeros(0, dtype=np.int64),) * 5
    )
    assert finish(empty, np.zeros((0, len(LABELS)), dtype=np.float32), labels=LABELS) == []


def test_viterbi_over_many_sentences_at_once_is_viterbi_per_sentence():
    from annotator.decode import viterbi
    from annotator.stages import _viterbi_many

    rng = np.random.default_rng(1)
    for _ in range(100):
        lengths = rng.integers(1, 12, size=rng.integers(1, 8))
        rows = rng.normal(size=(lengths.sum() + 3, len(LABELS))).astype(np.float32)
        firsts = np.concatenate([[0], np.cumsum(lengths)[:-1]]) + 1
        best = np.full(len(rows), -7)
        _viterbi_many(rows, firsts, firsts + lengths, LABELS, best)
        for a, n in zip(firsts, lengths):
            assert best[a : a + n].tolist() == viterbi(rows[a : a + n], LABELS).tolist()
        assert best[0] == -7 and best[-2:].tolist() == [-7] * 2


def test_forward_feeds_word_shapes_as_the_tagger_does(tmp_path, hf_tokenizer):
    """A model that takes word shapes gets them from the stages exactly as from WordTagger (and they matter)."""
    import dataclasses
    import json

    import torch
    from transformers import BertConfig, BertForTokenClassification

    from annotator.inference import TokenClassifier
    from annotator.shapes import SHAPES
    from annotator.stages import forward

    torch.manual_seed(3)
    config = BertConfig(
        vocab_size=hf_tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        type_vocab_size=len(SHAPES),
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={v: k for k, v in enumerate(LABELS)},
    )
    BertForTokenClassification(config).save_pretrained(tmp_path)
    hf_tokenizer.save_pretrained(tmp_path)
    meta = {"max_length": 24, "context": "document", "word_shapes": list(SHAPES)}
    (tmp_path / "annotator.json").write_text(json.dumps(meta), encoding="utf-8")
    clf = TokenClassifier.load(tmp_path, device="cpu", precision="fp32")
    packed = Preparer(StageSettings.from_tagger(clf.tagger)).prepare(TEXTS)
    assert packed.type_ids is not None and set(packed.type_ids.tolist()) > {0}
    got = forward(packed, tagger=clf.tagger)
    windows = [w for doc in clf.prepare(TEXTS).windows for w in doc]
    expected = np.concatenate(clf.tagger.window_log_probs(windows))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    lowered = forward(dataclasses.replace(packed, type_ids=np.zeros_like(packed.type_ids)), tagger=clf.tagger)
    assert not np.allclose(lowered, got, atol=1e-3)  # the shapes reach the model
