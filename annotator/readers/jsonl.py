"""JSON Lines reader: one object per non-blank line, text under ``text_key``, id under ``id_key``.

Streams line by line; every bad line becomes a Reject naming ``path:line`` and the run goes on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..records import Record, Reject
from .inputs import InputFile
from .options import ReaderOptions
from .progress import ReadProgress
from .streams import numbered_lines
from .text import EMPTY


def json_type(value: Any) -> str:
    """``value``'s JSON type, with an article: "null", "a number", "an array", …"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def kept_fields(obj: dict[str, Any], options: ReaderOptions) -> dict[str, Any]:
    """The fields to carry: ``keep`` names in that order (None when missing), or with ``keep_all``
    every field but the text and the id, in the object's order."""
    if options.keep_all:
        return {key: value for key, value in obj.items() if key not in (options.text_key, options.id_key)}
    return {name: obj.get(name) for name in options.keep}


def parse_line(line: str, source: str, *, options: ReaderOptions) -> Record | Reject:
    """One JSON line → a Record, or the Reject that says why not."""
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        return Reject(source=source, reason=f"malformed JSON: {exc}")
    if not isinstance(obj, dict):
        return Reject(source=source, reason=f"not a JSON object but {json_type(obj)}")
    raw_id = obj.get(options.id_key)
    given_id = None if raw_id is None else str(raw_id)
    key = options.text_key
    if key not in obj:
        return Reject(source=source, reason=f"no field {key!r}", id=given_id)
    text = obj[key]
    if not isinstance(text, str):
        return Reject(source=source, reason=f"field {key!r} is {json_type(text)}, not a string", id=given_id)
    if not text.strip():
        return Reject(source=source, reason=EMPTY, id=given_id)
    record_id = source if given_id is None else given_id
    return Record(id=record_id, text=text, source=source, fields=kept_fields(obj, options))


def read_jsonl(
    file: InputFile, *, options: ReaderOptions, progress: ReadProgress | None = None
) -> Iterator[Record | Reject]:
    """Yield one Record or Reject per non-blank line of a JSON Lines file (or stdin)."""
    for item in numbered_lines(file, options=options, progress=progress):
        if isinstance(item, Reject):
            yield item
            continue
        lineno, line = item
        yield parse_line(line, f"{file.path}:{lineno}", options=options)
