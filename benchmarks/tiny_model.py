"""A tiny random model in the shipped model's place: measures the cost of everything but the model.

Builds a 1-layer, hidden-32 BERT token classifier with random weights and the shipped model's
tokenizer, labels and ``annotator.json`` (so the same windows and decoding run), in a few seconds:

    python benchmarks/tiny_model.py OUT_DIR [--layers 1] [--hidden 32] [--seed 0]

``benchmarks/throughput.py --tiny`` builds one in a temporary directory and runs annotate with it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_tiny_model(
    out: str | Path, *, source: str | Path | None = None, layers: int = 1, hidden: int = 32, seed: int = 0
) -> Path:
    """Write a random ``layers``-layer, ``hidden``-wide BERT token classifier with the tokenizer, labels
    and annotator.json of ``source`` (default: the shipped model) to ``out``; returns ``out``."""
    import torch
    from transformers import BertConfig, BertForTokenClassification

    from annotator.model import read_meta, resolve_model_dir

    source = resolve_model_dir(source)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = json.loads((source / "config.json").read_text(encoding="utf-8"))
    id2label = {int(k): v for k, v in base["id2label"].items()}
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=base["vocab_size"],
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=2 * hidden,
        max_position_embeddings=512,
        type_vocab_size=base.get("type_vocab_size", 2),  # word shapes, if the source takes them
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    BertForTokenClassification(config).save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if (source / name).is_file():
            shutil.copy(source / name, out / name)
    meta = read_meta(source)
    meta.pop("scores", None)  # not this model's
    (out / "annotator.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="directory to write the model to")
    parser.add_argument("--source", default=None, help="model whose tokenizer and labels to copy [default: shipped]")
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(build_tiny_model(args.out, source=args.source, layers=args.layers, hidden=args.hidden, seed=args.seed))


if __name__ == "__main__":
    main()
