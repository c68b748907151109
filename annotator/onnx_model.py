"""``--runtime onnx``: a model exported to ONNX and run by ONNX Runtime on the CPU (fp32, or dynamic int8).

    path = onnx_file(model_dir, torch_model, quantize="int8")     # exported once, then from the cache
    model = OnnxTokenClassifier(path, config=torch_model.config)  # called like the torch model:
    model(input_ids=ids, attention_mask=mask).logits              # a torch tensor

The exported files live in a cache directory (:func:`cache_dir`), never in the model directory (data,
maybe read-only), under ``onnx/<digest>/``: the digest covers the weight files and config.json of the
model, the export and quantization settings below, and the versions of torch, transformers and
onnxruntime, so retrained weights or another library version get a new entry. Files are written under a
temporary name in the same directory and renamed into place, so concurrent processes never read half a
file. onnxruntime and onnx are dependencies; without them ``--runtime auto`` stays with torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .choices import Quantization, check
from .errors import ConfigError, MissingDependencyError, ModelError

if TYPE_CHECKING:
    import numpy as np

LOG = logging.getLogger(__name__)
INSTALL_HINT = "--runtime onnx needs ONNX Runtime, a dependency missing here: pip install onnxruntime onnx"
OPSET = 17
# No attention_mask: every row runs alone, cut after its last position (OnnxTokenClassifier), so its mask
# is all ones, and the graph without the mask ops computes the same logits, bit for bit, 1.10x faster
# (CoNLL-2003 windows, on VNNI and on AVX2 kernels; BENCHMARKS.md).
INPUTS = ("input_ids", "token_type_ids")
# The labelled positions of a row (1-D int64; the first subwords of its words): a BERT export computes the
# last encoder block's queries, feed-forward and classifier at these only (keys and values at every
# position, so the logits there are the full model's). 20% of the subwords of CoNLL-2003 are not first
# subwords: the int8 forward runs 1.03x faster with VNNI and 1.01x on AVX2 kernels, and annotate's output on
# 300 documents is byte-identical (BENCHMARKS.md). Exports of other model types compute every position.
POSITIONS = "positions"
FORMAT_VERSION = 3  # bump when the export changes in a way the settings below do not show (2: no mask input;
# 3: the last block at the labelled positions only)
# The model types whose export is tested and measured (BERT: the shipped model and its base encoder);
# ``--runtime auto`` picks ONNX Runtime for these only (annotator.model.resolve_runtime).
AUTO_MODEL_TYPES = frozenset({"bert"})

# Dynamic int8 (int8 weights per output channel, activations quantized on the fly) of every MatMul with
# constant weights, the weights in 7 bits (reduce_range). On CPUs without int8 dot products (AVX2 only), ONNX
# Runtime's u8s8 kernels add pairs of u8*s8 products in 16 bits (vpmaddubsw), which saturates with 8-bit
# weights (255*127*2 > 32767) and cannot with 7-bit ones; on VNNI/AMX the sums are exact either way. So one
# export computes the same numbers on every x86 CPU kind, and a cache or a Ray cluster can mix them.
# CoNLL-2003 test F1 of the 6-block model shipped until 2026-12-06 (fp32 0.9011): 7-bit 0.8994 (VNNI) and
# 0.8992 (AVX2 kernels), 8-bit 0.8992 (VNNI) and 0.8988 (AVX2, saturating), uint8 weights 0.8997 (AVX2; 0.82x
# the speed there);
# the 4-block model shipped next (fp32 0.9003): 7-bit 0.8990 (VNNI) and 0.8988 (AVX2 kernels); the 4-block
# model with 1,024 feed-forward units shipped since (fp32 0.8991): 7-bit 0.8996 (VNNI) and 0.8994 (AVX2 kernels).
# On the previous default model (fp32 0.8974): 8-bit 0.8967, per-tensor 0.8933, 7-bit 0.8951; keeping the
# classifier in fp32 or running quant_pre_process changed nothing, keeping the first or last encoder block in
# fp32 did not help (0.8955, 0.8966) and costs speed. :func:`quantize_int8` takes these settings as keywords.
INT8_SETTINGS: dict[str, Any] = {
    "per_channel": True,
    "reduce_range": True,
    "weight_type": "QInt8",
    "exclude_classifier": False,
    "exclude_blocks": (),
    "pre_process": False,
}


def import_onnxruntime():
    """The ``onnxruntime`` module (and ``onnx`` present), or MissingDependencyError saying how to install them."""
    try:
        import onnx  # noqa: F401 - torch's exporter and the quantizer need it
        import onnxruntime
    except ImportError:
        raise MissingDependencyError(INSTALL_HINT) from None
    return onnxruntime


def cache_dir() -> Path:
    """``$ANNOTATOR_CACHE``, else ``$XDG_CACHE_HOME/annotator``, else ``~/.cache/annotator``."""
    if os.environ.get("ANNOTATOR_CACHE"):
        return Path(os.environ["ANNOTATOR_CACHE"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "annotator"
    return Path.home() / ".cache" / "annotator"


def _model_files(model_dir: Path) -> list[Path]:
    """The files the exported graph depends on: config.json and the weights (safetensors, shards,
    indexes, or pickled weights), in sorted order."""
    suffixes = (".safetensors", ".bin", ".index.json")
    names = sorted(p.name for p in model_dir.iterdir() if p.is_file() and p.name.endswith(suffixes))
    return [model_dir / "config.json", *(model_dir / n for n in names)]


def export_digest(model_dir: Path, *, settings: dict[str, Any] | None = None) -> str:
    """The cache key of a model directory's export: its weights and config.json, the export settings,
    and the library versions."""
    import onnxruntime
    import torch
    import transformers

    digest = hashlib.sha256()
    for path in _model_files(Path(model_dir)):
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    context = {
        "format": FORMAT_VERSION,
        "opset": OPSET,
        "int8": INT8_SETTINGS if settings is None else settings,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnxruntime": onnxruntime.__version__,
    }
    digest.update(json.dumps(context, sort_keys=True).encode())
    return digest.hexdigest()[:32]


def cached_path(model_dir: Path, *, quantize: str, settings: dict[str, Any] | None = None) -> Path:
    """Where the export of ``model_dir`` (``quantize`` "none": fp32, "int8") is, or will be, cached."""
    check(quantize, Quantization, what="--quantize")
    name = "model.int8.onnx" if quantize == "int8" else "model.onnx"
    return cache_dir() / "onnx" / export_digest(model_dir, settings=settings) / name


def onnx_file(
    model_dir: Path, load_torch: Callable[[], Any], *, quantize: str = "none", settings: dict[str, Any] | None = None
) -> Path:
    """The cached ONNX file of ``model_dir`` (fp32, or int8 when ``quantize="int8"``), exported first
    when the cache has none from the fp32 torch model that ``load_torch()`` loads (not called otherwise)."""
    import_onnxruntime()
    target = cached_path(model_dir, quantize=quantize, settings=settings)
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the ONNX cache directory {target.parent} ({exc.strerror}); "
            "set ANNOTATOR_CACHE to a writable directory"
        ) from None
    fp32 = target.with_name("model.onnx")
    what = "ONNX int8" if quantize == "int8" else "ONNX"
    LOG.info("exporting %s to %s, once (the default model: about 5 s): cached in %s", model_dir, what, target.parent)
    if not fp32.is_file():
        model = load_torch()
        with _atomic(fp32) as tmp:
            try:
                export(model, tmp)
            except Exception as exc:  # noqa: BLE001 - whatever the exporter cannot trace: one line, and the fix
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
                raise ModelError(
                    f"cannot export {model_dir} to ONNX ({type(model).__name__}: {first}); use --runtime torch"
                ) from None
    if quantize == "int8" and not target.is_file():
        with _atomic(target) as tmp:
            quantize_int8(fp32, tmp, **(INT8_SETTINGS if settings is None else settings))
    return target


class _atomic:
    """A unique temporary path in the target's directory, renamed onto the target on success and
    removed on failure (so readers never see a half-written file, and writers never share one)."""

    def __init__(self, target: Path):
        self.target = target

    def __enter__(self) -> Path:
        self.tmp = self.target.with_name(f".{self.target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        return self.tmp

    def __exit__(self, kind, value, tb) -> None:
        try:
            if kind is None:
                os.replace(self.tmp, self.target)
        finally:
            self.tmp.unlink(missing_ok=True)


def _has_token_types(model) -> bool:
    import inspect

    return "token_type_ids" in inspect.signature(model.forward).parameters


def export(model, path: Path) -> None:
    """Export the fp32 torch token classifier ``model`` to ``path``: inputs input_ids (and token_type_ids
    where the model takes them: word shapes), no attention mask (the model's default: attend to every
    position; :class:`OnnxTokenClassifier` runs each row cut to its mask), output logits, batch and
    sequence axes dynamic, opset 17, the TorchScript exporter.

    A BERT token classifier gets a third input, :data:`POSITIONS`, and its logits are those positions'
    (``(batch, len(positions), labels)``), its last block computed there only (:func:`_at_positions`).
    The exported graph is checked against the torch model on an input it was not traced with; where they
    differ (a BERT variant built otherwise), the model is exported whole instead."""
    import warnings

    import torch

    inputs = INPUTS if _has_token_types(model) else INPUTS[:1]
    types = max(1, int(getattr(model.config, "type_vocab_size", 1) or 1))

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            return self.inner(**dict(zip(inputs, args))).logits

    def tensors(rows: int, width: int, seed: int) -> dict[str, Any]:
        generator = torch.Generator().manual_seed(seed)
        return {
            "input_ids": torch.randint(1000, 2000, (rows, width), generator=generator),
            "token_type_ids": torch.randint(0, types, (rows, width), generator=generator),
            POSITIONS: torch.sort(torch.randperm(width, generator=generator)[: max(1, width * 3 // 4)]).values,
        }

    def write(module, names: tuple[str, ...]) -> None:
        axes = {name: {0: "batch", 1: "sequence"} for name in (*names, "logits")}
        if POSITIONS in names:
            axes[POSITIONS] = {0: "positions"}
            axes["logits"] = {0: "batch", 1: "positions"}
        example = tensors(2, 16, 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer warnings
            torch.onnx.export(
                module,
                tuple(example[name] for name in names),
                str(path),
                input_names=list(names),
                output_names=["logits"],
                dynamic_axes=axes,
                opset_version=OPSET,
                do_constant_folding=True,
                dynamo=False,
            )

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            at_positions = _at_positions(model, inputs)
            if at_positions is not None:
                check = tensors(1, 23, 1)
                expected = model(**{name: check[name] for name in inputs}).logits[0, check[POSITIONS]].numpy()
                try:
                    write(at_positions, (*inputs, POSITIONS))
                    got = _run_once(path, {name: check[name].numpy() for name in (*inputs, POSITIONS)})[0]
                    scale = max(1.0, float(abs(expected).max()))
                    same = got.shape == expected.shape and float(abs(got - expected).max()) <= 1e-3 * scale
                except Exception:  # noqa: BLE001 - a BERT variant this module does not fit: export it whole
                    same = False
                if same:
                    return
                LOG.info("%s: the export at the labelled positions differs from the model; exporting it whole", path)
            write(Logits(model), inputs)
    finally:
        model.train(was_training)


def _run_once(path: Path, feed: dict[str, Any]):
    """The logits of one ONNX Runtime run of the graph at ``path``."""
    ort = import_onnxruntime()
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(["logits"], feed)[0]


def _at_positions(model, inputs: tuple[str, ...]):
    """``model`` (a BERT token classifier) as a module of ``(*inputs, positions)`` whose logits are those at
    ``positions`` only: the embeddings and every block but the last as in the model; the last block's keys
    and values at every position, its queries, attention output, feed-forward and layer norms, and the
    classifier, at ``positions`` only (the numbers the full model computes there). None for other models."""
    import torch

    bert = getattr(model, "bert", None)
    layers = getattr(getattr(bert, "encoder", None), "layer", None)
    config = model.config
    if (
        getattr(config, "model_type", None) != "bert"
        or layers is None
        or len(layers) < 1
        or getattr(config, "position_embedding_type", "absolute") != "absolute"
        or not isinstance(getattr(model, "classifier", None), torch.nn.Linear)
    ):
        return None

    class LastBlock(torch.nn.Module):
        def __init__(self, block):
            super().__init__()
            self.block = block

        def forward(self, hidden, positions):
            block, (rows, width, size) = self.block, hidden.shape
            attention = block.attention.self
            heads = attention.num_attention_heads
            head = size // heads
            picked = hidden[:, positions]
            query = attention.query(picked).view(rows, -1, heads, head).transpose(1, 2)
            key = attention.key(hidden).view(rows, width, heads, head).transpose(1, 2)
            value = attention.value(hidden).view(rows, width, heads, head).transpose(1, 2)
            weights = torch.softmax(torch.matmul(query, key.transpose(-1, -2)) / head**0.5, dim=-1)
            context = torch.matmul(weights, value).transpose(1, 2).reshape(rows, -1, size)
            attended = block.attention.output.LayerNorm(block.attention.output.dense(context) + picked)
            inner = block.intermediate.intermediate_act_fn(block.intermediate.dense(attended))
            return block.output.LayerNorm(block.output.dense(inner) + attended)

    class AtPositions(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()  # the blocks keep their names (layer.N): quantize_int8 excludes blocks by them
            self.embeddings = inner.bert.embeddings
            self.layer = torch.nn.ModuleList([*inner.bert.encoder.layer[:-1], LastBlock(inner.bert.encoder.layer[-1])])
            self.classifier = inner.classifier

        def forward(self, *args):
            named = dict(zip((*inputs, POSITIONS), args))
            positions = named.pop(POSITIONS)
            hidden = self.embeddings(input_ids=named["input_ids"], token_type_ids=named.get("token_type_ids"))
            for block in self.layer[:-1]:
                out = block(hidden)
                hidden = out[0] if isinstance(out, tuple) else out
            return self.classifier(self.layer[-1](hidden, positions))

    return AtPositions(model)


def quantize_int8(
    source: Path,
    target: Path,
    *,
    per_channel: bool = True,
    reduce_range: bool = False,
    weight_type: str = "QInt8",
    exclude_classifier: bool = False,
    exclude_blocks: tuple[int, ...] = (),
    pre_process: bool = False,
) -> None:
    """Dynamic int8 quantization (``onnxruntime.quantization.quantize_dynamic``) of the MatMuls of
    ``source`` into ``target``; ``exclude_classifier`` keeps the classifier's MatMul in fp32,
    ``exclude_blocks`` the MatMuls of those encoder blocks (negative: from the end); ``pre_process``
    runs ``quant_pre_process`` (ONNX shape inference and graph optimization; the symbolic shape
    inference fails on BERT exports) first. The settings the runtime uses: :data:`INT8_SETTINGS`."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    source_path = source
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        if pre_process:
            from onnxruntime.quantization.shape_inference import quant_pre_process

            source_path = Path(tmp) / "pre.onnx"
            quant_pre_process(str(source), str(source_path), skip_symbolic_shape=True)
        exclude: list[str] = []
        if exclude_classifier or exclude_blocks:
            graph = onnx.load(str(source_path), load_external_data=False).graph
            names = [node.name for node in graph.node if node.op_type in ("MatMul", "Gemm")]
            exclude = [n for n in names if exclude_classifier and _is_classifier(n)]
            blocks = sorted({b for b in (_block_of(n) for n in names) if b is not None})
            for index in exclude_blocks:
                if blocks and -len(blocks) <= index < len(blocks):
                    exclude += [n for n in names if _block_of(n) == blocks[index]]
        logging.disable(logging.WARNING)  # "Please consider to run pre-processing before quantization"
        try:
            quantize_dynamic(
                str(source_path),
                str(target),
                per_channel=per_channel,
                reduce_range=reduce_range,
                weight_type=getattr(QuantType, weight_type),
                op_types_to_quantize=["MatMul", "Gemm"],
                nodes_to_exclude=exclude,
            )
        finally:
            logging.disable(logging.NOTSET)


