"""The one reader-level validity rule: a record that cannot be encoded is a Reject, with the reason.

Every item any reader yields passes through :func:`validate` (see :func:`annotator.readers.open_records`),
so no format can let through a record that would crash the tokenizer or a writer later, where
it would cost the batch and make ``--resume`` fail at the same place forever. A record is valid
when its text, id, source and kept fields (keys and values, nested ones included) are valid
Unicode, which here means: no lone surrogates (JSON's ``"\\ud800"`` escapes, or file names that are
not valid UTF-8). Undecodable bytes are rejected where they are read (line by line, see
:mod:`.streams`). A NUL character inside a JSON string is valid text and is kept.

Rejects themselves are made writable: a lone surrogate in their source, id or reason is written
as its ``\\udXXX`` escape.
"""

from __future__ import annotations

from typing import Any

from ..records import Record, Reject


def validate(item: Record | Reject) -> Record | Reject:
    """``item`` itself if it can be written, else the Reject that replaces it."""
    if isinstance(item, Reject):
        if _valid(item.source) and _valid(item.reason) and (item.id is None or _valid(item.id)):
            return item
        return Reject(
            source=printable(item.source),
            reason=printable(item.reason),
            id=None if item.id is None else printable(item.id),
        )
    problem = problem_of(item)
    if problem is None:
        return item
    return Reject(source=printable(item.source), reason=problem, id=printable(item.id))


def problem_of(record: Record) -> str | None:
    """Why ``record`` cannot be annotated and written, or None."""
    if not _valid(record.source):
        return "the file name is not valid UTF-8 (rename the file)"
    if not _valid(record.text):
        return f"the text is not valid Unicode (a lone surrogate at character {_first_bad(record.text)})"
    if not _valid(record.id):
        return "the id is not valid Unicode (a lone surrogate)"
    for name, value in record.fields.items():
        if not _valid(name) or not _valid_value(value):
            return f"kept field {printable(name)!r} is not valid Unicode (a lone surrogate)"
    return None


def printable(text: str) -> str:
    """``text`` with each lone surrogate written as its escape, so it encodes as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if not _valid(text) else text


def _valid(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _first_bad(text: str) -> int:
    return next(i for i, char in enumerate(text) if 0xD800 <= ord(char) <= 0xDFFF)


def _valid_value(value: Any) -> bool:
    if isinstance(value, str):
        return _valid(value)
    if isinstance(value, dict):
        return all((not isinstance(k, str) or _valid(k)) and _valid_value(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_valid_value(v) for v in value)
    return True
