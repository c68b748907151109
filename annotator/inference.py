"""The inference core: raw texts in, entity spans with character offsets out.

One object, no knowledge of files or the CLI (the same core can run inside Ray Data's
``map_batches`` workers): segment each text into sentences of words, pack them into windows with
document context, run the model in length-sorted batches under ``torch.inference_mode()``,
decode, and map word tags back to character spans. :meth:`TokenClassifier.prepare` (CPU work:
segmentation and tokenization) and :meth:`TokenClassifier.predict` (the model) are separate so a
caller can overlap them in two threads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .labels import Span, tags_to_spans
from .segment import split_sentences
from .tagging import WordTagger
from .windows import Window

Offsets = list[list[tuple[int, int]]]  # per sentence, the character span of each word


@dataclass
class Prepared:
    """A batch of texts segmented and encoded, ready for the model."""

    offsets: list[Offsets]
    windows: list[list[Window]]


class TokenClassifier:
    """A loaded model that annotates raw texts. Hold one for repeated calls."""

    def __init__(self, tagger: WordTagger):
        self.tagger = tagger

    @classmethod
    def load(
        cls,
        model: str | Path | None = None,
        *,
        device: str = "auto",
        decoding: str = "constrained",
        batch_tokens: int | None = None,
        window_overlap: int = 32,
        quantize: str = "auto",
        precision: str = "auto",
        runtime: str = "auto",
    ) -> TokenClassifier:
        """Load ``model`` (default: the shipped English model) for inference (``runtime="onnx"``:
        run by ONNX Runtime on the CPU; "auto": onnx int8 on a CPU, see :func:`annotator.model.resolve_runtime`)."""
        from .memory import bound_native_caches
        from .model import check_runtime, load_model

        check_runtime(runtime, device=device, precision=precision)
        bound_native_caches()
        loaded = load_model(model, device=device, quantize=quantize, runtime=runtime, precision=precision)
        return cls(
            WordTagger.from_loaded(
                loaded, decoding=decoding, batch_tokens=batch_tokens, window_overlap=window_overlap, precision=precision
            )
        )

    def prepare(self, texts: Sequence[str]) -> Prepared:
        """Segment and tokenize ``texts`` (no model)."""
        offsets = [split_sentences(text) for text in texts]
        windows = [
            self.tagger.encoder.encode([[t[s:e] for s, e in sent] for sent in doc]) for t, doc in zip(texts, offsets)
        ]
        return Prepared(offsets, windows)

    def predict(self, prepared: Prepared) -> list[list[Span]]:
        """Entities of each prepared text, in order; ``text[span.start:span.end]`` is the entity."""
        lengths = [[len(sent) for sent in doc] for doc in prepared.offsets]
        decoded = self.tagger.predict_encoded(lengths, prepared.windows)
        return [list(_char_spans(doc, d)) for doc, d in zip(prepared.offsets, decoded)]

    def annotate_batch(self, texts: Sequence[str]) -> list[list[Span]]:
        return self.predict(self.prepare(texts))

    def annotate(self, texts: Iterable[str], *, batch_size: int = 256) -> Iterator[list[Span]]:
        """Entities of each text, in input order, ``batch_size`` texts at a time."""
        batch: list[str] = []
        for text in texts:
            batch.append(text)
            if len(batch) >= batch_size:
                yield from self.annotate_batch(batch)
                batch = []
        if batch:
            yield from self.annotate_batch(batch)


def _char_spans(sentences: Offsets, decoded) -> Iterator[Span]:
    for offsets, (tags, probs) in zip(sentences, decoded):
        for span in tags_to_spans(tags):
            word_probs = probs[span.start : span.end]
            yield Span(
                offsets[span.start][0],
                offsets[span.end - 1][1],
                span.label,
                round(sum(word_probs) / len(word_probs), 4),
            )
