"""Byte-level reading shared by the txt and jsonl readers.

Files are opened in binary mode (gzip through ``gzip.open``) and decoded line by line, so a decoding
error names the exact line and the lines around it are still read. A UTF-8 BOM is stripped at the
start of a file only. A NUL byte makes its line a Reject; a file whose first 8 KiB have NUL bytes in
at least half their lines (an image, an archive, UTF-16 text) is binary: one Reject, nothing else.
A read that fails part-way (a truncated gzip) ends the file with a Reject at the line it reached.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import sys
import zlib
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import IO, cast

from ..records import Reject
from .inputs import InputFile
from .options import ReaderOptions
from .progress import ReadProgress

SNIFF_BYTES = 8192
UTF8_BOM = codecs.BOM_UTF8
BINARY_REASON = "binary file (NUL bytes in the first 8 KiB), not text"
NUL_LINE_REASON = "binary data (a NUL byte) in the line, not text"
READ_ERRORS = (OSError, EOFError, zlib.error)  # gzip raises EOFError when truncated, BadGzipFile (OSError) when corrupt


def line_codec(encoding: str) -> str:
    """The codec for decoding one line: utf-8-sig becomes utf-8 (the BOM is handled per file)."""
    return "utf-8" if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig") else encoding


def _strips_bom(encoding: str) -> bool:
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def open_binary(file: InputFile) -> AbstractContextManager[IO[bytes]]:
    """Open ``file`` for binary reading; stdin is ``sys.stdin.buffer`` and is not closed after."""
    if file.stdin:
        return contextlib.nullcontext(sys.stdin.buffer)
    if file.compressed:
        return cast("AbstractContextManager[IO[bytes]]", gzip.open(file.path, "rb"))
    return open(file.path, "rb", buffering=65536)  # noqa: SIM115 - closed by the caller's `with`


def open_failure(file: InputFile, exc: OSError) -> Reject:
    return Reject(source=file.path, reason=f"cannot open: {exc.strerror or exc}")


def read_failure(file: InputFile, source: str, exc: BaseException) -> Reject:
    if file.compressed:
        return Reject(source=source, reason=f"gzip stream is truncated or corrupt: {exc}")
    return Reject(source=source, reason=f"read error: {exc}")


def decode_failure(source: str, exc: UnicodeDecodeError, encoding: str, where: str) -> Reject:
    return Reject(
        source=source,
        reason=f"not valid {encoding}: {exc.reason} at {where}; "
        "pass the file's encoding with --encoding, e.g. --encoding cp1252",
    )


def _sniff(stream: IO[bytes]) -> tuple[bytes, Iterable[bytes]]:
    """The first bytes of ``stream`` (up to 8 KiB) and an iterable of all its lines, head included."""
    peek = getattr(stream, "peek", None)
    if peek is not None:  # buffered files, gzip and real stdin: look without consuming
        return peek(SNIFF_BYTES)[:SNIFF_BYTES], stream
    head = stream.read(SNIFF_BYTES)
    return head, _rejoin(head, stream)


def _rejoin(head: bytes, rest: Iterable[bytes]) -> Iterator[bytes]:
    """Lines of ``head`` followed by ``rest``, as if nothing had been read (split on b"\\n" only)."""
    start = 0
    while (end := head.find(b"\n", start)) >= 0:
        yield head[start : end + 1]
        start = end + 1
    pending = head[start:]
    for line in rest:
        if pending:
            line, pending = pending + line, b""
        yield line
    if pending:
        yield pending


def _strip_newline(raw: bytes) -> bytes:
    if raw.endswith(b"\n"):
        raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
    return raw


def is_binary(head: bytes) -> bool:
    """Whether the first bytes of a file say it is binary: NUL bytes in at least half of its lines.
    One stray NUL in a text file costs its line only (see :func:`numbered_lines`)."""
    if b"\0" not in head:
        return False
    lines = head.split(b"\n")
    if len(lines) > 1 and not lines[-1]:
        lines.pop()
    return 2 * sum(1 for line in lines if b"\0" in line) >= len(lines)


def numbered_lines(
    file: InputFile, *, options: ReaderOptions, progress: ReadProgress | None = None
) -> Iterator[tuple[int, str] | Reject]:
    """Yield ``(line_number, text)`` for each non-blank line (1-based, newline removed), or a Reject
    for a line that does not decode, for a binary file (alone) or for a failed read (last)."""
    try:
        handle = open_binary(file)
    except OSError as exc:
        yield open_failure(file, exc)
        return
    if progress is not None:
        progress.watch(handle)
    codec = line_codec(options.encoding)
    strip_bom = _strips_bom(options.encoding)
    lineno = 0
    with handle as stream:
        try:
            head, lines = _sniff(stream)
        except READ_ERRORS as exc:
            yield read_failure(file, f"{file.path}:1", exc)
            return
        if is_binary(head):
            yield Reject(source=file.path, reason=BINARY_REASON)
            return
        iterator = iter(lines)
        while True:
            try:
                raw = next(iterator)
            except StopIteration:
                return
            except READ_ERRORS as exc:
                yield read_failure(file, f"{file.path}:{lineno + 1}", exc)
                return
            lineno += 1
            if lineno == 1 and strip_bom and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
            if b"\0" in raw:
                yield Reject(source=f"{file.path}:{lineno}", reason=NUL_LINE_REASON)
                continue
            try:
                text = _strip_newline(raw).decode(codec)
            except UnicodeDecodeError as exc:
                yield decode_failure(f"{file.path}:{lineno}", exc, options.encoding, f"byte {exc.start}")
                continue
            if text.strip():  # blank lines are not documents
                yield lineno, text


def whole_text(file: InputFile, *, options: ReaderOptions, progress: ReadProgress | None = None) -> str | Reject:
    """The whole file decoded as one document (BOM stripped), or the Reject that replaces it."""
    try:
        handle = open_binary(file)
    except OSError as exc:
        return open_failure(file, exc)
    if progress is not None:
        progress.watch(handle)
    with handle as stream:
        try:
            data = stream.read()
        except READ_ERRORS as exc:
            return read_failure(file, file.path, exc)
    if b"\0" in data[:SNIFF_BYTES]:
        return Reject(source=file.path, reason=BINARY_REASON)
    if _strips_bom(options.encoding) and data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        return data.decode(line_codec(options.encoding))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1)
        return decode_failure(file.path, exc, options.encoding, f"line {line}, byte {column}")
