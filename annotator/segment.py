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
from bisect import bisect_left
from collections.abc import Iterator
from itertools import pairwise

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
# A letter or digit with the combining marks that follow it, run together: a run of letters and digits,
# then marks and more letters and digits, which the engine checks a mark class for once per word instead of
# once per letter (the same matches as ``(?:[^\W_]{_M}*)+``; a test)
_WORD = rf"[^\W_]+(?:{_M}+[^\W_]*)*"
WORD_RE = re.compile(
    # the three kinds of words with a period, tried only where one to four letters and a period follow
    r"(?=[^\W\d_]{1,4}\.)(?:"
    r"(?:[^\W\d_]\.){2,}"  # U.S.  U.K.
    # Mr.  Inc.  (the lookahead first: 2-4 letters and a period, else the 38 names need not be tried)
    r"|(?=[^\W\d_]{2,4}\.)(?i:" + "|".join(_ABBREVIATIONS) + r")\.(?=\s|$)"
    r"|[^\W\d_]\.(?=\s))"  # initials: B. Young
    r"|\d+(?:[.,:/-]\d+)*"  # 1,000.50  2-1  12:30
    r"|['’]s\b"  # clitic 's
    rf"|{_WORD}(?:(?:-|['’](?!s\b)){_WORD})*"  # words, Lyon-based, O'Neill, José in NFD
    rf"|\S{_M}*",  # any other single symbol (with its marks)
)
_END = frozenset(".!?")
_CLOSERS = frozenset("\"'”’)]»")
_OPENERS = frozenset("\"'“‘([«")
_NEWLINE = re.compile("\n")
_ENDER = re.compile("[" + re.escape("".join(sorted(_END | _CLOSERS))) + "]")

Offsets = tuple[int, int]


def split_words(text: str) -> list[Offsets]:
    """Half-open character spans of the words of ``text``."""
    return [m.span() for m in WORD_RE.finditer(text)]


def split_sentences(text: str) -> list[list[Offsets]]:
    """Words of ``text`` grouped into sentences (each a non-empty list of character spans).

    The sentences of :func:`iter_sentences`, found with Python work only at line breaks and at
    one-character words that can end a sentence, not at every word.
    """
    spans = split_words(text)
    n = len(spans)
    if n == 0:
        return []
    starts = [s for s, _ in spans]
    breaks = {bisect_left(starts, m.start()) for m in _NEWLINE.finditer(text)}  # before that word
    breaks.discard(0)
    breaks.discard(n)
    enders: set[int] = set()
    for m in _ENDER.finditer(text):
        i = bisect_left(starts, m.start())
        if i < n and spans[i][1] == m.end() and starts[i] == m.start():
            enders.add(i)
    for i in sorted(enders):
        char = text[starts[i]]
        if char in _END or (
            char in _CLOSERS and i > 0 and i not in breaks and i - 1 in enders and text[starts[i - 1]] in _END
        ):
            if i + 1 >= n:
                continue
            nxt_start, end = starts[i + 1], spans[i][1]
            if nxt_start == end and i + 1 in enders and text[nxt_start] in _CLOSERS:
                continue  # a closing quote or bracket right after the stop belongs to this sentence
            first = text[nxt_start]
            if nxt_start > end and (first.isupper() or first.isdigit() or first in _OPENERS):
                breaks.add(i + 1)
    cuts = [0, *sorted(breaks), n]
    return [spans[a:b] for a, b in pairwise(cuts)]


def iter_sentences(text: str) -> Iterator[list[Offsets]]:
    """The sentences of :func:`split_sentences`, found lazily (flat memory on a long text)."""
    current: list[Offsets] = []
    words = (m.span() for m in WORD_RE.finditer(text))
    nxt = next(words, None)
    while nxt is not None:
        start, end = nxt
        nxt = next(words, None)
        if current and "\n" in text[current[-1][1] : start]:
            yield current
            current = []
        current.append((start, end))
        if text[start:end] in _END or (
            text[start:end] in _CLOSERS and len(current) > 1 and text[current[-2][0] : current[-2][1]] in _END
        ):
            if nxt is None:
                continue
            if text[nxt[0] : nxt[1]] in _CLOSERS and nxt[0] == end:
                continue  # a closing quote or bracket right after the stop belongs to this sentence
            first = text[nxt[0]]
            if nxt[0] > end and (first.isupper() or first.isdigit() or first in _OPENERS):
                yield current
                current = []
    if current:
        yield current
