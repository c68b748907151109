"""Does the raw-text path lose accuracy? Annotate the CoNLL-2003 test documents as raw text and
score the predicted character spans against the gold entities by exact offsets, beside
`annotator evaluate` on test.txt with the same model.

    python benchmarks/raw_text_accuracy.py [--model DIR] [--runtime torch] [--precision fp32] [--quantize int8]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from corpus import DATA, documents, require_data, write_jsonl

from annotator.evaluate import evaluate_files
from annotator.run import AnnotateConfig, annotate


def prf(correct: int, pred: int, gold: int) -> tuple[float, float, float]:
    p = correct / pred if pred else 0.0
    r = correct / gold if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--quantize", default="auto")
    parser.add_argument("--runtime", default="auto")
    parser.add_argument("--precision", default="auto")
    args = parser.parse_args()
    require_data()
    docs = list(documents(["test.txt"]))
    with tempfile.TemporaryDirectory() as tmp:
        corpus, out = Path(tmp) / "test.jsonl", Path(tmp) / "out.jsonl"
        write_jsonl(corpus, docs)
        started = time.perf_counter()
        annotate(
            [str(corpus)],
            out,
            config=AnnotateConfig(
                model=args.model,
                progress=False,
                quantize=args.quantize,
                runtime=args.runtime,
                precision=args.precision,
            ),
        )
        seconds = time.perf_counter() - started
        predicted = {r["id"]: r["entities"] for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    correct = n_pred = n_gold = 0
    per_type: Counter = Counter()
    for doc in docs:
        gold = {tuple(e) for e in doc["entities"]}
        pred = {(e["start"], e["end"], e["label"]) for e in predicted[doc["id"]]}
        correct += len(gold & pred)
        n_pred += len(pred)
        n_gold += len(gold)
        for label in {e[2] for e in gold | pred}:
            g = {e for e in gold if e[2] == label}
            p = {e for e in pred if e[2] == label}
            per_type[label, "correct"] += len(g & p)
            per_type[label, "pred"] += len(p)
            per_type[label, "gold"] += len(g)
    p, r, f = prf(correct, n_pred, n_gold)
    report = evaluate_files(
        [DATA / "test.txt"], model=args.model, quantize=args.quantize, runtime=args.runtime, precision=args.precision
    )
    words = sum(len(d["tokens"]) for d in docs)
    print(
        f"raw text  ({len(docs)} documents, {words} words, {seconds:.1f} s): "
        f"P {p:.4f} R {r:.4f} F1 {f:.4f}  ({correct} of {n_gold} gold entities matched exactly by offsets)"
    )
    for label in sorted({k[0] for k in per_type}):
        lp, lr, lf = prf(per_type[label, "correct"], per_type[label, "pred"], per_type[label, "gold"])
        print(f"  {label:5s} P {lp:.4f} R {lr:.4f} F1 {lf:.4f}")
    o = report["overall"]
    print(f"annotator evaluate test.txt (word level): P {o['precision']:.4f} R {o['recall']:.4f} F1 {o['f1']:.4f}")
    print(f"difference (raw text - evaluate): {f - o['f1']:+.4f} F1")


if __name__ == "__main__":
    main()
