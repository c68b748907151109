"""`annotator train`: read data, build the model, run a backend, save the model directory and card."""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..conll import ConllFormat, detect_file_scheme
from ..errors import ConfigError, ModelError
from ..evaluate import write_model_report
from ..model import (META_FILE, base_model_name, default_base_encoder, load_tokenizer, pick_device,
                     quiet_transformers)
from ..scoring import Scores
from ..shapes import META_KEY as SHAPES_META_KEY
from ..shapes import SHAPES, add_shape_embeddings, token_type_embeddings
from ..tagging import WordTagger
from ..windows import WindowEncoder

from .card import write_card
from .config import TrainConfig
from .data import features, label_set_of, load_split
from .metrics import score_model


@dataclass
class TrainResult:
    output: Path
    history: list[dict]
    dev: Scores
    test: Scores | None
    seconds: float


def train(config: TrainConfig) -> TrainResult:
    """Train a token-classification model as ``config`` says and write its model directory."""
    import torch
    from transformers import AutoModelForTokenClassification, set_seed

    started = time.time()
    set_seed(config.seed)
    device = pick_device(config.device)
    quiet_transformers()
    base = Path(config.base_model) if config.base_model else default_base_encoder()
    fmt = ConllFormat(tag_column=config.tag_column, scheme=config.scheme, encoding=config.encoding)
    try:
        tokenizer = load_tokenizer(base)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load a tokenizer from {base}: {exc}".splitlines()[0]) from None
    context = config.resolved_context
    encoder = WindowEncoder(tokenizer, max_length=config.max_length, context=context,
                            word_shapes=config.word_shapes)

    train_split = load_split(config.train, encoder, fmt)
    dev_split = load_split(config.dev, encoder, fmt)
    test_split = load_split(config.test, encoder, fmt) if config.test else None
    labels = label_set_of(train_split.sentences)
    if not labels.types:
        raise ModelError(f"{config.train}: the training data holds no entity at all")
    print(f"train: {len(train_split.sentences)} sentences in {len(train_split.windows)} windows; "
          f"dev: {len(dev_split.sentences)} sentences; labels: {', '.join(labels.types)}", file=sys.stderr)

    try:
        model = AutoModelForTokenClassification.from_pretrained(
            base, local_files_only=True, num_labels=len(labels), id2label=labels.id2label,
            label2id=labels.label2id, ignore_mismatched_sizes=True, dtype=torch.float32,
        )
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the base encoder {base}: {exc}".splitlines()[0]) from None
    if config.word_shapes:
        if token_type_embeddings(model) is None:
            raise ConfigError(f"--base-model {base}: the encoder has no token-type embedding to carry word "
                              "shapes; pass --no-word-shapes")
        add_shape_embeddings(model)
    model.to(device)
    set_seed(config.seed)

    out = Path(config.output)
    if out.exists() and config.force:
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    train_features = features(train_split, labels)
    if config.backend == "trainer":
        from .hf import train_with_trainer

        history = train_with_trainer(config, model=model, tokenizer=tokenizer, train_features=train_features,
                                     dev=dev_split, dev_features=features(dev_split, labels),
                                     work_dir=out / "_checkpoints", device=device)
    else:
        from .loop import train_loop

        history = train_loop(config, model=model, tokenizer=tokenizer, train_features=train_features,
                             dev=dev_split, device=device)
    train_seconds = time.time() - started

    tagger = WordTagger(model, tokenizer, id2label=labels.id2label, max_length=config.max_length,
                        context=context, device=device, precision="fp32",  # card scores: fp32
                        word_shapes=config.word_shapes)
    dev_scores = score_model(dev_split, tagger)
    test_scores = score_model(test_split, tagger) if test_split else None

    save_weights(model, out, save_dtype=config.save_dtype)
    tokenizer.save_pretrained(out)
    meta = {
        "format": 1,
        "max_length": config.max_length,
        "context": context,
        **({SHAPES_META_KEY: list(SHAPES)} if config.word_shapes else {}),
        "conll_format": asdict(fmt),  # how the data was read: rescore reads it the same way
        "labels": list(labels.labels),
        "base_model": str(base),
        "base_model_name": base_model_name(base),
        "data": {
            "train": {"path": str(config.train), "sentences": len(train_split.sentences),
                      "documents": len(train_split.documents), "scheme": config.scheme or detect_file_scheme(config.train, fmt)},
            "dev": {"path": str(config.dev), "sentences": len(dev_split.sentences)},
            "test": {"path": str(config.test), "sentences": len(test_split.sentences)} if test_split else None,
        },
        "hyperparameters": config.hyperparameters,
        "scores": {"dev": dev_scores, "test": test_scores},
        "scores_decoding": tagger.decoding,
        "scores_precision": "fp32",
        "weights_dtype": config.save_dtype,
        "history": history,
        "training_seconds": round(train_seconds, 1),
        "device": str(device),
        "command": config.command,
        "versions": _versions(),
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    write_card(out / "README.md", meta)
    write_model_report(out, tagger=tagger, documents=dev_split.documents, files=[config.dev])  # report.html, .json
    return TrainResult(out, history, dev_scores, test_scores, train_seconds)


def save_weights(model, out: Path, *, save_dtype: str) -> None:
    """Save ``model`` to ``out`` with its weights in ``save_dtype``; the config always says float32.

    transformers loads a model in the dtype its config names, so a config that said float16 would
    make ``AutoModelForTokenClassification.from_pretrained(DIR)`` and ``pipeline(model=DIR)`` run in
    fp16 on a CPU, several times slower than fp32. fp16 weights on disk are upcast when loaded; on a
    GPU pass ``dtype=torch.bfloat16`` (or ``torch.float16``) to load them in half precision.
    """
    import torch

    model.to(torch.float16 if save_dtype == "float16" else torch.float32)
    model.save_pretrained(out, safe_serialization=True)
    model.float()
    config_path = Path(out) / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    for key in ("dtype", "torch_dtype"):
        if key in config:
            config[key] = "float32"
    config.setdefault("dtype", "float32")
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _versions() -> dict:
    import importlib.metadata as md
    import platform

    names = ("annotator", "torch", "transformers", "tokenizers", "datasets", "seqeval", "accelerate")
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return versions
