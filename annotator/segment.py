"""Raw text → sentences of words with character offsets (pure, no model).

Words follow CoNLL-2003's tokenization closely enough for a model trained on it: punctuation is
split off, dotted abbreviations (U.S.), common abbreviations (Mr., Inc.), initials (B. Young) and
numbers (1,000.5, 2-1) stay whole, inner hyphens and apostrophes stay (O'Neill, Lyon-based) except
the clitic 's, which is its own word as in CoNLL.
Sentences end after . ! ? (and closing quotes/brackets) before an upper-case letter, digit,
quote or bracket, and at line breaks. They only decide where windows may break: windows still
pack consecutive sentences, so the model sees the same document context as in training.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# A period after these (or after a single letter, an initial) belongs to the word, as in CoNLL.
_ABBREVIATIONS = (
    "mrs mr ms dr st jr sr prof gen col lt sgt capt gov sen rep rev inc corp co ltd no vs etc "
    "jan feb mar apr jun jul aug sept sep oct nov dec mt ft"
).split()

WORD_RE = re.compile(
    r"(?:[^\W\d_]\.){2,}"                     # U.S.  U.K.
    r"|(?i:" + "|".join(_ABBREVIATIONS) + r")\.(?=\s|$)"  # Mr.  Inc.
    r"|[^\W\d_]\.(?=\s)"                       # initials: B. Young
    r"|\d+(?:[.,:/-]\d+)*"                    # 1,000.50  2-1  12:30
    r"|['’]s\b"                               # clitic 's
    r"|[^\W_]+(?:(?:-|['’](?!s\b))[^\W_]+)*"  # words, Lyon-based, O'Neill
    r"|\S",                                   # any other single symbol
)
_END = frozenset(".!?")
_CLOSERS = frozenset("\"'”’)]»")
_OPENERS = frozenset("\"'“‘([«")

Offsets = tuple[int, int]


def split_words(text: str) -> list[Offsets]:
    """Half-open character spans of the words of ``text``."""
    return [m.span() for m in WORD_RE.finditer(text)]


def split_sentences(text: str) -> list[list[Offsets]]:
    """Words of ``text`` grouped into sentences (each a non-empty list of character spans)."""
    return list(iter_sentences(text))


def iter_sentences(text: str) -> Iterator[list[Offsets]]:
    """The sentences of :func:`split_sentences`, found lazily (flat memory on a long text)."""
    current: list[Offsets] = []
    words = (m.span() for m in WORD_RE.finditer(text))
    nxt = next(words, None)
    while nxt is not None:
        start, end = nxt
        nxt = next(words, None)
        if current and "\n" in text[current[-1][1]:start]:
            yield current
            current = []
        current.append((start, end))
        if text[start:end] in _END or (text[start:end] in _CLOSERS and len(current) > 1
                                       and text[current[-2][0]:current[-2][1]] in _END):
            if nxt is None:
                continue
            if text[nxt[0]:nxt[1]] in _CLOSERS and nxt[0] == end:
                continue  # a closing quote or bracket right after the stop belongs to this sentence
            first = text[nxt[0]]
            if nxt[0] > end and (first.isupper() or first.isdigit() or first in _OPENERS):
                yield current
                current = []
    if current:
        yield current
