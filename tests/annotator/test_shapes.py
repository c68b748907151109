"""Word shapes: the classes, their place in windows, the resized token-type embedding."""

from __future__ import annotations

import json

import pytest

from annotator.conll import has_document_markers
from annotator.shapes import DIGIT, LOWER, MIXED, N_SHAPES, OTHER, TITLE, UPPER, add_shape_embeddings, word_shape
from annotator.windows import WindowEncoder


@pytest.mark.parametrize(
    ("word", "shape"),
    [
        ("rail", LOWER),
        ("élan", LOWER),
        ("北京", LOWER),
        ("Rail", TITLE),
        ("I", TITLE),
        ("É", TITLE),
        ("S.", TITLE),
        ("NATO", UPPER),
        ("U.S.", UPPER),
        ("iPhone", MIXED),
        ("McDonald", MIXED),
        ("O'Neil", MIXED),
        ("1990", DIGIT),
        ("A4", DIGIT),
        ("٣", DIGIT),
        (",", OTHER),
        ("--", OTHER),
        ("🙂", OTHER),
    ],
)
def test_word_shape_classes(word, shape):
    assert word_shape(word) == shape


@pytest.fixture(scope="module")
def tokenizer():
    from annotator.errors import ModelError
    from annotator.model import default_base_encoder, load_tokenizer

    try:
        return load_tokenizer(default_base_encoder())
    except ModelError as exc:
        pytest.skip(f"needs the MiniLM tokenizer: {exc}")


def test_every_subword_carries_its_words_shape(tokenizer):
    words = ["Northwind", "Bank", "hired", "NATO", "staff", "in", "1990", "."]
    encoder = WindowEncoder(tokenizer, max_length=32, word_shapes=True)
    (window,) = encoder.encode([words])
    assert window.type_ids is not None and len(window.type_ids) == len(window.input_ids)
    assert window.type_ids[0] == 0 and window.type_ids[-1] == 0  # [CLS], [SEP]
    pieces = encoder.word_pieces([words])[0]
    assert len(pieces[0]) > 1  # "northwind" splits, so the test sees a word of several subwords
    expected = [0] + [word_shape(w) for w, p in zip(words, pieces) for _ in p] + [0]
    assert list(window.type_ids) == expected
    assert [window.type_ids[p] for p in window.positions] == [TITLE, TITLE, LOWER, UPPER, LOWER, LOWER, DIGIT, OTHER]


def test_windows_without_shapes_are_unchanged(tokenizer):
    words = ["Northwind", "Bank"]
    plain = WindowEncoder(tokenizer, max_length=32).encode([words])
    shaped = WindowEncoder(tokenizer, max_length=32, word_shapes=True).encode([words])
    assert plain[0].type_ids is None
    assert (plain[0].input_ids, plain[0].positions) == (shaped[0].input_ids, shaped[0].positions)


def test_split_sentences_keep_shapes_in_every_window(tokenizer):
    words = ["Alpha", "beta", "GAMMA", "Delta"] * 10
    encoder = WindowEncoder(tokenizer, max_length=12, overlap=2, word_shapes=True)
    windows = encoder.encode([words])
    assert len(windows) > 1
    for window in windows:
        assert len(window.type_ids) == len(window.input_ids)
        assert [window.type_ids[p] for p in window.positions] == [word_shape(words[w]) for _, w in window.word_refs]


def test_resized_embedding_starts_as_the_encoder():
    import torch
    from transformers import BertConfig, BertForTokenClassification

    torch.manual_seed(0)
    model = BertForTokenClassification(
        BertConfig(
            vocab_size=50,
            hidden_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=32,
            num_labels=3,
        )
    ).eval()
    ids = torch.tensor([[1, 5, 7, 9, 2]])
    before = model(input_ids=ids).logits
    add_shape_embeddings(model)
    assert model.config.type_vocab_size == N_SHAPES
    table = model.bert.embeddings.token_type_embeddings.weight
    assert table.shape[0] == N_SHAPES and torch.equal(table[3], table[0])
    # every shape starts as the encoder's type 0, so the output does not change until training moves them
    assert torch.allclose(model(input_ids=ids, token_type_ids=torch.tensor([[0, 1, 2, 3, 4]])).logits, before)


def test_encoder_without_token_types_is_refused():
    class NoTypes:
        base_model = None

    with pytest.raises(ValueError, match="no token-type embedding"):
        add_shape_embeddings(NoTypes())


def test_document_markers(tmp_path):
    marked = tmp_path / "a.conll"
    marked.write_text("\ufeff-DOCSTART- -X- O O\n\nJohn B-PER\n", encoding="utf-8")
    plain = tmp_path / "b.conll"
    plain.write_text("John B-PER\n\nin O\n", encoding="utf-8")
    assert has_document_markers(marked) and not has_document_markers(plain)


def test_train_context_auto_follows_the_data(tmp_path):
    from annotator.training.config import TrainConfig

    plain = tmp_path / "tweets.conll"
    plain.write_text("John B-PER\n\nin O\n", encoding="utf-8")
    no_markers = TrainConfig(train=plain, dev=plain, output=tmp_path / "m")
    assert no_markers.resolved_context == "sentence"
    assert no_markers.hyperparameters["context"] == "sentence"
    marked = tmp_path / "news.conll"
    marked.write_text("-DOCSTART- O\n\nJohn B-PER\n", encoding="utf-8")
    assert TrainConfig(train=marked, dev=plain, output=tmp_path / "m").resolved_context == "document"
    assert TrainConfig(train=plain, dev=plain, output=tmp_path / "m", context="document").resolved_context == "document"


def test_a_model_that_claims_shapes_needs_the_embedding(tmp_path):
    from transformers import AutoTokenizer, BertConfig, BertForTokenClassification

    from annotator.errors import ModelError
    from annotator.model import default_base_encoder, load_model

    try:
        tokenizer = AutoTokenizer.from_pretrained(default_base_encoder())
    except ModelError as exc:
        pytest.skip(f"needs the MiniLM tokenizer: {exc}")
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        id2label={0: "O", 1: "B-PER", 2: "I-PER"},
    )
    BertForTokenClassification(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    (tmp_path / "annotator.json").write_text(json.dumps({"word_shapes": ["lower"]}), encoding="utf-8")
    with pytest.raises(ModelError, match="type_vocab_size 2 \\(needs 6\\)"):
        load_model(tmp_path, device="cpu")
