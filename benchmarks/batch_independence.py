"""Whether a document's entities depend on the other documents of its batch: annotate the same corpus
with --batch-size 256 and 7 (documents per batch, so other windows share each forward pass) and count
the entities that differ, for each runtime asked.

    python benchmarks/batch_independence.py [--docs 1393] [--runs auto,fp32,bf16]

``auto`` is the default runtime (ONNX int8 on a CPU), ``fp32``/``bf16`` torch in that
precision, ``onnx-fp32`` the ONNX export in fp32.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from corpus import documents, require_data, write_jsonl

from annotator.run import AnnotateConfig, annotate

RUNS = {
    "auto": {},
    "fp32": {"runtime": "torch", "precision": "fp32"},
    "bf16": {"runtime": "torch", "precision": "bf16"},
    "onnx-fp32": {"runtime": "onnx", "quantize": "none"},
}


def entities(path: Path) -> list[set[tuple[int, int, str]]]:
    with open(path, encoding="utf-8") as lines:
        return [{(e["start"], e["end"], e["label"]) for e in json.loads(line)["entities"]} for line in lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory [default: the shipped model]")
    parser.add_argument("--docs", type=int, default=0, help="how many CoNLL-2003 documents (0: all)")
    parser.add_argument("--runs", default="auto,fp32", help=f"comma-separated: {', '.join(RUNS)}")
    args = parser.parse_args()
    require_data()
    docs = list(documents())
    docs = docs[: args.docs] if args.docs else docs
    print("| run | entities | differing entities (256 vs 7 per batch) | documents differing |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        write_jsonl(corpus, docs)
        for name in args.runs.split(","):
            found = {}
            for size in (256, 7):
                out = Path(tmp) / f"{name}-{size}.jsonl"
                config = AnnotateConfig(model=args.model, progress=False, batch_size=size, **RUNS[name])
                annotate([str(corpus)], out, config=config)
                found[size] = entities(out)
            a, b = found[256], found[7]
            differ = sum(len(x ^ y) for x, y in zip(a, b))
            print(f"| {name} | {sum(map(len, a)):,} | {differ:,} | {sum(x != y for x, y in zip(a, b))} |", flush=True)


if __name__ == "__main__":
    main()
