"""``--split train=0.8,dev=0.2``: parse it, assign items to splits, and name the split files.

Assignment is exact and reproducible: ``n`` items are shuffled with ``random.Random(seed)`` and cut
into consecutive runs whose sizes are the fractions of ``n`` rounded by largest remainder (so they
always add up to ``n``); each split keeps its items in input order. Split files sit beside the
output, the split name before the suffix: ``silver.spacy`` → ``silver.train.spacy``,
``silver.dev.spacy``.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Mapping
from pathlib import Path

from ..errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_FIX = "write it like train=0.8,dev=0.2"


def parse_split(text: str) -> dict[str, float]:
    """``"train=0.8,dev=0.2"`` → ``{"train": 0.8, "dev": 0.2}``, checked by :func:`check_split`."""
    parts: list[tuple[str, float]] = []
    for item in text.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            raise ConfigError(f"--split: {item.strip()!r} is not NAME=FRACTION ({_FIX})")
        try:
            fraction = float(value)
        except ValueError:
            raise ConfigError(f"--split: {value.strip()!r} is not a number ({_FIX})") from None
        name = name.strip()
        if name in (n for n, _ in parts):
            raise ConfigError(f"--split: {name!r} appears twice ({_FIX})")
        parts.append((name, fraction))
    return check_split(dict(parts))


def check_split(split: Mapping[str, float]) -> dict[str, float]:
    """``split`` as a dict, or ConfigError unless the names are words (letters, digits, ``_``, ``-``)
    and the fractions are in (0, 1] and add up to 1."""
    if not split:
        raise ConfigError(f"--split names no split ({_FIX})")
    for name, fraction in split.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(f"--split: {name!r} is not a split name (letters, digits, _ and -)")
        if not isinstance(fraction, (int, float)) or math.isnan(fraction) or not 0 < fraction <= 1:
            raise ConfigError(f"--split: the fraction of {name!r} must be above 0 and at most 1, got {fraction}")
    total = sum(split.values())
    if abs(total - 1) > 1e-6:
        raise ConfigError(f"--split: the fractions add up to {total:g}, not 1 ({_FIX})")
    return dict(split)


def split_sizes(n: int, fractions: tuple[float, ...]) -> list[int]:
    """Sizes adding up to ``n``: floors of ``n * fraction``, the remainder to the largest remainders
    (ties to the earlier split)."""
    raw = [n * fraction for fraction in fractions]
    sizes = [math.floor(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - sizes[i]), i))
    for i in order[: n - sum(sizes)]:
        sizes[i] += 1
    return sizes


def assign_splits(n: int, fractions: tuple[float, ...], *, seed: int) -> list[int]:
    """The split index of each of ``n`` items (see the module doc). Pure and deterministic."""
    order = list(range(n))
    random.Random(seed).shuffle(order)
    assignment = [0] * n
    position = 0
    for split, size in enumerate(split_sizes(n, fractions)):
        for item in order[position : position + size]:
            assignment[item] = split
        position += size
    return assignment


def split_path(output: str | Path, name: str) -> Path:
    """``silver.spacy`` + ``train`` → ``silver.train.spacy`` (``silver`` → ``silver.train``)."""
    output = Path(output)
    return output.with_name(f"{output.stem}.{name}{output.suffix}")
