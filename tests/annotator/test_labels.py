"""Tests of annotator.labels: tag schemes, spans, and the label set."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from annotator.labels import (
    LabelSet,
    Span,
    canonical_scheme,
    check_tag,
    detect_scheme,
    spans_to_tags,
    split_tag,
    tags_to_spans,
    to_iob2,
)

# --------------------------------------------------------------------------------------------
# helpers: encode spans in each scheme (written independently of the library)
# --------------------------------------------------------------------------------------------

TYPES = ["PER", "LOC", "creative-work"]


def _adjacent_same_type(spans: list[Span], k: int) -> bool:
    """True if spans[k] starts exactly where a previous span of the same type ends."""
    return k > 0 and spans[k - 1].end == spans[k].start and spans[k - 1].label == spans[k].label


def encode_iob2(spans: list[Span], n: int) -> list[str]:
    tags = ["O"] * n
    for s in spans:
        tags[s.start] = f"B-{s.label}"
        for i in range(s.start + 1, s.end):
            tags[i] = f"I-{s.label}"
    return tags


def encode_iob1(spans: list[Span], n: int) -> list[str]:
    tags = ["O"] * n
    for k, s in enumerate(spans):
        for i in range(s.start, s.end):
            tags[i] = f"I-{s.label}"
        if _adjacent_same_type(spans, k):
            tags[s.start] = f"B-{s.label}"
    return tags


def encode_iobes(spans: list[Span], n: int, single: str = "S", last: str = "E") -> list[str]:
    tags = ["O"] * n
    for s in spans:
        if s.end - s.start == 1:
            tags[s.start] = f"{single}-{s.label}"
            continue
        tags[s.start] = f"B-{s.label}"
        for i in range(s.start + 1, s.end - 1):
            tags[i] = f"I-{s.label}"
        tags[s.end - 1] = f"{last}-{s.label}"
    return tags


def encode_bilou(spans: list[Span], n: int) -> list[str]:
    return encode_iobes(spans, n, single="U", last="L")


def encode_io(spans: list[Span], n: int) -> list[str]:
    tags = ["O"] * n
    for s in spans:
        for i in range(s.start, s.end):
            tags[i] = f"I-{s.label}"
    return tags


@st.composite
def span_sets(draw, max_entities: int = 6):
    """(sorted non-overlapping spans, sequence length); adjacent entities are allowed."""
    parts = draw(
        st.lists(
            st.tuples(st.integers(0, 3), st.integers(1, 4), st.sampled_from(TYPES)),
            max_size=max_entities,
        )
    )
    spans: list[Span] = []
    pos = 0
    for gap, length, label in parts:
        pos += gap
        spans.append(Span(pos, pos + length, label))
        pos += length
    n = pos + draw(st.integers(0, 3))
    return spans, n


def conlleval_chunks(tags: list[str]) -> list[Span]:
    """Reference chunker, transliterated from conlleval.pl's startOfChunk/endOfChunk."""

    def parts(tag):
        if tag == "O":
            return "O", ""
        p, _, t = tag.partition("-")
        return {"L": "E", "U": "S"}.get(p, p), t

    def end_of_chunk(pt, t, ptype, ttype):
        end = pt in ("E", "S")
        end |= pt in ("B", "I") and t in ("B", "S", "O")
        end |= pt != "O" and ptype != ttype
        return end

    def start_of_chunk(pt, t, ptype, ttype):
        start = t in ("B", "S")
        start |= pt in ("E", "S", "O") and t in ("E", "I")
        start |= t != "O" and ptype != ttype
        return start

    out: list[Span] = []
    open_at, open_type = None, None
    prev, prev_type = "O", ""
    for i, tag in enumerate(list(tags) + ["O"]):
        cur, cur_type = parts(tag)
        if open_at is not None and end_of_chunk(prev, cur, prev_type, cur_type):
            out.append(Span(open_at, i, open_type))
            open_at = None
        if start_of_chunk(prev, cur, prev_type, cur_type):
            open_at, open_type = i, cur_type
        prev, prev_type = cur, cur_type
    return out


