"""Re-score a model directory on its dev/test files with the current decoding and refresh its card.

    python -m annotator.training.rescore MODEL_DIR [--dev FILE] [--test FILE] [--save-dtype float16]
        [--cased-entities]

Used when the decoding improves after a model was trained, or to store the weights in float16
(the card must state the scores the shipped weights give with today's tools). The files default
to those recorded in the model's annotator.json. The step is recorded in the card.
``--cased-entities`` records what `annotator train` now records itself for a model with word shapes:
whether its training files (annotator.json) have (almost) only cased entities
(:func:`annotator.training.data.entities_are_cased`), which makes the decoding drop uncased ones.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..conll import ConllFormat, read_documents
from ..decode import CASED_KEY
from ..model import META_FILE, load_model, load_weights
from ..outputs import atomic_write_text
from ..shapes import META_KEY as SHAPES_KEY
from ..tagging import WordTagger
from .card import write_card
from .data import entities_are_cased, load_split
from .metrics import score_model
from .run import save_weights


def to_float16(model_dir: Path) -> None:
    """Store the weights of ``model_dir`` in float16 (half the size; its config says float32, so they load as fp32)."""
    import torch

    model = load_weights(model_dir, dtype=torch.float32)
    save_weights(model, model_dir, save_dtype="float16")


def rescore(
    model_dir: Path,
    *,
    dev: Path | None = None,
    test: Path | None = None,
    step: str = "",
    weights_dtype: str | None = None,
    cased_entities: bool = False,
) -> dict:
    meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
    if cased_entities:
        meta[CASED_KEY] = bool(meta.get(SHAPES_KEY)) and _train_entities_are_cased(meta)
    dev = dev or Path(meta["data"]["dev"]["path"])
    test = test or (Path(meta["data"]["test"]["path"]) if meta["data"].get("test") else None)
    loaded = load_model(model_dir, runtime="torch", quantize="none", precision="fp32")  # card scores: torch fp32
    loaded.meta = meta  # the tagger decodes as the meta written below says (cased_entities included)
    tagger = WordTagger.from_loaded(loaded, precision="fp32")
    fmt = ConllFormat(**meta.get("conll_format", {}))  # the format the model was trained with
    scores = {"dev": score_model(load_split(dev, tagger.encoder, fmt), tagger), "test": None}
    if test:
        scores["test"] = score_model(load_split(test, tagger.encoder, fmt), tagger)
    meta["scores"] = scores
    meta["scores_decoding"] = tagger.decoding
    meta["scores_precision"] = "fp32"
    if weights_dtype:
        meta["weights_dtype"] = weights_dtype
    if step:
        meta.setdefault("post_processing", []).append(step)
    atomic_write_text(model_dir / META_FILE, json.dumps(meta, indent=2) + "\n")
    write_card(model_dir / "README.md", meta)
    return scores


def _train_entities_are_cased(meta: dict) -> bool:
    train = meta["data"]["train"]
    fmt = ConllFormat(**meta.get("conll_format", {}))
    files = train.get("files") or train["path"].split(" + ")
    return entities_are_cased([s for path in files for doc in read_documents(Path(path), fmt=fmt) for s in doc])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--dev", type=Path, default=None)
    parser.add_argument("--test", type=Path, default=None)
    parser.add_argument("--save-dtype", choices=["float16"], default=None, help="convert the weights first")
    parser.add_argument(
        "--cased-entities", action="store_true", help="record whether the training data's entities are all cased"
    )
    args = parser.parse_args()
    if args.save_dtype == "float16":
        to_float16(args.model_dir)
    import shlex
    import sys

    step = "python -m annotator.training.rescore " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    scores = rescore(
        args.model_dir,
        dev=args.dev,
        test=args.test,
        step=step,
        weights_dtype=args.save_dtype,
        cased_entities=args.cased_entities,
    )
    for split, s in scores.items():
        if s:
            print(f"{split}: F1 {s['overall']['f1']:.4f}")


if __name__ == "__main__":
    main()
