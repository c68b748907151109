"""The entities of a record, one way for every input: each ``{start, end, label[, score]}`` object
checked against the text, and the list split by ``--min-score``.

Annotate outputs call them ``entities``, span-JSONL ``spans``: ``kind`` names them in errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import InputFormatError
from ..labels import Span
from .align import AlignmentReport, describe


def check_int(value: Any, what: str, path: str, line: int | None) -> int:
    """``value`` if it is an integer (not a bool), else InputFormatError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputFormatError(path, line, f"{what} must be an integer, found {value!r}")
    return value


def parse_entity(raw: Any, i: int, text: str, *, kind: str, path: str, line: int | None) -> Span:
    """Entity ``i`` of a record as a Span: integer half-open offsets inside ``text``, a label, a score or none."""
    if not isinstance(raw, dict):
        raise InputFormatError(path, line, f"{kind} {i} must be an object with start, end and label")
    start = check_int(raw.get("start"), f"{kind} {i} start", path, line)
    end = check_int(raw.get("end"), f"{kind} {i} end", path, line)
    label, score = raw.get("label"), raw.get("score")
    if not isinstance(label, str) or not label:
        raise InputFormatError(path, line, f"{kind} {i} has no label")
    if not 0 <= start < end <= len(text):
        raise InputFormatError(path, line, f"{kind} {i} [{start}:{end}] does not fit a text of {len(text)} characters")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
        raise InputFormatError(path, line, f"{kind} {i} has a score that is not a number: {score!r}")
    return Span(start, end, label, None if score is None else float(score))


def split_by_score(
    entities: Iterable[Span], min_score: float | None, *, text: str, where: str, report: AlignmentReport
) -> tuple[list[Span], list[Span]]:
    """``(kept, low)``: entities scored below ``min_score`` are low (noted in ``report``); unscored ones are kept."""
    kept: list[Span] = []
    low: list[Span] = []
    for entity in entities:
        if min_score is not None and entity.score is not None and entity.score < min_score:
            report.note("low_score", describe(where, text, entity) + f" score {entity.score:g}")
            low.append(entity)
        else:
            kept.append(entity)
    return kept, low
