"""Our own annotation outputs (JSONL, Parquet, DocBin written by ``annotator annotate``) → spaCy Docs.

Each record ``{"id", "source", ..., "text", "entities": [{start, end, label, text, score}]}``
becomes one Doc of ``nlp.make_doc(text)`` (``spacy.blank(lang)``'s tokens, the tokens a spaCy
pipeline trained on the export will see), with the entities placed by :mod:`.align`. Entities
scored below ``min_score`` are dropped and counted (an entity without a score is kept); their
tokens are marked missing, not ``O``. ``doc.user_data`` keeps the record's ``id`` and ``source``.

Records are located as ``path:line`` (JSONL) or ``path#row`` (Parquet row, DocBin doc; 0-based).
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import InputFormatError
from ..writers.jsonl import iter_jsonl
from .align import AlignmentReport, set_entities
from .entities import parse_entity, split_by_score

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc


def iter_annotation_records(path: str | os.PathLike[str], fmt: str) -> Iterator[tuple[str, int | None, dict[str, Any]]]:
    """Yield ``(location path, line or None, record)`` for each record of an annotate output."""
    from ..writers import read_docbin, read_parquet

    path = os.fspath(path)
    if fmt == "jsonl":
        for lineno, record in iter_jsonl(path):
            yield path, lineno, record
        return
    if fmt == "parquet":
        rows = _guarded(read_parquet, path, "an annotator Parquet output")
    elif fmt == "spacy":
        rows = _guarded(read_docbin, path, "a spaCy DocBin")
    else:  # pragma: no cover - callers pass known formats
        raise ValueError(f"not an annotation format: {fmt!r}")
    for index, record in enumerate(rows):
        yield f"{path}#{index}", None, record


def _guarded(reader, path: str, what: str) -> Iterator[dict[str, Any]]:
    """Run a whole-file reader, turning a library error about a broken file into InputFormatError."""
    try:
        yield from reader(path)
    except InputFormatError:
        raise
    except (OSError, ValueError, KeyError, TypeError, zlib.error) as exc:  # pyarrow/msgpack errors derive from these
        raise InputFormatError(path, None, f"cannot be read as {what} ({type(exc).__name__}: {exc})") from None


def annotation_to_doc(
    record: dict[str, Any],
    nlp: Language,
    *,
    path: str,
    line: int | None,
    alignment: str,
    report: AlignmentReport,
    min_score: float | None = None,
) -> Doc:
    """The Doc of one annotation record (see the module doc); ``report`` is updated in place."""
    text = record.get("text")
    if not isinstance(text, str):
        raise InputFormatError(
            path, line, "the record has no text", fix="annotate again without --no-text: a training Doc needs the text"
        )
    if "entities" not in record and "spans" in record:
        raise InputFormatError(
            path,
            line,
            "the record has 'spans' but no 'entities': it is span-JSONL",
            fix="pass --input-format spans-jsonl",
        )
    raw_entities = record.get("entities") or []
    if not isinstance(raw_entities, (list, tuple)):
        raise InputFormatError(path, line, f"'entities' must be a list, found {type(raw_entities).__name__}")
    where = f"{path}:{line}" if line is not None else path
    entities = [parse_entity(raw, i, text, kind="entity", path=path, line=line) for i, raw in enumerate(raw_entities)]
    kept, low = split_by_score(entities, min_score, text=text, where=where, report=report)
    doc = nlp.make_doc(text)
    set_entities(doc, kept, mode=alignment, report=report, where=where, dropped=low)
    for key in ("id", "source"):
        if record.get(key) is not None:
            doc.user_data[key] = record[key]
    return doc
