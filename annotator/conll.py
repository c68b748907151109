"""The one CoNLL column reader, used by training, evaluation and export.

Streams a file line by line. Token in the first column, tag in the last (or ``tag_column``),
columns separated by spaces or tabs. ``-DOCSTART-`` lines start a new document; blank and
whitespace-only lines end a sentence. Tags of any scheme are checked against the scheme (given,
or detected from the file in a first streaming pass) and normalised to IOB2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import InputFormatError
from .labels import canonical_scheme, check_tag, detect_scheme, to_iob2

DOCSTART = "-DOCSTART-"
_SPLIT = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class Sentence:
    """One sentence: words, their IOB2 tags, and where it came from."""

    words: tuple[str, ...]
    tags: tuple[str, ...]
    doc: int  # 0-based document index within the file (-DOCSTART- boundaries)
    path: str
    line: int  # 1-based line of the first word


@dataclass(frozen=True)
class ConllFormat:
    """How to read a CoNLL file. ``scheme=None`` detects it from the file."""

    tag_column: int = -1
    scheme: str | None = None
    encoding: str = "utf-8"


def _raw_sentences(path: Path, fmt: ConllFormat) -> Iterator[tuple[list[str], list[str], int, int, list[int]]]:
    """Yield ``(words, raw_tags, doc, first_line, line_numbers)``; checks line shape and encoding."""
    doc = 0
    seen_content_in_doc = False
    words: list[str] = []
    tags: list[str] = []
    lines: list[int] = []
    lineno = 0
    try:
        with open(path, "rb") as handle:  # bytes, decoded line by line: errors name the exact line
            for raw_bytes in handle:
                lineno += 1
                try:
                    raw = raw_bytes.decode(fmt.encoding)
                except UnicodeDecodeError as exc:
                    raise InputFormatError(
                        path,
                        lineno,
                        f"not valid {fmt.encoding}: {exc.reason} at byte {exc.start}",
                        fix="pass the file's encoding with --encoding, e.g. --encoding iso-8859-1",
                    ) from None
                except LookupError:
                    raise InputFormatError(path, None, f"unknown encoding {fmt.encoding!r}") from None
                line = raw.rstrip("\r\n")
                if lineno == 1 and line.startswith("\ufeff"):
                    line = line[1:]  # the file's byte-order mark, not a token
                if not line.strip():
                    if words:
                        yield words, tags, doc, lines[0], lines
                        words, tags, lines = [], [], []
                    continue
                cols = _SPLIT.split(line.strip(" \t"))
                if cols[0] == DOCSTART:
                    if words:
                        yield words, tags, doc, lines[0], lines
                        words, tags, lines = [], [], []
                    if seen_content_in_doc:
                        doc += 1
                        seen_content_in_doc = False
                    continue
                if len(cols) < 2:
                    raise InputFormatError(
                        path,
                        lineno,
                        f"expected a token and a tag, found one column {cols[0]!r}",
                        fix="every token line needs its tag; separate columns with spaces or tabs",
                    )
                try:
                    tag = cols[fmt.tag_column]
                except IndexError:
                    raise InputFormatError(
                        path,
                        lineno,
                        f"no column {fmt.tag_column} in a line of {len(cols)} columns",
                        fix="check --tag-column",
                    ) from None
                words.append(cols[0])
                tags.append(tag)
                lines.append(lineno)
                seen_content_in_doc = True
            if words:
                yield words, tags, doc, lines[0], lines
    except FileNotFoundError:
        raise InputFormatError(path, None, "no such file") from None
    except IsADirectoryError:
        raise InputFormatError(path, None, "is a directory, expected a CoNLL file") from None


def detect_file_scheme(path: str | Path, fmt: ConllFormat = ConllFormat()) -> str:
    """Detect the tag scheme of a CoNLL file in one streaming pass."""

    def stream() -> Iterator[str]:
        for _, tags, _, _, _ in _raw_sentences(Path(path), fmt):
            yield from tags
            yield ""

    return detect_scheme(stream())


def has_document_markers(path: str | Path) -> bool:
    """Whether a CoNLL file marks its documents with ``-DOCSTART-`` lines (one streaming pass)."""
    marker = DOCSTART.encode("ascii")
    try:
        with open(path, "rb") as handle:
            return any(line.lstrip(b"\xef\xbb\xbf \t").split(maxsplit=1)[:1] == [marker] for line in handle)
    except FileNotFoundError:
        raise InputFormatError(path, None, "no such file") from None


def read_conll(path: str | Path, *, fmt: ConllFormat = ConllFormat()) -> Iterator[Sentence]:
    """Stream the sentences of a CoNLL file with tags checked and normalised to IOB2."""
    path = Path(path)
    scheme = canonical_scheme(fmt.scheme) if fmt.scheme else detect_file_scheme(path, fmt)
    for words, tags, doc, first, lines in _raw_sentences(path, fmt):
        for tag, lineno in zip(tags, lines):
            try:
                check_tag(tag, scheme)
            except ValueError as exc:
                raise InputFormatError(path, lineno, str(exc), fix="check --scheme and --tag-column") from None
        yield Sentence(tuple(words), tuple(to_iob2(tags)), doc, str(path), first)


def read_documents(path: str | Path, *, fmt: ConllFormat = ConllFormat()) -> Iterator[list[Sentence]]:
    """Group :func:`read_conll` sentences by document (a file without ``-DOCSTART-`` is one document)."""
    current: list[Sentence] = []
    for sentence in read_conll(path, fmt=fmt):
        if current and sentence.doc != current[-1].doc:
            yield current
            current = []
        current.append(sentence)
    if current:
        yield current
