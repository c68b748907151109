"""`annotator predict`: the quick check on a few raw texts (notebook style)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .labels import Span, tags_to_spans

# Words: dotted abbreviations (U.S.), words with inner hyphens/apostrophes, or one symbol.
WORD_RE = re.compile(r"(?:[^\W\d_]\.){2,}|\w+(?:[-'’]\w+)*|[^\w\s]")


@dataclass(frozen=True)
class TextEntities:
    text: str
    entities: list[Span]  # character offsets, half-open: text[start:end] is the entity


def split_words(text: str) -> list[tuple[int, int]]:
    """Character spans of the words of ``text`` (half-open)."""
    return [m.span() for m in WORD_RE.finditer(text)]


def predict_texts(texts: Iterable[str], *, model=None, device: str = "auto",
                  decoding: str = "constrained") -> Iterator[TextEntities]:
    """Entities of each text with character offsets and a score (mean word probability)."""
    from .model import load_model
    from .tagging import WordTagger

    loaded = load_model(model, device=device)
    tagger = WordTagger.from_loaded(loaded, decoding=decoding)
    for text in texts:
        offsets = split_words(text)
        words = [text[s:e] for s, e in offsets]
        if not words:
            yield TextEntities(text, [])
            continue
        windows = tagger.encoder.encode([words])
        (tags, probs), = tagger.decode([len(words)], windows, tagger.window_log_probs(windows))
        entities = []
        for span in tags_to_spans(tags):
            start, end = offsets[span.start][0], offsets[span.end - 1][1]
            word_probs = probs[span.start:span.end]
            entities.append(Span(start, end, span.label, round(sum(word_probs) / len(word_probs), 4)))
        yield TextEntities(text, entities)
