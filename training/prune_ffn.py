"""Narrow every feed-forward layer of a trained BERT token classifier (step 4 of en_conll03_minilm.sh).

Keeps, in each block, the ``--keep`` intermediate units with the largest ``|w_in| * |w_out|`` (the norm of
the unit's input row times the norm of its output column) and writes a model directory that
``annotator train --base-model`` takes (then train it again, e.g. with ``--teacher``):

    python training/prune_ffn.py annotator/models/en_conll03_minilm runs/ffn768 --keep 768

The tokenizer, annotator.json and the other files are copied; config.json gets the new
``intermediate_size``. The shipped default is the 4-block model of step 3 narrowed to 1,024 units
and distilled again for 8 epochs: CoNLL-2003 test F1 0.8991 fp32, 0.8994 ONNX int8 on AVX2 kernels
(0.9003 and 0.8988 with all 1,536 units), 1.17-1.24x faster there (BENCHMARKS.md, eighth session).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


def prune(src: Path, dst: Path, *, keep: int) -> int:
    """Write the narrowed copy of ``src`` to ``dst``; returns its parameter count."""
    from safetensors.torch import load_file, save_file

    config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    width = int(config["intermediate_size"])
    if config.get("model_type") != "bert" or not 0 < keep <= width:
        raise SystemExit(f"{src}: a BERT model with at least {keep} feed-forward units is needed (it has {width})")
    if dst.resolve() == src.resolve():
        raise SystemExit("the output must be a new directory (the input is never overwritten)")
    shutil.copytree(src, dst, dirs_exist_ok=True)
    weights = load_file(str(src / "model.safetensors"))
    for layer in range(int(config["num_hidden_layers"])):
        prefix = f"bert.encoder.layer.{layer}."
        w_in = weights[prefix + "intermediate.dense.weight"]  # (width, hidden)
        w_out = weights[prefix + "output.dense.weight"]  # (hidden, width)
        score = w_in.float().norm(dim=1) * w_out.float().norm(dim=0)
        kept = score.topk(keep).indices.sort().values
        weights[prefix + "intermediate.dense.weight"] = w_in[kept].contiguous()
        weights[prefix + "intermediate.dense.bias"] = weights[prefix + "intermediate.dense.bias"][kept].contiguous()
        weights[prefix + "output.dense.weight"] = w_out[:, kept].contiguous()
    config["intermediate_size"] = keep
    (dst / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    save_file(weights, str(dst / "model.safetensors"), metadata={"format": "pt"})
    return sum(t.numel() for t in weights.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", type=Path, help="a trained BERT token classifier (annotator model directory)")
    parser.add_argument("output", type=Path, help="the new model directory")
    parser.add_argument("--keep", type=int, required=True, help="feed-forward units kept in every block")
    args = parser.parse_args()
    print(f"{args.output}: {prune(args.model, args.output, keep=args.keep):,} parameters")


if __name__ == "__main__":
    main()