def _is_classifier(node: str) -> bool:
    """A node of the token-classification head (``/inner/classifier/MatMul`` in our exports)."""
    return "/classifier/" in node


def _block_of(node: str) -> int | None:
    """The encoder block a node belongs to (``/inner/bert/encoder/layer.3/...`` → 3), or None."""
    for part in node.split("/"):
        head, dot, tail = part.rpartition(".")
        if dot and head in ("layer", "layers", "block", "blocks", "h") and tail.isdigit():
            return int(tail)
    return None


@dataclass
class Output:
    """What the forward code reads of a transformers model output."""

    logits: Any


class OnnxTokenClassifier:
    """An ONNX Runtime session called like the torch token classifier it was exported from:
    ``model(input_ids=..., attention_mask=..., token_type_ids=...).logits`` is a float32 torch tensor
    on the CPU; ``eval()``, ``train(False)``, ``training`` and ``config`` are there for the tagging code.

    Each row of a batch runs alone (see :meth:`__call__`), on one thread, and ``torch.get_num_threads()``
    rows run at once (so the torch thread settings apply): the session has one intra-op and one
    inter-op thread and every graph optimization, and is shared by the row threads (ONNX Runtime's
    ``run`` is thread-safe). One thread per row is deterministic and, for windows of at most a few
    hundred subwords, faster than splitting each row's matrices over the threads (measured on 2 cores:
    1.18x; BENCHMARKS.md).
    """

    runtime = "onnx"
    training = False

    def __init__(self, path: str | os.PathLike[str], *, config, quantize: str = "none"):
        import torch

        ort = import_onnxruntime()
        check(quantize, Quantization, what="--quantize")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime's own error types: a damaged file
            raise ModelError(
                f"{path}: ONNX Runtime cannot load it ({str(exc).strip()[:300]}); delete it to export the model again"
            ) from None
        self.input_names = tuple(i.name for i in self.session.get_inputs())
        # the graph computes the labelled positions only: callers pass ``label_mask`` (see __call__)
        self.takes_label_mask = POSITIONS in self.input_names
        self.path = Path(path)
        self.config = config
        self.quantize = quantize
        self.device = torch.device("cpu")
        self.dtype = torch.float32
        self._torch = torch
        self.threads = max(1, torch.get_num_threads())
        self._pool: ThreadPoolExecutor | None = None

    def _each(self, run: Callable[[int], None], rows: range) -> None:
        """``run`` for every row, on ``self.threads`` threads (in this thread when there is one); its errors raise."""
        if self.threads == 1 or len(rows) < 2:
            for row in rows:
                run(row)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="onnx-row")
        for _ in self._pool.map(run, rows):  # waits for every row
            pass

    def __call__(self, **inputs) -> Output:
        """Logits ``(rows, width, labels)``, each row computed on its own, cut after its last position
        the attention mask keeps (zeros after it): dynamic int8 scales the activations by the largest
        value in the whole input, so in one batch a row's numbers would depend on the other rows (0.7%
        of the entities of CoNLL-2003 changed with --batch-size); alone, they depend on the row only,
        and no padding is computed. The rows run ``self.threads`` at a time (BENCHMARKS.md).

        ``label_mask`` (optional, the shape of ``input_ids``, nonzero where the caller reads the logits):
        where the graph takes :data:`POSITIONS`, only those positions are computed and the others are
        zeros; a row without any is not run. Without it, every position of a row is computed."""
        import numpy as np

        def array(name: str) -> np.ndarray | None:
            value = inputs.get(name)
            return None if value is None else value.detach().cpu().numpy()

        ids = inputs["input_ids"].detach().cpu().numpy().astype(np.int64, copy=False)
        types = array("token_type_ids")  # None: zeros, as the torch model assumes (window_logits)
        if types is not None:
            types = types.astype(np.int64, copy=False)
        rows, width = ids.shape
        mask = array("attention_mask")
        ends = [width] * rows
        if mask is not None:
            mask = mask.astype(bool, copy=False)
            ends = [int(np.flatnonzero(keep)[-1]) + 1 if keep.any() else 0 for keep in mask]
            if any(not keep[:end].all() for keep, end in zip(mask, ends)):
                raise ValueError("the ONNX model takes attention masks of ones followed by padding only")
        labelled = array("label_mask")
        if labelled is not None:
            labelled = labelled.astype(bool, copy=False)
            if any(row[end:].any() for row, end in zip(labelled, ends)):
                raise ValueError("label_mask marks padding: the ONNX model computes a row up to its mask's end only")
        if labelled is None or not self.takes_label_mask:  # a graph without POSITIONS computes every position
            at = [np.arange(end, dtype=np.int64) for end in ends]
        else:
            at = [np.flatnonzero(labelled[row, :end]) for row, end in enumerate(ends)]
        logits = self.window_logits(
            [(ids[row, :end], None if types is None else types[row, :end], at[row]) for row, end in enumerate(ends)]
        )
        out = np.zeros((rows, width, len(self.config.id2label)), dtype=np.float32)
        for row, (positions, row_logits) in enumerate(zip(at, logits)):
            out[row, positions] = row_logits
        return Output(self._torch.from_numpy(out))

    def window_logits(self, windows: Sequence[tuple[np.ndarray, np.ndarray | None, np.ndarray]]) -> list[np.ndarray]:
        """Logits ``(len(positions), labels)`` float32 of each ``(input_ids, type_ids, positions)`` window
        (1-d int64 arrays: the window's tokens, their types or None, the token indices to label), every
        window run alone (as :meth:`__call__` runs each row of a padded batch), ``self.threads`` at a time.
        A window without positions gives ``(0, labels)``; the attention mask, where the graph takes one,
        is all ones."""
        import numpy as np

        labels = len(self.config.id2label)
        out: list[np.ndarray] = [np.zeros((0, labels), dtype=np.float32)] * len(windows)

        def run(k: int) -> None:
            ids, types, at = windows[k]
            if not len(ids) or not len(at):
                return
            feed = {}
            for name in self.input_names:
                if name == "input_ids":
                    feed[name] = ids[None]
                elif name == "attention_mask":
                    feed[name] = np.ones((1, len(ids)), dtype=np.int64)
                elif name == "token_type_ids":
                    feed[name] = (np.zeros_like(ids) if types is None else types)[None]
                elif name == POSITIONS:
                    feed[name] = at
            (logits,) = self.session.run(["logits"], feed)
            out[k] = logits[0] if self.takes_label_mask else logits[0, at]

        self._each(run, range(len(windows)))
        return out

    def eval(self) -> OnnxTokenClassifier:
        return self

    def train(self, mode: bool = True) -> OnnxTokenClassifier:
        if mode:
            raise ConfigError("an ONNX Runtime model runs inference only; train the torch model (--runtime torch)")
        return self

    def to(self, *args, **kwargs) -> OnnxTokenClassifier:
        """Staying on the CPU in fp32 is all it can do (anything else: ConfigError)."""
        torch = self._torch
        for arg in (*args, *kwargs.values()):
            if isinstance(arg, (str, torch.device)) and torch.device(arg).type != "cpu":
                raise ConfigError("--runtime onnx runs on the CPU only; pass --device cpu")
            if isinstance(arg, torch.dtype) and arg != torch.float32:
                raise ConfigError("--runtime onnx computes in fp32 (or int8 with --quantize int8); drop --precision")
        return self

    def parameters(self) -> Iterator:
        return iter(())

    def modules(self) -> Iterator:
        return iter(())
