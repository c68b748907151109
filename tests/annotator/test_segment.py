"""Raw-text segmentation: words with exact offsets, sentence breaks."""

from hypothesis import given
from hypothesis import strategies as st

from annotator.segment import split_sentences, split_words


def words(text):
    return [text[s:e] for s, e in split_words(text)]


def test_words_follow_conll_tokenization():
    assert words("Germany's U.S.-based team won 2-1, at 12:30 (1,000.50 dollars).") == [
        "Germany", "'s", "U.S.", "-", "based", "team", "won", "2-1", ",", "at", "12:30", "(", "1,000.50",
        "dollars", ")", "."]
    assert words("O'Neill of Lyon-based Acme") == ["O'Neill", "of", "Lyon-based", "Acme"]


def test_abbreviations_and_initials_keep_their_period_as_in_conll():
    assert words("Mr. B. Young of Acme Inc. and Dr. Who") == ["Mr.", "B.", "Young", "of", "Acme", "Inc.", "and",
                                                              "Dr.", "Who"]
    assert words("Incorporated. No") == ["Incorporated", ".", "No"]


def test_sentences_break_after_end_punctuation_and_newlines_not_after_abbreviations():
    text = 'Mr. Smith met J. Doe of Acme Inc. in Paris. "Fine," he said.\nNext line'
    got = [[text[s:e] for s, e in sent] for sent in split_sentences(text)]
    assert got == [["Mr.", "Smith", "met", "J.", "Doe", "of", "Acme", "Inc.", "in", "Paris", "."],
                   ['"', "Fine", ",", '"', "he", "said", "."], ["Next", "line"]]


@given(st.text())
def test_words_are_ordered_non_overlapping_and_cover_all_non_space(text):
    spans = split_words(text)
    for (_, e1), (s2, _) in zip(spans, spans[1:]):
        assert e1 <= s2
    assert all(s < e for s, e in spans)
    covered = "".join(text[s:e] for s, e in spans)
    assert covered == "".join(ch for ch in text if not ch.isspace())
    assert [w for sent in split_sentences(text) for w in sent] == spans
