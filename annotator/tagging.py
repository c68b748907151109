"""Word-level tagging of pre-split text (CoNLL sentences): windows → batched forward → tags per word.

Used by `annotator evaluate`, `annotator predict`, and by the torch training loop for its dev
scores, so every score the project reports comes from this one path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from .windows import Window, WindowEncoder, fill_words

Document = Sequence[Sequence[str]]  # sentences of words


def batches_by_tokens(windows: Sequence[Window], *, batch_tokens: int) -> Iterator[list[int]]:
    """Indices of ``windows`` in length-sorted batches whose padded size stays under ``batch_tokens``."""
    order = sorted(range(len(windows)), key=lambda i: len(windows[i].input_ids), reverse=True)
    batch: list[int] = []
    for i in order:
        width = len(windows[batch[0]].input_ids) if batch else len(windows[i].input_ids)
        if batch and width * (len(batch) + 1) > batch_tokens:
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


class WordTagger:
    """Predicts one IOB2 tag per word for documents of pre-split sentences."""

    def __init__(self, model, tokenizer, *, id2label: dict[int, str], max_length: int, context: str,
                 device=None, batch_tokens: int = 8192, buffer_windows: int = 512):
        import torch

        self.model = model
        self.encoder = WindowEncoder(tokenizer, max_length=max_length, context=context)
        self.id2label = dict(id2label)
        self.device = device if device is not None else next(model.parameters()).device
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.batch_tokens = max(batch_tokens, max_length)
        self.buffer_windows = buffer_windows
        self._torch = torch

    @classmethod
    def from_loaded(cls, loaded, **kwargs) -> "WordTagger":
        return cls(loaded.model, loaded.tokenizer, id2label=loaded.labels.id2label,
                   max_length=loaded.max_length, context=loaded.context, device=loaded.device, **kwargs)

    def tag_documents(self, documents: Iterable[Document]) -> Iterator[list[list[str]]]:
        """Yield, per document and in input order, a list of tags per sentence."""
        pending: list[tuple[Document, list[Window]]] = []
        n_windows = 0
        for doc in documents:
            windows = self.encoder.encode(doc)
            pending.append((doc, windows))
            n_windows += len(windows)
            if n_windows >= self.buffer_windows:
                yield from self._flush(pending)
                pending, n_windows = [], 0
        if pending:
            yield from self._flush(pending)

    def _flush(self, pending: list[tuple[Document, list[Window]]]) -> Iterator[list[list[str]]]:
        flat = [w for _, windows in pending for w in windows]
        tags = self.predict_windows(flat)
        k = 0
        for doc, windows in pending:
            doc_tags = tags[k:k + len(windows)]
            k += len(windows)
            yield fill_words([len(s) for s in doc], zip(windows, doc_tags))

    def predict_windows(self, windows: Sequence[Window]) -> list[list[str]]:
        """The tag at each of every window's ``positions``, in the order given."""
        return [[tag for tag, _ in row] for row in self.predict_windows_scored(windows)]

    def predict_windows_scored(self, windows: Sequence[Window]) -> list[list[tuple[str, float]]]:
        """``(tag, probability)`` at each of every window's ``positions``, in the order given."""
        torch = self._torch
        out: list[list[tuple[str, float]]] = [[] for _ in windows]
        was_training = self.model.training
        self.model.eval()
        autocast = torch.autocast("cuda", dtype=torch.bfloat16) if self.device.type == "cuda" else _null()
        try:
            with torch.inference_mode(), autocast:
                for batch in batches_by_tokens(windows, batch_tokens=self.batch_tokens):
                    width = max(len(windows[i].input_ids) for i in batch)
                    ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
                    mask = torch.zeros((len(batch), width), dtype=torch.long)
                    for row, i in enumerate(batch):
                        n = len(windows[i].input_ids)
                        ids[row, :n] = torch.tensor(windows[i].input_ids)
                        mask[row, :n] = 1
                    logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits
                    best, best_ids = torch.softmax(logits.float(), dim=-1).max(-1)
                    best, best_ids = best.cpu().numpy(), best_ids.cpu().numpy()
                    for row, i in enumerate(batch):
                        out[i] = [(self.id2label[int(best_ids[row, p])], float(best[row, p]))
                                  for p in windows[i].positions]
        finally:
            self.model.train(was_training)
        return out


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
