"""Word-level tagging of pre-split text (CoNLL sentences): windows → batched forward → tags per word.

Used by `annotator evaluate`, `annotator predict`, and by both training backends for their dev
scores, so every score the project reports comes from this one path.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain

import numpy as np

from .choices import Decoding, Precision, check
from .decode import CASED_KEY, decode_words
from .errors import AnnotatorWarning, ConfigError
from .memory import HeapTrimmer
from .stages import batch_log_probs
from .windows import Window, WindowEncoder

Document = Sequence[Sequence[str]]  # sentences of words
Decoded = list[tuple[list[str], list[float]]]  # per sentence: (tags, probabilities) per word
DEFAULT_OVERLAP = 32


def native_bf16(device) -> bool:
    """Whether ``device`` runs bf16 matrix work natively (so bf16 autocast is a speed-up, not a cost)."""
    import torch

    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return _cpu_has("_is_avx512_bf16_supported", "_is_amx_tile_supported")


def _cpu_has(*probes: str) -> bool:
    """Whether any of torch's CPU feature probes (``torch.cpu._is_..._supported``) says yes."""
    import torch

    cpu = getattr(torch, "cpu", None)
    try:
        return any(getattr(cpu, name)() for name in probes if hasattr(cpu, name))
    except RuntimeError:  # pragma: no cover - a torch build without these probes
        return False


CPU_BATCH_TOKENS = 2048
CUDA_BATCH_TOKENS = 16384


