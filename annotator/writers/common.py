"""What every output format shares: the record dict, span checks and the writer base class.

One dict shape describes an annotated record in every format (JSONL lines, Parquet rows and the
dicts the readers yield back)::

    {"id", "source", <kept fields, in input order>, "text", "entities": [
        {"start", "end", "label", "text", "score"}, ...]}

Offsets are half-open character offsets (Python ``str`` indices), so ``text[start:end]`` is the
entity text. Scores are rounded to 4 decimals; a missing score stays ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from ..errors import ConfigError
from ..labels import Span
from ..records import Annotated, Record

FIXED_KEYS = ("id", "source", "text", "entities")
ENTITY_KEYS = ("start", "end", "label", "text", "score")
SCORE_DECIMALS = 4


@runtime_checkable
class Writer(Protocol):
    """An output writer: ``write(batch)`` returns how many records it wrote; ``close()`` the total."""

    count: int

    def write(self, items: Sequence[Annotated]) -> int: ...

    def close(self) -> int: ...


class WriterBase:
    """Context-manager plumbing and the running ``count`` shared by the writers."""

    count: int = 0

    def write(self, items: Sequence[Annotated]) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()


def round_score(score: float | None) -> float | None:
    """``round(score, 4)`` as a plain Python float; ``None`` stays ``None``."""
    return None if score is None else round(float(score), SCORE_DECIMALS)


def check_fields(record: Record) -> None:
    """Raise ConfigError if a kept field would collide with a fixed output key."""
    for name in record.fields:
        if name in FIXED_KEYS:
            raise ConfigError(
                f"{record.source}: kept field {name!r} has the name of an output key "
                f"({', '.join(FIXED_KEYS)}); rename or drop that input field"
            )


def check_span(record: Record, span: Span) -> None:
    """Raise ValueError unless ``span`` is a non-empty half-open range inside ``record.text``."""
    if not 0 <= span.start < span.end <= len(record.text):
        raise ValueError(f"{record.source}: entity {span} does not fit a text of {len(record.text)} characters")


def entity_dicts(item: Annotated, first: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
    """The entities of ``item`` (those from index ``first`` to ``stop``) as ``{"start", "end", "label",
    "text", "score"}`` dicts, in order."""
    text = item.record.text
    out = []
    for span in item.entities[first:stop]:
        check_span(item.record, span)
        start, end = int(span.start), int(span.end)
        out.append(
            {"start": start, "end": end, "label": span.label, "text": text[start:end], "score": round_score(span.score)}
        )
    return out


def record_dict(item: Annotated, *, include_text: bool = True, entities: bool = True) -> dict[str, Any]:
    """The output dict of one annotated record (key order: id, source, kept fields, text, entities;
    ``entities=False``: without the last key).

    Raises ConfigError if a kept field is named like a fixed key, ValueError for an entity that does
    not fit the text.
    """
    record = item.record
    check_fields(record)
    out: dict[str, Any] = {"id": record.id, "source": record.source}
    out.update(record.fields)
    if include_text:
        out["text"] = record.text
    if entities:
        out["entities"] = entity_dicts(item)
    return out
