"""The inference core: raw texts in, entity spans with character offsets out.

One object, no knowledge of files or the CLI: segment each text into sentences of words, let
:class:`annotator.tagging.WordTagger` pack them into windows with document context, run the
model in length-sorted batches and decode, then map word tags back to character spans.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .labels import Span, tags_to_spans
from .segment import split_sentences
from .tagging import WordTagger


class TokenClassifier:
    """A loaded model that annotates raw texts. Hold one for repeated calls."""

    def __init__(self, tagger: WordTagger):
        self.tagger = tagger

    @classmethod
    def load(cls, model: str | Path | None = None, *, device: str = "auto", decoding: str = "constrained",
             batch_tokens: int = 8192, window_overlap: int = 32) -> "TokenClassifier":
        """Load ``model`` (default: the shipped English model) for inference."""
        from .model import load_model

        loaded = load_model(model, device=device)
        return cls(WordTagger.from_loaded(loaded, decoding=decoding, batch_tokens=batch_tokens,
                                          window_overlap=window_overlap))

    def annotate(self, texts: Iterable[str]) -> Iterator[list[Span]]:
        """Entities of each text, in input order; ``text[span.start:span.end]`` is the entity."""
        pending: deque[list[list[tuple[int, int]]]] = deque()

        def documents() -> Iterator[list[list[str]]]:
            for text in texts:
                sentences = split_sentences(text)
                pending.append(sentences)
                yield [[text[s:e] for s, e in sentence] for sentence in sentences]

        for decoded in self.tagger.tag_documents_scored(documents()):
            yield list(_char_spans(pending.popleft(), decoded))

    def annotate_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        return list(self.annotate(texts))


def _char_spans(sentences: list[list[tuple[int, int]]], decoded) -> Iterator[Span]:
    for offsets, (tags, probs) in zip(sentences, decoded):
        for span in tags_to_spans(tags):
            word_probs = probs[span.start:span.end]
            yield Span(offsets[span.start][0], offsets[span.end - 1][1], span.label,
                       round(sum(word_probs) / len(word_probs), 4))
