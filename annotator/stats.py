"""The counts of an `annotate` run: kept per part in the manifest, summed here, returned to the caller."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WORD_COUNT_SLICE = 1 << 20  # characters: a longer text is counted slice by slice
_SPACE = re.compile(r"\s")


def count_words(text: str) -> int:
    """``len(text.split())`` (whitespace-separated words) without the list of every word of a huge text:
    a text longer than :data:`WORD_COUNT_SLICE` characters is counted in slices cut at whitespace, so
    the count of a 5 MB document holds about one slice's words at a time (a list of 900,000 strings
    took about 60 MB)."""
    if len(text) <= WORD_COUNT_SLICE:
        return len(text.split())
    words = start = 0
    while start < len(text):
        found = _SPACE.search(text, min(start + WORD_COUNT_SLICE, len(text)))
        end = found.start() if found else len(text)
        words += len(text[start:end].split())
        start = end
    return words


@dataclass
class RunStats:
    """Documents read, annotated and rejected, words and entities: over the parts done so far while
    the run goes (restored from the manifest on resume), over the whole output when it returns."""

    read: int = 0
    annotated: int = 0
    rejected: int = 0
    words: int = 0
    parts: int = 0
    seconds: float = 0.0
    resumed_from: int = 0  # items already done by the interrupted run this one resumed
    resumed_words: int = 0
    startup_seconds: float = 0.0  # from the call to the first batch written (imports, model load, first batch)
    workers: int = 0  # CPU stage processes the run used
    computes: str = ""  # what ran the model (WordTagger.computes): "onnx int8 on cpu", "torch bf16 on cuda"...
    entities: Counter = field(default_factory=Counter)
    output: Path | None = None
    rejects: Path | None = None

    def add(self, part: dict[str, Any]) -> None:
        """Count one part (a manifest entry)."""
        self.read += part["items"]
        self.annotated += part["records"]
        self.rejected += part["rejects"]
        self.words += part["words"]
        self.entities.update(part["entities"])
        self.parts += 1

    @property
    def words_per_second(self) -> float:
        return (self.words - self.resumed_words) / self.seconds if self.seconds > 0 else 0.0
