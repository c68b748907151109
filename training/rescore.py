"""Re-score a model directory on its dev/test files with the current decoding and refresh its card.

    python -m training.rescore MODEL_DIR [--dev FILE] [--test FILE]

Used when the decoding improves after a model was trained (the card must state the scores the
tools give today). The files default to those recorded in the model's annotator.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from annotator.conll import ConllFormat
from annotator.model import META_FILE, load_model
from annotator.tagging import WordTagger

from .card import write_card
from .data import load_split
from .metrics import score_model


def rescore(model_dir: Path, *, dev: Path | None = None, test: Path | None = None) -> dict:
    meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
    dev = dev or Path(meta["data"]["dev"]["path"])
    test = test or (Path(meta["data"]["test"]["path"]) if meta["data"].get("test") else None)
    loaded = load_model(model_dir)
    tagger = WordTagger.from_loaded(loaded)
    scores = {"dev": score_model(load_split(dev, tagger.encoder, ConllFormat()), tagger), "test": None}
    if test:
        scores["test"] = score_model(load_split(test, tagger.encoder, ConllFormat()), tagger)
    meta["scores"] = scores
    meta["scores_decoding"] = tagger.decoding
    (model_dir / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    write_card(model_dir / "README.md", meta)
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("--dev", type=Path, default=None)
    parser.add_argument("--test", type=Path, default=None)
    args = parser.parse_args()
    scores = rescore(args.model_dir, dev=args.dev, test=args.test)
    for split, s in scores.items():
        if s:
            print(f"{split}: F1 {s['overall']['f1']:.4f}")


if __name__ == "__main__":
    main()
