"""Input and output formats of the export, picked by suffix with an override.

Inputs: ``.conll .iob .bio .tsv .txt`` → CoNLL (the CoNLL-2003 files are ``*.txt``); ``.parquet``
and ``.spacy`` → annotate outputs; ``.jsonl``/``.ndjson`` → an annotate output when its first
record has ``entities``, span-JSONL otherwise. A directory stands for its files with those
suffixes, sorted (the shard directories ``annotate --shard-size`` writes). Outputs: ``.spacy`` →
DocBin, ``.jsonl`` → span-JSONL.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..choices import ExportInputFormat, ExportOutputFormat, values
from ..errors import ConfigError, InputFormatError

INPUT_FORMATS = values(ExportInputFormat)
SCORED_FORMATS = frozenset({"jsonl", "parquet", "spacy", "spans-jsonl"})
INPUT_SUFFIXES = {
    ".conll": "conll", ".iob": "conll", ".bio": "conll", ".tsv": "conll", ".txt": "conll",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".spacy": "spacy",
}
OUTPUT_FORMATS = values(ExportOutputFormat)
OUTPUT_SUFFIXES = {".spacy": "spacy", ".jsonl": "spans-jsonl"}


def expand_inputs(paths: list[str | os.PathLike[str]]) -> list[Path]:
    """The input files: files as given, directories replaced by their known-suffix files, sorted."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(child for child in path.iterdir()
                           if child.is_file() and child.suffix.lower() in INPUT_SUFFIXES)
            if not found:
                known = " ".join(sorted(INPUT_SUFFIXES))
                raise InputFormatError(path, None, f"is a directory without input files ({known})")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise InputFormatError(path, None, "no such file or directory")
    return files


def detect_input_format(path: str | os.PathLike[str], override: str | None = None) -> str:
    """The input format of ``path``: ``override`` if given (checked), else from the suffix (see module doc)."""
    if override is not None:
        if override not in INPUT_FORMATS:
            raise ConfigError(f"unknown input format {override!r}; use one of {', '.join(INPUT_FORMATS)}")
        return override
    path = Path(path)
    fmt = INPUT_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        what = f"suffix {path.suffix!r}" if path.suffix else "no suffix"
        raise ConfigError(f"cannot tell the input format of {path} ({what}); pass --input-format "
                          + "|".join(INPUT_FORMATS))
    if fmt == "jsonl":
        return _sniff_jsonl(path)
    return fmt


def _sniff_jsonl(path: Path) -> str:
    """``jsonl`` (an annotate output) if the first record has ``entities``, else ``spans-jsonl``."""
    with open(path, "rb") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                first = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputFormatError(path, lineno, f"not a valid JSON line ({exc})") from None
            return "jsonl" if isinstance(first, dict) and "entities" in first else "spans-jsonl"
    return "jsonl"


def detect_output_format(path: str | os.PathLike[str], override: str | None = None) -> str:
    """``spacy`` or ``spans-jsonl``: ``override`` if given (checked), else from the suffix of ``path``."""
    if override is not None:
        if override not in OUTPUT_FORMATS:
            raise ConfigError(f"unknown output format {override!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        return override
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        what = f"suffix {suffix!r}" if suffix else "no suffix"
        raise ConfigError(f"cannot tell the output format of {path} ({what}); name it .spacy or .jsonl, "
                          "or pass --format spacy|spans-jsonl")
    return OUTPUT_SUFFIXES[suffix]
