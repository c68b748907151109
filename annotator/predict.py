"""`annotator predict`: the quick check on a few raw texts (notebook style)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .errors import InputFormatError
from .labels import Span


@dataclass(frozen=True)
class TextEntities:
    text: str
    entities: list[Span]  # character offsets, half-open: text[start:end] is the entity


def predict_texts(
    texts: Iterable[str],
    *,
    model=None,
    device: str = "auto",
    decoding: str = "constrained",
    quantize: str = "auto",
    precision: str = "auto",
    runtime: str = "auto",
) -> Iterator[TextEntities]:
    """Entities of each text with character offsets and a score (mean word probability)."""
    from .inference import TokenClassifier

    texts = list(texts)
    classifier = TokenClassifier.load(
        model, device=device, decoding=decoding, quantize=quantize, precision=precision, runtime=runtime
    )
    for text, entities in zip(texts, classifier.annotate(texts)):
        yield TextEntities(text, entities)


def stdin_texts(stream: BinaryIO) -> Iterator[str]:
    """The non-blank lines of ``stream`` (standard input's bytes), decoded as UTF-8, without their
    line ending (``\\n`` or ``\\r\\n``). InputFormatError names ``<stdin>:line`` for a line that is not UTF-8."""
    for lineno, raw in enumerate(stream, 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputFormatError(
                "<stdin>",
                lineno,
                f"not valid UTF-8 ({exc.reason} at byte {exc.start})",
                fix="pipe UTF-8 text, e.g. through `iconv -f cp1252 -t utf-8`",
            ) from None
        line = line.removesuffix("\n").removesuffix("\r")
        if line.strip():
            yield line
