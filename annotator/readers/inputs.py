"""Turn command-line inputs (files, directories, globs, ``-``) into a list of :class:`InputFile`.

Formats come from a registry keyed by suffix (:data:`SUFFIXES`), overridden by
``ReaderOptions.input_format``. Directory walks are depth-first with names sorted by code point,
skip hidden files and directories, and take only files whose suffix has a reader (every file when
``input_format`` is given). Expansion is eager, so a bad input fails before any model is loaded.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ..errors import InputFormatError
from .options import ReaderOptions

STDIN = "-"
STDIN_NAME = "<stdin>"

SUFFIXES: dict[str, str] = {  # lower-cased file-name ending -> format
    ".txt": "txt",
    ".text": "txt",
    ".txt.gz": "txt",
    ".text.gz": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson.gz": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
FORMAT_FIX = "pass --input-format txt|jsonl|parquet"


@dataclass(frozen=True)
class InputFile:
    """One file to read: ``path`` as given (``<stdin>`` for ``-``), its ``format`` (detected or
    forced), whether it is gzip-compressed, and whether it is standard input."""

    path: str
    format: str
    compressed: bool = False
    stdin: bool = False


def detect_format(path: str | os.PathLike[str], suffixes: Mapping[str, str] = SUFFIXES) -> str | None:
    """The format ``suffixes`` registers for ``path``'s suffix (case-insensitive), or None.

    ``suffixes`` defaults to the annotate inputs; ``annotator.export`` passes its own registry.
    """
    name = os.path.basename(os.fspath(path)).lower()
    for suffix in sorted(suffixes, key=len, reverse=True):  # longest first: .txt.gz before .gz-less forms
        if name.endswith(suffix) and len(name) > len(suffix):
            return suffixes[suffix]
    return None


def _input_file(path: str, fmt: str) -> InputFile:
    compressed = fmt != "parquet" and path.lower().endswith(".gz")
    return InputFile(path=path, format=fmt, compressed=compressed)


def _walk(top: str, seen: set[str] | None = None, exclude: Collection[str] = ()) -> Iterator[str]:
    """Every non-hidden file under ``top``, depth first, names sorted; unreadable directories raise.

    Symbolic links to directories are followed, each real directory once (no loops). A link that
    leads nowhere (dangling, or a loop) is yielded like a file: reading it gives a Reject naming it.
    Paths in ``exclude`` (absolute: the run's own outputs) are skipped."""
    seen = set() if seen is None else seen
    real = os.path.realpath(top)
    if real in seen:
        return
    seen.add(real)
    try:
        with os.scandir(top) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        raise InputFormatError(top, None, f"cannot read directory: {exc.strerror or exc}") from exc
    for entry in entries:
        if entry.name.startswith(".") or (exclude and os.path.abspath(entry.path) in exclude):
            continue
        try:
            is_dir = entry.is_dir()  # follows symlinks to directories
        except OSError:  # a symlink loop (ELOOP) or an unreadable link
            is_dir = False
        if is_dir:
            yield from _walk(entry.path, seen, exclude)
        else:
            yield entry.path


def _from_directory(
    top: str, wanted: Callable[[str], bool], *, known: str, fix: str, exclude: Collection[str] = ()
) -> list[str]:
    found = [path for path in _walk(top, exclude=exclude) if wanted(path)]
    if not found:
        raise InputFormatError(top, None, f"no input files in directory (looked for {known})", fix=fix)
    return found


def _from_file(path: str, options: ReaderOptions) -> InputFile:
    fmt = options.input_format or detect_format(path)
    if fmt is None:
        raise InputFormatError(path, None, "unknown file type: cannot tell the format from the suffix", fix=FORMAT_FIX)
    return _input_file(path, fmt)


def _is_pattern(path: str) -> bool:
    return any(char in path for char in "*?[")


def _from_glob(
    pattern: str, wanted: Callable[[str], bool], *, known: str, fix: str, exclude: Collection[str] = ()
) -> list[str]:
    matches = sorted(glob.glob(pattern, recursive=True))  # glob itself skips hidden names
    if not matches:
        raise InputFormatError(pattern, None, "no such file or directory")
    found = []
    for path in matches:
        if exclude and any(os.path.abspath(path) == p or os.path.abspath(path).startswith(p + os.sep) for p in exclude):
            continue
        if os.path.isdir(path):
            found.extend(_from_directory(path, wanted, known=known, fix=fix, exclude=exclude))
        elif wanted(path):
            found.append(path)
    if not found:
        raise InputFormatError(pattern, None, "no files with a known suffix match this pattern", fix=fix)
    return found


def expand_paths(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    wanted: Callable[[str], bool],
    known: str,
    fix: str,
    exclude: Collection[str] = (),
) -> list[str]:
    """The one input expansion: files as given, directories walked (:func:`_walk`) and glob patterns
    matched, keeping the files ``wanted`` accepts (``known`` and ``fix`` word the error when none is).
    ``exclude``: absolute paths that walks and globs skip (a run's own outputs).

    A file given by name is kept whatever ``wanted`` says: the caller decides its format.
    Raises InputFormatError for a path that does not exist and matches no glob.
    """
    found: list[str] = []
    for item in inputs:
        path = os.fspath(item)
        if os.path.isdir(path):
            found.extend(_from_directory(path, wanted, known=known, fix=fix, exclude=exclude))
        elif os.path.exists(path):  # a regular file, or a named pipe such as <(zcat …)
            found.append(path)
        elif _is_pattern(path):
            found.extend(_from_glob(path, wanted, known=known, fix=fix, exclude=exclude))
        else:
            raise InputFormatError(path, None, "no such file or directory")
    return found


def expand_inputs(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    options: ReaderOptions,
    exclude: Collection[str | os.PathLike[str]] = (),
) -> list[InputFile]:
    """Expand files, directories, glob patterns and ``-`` (stdin) into files to read, in order.

    ``exclude``: paths (files or directories) that directory walks and globs skip: the run's own
    output, parts, rejects and lock, so an output inside an input directory is never read back.

    Raises InputFormatError for a path that does not exist and matches no glob, a file given by
    name whose suffix has no reader (fix: ``--input-format``), stdin given twice, or Parquet on stdin.
    """
    if isinstance(inputs, (str, bytes, os.PathLike)):
        raise TypeError("inputs must be a sequence of paths, not a single path")
    files: list[InputFile] = []
    stdin_seen = False
    skip = frozenset(os.path.abspath(os.fspath(path)) for path in exclude)
    for item in inputs:
        path = os.fspath(item)
        if path == STDIN:
            fmt = options.input_format or "txt"
            if fmt == "parquet":
                raise InputFormatError(STDIN_NAME, None, "cannot read Parquet from stdin", fix="pass the file's path")
            if stdin_seen:
                raise InputFormatError(STDIN_NAME, None, "'-' (stdin) is given more than once")
            stdin_seen = True
            files.append(InputFile(path=STDIN_NAME, format=fmt, stdin=True))

        else:
            paths = expand_paths(
                [path],
                wanted=lambda p: bool(options.input_format or detect_format(p)),
                known=", ".join(SUFFIXES),
                fix=FORMAT_FIX,
                exclude=skip,
            )
            files.extend(_from_file(found, options) for found in paths)
    return files
