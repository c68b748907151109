"""What does a plain `transformers.pipeline` get out of a model directory? CoNLL-2003 test F1 of
`pipeline("token-classification", model=DIR, aggregation_strategy="first")`, one sentence at a
time (the words joined by spaces), scored at word level with the same scorer as `annotator
evaluate`, beside `annotator evaluate` itself.

A model trained with word shapes gets no shapes from the pipeline (it passes token type 0, the
`lower` class, for every subword): this is the number a user of the plain pipeline sees.

    python benchmarks/pipeline_accuracy.py [--model DIR] [--split test.txt] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import time

from corpus import DATA, require_data

from annotator.conll import read_conll
from annotator.evaluate import evaluate_files
from annotator.model import resolve_model_dir
from annotator.scoring import score


def pipeline_tags(model_dir, sentences, *, batch_size: int) -> list[list[str]]:
    """IOB2 tags per word from the pipeline's aggregated entities (character spans over the
    space-joined words; a word belongs to the entity its first character falls in)."""
    import torch
    from transformers import pipeline

    nlp = pipeline(
        "token-classification", model=str(model_dir), aggregation_strategy="first", device="cpu", dtype=torch.float32
    )
    texts, starts = [], []
    for words in sentences:
        offsets, pos = [], 0
        for word in words:
            offsets.append(pos)
            pos += len(word) + 1
        texts.append(" ".join(words))
        starts.append(offsets)
    tags: list[list[str]] = []
    for offsets, entities in zip(starts, nlp(texts, batch_size=batch_size)):
        sentence = ["O"] * len(offsets)
        for entity in entities:
            inside = [i for i, start in enumerate(offsets) if entity["start"] <= start < entity["end"]]
            for k, i in enumerate(inside):
                sentence[i] = f"{'B' if k == 0 else 'I'}-{entity['entity_group']}"
        tags.append(sentence)
    return tags


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--split", default="test.txt")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    require_data()
    model_dir = resolve_model_dir(args.model)
    sentences = list(read_conll(DATA / args.split))
    started = time.perf_counter()
    pred = pipeline_tags(model_dir, [s.words for s in sentences], batch_size=args.batch_size)
    seconds = time.perf_counter() - started
    result = score([s.tags for s in sentences], pred)
    o = result["overall"]
    print(
        f"transformers.pipeline on {args.split} ({len(sentences)} sentences, {seconds:.0f} s): "
        f"P {o['precision']:.4f} R {o['recall']:.4f} F1 {o['f1']:.4f}"
    )
    print("  " + "  ".join(f"{t} {v['f1']:.4f}" for t, v in result["per_type"].items()))
    report = evaluate_files([DATA / args.split], model=args.model, precision="fp32")
    print(f"annotator evaluate {args.split} (fp32): F1 {report['overall']['f1']:.4f}")


if __name__ == "__main__":
    main()
