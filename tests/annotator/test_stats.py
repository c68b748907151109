"""count_words is len(text.split()) on any text, also where a huge text is counted slice by slice."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from annotator import stats

_TEXT = st.text(st.sampled_from(list("ab\u00e9 \t\n\u00a0\u2003\u3000\u200b\u0085\x1c.")), max_size=200)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, slice_chars=st.integers(1, 12))
def test_count_words_in_slices_is_str_split(text, slice_chars):
    old = stats.WORD_COUNT_SLICE
    stats.WORD_COUNT_SLICE = slice_chars  # small slices: every cut falls somewhere new
    try:
        assert stats.count_words(text) == len(text.split())
    finally:
        stats.WORD_COUNT_SLICE = old


def test_a_huge_text_is_counted_exactly():
    text = ("word " * 300_000) + "x" * 3_000_000 + " tail\u2003end"
    assert len(text) > 2 * stats.WORD_COUNT_SLICE
    assert stats.count_words(text) == len(text.split()) == 300_003
