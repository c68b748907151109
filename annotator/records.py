"""The records that flow through `annotator annotate`: read → annotate → write.

Readers yield :class:`Record` (a document to annotate) or :class:`Reject` (an input that could
not become one, with its source and the reason), in input order. The annotator turns each Record
into an :class:`Annotated`. Character offsets are half-open: ``text[start:end]`` is the entity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .labels import Span


@dataclass(frozen=True)
class Record:
    """One document: ``source`` says where it came from (``path:line`` or ``path#row``)."""

    id: str
    text: str
    source: str
    fields: dict[str, Any] = field(default_factory=dict)  # kept input fields, in input order


@dataclass(frozen=True)
class Reject:
    """An input item that is not annotated, and why. Goes to the rejects file (or stops a --strict run)."""

    source: str  # path:line, path#row, or path
    reason: str
    id: str | None = None


@dataclass(frozen=True)
class Annotated:
    record: Record
    entities: tuple[Span, ...]  # character offsets into record.text, with label and score
