"""`annotator train`: read data, build the model, run a backend, save the model directory and card."""

from __future__ import annotations

import json
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

from ..conll import ConllFormat, detect_file_scheme
from ..decode import CASED_KEY
from ..errors import AnnotatorWarning, ConfigError, InputFormatError, ModelError
from ..evaluate import score_tagged, tag_documents, write_model_report
from ..model import (
    META_FILE,
    base_model_name,
    default_base_encoder,
    load_tokenizer,
    load_weights,
    pick_device,
    quiet_transformers,
    read_meta,
)
from ..outputs import RunLock, atomic_write_text, output_error, remove
from ..scoring import Scores
from ..shapes import META_KEY as SHAPES_META_KEY
from ..shapes import SHAPES, add_shape_embeddings, token_type_embeddings
from ..tagging import WordTagger
from ..windows import WindowEncoder
from .card import write_card
from .config import CHECKPOINTS, TrainConfig
from .data import entities_are_cased, features, label_set_of, load_split
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
    from transformers import set_seed

    started = time.time()
    set_seed(config.seed)
    device = pick_device(config.device)
    quiet_transformers()
    base = Path(config.base_model) if config.base_model else default_base_encoder()
    fmt = ConllFormat(tag_column=config.tag_column, scheme=config.scheme, encoding=config.encoding)
    tokenizer = load_tokenizer(base)
    context = config.resolved_context
    encoder = WindowEncoder(tokenizer, max_length=config.max_length, context=context, word_shapes=config.word_shapes)

    train_split = load_split(config.train_files, encoder, fmt)
    dev_split = load_split(config.dev, encoder, fmt)
    test_split = load_split(config.test, encoder, fmt) if config.test else None
    for option, split in (("--train", train_split), ("--dev", dev_split), ("--test", test_split)):
        if split is not None and not split.sentences:  # checked now, not after an epoch of training
            raise InputFormatError(
                split.path,
                None,
                f"{option} holds no sentences (empty, or only -DOCSTART- lines)",
                fix="give a CoNLL file with one `token ... TAG` line per word",
            )
    labels = label_set_of(train_split.sentences)
    if not labels.types:
        raise ModelError(f"{config.train_label}: the training data holds no entity at all")
    for option, split in (("--dev", dev_split), ("--test", test_split)):
        if split is None:
            continue
        unseen = sorted(set(label_set_of(split.sentences).types) - set(labels.types))
        if unseen:
            warnings.warn(
                f"{split.path}: entity type{'s' if len(unseen) > 1 else ''} {', '.join(unseen)} of {option} "
                f"never occur{'' if len(unseen) > 1 else 's'} in --train {config.train_label}; the model cannot "
                "predict them, so they count as misses",
                AnnotatorWarning,
                stacklevel=2,
            )
    print(
        f"train: {len(train_split.sentences)} sentences in {len(train_split.windows)} windows; "
        f"dev: {len(dev_split.sentences)} sentences; labels: {', '.join(labels.types)}",
        file=sys.stderr,
    )

    model = load_weights(
        base,
        num_labels=len(labels),
        id2label=labels.id2label,
        label2id=labels.label2id,
        ignore_mismatched_sizes=True,
        dtype=torch.float32,
    )
    if config.layers is not None:
        keep_first_blocks(model, config.layers)
    if config.word_shapes:
        if token_type_embeddings(model) is None:
            raise ConfigError(
                f"--base-model {base}: the encoder has no token-type embedding to carry word "
                "shapes; pass --no-word-shapes"
            )
        if read_meta(base).get(SHAPES_META_KEY) != list(SHAPES):  # a model trained with shapes keeps its rows
            add_shape_embeddings(model)
    model.to(device)
    set_seed(config.seed)

    out = Path(config.output)
    work_dir = out / CHECKPOINTS
    with RunLock(out):
        _prepare_output(out, work_dir, config)
        train_features = features(train_split, labels)
        if config.teacher is not None:
            train_features = _teacher_features(config, train_features, train_split, labels, tokenizer, device)
        if config.backend == "trainer":
            from .hf import train_with_trainer

            history = train_with_trainer(
                config,
                model=model,
                tokenizer=tokenizer,
                train_features=train_features,
                dev=dev_split,
                dev_features=features(dev_split, labels),
                work_dir=work_dir,
                device=device,
            )
        else:
            from .loop import train_loop

            history = train_loop(
                config,
                model=model,
                tokenizer=tokenizer,
                train_features=train_features,
                dev=dev_split,
                device=device,
                work_dir=work_dir,
            )
        train_seconds = time.time() - started
        result = _finish(
            out,
            config,
            model=model,
            tokenizer=tokenizer,
            labels=labels,
            base=base,
            device=device,
            splits=(train_split, dev_split, test_split),
            history=history,
            fmt=fmt,
            train_seconds=train_seconds,
        )
        remove(work_dir)
    return result


