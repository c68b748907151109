"""Input and output formats of the export, picked by suffix with an override.

Inputs: ``.conll .iob .bio .tsv .txt`` → CoNLL (the CoNLL-2003 files are ``*.txt``); ``.parquet``
and ``.spacy`` → annotate outputs; ``.jsonl``/``.ndjson`` → an annotate output when its first
record has ``entities``, span-JSONL otherwise. A file whose suffix says nothing (``eng.testb``)
is recognised by its content. A directory stands for its files with those suffixes, sorted (the
shard directories ``annotate --shard-size`` writes); a glob pattern for its matches. Outputs:
``.spacy`` → DocBin, ``.jsonl`` → span-JSONL.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..choices import ExportInputFormat, ExportOutputFormat, values
from ..errors import ConfigError
from ..readers.inputs import detect_format, expand_paths
from ..writers.jsonl import iter_jsonl

INPUT_FORMATS = values(ExportInputFormat)
SCORED_FORMATS = frozenset({"jsonl", "parquet", "spacy", "spans-jsonl"})
INPUT_SUFFIXES = {
    ".conll": "conll",
    ".iob": "conll",
    ".bio": "conll",
    ".tsv": "conll",
    ".txt": "conll",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".spacy": "spacy",
}
OUTPUT_FORMATS = values(ExportOutputFormat)
OUTPUT_SUFFIXES = {".spacy": "spacy", ".jsonl": "spans-jsonl"}


def expand_inputs(paths: list[str | os.PathLike[str]]) -> list[Path]:
    """The input files: files as given; directories and glob patterns expanded to their files with
    known suffixes, sorted (:func:`annotator.readers.inputs.expand_paths`, as for `annotate`)."""
    found = expand_paths(
        paths,
        wanted=lambda path: detect_format(path, INPUT_SUFFIXES) is not None,
        known=" ".join(sorted(INPUT_SUFFIXES)),
        fix="pass the files by name",
    )
    return [Path(path) for path in found]


def detect_input_format(path: str | os.PathLike[str], override: str | None = None) -> str:
    """The input format of ``path``: ``override`` if given (checked), else from the suffix, else from
    the content (the original CoNLL files are named ``eng.testb``, ``esp.train``, ``ned.testa``)."""
    if override is not None:
        if override not in INPUT_FORMATS:
            raise ConfigError(f"unknown input format {override!r}; use one of {', '.join(INPUT_FORMATS)}")
        return override
    path = Path(path)
    fmt = detect_format(path, INPUT_SUFFIXES) or sniff_content(path)
    if fmt is None:
        what = f"suffix {path.suffix!r}" if path.suffix else "no suffix"
        raise ConfigError(
            f"cannot tell the input format of {path} ({what}) nor from its content; pass --input-format "
            + "|".join(INPUT_FORMATS)
        )
    if fmt == "jsonl":
        return _sniff_jsonl(path)
    return fmt


def sniff_content(path: Path, *, max_lines: int = 100) -> str | None:
    """``parquet`` (magic bytes), ``jsonl`` (a line opens with ``{``) or ``conll`` (lines of
    whitespace-separated columns ending in a tag, or ``-DOCSTART-``) from the start of the file; else None."""
    tag = re.compile(rb"^(O|[BIESLU]-\S+)$")
    try:
        with open(path, "rb") as handle:
            if handle.read(4) == b"PAR1":
                return "parquet"
            handle.seek(0)
            for _, line in zip(range(max_lines), handle):
                fields = line.split()
                if not fields:
                    continue
                if fields[0].startswith(b"{"):
                    return "jsonl"
                if fields[0] == b"-DOCSTART-" or (len(fields) >= 2 and tag.match(fields[-1])):
                    return "conll"
                return None
    except OSError:  # reading it later names the problem
        return None
    return None


def _sniff_jsonl(path: Path) -> str:
    """``jsonl`` (an annotate output) if the first record has ``entities``, else ``spans-jsonl``."""
    first = next(iter_jsonl(path), None)
    return "jsonl" if first is None or "entities" in first[1] else "spans-jsonl"


def detect_output_format(path: str | os.PathLike[str], override: str | None = None) -> str:
    """``spacy`` or ``spans-jsonl``: ``override`` if given (checked), else from the suffix of ``path``."""
    if override is not None:
        if override not in OUTPUT_FORMATS:
            raise ConfigError(f"unknown output format {override!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        return override
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        what = f"suffix {suffix!r}" if suffix else "no suffix"
        raise ConfigError(
            f"cannot tell the output format of {path} ({what}); name it .spacy or .jsonl, "
            "or pass --format spacy|spans-jsonl"
        )
    return OUTPUT_SUFFIXES[suffix]