def default_batch_tokens(device) -> int:
    """Padded subwords per forward pass when the caller names none.

    On a CPU the speed is flat from 2k to 8k tokens (measured: BENCHMARKS.md), and smaller passes
    keep the transient memory of each pass (and the heap fragmentation it leaves) small; a GPU
    needs bigger batches to fill.
    """
    return CUDA_BATCH_TOKENS if device.type == "cuda" else CPU_BATCH_TOKENS


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
    """Predicts one IOB2 tag (and its probability) per word for documents of pre-split sentences.

    The default, ``precision="fp32"``, leaves the caller's model as it is (a model being trained
    stays fp32). ``"bf16"`` (or ``"auto"`` on hardware with native bf16, what the loaders
    :meth:`annotator.inference.TokenClassifier.load` and ``evaluate_files`` default to) casts the
    weights of the model it receives to bf16 in place, once, on a CPU, and autocasts on CUDA.
    """

    def __init__(
        self,
        model,
        tokenizer,
        *,
        id2label: dict[int, str],
        max_length: int,
        context: str,
        device=None,
        batch_tokens: int | None = None,
        buffer_windows: int = 512,
        decoding: str = "constrained",
        window_overlap: int = DEFAULT_OVERLAP,
        precision: str = "fp32",
        word_shapes: bool = False,
        cased_entities: bool = False,
    ):
        import torch

        check(decoding, Decoding, what="decoding")
        check(precision, Precision, what="precision")
        self.model = model
        budget = WindowEncoder(tokenizer, max_length=max_length).budget
        if window_overlap > budget // 2 and window_overlap != DEFAULT_OVERLAP:  # the default adapts to small windows
            raise ConfigError(
                f"--window-overlap {window_overlap} is more than half of this model's window "
                f"({budget} subwords); use at most {budget // 2}"
            )
        self.encoder = WindowEncoder(
            tokenizer,
            max_length=max_length,
            context=context,
            overlap=min(window_overlap, budget // 2),
            word_shapes=word_shapes,
        )
        self.labels = tuple(id2label[i] for i in sorted(id2label))
        self.device = device if device is not None else next(model.parameters()).device
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        if batch_tokens is None:
            batch_tokens = default_batch_tokens(self.device)
        self.batch_tokens = max(batch_tokens, max_length)
        self.buffer_windows = buffer_windows
        self.decoding = decoding
        # entities need a cased word (annotator.decode.uncased_entities_to_outside): models with shapes only
        self.cased_entities = cased_entities and word_shapes
        # auto: bf16 autocast where the hardware runs it natively (CUDA with bf16, CPUs with AVX512-BF16
        # or AMX), else fp32. On CoNLL-2003 the default model scores the same in both (BENCHMARKS.md).
        # ONNX Runtime models (annotator.onnx_model) and torch-quantized ones compute as they were made
        onnx = getattr(model, "runtime", "torch") == "onnx"
        if onnx and precision == "bf16":
            raise ConfigError(
                "--runtime onnx computes in fp32 (or int8 with --quantize int8); "
                "drop --precision bf16, or pass --runtime torch for bf16"
            )
        quantized = onnx or any("quantized" in type(m).__module__ for m in model.modules())
        self.int8 = getattr(model, "quantize", "none") == "int8" if onnx else quantized
        self.bf16 = not quantized and (precision == "bf16" or (precision == "auto" and native_bf16(self.device)))
        if precision == "bf16" and not quantized and not native_bf16(self.device):
            warnings.warn(
                f"--precision bf16 on a {self.device.type.upper()} without native bf16 is slower than fp32 "
                "(emulated); drop --precision to get fp32 here",
                AnnotatorWarning,
                stacklevel=2,
            )
        if self.bf16 and self.device.type == "cpu":
            # bf16 weights, cast once: autocast would cast every weight again on every forward pass
            self.model = model.to(torch.bfloat16)
        self._torch = torch
        self._trim = HeapTrimmer()

    @property
    def computes(self) -> str:
        """What runs the model, for messages and reports: ``"onnx int8 on cpu"``, ``"torch bf16 on cuda"``..."""
        kind = "int8" if self.int8 else "bf16" if self.bf16 else "fp32"
        return f"{getattr(self.model, 'runtime', 'torch')} {kind} on {self.device.type}"

    @classmethod
    def from_loaded(cls, loaded, **kwargs) -> WordTagger:
        return cls(
            loaded.model,
            loaded.tokenizer,
            id2label=loaded.labels.id2label,
            max_length=loaded.max_length,
            context=loaded.context,
            device=loaded.device,
            word_shapes=loaded.word_shapes,
            cased_entities=bool(loaded.meta.get(CASED_KEY)),
            **kwargs,
        )

    def tag_documents(self, documents: Iterable[Document]) -> Iterator[list[list[str]]]:
        """Yield, per document and in input order, a list of tags per sentence."""
        for decoded in self.tag_documents_scored(documents):
            yield [tags for tags, _ in decoded]

    def tag_documents_scored(self, documents: Iterable[Document]) -> Iterator[Decoded]:
        """Yield, per document and in input order, ``(tags, probabilities)`` per sentence.

        Documents are buffered until they hold ``buffer_windows`` windows; each buffer is run in
        length-sorted batches and re-sequenced, so memory stays bounded whatever the input size.
        """
        lengths: list[list[int]] = []
        windows: list[list[Window]] = []
        buffered = 0
        for doc in documents:
            lengths.append([len(s) for s in doc])
            windows.append(self.encoder.encode(doc))
            buffered += len(windows[-1])
            if buffered >= self.buffer_windows:
                yield from self.predict_encoded(lengths, windows)
                lengths, windows, buffered = [], [], 0
        if lengths:
            yield from self.predict_encoded(lengths, windows)

    def predict_encoded(self, lengths: Sequence[Sequence[int]], windows: Sequence[Sequence[Window]]) -> list[Decoded]:
        """Decoded tags for documents already encoded (sentence lengths and windows per document),
        all their windows run together in length-sorted batches."""
        log_probs = self.window_log_probs([w for doc_windows in windows for w in doc_windows])
        out: list[Decoded] = []
        k = 0
        for doc_lengths, doc_windows in zip(lengths, windows):
            out.append(self.decode(doc_lengths, doc_windows, log_probs[k : k + len(doc_windows)]))
            k += len(doc_windows)
        return out

    def decode(
        self,
        lengths: Sequence[int],
        windows: Sequence[Window],
        log_probs: Sequence[np.ndarray],
        *,
        first_index: int = 0,
    ) -> Decoded:
        return decode_words(
            lengths,
            zip(windows, log_probs),
            self.labels,
            first_index=first_index,
            decoding=self.decoding,
            cased_entities=self.cased_entities,
        )

    def window_log_probs(self, windows: Sequence[Window]) -> list[np.ndarray]:
        """Log-probabilities ``(len(positions), n_labels)`` at each window's positions, in input order.

        Only the rows at the positions are gathered and normalised (on the model's device), into
        one array for all windows; each window gets a view of its rows.
        """
        torch = self._torch
        counts = np.fromiter((len(w.positions) for w in windows), dtype=np.int64, count=len(windows))
        ends = np.cumsum(counts)
        starts = ends - counts
        result = np.zeros((int(ends[-1]) if len(windows) else 0, len(self.labels)), dtype=np.float32)
        was_training = self.model.training
        self.model.eval()
        on_cuda = self.device.type == "cuda"
        autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.bf16 and on_cuda)
        try:
            with torch.inference_mode(), autocast:
                for batch in batches_by_tokens(windows, batch_tokens=self.batch_tokens):
                    width = max(len(windows[i].input_ids) for i in batch)
                    ids = np.full((len(batch), width), self.pad_id, dtype=np.int64)
                    mask = np.zeros((len(batch), width), dtype=np.int64)
                    types = np.zeros((len(batch), width), dtype=np.int64) if self.encoder.word_shapes else None
                    for row, i in enumerate(batch):
                        n = len(windows[i].input_ids)
                        ids[row, :n] = windows[i].input_ids
                        mask[row, :n] = 1
                        if types is not None:
                            types[row, :n] = windows[i].type_ids or ()
                    rows = np.repeat(np.arange(len(batch)), counts[batch])
                    cols = np.fromiter(
                        chain.from_iterable(windows[i].positions for i in batch), dtype=np.int64, count=len(rows)
                    )
                    dest = np.concatenate([np.arange(starts[i], ends[i]) for i in batch])
                    result[dest] = batch_log_probs(self, ids, mask, types, rows, cols)
        finally:
            self.model.train(was_training)
        return [result[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