def _teacher_features(config: TrainConfig, train_features, train_split, labels, tokenizer, device) -> list[dict]:
    """The training features with the teacher's scores of each window (``--teacher``)."""
    from .distill import teacher_log_probs, with_teacher

    assert config.teacher is not None
    started = time.time()
    scores = teacher_log_probs(
        Path(config.teacher),
        windows=train_split.windows,
        labels=labels,
        tokenizer=tokenizer,
        word_shapes=config.word_shapes,
        device=device,
    )
    print(
        f"teacher {config.teacher}: scored {len(scores)} windows in {time.time() - started:.0f} s",
        file=sys.stderr,
    )
    return with_teacher(train_features, scores)


def keep_first_blocks(model, blocks: int) -> None:
    """Keep the first ``blocks`` transformer blocks of ``model``'s encoder and drop the top ones (a
    smaller, faster model, fine-tuned as it is; the config says the new count, so the model directory
    stays a plain transformers model). ConfigError where the encoder has fewer blocks, or none this
    finds (BERT-like ``encoder.layer``, DistilBERT-like ``transformer.layer``)."""
    import torch

    base = getattr(model, "base_model", None)
    holders = (getattr(base, name, None) for name in ("encoder", "transformer"))
    holder = next((h for h in holders if isinstance(getattr(h, "layer", None), torch.nn.ModuleList)), None)
    if holder is None:
        raise ConfigError(f"--layers: cannot find the encoder blocks of a {type(model).__name__}; leave --layers out")
    layers = holder.layer
    if blocks > len(layers):
        raise ConfigError(f"--layers {blocks}: the base encoder has {len(layers)} blocks")
    holder.layer = layers[:blocks]
    model.config.num_hidden_layers = blocks


def _prepare_output(out: Path, work_dir: Path, config: TrainConfig) -> None:
    """A fresh output directory (``--force`` empties it), or with ``--resume`` the one holding the
    checkpoints of the run to continue, trained with the same settings."""
    state = work_dir / "run.json"
    if config.resume:
        if not state.is_file():
            raise ConfigError(
                f"nothing to resume in {out}: it holds no epoch checkpoint yet ({work_dir}); "
                "run without --resume (with --force to start over)"
            )
        recorded = json.loads(state.read_text(encoding="utf-8"))
        changed = sorted(
            k for k in set(recorded) | set(config.fingerprint) if recorded.get(k) != config.fingerprint.get(k)
        )
        if changed:
            raise ConfigError(
                f"cannot resume {out}: the interrupted training used other settings "
                f"({', '.join(changed)}); run it with the same options, or pass --force"
            )
        return
    if config.force:
        remove(out)
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc.filename or work_dir, exc) from None
    atomic_write_text(state, json.dumps(config.fingerprint, indent=1))


def _finish(
    out: Path,
    config: TrainConfig,
    *,
    model,
    tokenizer,
    labels,
    base: Path,
    device,
    splits,
    history: list[dict],
    fmt: ConllFormat,
    train_seconds: float,
) -> TrainResult:
    """Score the trained model and write the model directory (weights, tokenizer, annotator.json, card)."""
    train_split, dev_split, test_split = splits
    context = config.resolved_context
    cased = config.word_shapes and entities_are_cased(train_split.sentences)
    tagger = WordTagger(
        model,
        tokenizer,
        id2label=labels.id2label,
        max_length=config.max_length,
        context=context,
        device=device,
        precision="fp32",  # card scores: fp32
        word_shapes=config.word_shapes,
        cased_entities=cased,
    )
    # dev is tagged once: its scores for the card and its report (error kinds, thresholds, ...)
    dev_report = score_tagged(tag_documents(dev_split.documents, tagger), files=[config.dev])
    dev_scores: Scores = {"overall": dev_report["overall"], "per_type": dev_report["per_type"]}
    test_scores = score_model(test_split, tagger) if test_split else None

    save_weights(model, out, save_dtype=config.save_dtype)
    tokenizer.save_pretrained(out)
    meta = {
        "format": 1,
        "max_length": config.max_length,
        "context": context,
        **({SHAPES_META_KEY: list(SHAPES), CASED_KEY: cased} if config.word_shapes else {}),
        "conll_format": asdict(fmt),  # how the data was read: rescore reads it the same way
        "labels": list(labels.labels),
        "base_model": str(base),
        "base_model_name": base_model_name(base),
        "data": {
            "train": {
                "path": config.train_label,
                "files": [str(p) for p in config.train_files],
                "sentences": len(train_split.sentences),
                "documents": len(train_split.documents),
                "scheme": config.scheme or detect_file_scheme(config.train_files[0], fmt),
            },
            "dev": {
                "path": str(config.dev),
                "sentences": len(dev_split.sentences),
                "trained_on": config.dev_in_train,
            },
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
    atomic_write_text(out / META_FILE, json.dumps(meta, indent=2) + "\n")
    write_card(out / "README.md", meta)
    write_model_report(out, report=dev_report, tagger=tagger)  # report.html, report.json
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
