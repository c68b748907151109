"""Word shapes: the capital letters an uncased encoder never sees, given back as one class per word.

An uncased tokenizer lower-cases every word, so ``Rail`` and ``rail`` reach the model as the same
subwords. A model trained with word shapes gets, for every subword, the shape class of the word it
belongs to, computed from the word's original text, as its ``token_type_ids``: BERT's token-type
embedding is resized to :data:`N_SHAPES` rows (``type_vocab_size`` in the config), so the model
directory stays a plain ``BertForTokenClassification``. Special tokens and padding get class 0,
and so does every word of a caller that passes no token types (``transformers.pipeline``): such a
caller sees every word as lower-case.
"""

from __future__ import annotations

from functools import lru_cache

SHAPES = ("lower", "title", "upper", "mixed", "digit", "other")
N_SHAPES = len(SHAPES)
LOWER, TITLE, UPPER, MIXED, DIGIT, OTHER = range(N_SHAPES)
CASED = frozenset((TITLE, UPPER, MIXED, DIGIT))  # shapes with an upper-case letter or a digit
META_KEY = "word_shapes"  # annotator.json: the list of shape classes the model was trained with


@lru_cache(maxsize=1 << 16)
def word_shape(word: str) -> int:
    """The shape class of ``word``.

    ``digit``: any decimal digit (``1990``, ``A4``); ``other``: no letter at all (punctuation,
    symbols); ``lower``: no upper-case letter (also scripts without case, such as CJK); ``upper``:
    two or more cased letters, all upper-case (``NATO``); ``title``: the first cased letter
    upper-case and no other (``Rail``, ``I``, ``O'neil``); ``mixed``: anything else (``iPhone``,
    ``McDonald``).
    """
    if any(c.isdecimal() for c in word):
        return DIGIT
    cased = [c for c in word if c.isupper() or c.islower()]
    if not cased:
        return LOWER if any(c.isalpha() for c in word) else OTHER
    uppers = [c.isupper() for c in cased]
    if not any(uppers):
        return LOWER
    if all(uppers):
        return UPPER if len(cased) > 1 else TITLE
    if uppers[0] and not any(uppers[1:]):
        return TITLE
    return MIXED


def token_type_embeddings(model):
    """The token-type embedding of a BERT-like model, or ``None`` when it has none (MPNet, RoBERTa
    with one type count as none: resizing them is not supported)."""
    embeddings = getattr(getattr(model, "base_model", None), "embeddings", None)
    return getattr(embeddings, "token_type_embeddings", None)


def add_shape_embeddings(model) -> None:
    """Resize ``model``'s token-type embedding to :data:`N_SHAPES` rows, every row a copy of the
    encoder's type-0 row, so the model starts exactly as the pretrained encoder and learns the rows
    apart. Raises ``ValueError`` for an encoder without token-type embeddings."""
    import torch

    old = token_type_embeddings(model)
    if old is None:
        raise ValueError("the encoder has no token-type embedding to carry word shapes")
    new = torch.nn.Embedding(N_SHAPES, old.embedding_dim, dtype=old.weight.dtype, device=old.weight.device)
    with torch.no_grad():
        new.weight.copy_(old.weight[0].expand(N_SHAPES, -1))
    model.base_model.embeddings.token_type_embeddings = new
    model.config.type_vocab_size = N_SHAPES
    buffer = getattr(model.base_model.embeddings, "token_type_ids", None)
    if buffer is not None:
        buffer.zero_()