# --------------------------------------------------------------------------------------------
# split_tag / check_tag / canonical_scheme
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("O", ("O", None)),
        ("B-PER", ("B", "PER")),
        ("I-LOC", ("I", "LOC")),
        ("E-ORG", ("E", "ORG")),
        ("S-MISC", ("S", "MISC")),
        ("L-PER", ("E", "PER")),  # BILOU's L reads as E
        ("U-PER", ("S", "PER")),  # BILOU's U reads as S
        ("B-creative-work", ("B", "creative-work")),
        ("I-creative-work", ("I", "creative-work")),
        ("B-a-b-c", ("B", "a-b-c")),
    ],
)
def test_split_tag(tag, expected):
    assert split_tag(tag) == expected


@pytest.mark.parametrize("tag", ["PER", "", "B-", "-PER", "BB-PER", "b-PER", "X-PER", "O-PER", "o", "B_PER"])
def test_split_tag_rejects_malformed(tag):
    with pytest.raises(ValueError) as info:
        split_tag(tag)
    assert str(info.value) == f"tag {tag!r} is not O or <B|I|E|S|L|U>-<TYPE>"


@pytest.mark.parametrize(
    "tag, scheme",
    [
        ("O", "IOB1"),
        ("O", "IO"),
        ("B-PER", "IOB1"),
        ("I-PER", "IOB1"),
        ("B-PER", "IOB2"),
        ("I-creative-work", "IOB2"),
        ("B-PER", "IOBES"),
        ("I-PER", "IOBES"),
        ("E-PER", "IOBES"),
        ("S-PER", "IOBES"),
        ("B-PER", "BILOU"),
        ("I-PER", "BILOU"),
        ("L-PER", "BILOU"),
        ("U-PER", "BILOU"),
        ("I-PER", "IO"),
    ],
)
def test_check_tag_accepts(tag, scheme):
    assert check_tag(tag, scheme) is None


@pytest.mark.parametrize(
    "tag, scheme, allowed",
    [
        ("S-PER", "IOB2", "B/I"),
        ("E-PER", "IOB1", "B/I"),
        ("L-PER", "IOBES", "B/E/I/S"),
        ("U-PER", "IOBES", "B/E/I/S"),
        ("E-PER", "BILOU", "B/I/L/U"),
        ("S-PER", "BILOU", "B/I/L/U"),
        ("B-PER", "IO", "I"),
    ],
)
def test_check_tag_outside_scheme(tag, scheme, allowed):
    with pytest.raises(ValueError) as info:
        check_tag(tag, scheme)
    assert str(info.value) == f"tag {tag!r} is outside the {scheme} scheme (prefixes {allowed} and O)"


@pytest.mark.parametrize("tag", ["PER", "B-", "b-PER", "BI-PER"])
def test_check_tag_malformed(tag):
    with pytest.raises(ValueError, match=r"^tag .* is not O or <B\|I\|E\|S\|L\|U>-<TYPE>$"):
        check_tag(tag, "IOB2")


@pytest.mark.parametrize(
    "name, expected",
    [
        ("bio", "IOB2"),
        ("BIO", "IOB2"),
        ("iob2", "IOB2"),
        ("IOB1", "IOB1"),
        ("iob1", "IOB1"),
        ("bioes", "IOBES"),
        ("BIOES", "IOBES"),
        ("iobes", "IOBES"),
        ("bilou", "BILOU"),
        ("io", "IO"),
        ("  bio \n", "IOB2"),
    ],
)
def test_canonical_scheme(name, expected):
    assert canonical_scheme(name) == expected


@pytest.mark.parametrize("name", ["BIOUL", "IOB3", "", "conll"])
def test_canonical_scheme_unknown(name):
    with pytest.raises(ValueError) as info:
        canonical_scheme(name)
    assert str(info.value) == (f"unknown tag scheme {name!r}; use one of BILOU, BIO, BIOES, IO, IOB1, IOB2, IOBES")


