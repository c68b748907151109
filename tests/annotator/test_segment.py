"""Raw-text segmentation: words with exact offsets, sentence breaks."""

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.segment import split_sentences, split_words


def words(text):
    return [text[s:e] for s, e in split_words(text)]


def test_words_follow_conll_tokenization():
    assert words("Germany's U.S.-based team won 2-1, at 12:30 (1,000.50 dollars).") == [
        "Germany",
        "'s",
        "U.S.",
        "-",
        "based",
        "team",
        "won",
        "2-1",
        ",",
        "at",
        "12:30",
        "(",
        "1,000.50",
        "dollars",
        ")",
        ".",
    ]
    assert words("O'Neill of Lyon-based Acme") == ["O'Neill", "of", "Lyon-based", "Acme"]


def test_abbreviations_and_initials_keep_their_period_as_in_conll():
    assert words("Mr. B. Young of Acme Inc. and Dr. Who") == [
        "Mr.",
        "B.",
        "Young",
        "of",
        "Acme",
        "Inc.",
        "and",
        "Dr.",
        "Who",
    ]
    assert words("Incorporated. No") == ["Incorporated", ".", "No"]


def test_sentences_break_after_end_punctuation_and_newlines_not_after_abbreviations():
    text = 'Mr. Smith met J. Doe of Acme Inc. in Paris. "Fine," he said.\nNext line'
    got = [[text[s:e] for s, e in sent] for sent in split_sentences(text)]
    assert got == [
        ["Mr.", "Smith", "met", "J.", "Doe", "of", "Acme", "Inc.", "in", "Paris", "."],
        ['"', "Fine", ",", '"', "he", "said", "."],
        ["Next", "line"],
    ]


@given(st.text())
def test_words_are_ordered_non_overlapping_and_cover_all_non_space(text):
    spans = split_words(text)
    for (_, e1), (s2, _) in zip(spans, spans[1:]):
        assert e1 <= s2
    assert all(s < e for s, e in spans)
    covered = "".join(text[s:e] for s, e in spans)
    assert covered == "".join(ch for ch in text if not ch.isspace())
    assert [w for sent in split_sentences(text) for w in sent] == spans


_PIECES = list("abstnmrMSK. !?\"'’”)]»“([«-1,\n_é") + [
    "Mr.",
    "MRS.",
    "\u017ft.",
    "Sept.",
    "U.S.",
    " B. ",
    "...",
    "'s",
    "co.",
    "Inc.",
    "\u212a",
    "\ufb05.",
    "a1",
    "12.5",
    "e\u0301",  # NFD é: a combining mark after a letter
    "\u0301",
    "\u0915\u093f",  # Devanagari KA and a spacing vowel sign
    "\U0001d167",  # a combining mark outside the BMP
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))
def test_fast_paths_find_the_words_and_sentences_of_the_plain_rules(text):
    """The word pattern with its guards and its runs of letters matches as the plain one (no guards, a
    mark class after every letter) did, and split_sentences (work at candidate words only) equals
    iter_sentences (every word)."""
    import re

    from annotator.segment import _ABBREVIATIONS, _M, WORD_RE, iter_sentences

    letter = rf"(?:[^\W_]{_M}*)"
    plain = re.compile(
        r"(?:[^\W\d_]\.){2,}|(?i:" + "|".join(_ABBREVIATIONS) + r")\.(?=\s|$)|[^\W\d_]\.(?=\s)"
        rf"|\d+(?:[.,:/-]\d+)*|['’]s\b|{letter}+(?:(?:-|['’](?!s\b)){letter}+)*|\S{_M}*"
    )
    assert [m.span() for m in WORD_RE.finditer(text)] == [m.span() for m in plain.finditer(text)]
    assert split_sentences(text) == list(iter_sentences(text))
