"""`annotator predict`: the quick check on a few raw texts (notebook style)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .labels import Span


@dataclass(frozen=True)
class TextEntities:
    text: str
    entities: list[Span]  # character offsets, half-open: text[start:end] is the entity


def predict_texts(texts: Iterable[str], *, model=None, device: str = "auto",
                  decoding: str = "constrained", quantize: str = "none",
                  precision: str = "auto") -> Iterator[TextEntities]:
    """Entities of each text with character offsets and a score (mean word probability)."""
    from .inference import TokenClassifier

    texts = list(texts)
    classifier = TokenClassifier.load(model, device=device, decoding=decoding, quantize=quantize,
                                      precision=precision)
    for text, entities in zip(texts, classifier.annotate(texts)):
        yield TextEntities(text, entities)
