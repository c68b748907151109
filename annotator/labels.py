"""The one labels module: tag schemes, spans and the label set.

Inside the project there is one scheme, IOB2 (BIO). Readers normalise every input scheme to it,
the model predicts it, and spans are half-open ``[start, end)`` in whatever unit the caller uses
(words for CoNLL, characters for raw text).

Entities are read from a tag sequence the way conlleval reads them (and seqeval's default mode):
a chunk starts at ``B-``, ``S-``, or at an ``I-``/``E-`` that follows ``O`` or another type; it
ends at ``E-``/``S-``, before ``O``, before another type, or before a new ``B-``/``S-``. That one
reading gives identical entities for IOB1, IOB2, IO and IOBES (BILOU) data, so the original
IOB1 CoNLL-2003 release and its IOB2 conversion score the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

OUTSIDE = "O"

# Prefixes each scheme allows (besides the bare "O"). BILOU's L/U are read as E/S.
SCHEME_PREFIXES: dict[str, frozenset[str]] = {
    "IOB1": frozenset("BI"),
    "IOB2": frozenset("BI"),
    "IOBES": frozenset("BIES"),
    "BILOU": frozenset("BILU"),
    "IO": frozenset("I"),
}
SCHEME_ALIASES = {"BIO": "IOB2", "BIOES": "IOBES", "IOBES": "IOBES", "BILOU": "BILOU"}
_PREFIX_MAP = {"L": "E", "U": "S"}


def canonical_scheme(name: str) -> str:
    """``"bio"`` → ``"IOB2"`` and so on; raises ``ValueError`` for an unknown name."""
    key = name.strip().upper()
    key = SCHEME_ALIASES.get(key, key)
    if key not in SCHEME_PREFIXES:
        known = ", ".join(sorted(set(SCHEME_PREFIXES) | set(SCHEME_ALIASES)))
        raise ValueError(f"unknown tag scheme {name!r}; use one of {known}")
    return key


@dataclass(frozen=True)
class Span:
    """A labelled half-open span ``[start, end)``; ``score`` is set for predictions."""

    start: int
    end: int
    label: str
    score: float | None = None


def split_tag(tag: str) -> tuple[str, str | None]:
    """``"B-PER"`` → ``("B", "PER")``; ``"O"`` → ``("O", None)``. Types may contain hyphens.

    Raises ``ValueError`` for a tag that is neither ``O`` nor ``<prefix>-<type>``.
    """
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, sep, etype = tag.partition("-")
    if not sep or len(prefix) != 1 or not etype or prefix not in "BIESLU":
        raise ValueError(f"tag {tag!r} is not O or <B|I|E|S|L|U>-<TYPE>")
    return _PREFIX_MAP.get(prefix, prefix), etype


def check_tag(tag: str, scheme: str) -> None:
    """Raise ``ValueError`` if ``tag`` is malformed or not allowed in ``scheme``."""
    if tag == OUTSIDE:
        return
    split_tag(tag)  # shape check
    if tag[0] not in SCHEME_PREFIXES[scheme]:
        allowed = "/".join(sorted(SCHEME_PREFIXES[scheme]))
        raise ValueError(f"tag {tag!r} is outside the {scheme} scheme (prefixes {allowed} and O)")


def detect_scheme(tags: Iterable[str]) -> str:
    """Guess the scheme of a tag stream (sentence boundaries given as ``""`` or ``"O"``).

    E/S → IOBES, L/U → BILOU, B with an I- that opens an entity → IOB1, B otherwise → IOB2,
    only I → IO (which reads exactly as IOB1 without adjacent same-type entities).
    """
    prefixes: set[str] = set()
    iob1 = False
    prev_prefix, prev_type = OUTSIDE, None
    for tag in tags:
        if not tag:
            prev_prefix, prev_type = OUTSIDE, None
            continue
        if tag == OUTSIDE:
            prefix, etype = OUTSIDE, None
        else:
            prefix, etype = tag.partition("-")[0], tag.partition("-")[2]
            prefixes.add(prefix)
            if prefix == "I" and (prev_prefix == OUTSIDE or prev_type != etype):
                iob1 = True
        prev_prefix, prev_type = prefix, etype
    if prefixes & {"L", "U"}:
        return "BILOU"
    if prefixes & {"E", "S"}:
        return "IOBES"
    if "B" in prefixes:
        return "IOB1" if iob1 else "IOB2"
    return "IO" if prefixes else "IOB2"


def tags_to_spans(tags: Sequence[str]) -> list[Span]:
    """Entities of one tag sequence as half-open spans, read the conlleval way (see module doc).

    Pure: ``tags`` is not modified. Works for every scheme in :data:`SCHEME_PREFIXES`.
    """
    spans: list[Span] = []
    start: int | None = None
    cur_type: str | None = None
    prev_prefix = OUTSIDE
    for i, tag in enumerate(tags):
        prefix, etype = split_tag(tag)
        if start is not None and _chunk_ends(prev_prefix, cur_type, prefix, etype):
            spans.append(Span(start, i, cur_type))  # type: ignore[arg-type]
            start, cur_type = None, None
        if prefix != OUTSIDE and start is None:  # where a chunk starts, the one before has just ended
            start, cur_type = i, etype
        prev_prefix = prefix
    if start is not None:
        spans.append(Span(start, len(tags), cur_type))  # type: ignore[arg-type]
    return spans


def _chunk_ends(prev: str, prev_type: str | None, cur: str, cur_type: str | None) -> bool:
    if prev in ("E", "S"):
        return True
    if cur in (OUTSIDE, "B", "S"):
        return True
    return prev_type != cur_type


def spans_to_tags(spans: Iterable[Span], length: int) -> list[str]:
    """IOB2 tags of ``length`` positions from non-overlapping half-open spans."""
    tags = [OUTSIDE] * length
    for span in spans:
        if not 0 <= span.start < span.end <= length:
            raise ValueError(f"span {span} does not fit in {length} positions")
        tags[span.start] = f"B-{span.label}"
        for i in range(span.start + 1, span.end):
            tags[i] = f"I-{span.label}"
    return tags


def to_iob2(tags: Sequence[str]) -> list[str]:
    """Normalise one sentence's tags of any scheme to IOB2 (repairs an I- that opens an entity)."""
    return spans_to_tags(tags_to_spans(tags), len(tags))


@dataclass(frozen=True)
class LabelSet:
    """The IOB2 label inventory of a model: by default ``O`` first, then ``B-T``, ``I-T`` per sorted type.

    ``labels`` is the order of the model's ids; a foreign model's own order is kept (and compared).
    """

    types: tuple[str, ...]
    labels: tuple[str, ...] = ()  # empty: the default order above

    def __post_init__(self) -> None:
        if not self.labels:
            default = [OUTSIDE]
            for etype in self.types:
                default += [f"B-{etype}", f"I-{etype}"]
            object.__setattr__(self, "labels", tuple(default))  # frozen: set once, here

    @classmethod
    def from_types(cls, types: Iterable[str]) -> LabelSet:
        return cls(tuple(sorted(set(types))))

    @classmethod
    def from_id2label(cls, id2label: dict[int, str]) -> LabelSet:
        labels = [id2label[i] for i in sorted(id2label)]
        types = sorted({etype for etype in (split_tag(label)[1] for label in labels) if etype is not None})
        return cls(tuple(types), tuple(labels))  # any order a foreign model uses: its ids are kept

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.labels))

    @property
    def label2id(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    def __len__(self) -> int:
        return len(self.labels)