# --------------------------------------------------------------------------------------------
# detect_scheme
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tags, expected",
    [
        (["I-PER", "I-PER", "B-PER", "O", "I-LOC"], "IOB1"),
        (["O", "I-LOC", "O", "B-LOC", "I-LOC"], "IOB1"),
        (["B-PER", "I-LOC"], "IOB1"),  # an I- after another type opens an entity
        (["B-PER", "I-PER", "O", "B-LOC", "B-LOC"], "IOB2"),
        (["B-creative-work", "I-creative-work"], "IOB2"),
        (["S-PER", "O", "B-LOC", "E-LOC"], "IOBES"),
        (["B-LOC", "I-LOC", "E-LOC"], "IOBES"),
        (["U-PER", "B-LOC", "L-LOC"], "BILOU"),
        (["B-LOC", "I-LOC", "L-LOC", "O"], "BILOU"),
        (["I-PER", "O", "I-LOC", "I-LOC"], "IO"),
        (["O", "O"], "IOB2"),
        ([], "IOB2"),
    ],
)
def test_detect_scheme(tags, expected):
    assert detect_scheme(tags) == expected


def test_detect_scheme_sentence_boundary_resets_context():
    # Without the "" boundary the second I-PER would continue the first sentence's entity.
    assert detect_scheme(["B-PER", "I-PER", "", "I-PER"]) == "IOB1"
    assert detect_scheme(["B-PER", "I-PER", "", "B-PER", "I-PER"]) == "IOB2"


def test_detect_scheme_accepts_a_stream():
    assert detect_scheme(iter(["O", "B-PER", "I-PER"])) == "IOB2"
    assert detect_scheme(t for t in ["I-PER", "B-PER"]) == "IOB1"


@settings(deadline=None, max_examples=150)
@given(span_sets())
def test_detect_scheme_of_encodings(case):
    spans, n = case
    assume(any(s.end - s.start > 1 for s in spans))  # a multi-word entity tells B/I schemes apart
    assert detect_scheme(encode_iob2(spans, n)) == "IOB2"
    assert detect_scheme(encode_iobes(spans, n)) == "IOBES"
    assert detect_scheme(encode_bilou(spans, n)) == "BILOU"


