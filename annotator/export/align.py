"""Entities (half-open character offsets) onto the tokens of a spaCy Doc, never dropped silently.

A spaCy Doc can only hold an entity that is a run of whole tokens. Where an entity's offsets fall
inside a token, ``alignment`` decides, exactly as ``Doc.char_span(alignment_mode=...)`` does:

* ``strict``: the entity is dropped (and counted);
* ``contract``: it shrinks to the tokens wholly inside it (dropped, and counted, if there are none);
* ``expand``: it grows to every token it touches.

An entity that starts or ends on a whitespace token (spaCy cannot learn those) is trimmed to its
non-whitespace tokens under contract/expand and dropped under strict. After alignment, an entity
that overlaps one kept before it (sorted by offset) is dropped too: a Doc holds no overlaps.

The tokens of every dropped entity that no kept entity covers are marked *missing* (neither an
entity nor ``O``), so ``spacy train`` does not learn them as outside; every other token is ``O``.
Everything dropped or moved is counted in an :class:`AlignmentReport`, with a few examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..choices import Alignment, values
from ..errors import ConfigError
from ..labels import Span

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc
    from spacy.tokens import Span as SpacySpan

ALIGNMENT_MODES = values(Alignment)
MAX_EXAMPLES = 3  # per kind of problem


def check_alignment(mode: str) -> str:
    """``mode`` if it is one of :data:`ALIGNMENT_MODES`, else ConfigError."""
    if mode not in ALIGNMENT_MODES:
        raise ConfigError(f"unknown alignment {mode!r}; use one of {', '.join(ALIGNMENT_MODES)}")
    return mode


@dataclass
class AlignmentReport:
    """What happened to the entities of an export, counted over all its Docs.

    ``kept`` entities went into the output (``adjusted`` of them with boundaries moved by
    contract/expand); ``misaligned``, ``overlapping`` and ``low_score`` ones did not. ``examples``
    holds up to :data:`MAX_EXAMPLES` descriptions per kind (``misaligned``, ``adjusted``,
    ``overlapping``, ``low_score``).
    """

    mode: str = "strict"
    kept: int = 0
    adjusted: int = 0
    misaligned: int = 0
    overlapping: int = 0
    low_score: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        return self.misaligned + self.overlapping + self.low_score

    def note(self, kind: str, example: str) -> None:
        """Count one entity of ``kind`` and keep ``example`` if fewer than MAX_EXAMPLES are kept."""
        setattr(self, kind, getattr(self, kind) + 1)
        shown = self.examples.setdefault(kind, [])
        if len(shown) < MAX_EXAMPLES:
            shown.append(example)


def describe(where: str, text: str, entity: Span, doc: Doc | None = None) -> str:
    """``where: LABEL 'text' [start:end]`` plus, given the Doc, the tokens the entity touches."""
    out = f"{where}: {entity.label} {text[entity.start : entity.end]!r} [{entity.start}:{entity.end}]"
    if doc is not None:
        touched = doc.char_span(entity.start, entity.end, alignment_mode="expand")
        if touched is not None:
            out += f" in tokens {[token.text for token in touched]!r}"
    return out


def _trim_whitespace(span: SpacySpan) -> SpacySpan | None:
    start, end = span.start, span.end
    doc = span.doc
    while start < end and doc[start].is_space:
        start += 1
    while end > start and doc[end - 1].is_space:
        end -= 1
    if start == end:
        return None
    return doc[start:end]


def align_entity(doc: Doc, entity: Span, *, mode: str) -> tuple[SpacySpan | None, bool]:
    """The token span of one character-offset entity under ``mode`` and whether its boundaries moved.

    ``(None, False)`` where it cannot be placed (strict and not on token boundaries, contract and
    no whole token inside, or nothing but whitespace).
    """
    span = doc.char_span(entity.start, entity.end, label=entity.label, alignment_mode=mode)
    if span is None:
        return None, False
    trimmed = _trim_whitespace(span)
    if trimmed is None:
        return None, False
    if trimmed.start != span.start or trimmed.end != span.end:
        if mode == "strict":
            return None, False
        span = doc[trimmed.start : trimmed.end]
        span.label_ = entity.label
    moved = (span.start_char, span.end_char) != (entity.start, entity.end)
    return span, moved


def set_entities(
    doc: Doc,
    entities: Iterable[Span],
    *,
    mode: str,
    report: AlignmentReport,
    where: str,
    dropped: Sequence[Span] = (),
) -> list[SpacySpan]:
    """Set ``doc``'s entities from character-offset ``entities`` (see the module doc); return them.

    ``dropped`` are entities already left out by the caller (e.g. below --min-score): their tokens
    are marked missing like those of entities dropped here. ``report`` is updated in place.
    """
    text = doc.text
    kept: list[SpacySpan] = []
    lost: list[Span] = list(dropped)
    for entity in sorted(entities, key=lambda e: (e.start, e.end)):
        span, moved = align_entity(doc, entity, mode=mode)
        if span is None:
            report.note("misaligned", describe(where, text, entity, doc))
            lost.append(entity)
            continue
        if kept and span.start < kept[-1].end:
            previous = kept[-1]
            report.note(
                "overlapping",
                describe(where, text, entity) + f" overlaps {previous.label_} {previous.text!r}",
            )
            lost.append(entity)
            continue
        if moved:
            report.note("adjusted", describe(where, text, entity) + f" became {span.text!r}")
        report.kept += 1
        kept.append(span)
    covered = {i for span in kept for i in range(span.start, span.end)}
    missing: set[int] = set()
    for entity in lost:
        touched = doc.char_span(entity.start, entity.end, alignment_mode="expand")
        if touched is not None:
            missing.update(i for i in range(touched.start, touched.end) if i not in covered)
    doc.set_ents(kept, missing=[doc[i : i + 1] for i in sorted(missing)], default="outside")
    return kept
