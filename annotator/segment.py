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

# A period after these (or after a single letter, an initial) belongs to the word, as in CoNLL.
_ABBREVIATIONS = (
    "mrs mr ms dr st jr sr prof gen col lt sgt capt gov sen rep rev inc corp co ltd no vs etc "
    "jan feb mar apr jun jul aug sept sep oct nov dec mt ft"
).split()

def _mark_class() -> str:
    """A regex class of every combining mark (Unicode category M*): Python's ``\\w`` leaves them out,
    so decomposed text (NFD: ``e`` + U+0301) and Indic vowel signs would split words at each mark."""
    import unicodedata

    ranges: list[list[int]] = []
    for code in (*range(0x300, 0x20000), *range(0xE0100, 0xE01F0)):
        if unicodedata.category(chr(code))[0] == "M":
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "[" + "".join(f"\\U{a:08x}-\\U{b:08x}" if a != b else f"\\U{a:08x}" for a, b in ranges) + "]"


_M = _mark_class()
_L = rf"(?:[^\W_]{_M}*)"  # a letter or digit with the combining marks that follow it
WORD_RE = re.compile(
    r"(?:[^\W\d_]\.){2,}"                     # U.S.  U.K.
    r"|(?i:" + "|".join(_ABBREVIATIONS) + r")\.(?=\s|$)"  # Mr.  Inc.
    r"|[^\W\d_]\.(?=\s)"                       # initials: B. Young
    r"|\d+(?:[.,:/-]\d+)*"                    # 1,000.50  2-1  12:30
    r"|['’]s\b"                               # clitic 's
    rf"|{_L}+(?:(?:-|['’](?!s\b)){_L}+)*"     # words, Lyon-based, O'Neill, José in NFD
    rf"|\S{_M}*",                             # any other single symbol (with its marks)
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
    sentences: list[list[Offsets]] = []
    current: list[Offsets] = []
    words = split_words(text)
    for i, (start, end) in enumerate(words):
        if current and "\n" in text[current[-1][1]:start]:
            sentences.append(current)
            current = []
        current.append((start, end))
        if text[start:end] in _END or (text[start:end] in _CLOSERS and len(current) > 1
                                       and text[current[-2][0]:current[-2][1]] in _END):
            nxt = words[i + 1] if i + 1 < len(words) else None
            if nxt is None:
                continue
            if text[nxt[0]:nxt[1]] in _CLOSERS and nxt[0] == end:
                continue  # a closing quote or bracket right after the stop belongs to this sentence
            first = text[nxt[0]]
            if nxt[0] > end and (first.isupper() or first.isdigit() or first in _OPENERS):
                sentences.append(current)
                current = []
    if current:
        sentences.append(current)
    return sentences