# --------------------------------------------------------------------------------------------
# tags_to_spans
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tags, expected",
    [
        ([], []),
        (["O", "O"], []),
        (["B-PER"], [(0, 1, "PER")]),
        (["O", "B-PER"], [(1, 2, "PER")]),
        (["B-PER", "I-PER", "O", "B-LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),
        # conlleval reading: an I- after O opens an entity
        (["O", "I-PER", "I-PER", "O"], [(1, 3, "PER")]),
        (["I-PER"], [(0, 1, "PER")]),
        # B- always opens
        (["B-PER", "B-PER"], [(0, 1, "PER"), (1, 2, "PER")]),
        (["I-PER", "B-PER", "I-PER"], [(0, 1, "PER"), (1, 3, "PER")]),
        # a type change closes and opens
        (["B-PER", "I-LOC", "I-LOC"], [(0, 1, "PER"), (1, 3, "LOC")]),
        (["I-PER", "I-LOC"], [(0, 1, "PER"), (1, 2, "LOC")]),
        (["B-PER", "E-LOC"], [(0, 1, "PER"), (1, 2, "LOC")]),
        # E-/S- close
        (["B-PER", "E-PER", "I-PER"], [(0, 2, "PER"), (2, 3, "PER")]),
        (["B-PER", "E-PER", "E-PER"], [(0, 2, "PER"), (2, 3, "PER")]),
        (["S-PER", "I-PER"], [(0, 1, "PER"), (1, 2, "PER")]),
        (["S-PER", "S-PER"], [(0, 1, "PER"), (1, 2, "PER")]),
        (["B-PER", "I-PER", "S-PER"], [(0, 2, "PER"), (2, 3, "PER")]),
        (["O", "E-PER", "O"], [(1, 2, "PER")]),
        (["B-LOC", "I-LOC", "I-LOC", "E-LOC"], [(0, 4, "LOC")]),
        # BILOU
        (["U-PER", "L-PER"], [(0, 1, "PER"), (1, 2, "PER")]),
        (["B-LOC", "I-LOC", "L-LOC", "U-LOC"], [(0, 3, "LOC"), (3, 4, "LOC")]),
        # hyphenated types
        (["B-creative-work", "I-creative-work", "O"], [(0, 2, "creative-work")]),
        (["I-creative-work", "I-creative"], [(0, 1, "creative-work"), (1, 2, "creative")]),
    ],
)
def test_tags_to_spans(tags, expected):
    spans = tags_to_spans(tags)
    assert [(s.start, s.end, s.label) for s in spans] == expected
    assert all(s.score is None for s in spans)


def test_tags_to_spans_rejects_malformed_tag():
    with pytest.raises(ValueError, match=r"^tag 'PER' is not O"):
        tags_to_spans(["O", "PER"])


def test_tags_to_spans_does_not_mutate_input():
    tags = ["O", "I-PER", "B-PER", "E-LOC", "U-ORG", "L-ORG"]
    before = list(tags)
    tags_to_spans(tags)
    assert tags == before
    assert tags_to_spans(tuple(tags)) == tags_to_spans(tags)


@settings(deadline=None, max_examples=200)
@given(
    st.lists(
        st.sampled_from(["O", "B-A", "I-A", "E-A", "S-A", "L-A", "U-A", "B-B", "I-B", "E-B", "S-B", "B-x-y", "I-x-y"]),
        max_size=15,
    )
)
def test_tags_to_spans_matches_conlleval_reading(tags):
    """Any mixture of prefixes reads as conlleval.pl reads it."""
    assert tags_to_spans(tags) == conlleval_chunks(tags)


# --------------------------------------------------------------------------------------------
# spans_to_tags / to_iob2
# --------------------------------------------------------------------------------------------


def test_spans_to_tags():
    spans = [Span(0, 2, "PER"), Span(2, 3, "PER"), Span(4, 5, "creative-work")]
    assert spans_to_tags(spans, 6) == ["B-PER", "I-PER", "B-PER", "O", "B-creative-work", "O"]
    assert spans_to_tags([], 3) == ["O", "O", "O"]
    assert spans_to_tags([], 0) == []


@pytest.mark.parametrize(
    "span, length",
    [
        (Span(2, 5, "X"), 4),
        (Span(2, 2, "X"), 4),  # empty
        (Span(3, 2, "X"), 4),  # reversed
        (Span(-1, 1, "X"), 4),
    ],
)
def test_spans_to_tags_rejects_spans_that_do_not_fit(span, length):
    with pytest.raises(ValueError) as info:
        spans_to_tags([span], length)
    assert str(info.value) == f"span {span} does not fit in {length} positions"


@settings(deadline=None, max_examples=200)
@given(span_sets())
def test_spans_round_trip(case):
    spans, n = case
    tags = spans_to_tags(spans, n)
    assert tags == encode_iob2(spans, n)
    assert tags_to_spans(tags) == spans


@settings(deadline=None, max_examples=200)
@given(span_sets())
def test_all_schemes_read_the_same(case):
    spans, n = case
    encodings = {
        "IOB1": encode_iob1(spans, n),
        "IOB2": encode_iob2(spans, n),
        "IOBES": encode_iobes(spans, n),
        "BILOU": encode_bilou(spans, n),
    }
    for scheme, tags in encodings.items():
        assert tags_to_spans(tags) == spans, scheme
        assert to_iob2(tags) == encodings["IOB2"], scheme


@settings(deadline=None, max_examples=100)
@given(span_sets())
def test_io_reads_like_iob1_without_adjacent_same_type_entities(case):
    spans, n = case
    assume(not any(_adjacent_same_type(spans, k) for k in range(len(spans))))
    assert tags_to_spans(encode_io(spans, n)) == spans
    assert encode_io(spans, n) == encode_iob1(spans, n)


def test_iob1_encoder_sanity():
    # The helper itself: B- only where an entity directly follows one of the same type.
    spans = [Span(0, 2, "PER"), Span(2, 3, "PER"), Span(3, 4, "LOC"), Span(5, 6, "LOC")]
    assert encode_iob1(spans, 6) == ["I-PER", "I-PER", "B-PER", "I-LOC", "O", "I-LOC"]
    assert encode_iobes(spans, 6) == ["B-PER", "E-PER", "S-PER", "S-LOC", "O", "S-LOC"]
    assert encode_bilou(spans, 6) == ["B-PER", "L-PER", "U-PER", "U-LOC", "O", "U-LOC"]


@pytest.mark.parametrize(
    "tags, expected",
    [
        (["I-PER", "I-PER", "B-PER", "O", "I-LOC"], ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]),
        (["S-PER", "B-LOC", "I-LOC", "E-LOC"], ["B-PER", "B-LOC", "I-LOC", "I-LOC"]),
        (["U-PER", "B-LOC", "L-LOC", "O"], ["B-PER", "B-LOC", "I-LOC", "O"]),
        (["O", "I-PER", "O"], ["O", "B-PER", "O"]),  # repairs an I- that opens an entity
        (["B-PER", "I-LOC"], ["B-PER", "B-LOC"]),
        (["I-creative-work"], ["B-creative-work"]),
        ([], []),
    ],
)
def test_to_iob2(tags, expected):
    before = list(tags)
    assert to_iob2(tags) == expected
    assert tags == before


