"""Plain-text reader: one document per file, or per non-blank line with ``lines`` (always for stdin).

A document's id is its source: ``path`` for a whole file, ``path:line`` (1-based) for a line. The
text is kept exactly (offsets index into it), less the line's newline in line mode.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..records import Record, Reject
from .inputs import InputFile
from .options import ReaderOptions
from .progress import ReadProgress
from .streams import numbered_lines, whole_text

EMPTY = "empty text"


def read_text(
    file: InputFile, *, options: ReaderOptions, progress: ReadProgress | None = None
) -> Iterator[Record | Reject]:
    """Yield one Record or Reject per document of a txt file (or stdin)."""
    kept = dict.fromkeys(options.keep)  # txt has no fields: kept names are None, so every record has them
    if options.lines or file.stdin:
        for item in numbered_lines(file, options=options, progress=progress):
            if isinstance(item, Reject):
                yield item
                continue
            lineno, text = item
            source = f"{file.path}:{lineno}"
            yield Record(id=source, text=text, source=source, fields=dict(kept))
        return
    whole = whole_text(file, options=options, progress=progress)
    if isinstance(whole, Reject):
        yield whole
    elif not whole.strip():
        yield Reject(source=file.path, reason=EMPTY)
    else:
        yield Record(id=file.path, text=whole, source=file.path, fields=dict(kept))
