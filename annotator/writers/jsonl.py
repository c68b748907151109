"""JSON Lines output: one UTF-8 line per record, ``json.dumps(record_dict(item), ensure_ascii=False)``.

The writer takes an open binary handle and leaves it open (the caller owns it, as with
``datasets``' ``_write(file_obj, ...)``), so stdout and part files work the same way.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

from ..errors import ConfigError, InputFormatError
from ..records import Annotated
from .common import WriterBase, entity_dicts, record_dict

_COPY_CHUNK = 1 << 20
ENTITY_GROUP = 1024  # entities encoded at a time in one line


class JsonlWriter(WriterBase):
    """Write records as JSON lines to an open binary handle; ``close()`` only flushes it."""

    def __init__(self, handle: BinaryIO, *, include_text: bool = True):
        if isinstance(handle, io.TextIOBase):
            raise TypeError("JsonlWriter needs a binary handle, e.g. open(path, 'wb') or sys.stdout.buffer")
        self.handle = handle
        self.include_text = include_text
        self.count = 0
        self._closed = False

    def write(self, items: Sequence[Annotated]) -> int:
        """Write one line per item (all or nothing per batch) and return how many were written."""
        if self._closed:
            raise ValueError("JsonlWriter: write() after close()")
        lines = [self._line(item) for item in items]
        if lines:
            self.handle.write(b"".join(lines))
        self.count += len(lines)
        return len(lines)

    def _line(self, item: Annotated) -> bytes:
        """``json.dumps(record_dict(item), ensure_ascii=False)`` and a newline, as UTF-8, with the entities
        encoded :data:`ENTITY_GROUP` at a time: a document with 200,000 entities never holds them all as
        dicts (about 70 MB) and their encoder chunks at once, only one group's (the same bytes: test)."""
        try:
            head = json.dumps(record_dict(item, include_text=self.include_text, entities=False), ensure_ascii=False)
            groups = range(0, len(item.entities), ENTITY_GROUP)
            body = ", ".join(
                json.dumps(entity_dicts(item, a, a + ENTITY_GROUP), ensure_ascii=False)[1:-1] for a in groups
            )
            return f'{head[:-1]}, "entities": [{body}]}}\n'.encode()
        except TypeError as exc:  # a kept field holding e.g. a datetime or bytes
            raise ConfigError(
                f"{item.record.source}: a kept field cannot be written as JSON ({exc}); "
                "drop that field or pass --format parquet"
            ) from exc
        except UnicodeEncodeError as exc:  # lone surrogates in the text or a field
            raise ValueError(f"{item.record.source}: the record is not valid Unicode ({exc})") from exc

    def close(self) -> int:
        """Flush the handle (the caller closes it); return the number of records written.

        A second close only returns the count (the caller may have closed the handle by then).
        """
        if not self._closed:
            self._closed = True
            self.handle.flush()
        return self.count


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, object)`` for each non-blank line of a JSONL file, streaming.

    The one JSONL iterator of the project's outputs and export inputs. Raises InputFormatError
    naming ``path:line`` for a line that is not valid UTF-8 JSON or not a JSON object.
    """
    with open(path, "rb") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputFormatError(path, lineno, f"not a valid JSON line ({exc})") from None
            if not isinstance(obj, dict):
                raise InputFormatError(path, lineno, f"expected a JSON object, found {type(obj).__name__}")
            yield lineno, obj


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """The objects of :func:`iter_jsonl`, without their line numbers."""
    return (obj for _, obj in iter_jsonl(path))


def concat_jsonl(part_paths: Iterable[str | os.PathLike[str]], out_handle: BinaryIO) -> int:
    """Copy JSONL part files byte for byte, in the order given, into ``out_handle``; return the line count.

    A part whose last line lacks its newline gets one, so parts never fuse. The handle is left open.
    """
    count = 0
    for path in part_paths:
        last = b"\n"
        with open(path, "rb") as handle:
            while chunk := handle.read(_COPY_CHUNK):
                out_handle.write(chunk)
                count += chunk.count(b"\n")
                last = chunk[-1:]
        if last != b"\n":
            out_handle.write(b"\n")
            count += 1
    return count