@settings(deadline=None, max_examples=100)
@given(span_sets())
def test_to_iob2_is_identity_on_iob2(case):
    spans, n = case
    tags = encode_iob2(spans, n)
    assert to_iob2(tags) == tags


# --------------------------------------------------------------------------------------------
# LabelSet
# --------------------------------------------------------------------------------------------


def test_label_set_order():
    ls = LabelSet.from_types(["PER", "LOC", "PER", "MISC"])
    assert ls.types == ("LOC", "MISC", "PER")
    assert ls.labels == ("O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-PER", "I-PER")
    assert len(ls) == 7
    assert ls.id2label == {0: "O", 1: "B-LOC", 2: "I-LOC", 3: "B-MISC", 4: "I-MISC", 5: "B-PER", 6: "I-PER"}
    assert ls.label2id == {v: k for k, v in ls.id2label.items()}


def test_label_set_empty_and_hyphenated():
    assert LabelSet.from_types([]).labels == ("O",)
    ls = LabelSet.from_types(["creative-work", "corporation"])
    assert ls.labels == ("O", "B-corporation", "I-corporation", "B-creative-work", "I-creative-work")


def test_label_set_from_id2label_round_trip():
    ls = LabelSet.from_types(["PER", "LOC", "ORG", "MISC"])
    back = LabelSet.from_id2label(ls.id2label)
    assert back == ls
    assert back.labels == ls.labels
    assert back.id2label == ls.id2label
    # keys in any dict order are sorted by id
    shuffled = dict(reversed(list(ls.id2label.items())))
    assert LabelSet.from_id2label(shuffled).labels == ls.labels


def test_label_set_from_foreign_id2label_keeps_ids():
    id2label = {0: "B-PER", 1: "I-PER", 2: "O", 3: "B-LOC", 4: "I-LOC"}
    ls = LabelSet.from_id2label(id2label)
    assert ls.types == ("LOC", "PER")
    assert ls.labels == ("B-PER", "I-PER", "O", "B-LOC", "I-LOC")
    assert ls.id2label == id2label
    assert ls.label2id["O"] == 2
    assert len(ls) == 5
    # the order is a field: a set in another order is another label set
    assert ls != LabelSet.from_types(["PER", "LOC"])
    assert ls == LabelSet(("LOC", "PER"), ("B-PER", "I-PER", "O", "B-LOC", "I-LOC"))


@settings(deadline=None, max_examples=100)
@given(st.sets(st.text(alphabet="abcXYZ-", min_size=1, max_size=6), max_size=5))
def test_label_set_round_trip_property(types):
    ls = LabelSet.from_types(types)
    assert ls.labels[0] == "O"
    assert len(ls) == 1 + 2 * len(types)
    assert LabelSet.from_id2label(ls.id2label).labels == ls.labels
