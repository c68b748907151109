"""Where `annotate` spends its time, by stage, with a tiny random model in the shipped model's place.

Runs `annotator.annotate` (JSONL in, JSONL out, --workers 0) under cProfile with the prepare stage
inline (no background thread, so one profile sees every stage) and prints each stage's share of the
run, then the top functions by own time:

    python benchmarks/profile_annotate.py [--docs 500] [--repeat 1] [--model DIR] [--top 25]

Shares, not seconds: they hold on a busy machine, where absolute times do not.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

STAGES = {  # (file suffix, function name) whose cumulative time is the stage's
    "read (JSONL records)": ("annotator/readers/jsonl.py", "read_jsonl"),
    "prepare: segment": ("annotator/segment.py", "split_sentences"),
    "prepare: tokenize (word pieces)": ("annotator/stages.py", "pieces"),
    "prepare: all": ("annotator/stages.py", "prepare"),
    "forward (model)": ("annotator/stages.py", "forward"),
    "finish: decode, spans": ("annotator/stages.py", "finish"),
    "finish: serialize JSONL": ("annotator/stages.py", "serialize_jsonl"),
    "write part files": ("annotator/parts.py", "write_part"),
    "JSON encoding (json.dumps, in serialize)": ("annotator/writers/jsonl.py", "_line"),
    "count words (str.split)": ("annotator/run.py", "<genexpr>"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1, help="repeat the documents this many times")
    parser.add_argument("--model", default=None, help="model directory [default: a tiny random model]")
    parser.add_argument("--corpus", default=None, help="a JSONL corpus (id, text) instead of ../shared/data")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    import annotator.engine
    from annotator.run import AnnotateConfig, annotate

    annotator.engine.prefetch = lambda items, depth=2: iter(items)  # prepare inline: one thread to profile
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.model is None:
            from tiny_model import build_tiny_model

            args.model = build_tiny_model(tmp / "tiny")
        if args.corpus is None:
            from corpus import documents, require_data

            require_data()
            docs = list(documents())
        else:
            with open(args.corpus, encoding="utf-8") as handle:
                docs = [json.loads(line) for line in handle if line.strip()]
        docs = docs[: args.docs] * args.repeat
        corpus = tmp / "corpus.jsonl"
        with open(corpus, "w", encoding="utf-8") as out:
            out.writelines(json.dumps({"id": f"{i}", "text": d["text"]}) + "\n" for i, d in enumerate(docs))
        config = AnnotateConfig(model=args.model, progress=False, workers=0, device="cpu")
        annotate([str(corpus)], tmp / "warm.jsonl", config=config)  # model load and caches out of the profile
        profile = cProfile.Profile()
        profile.enable()
        stats = annotate([str(corpus)], tmp / "out.jsonl", config=config)
        profile.disable()
    total = stats.seconds
    table = pstats.Stats(profile)
    print(f"{stats.annotated} documents, {stats.words:,} words, model {args.model}")
    print("| stage | share of the run (cumulative, under cProfile) |")
    print("|---|---|")
    for name, (path, func) in STAGES.items():
        cumulative = sum(v[3] for k, v in table.stats.items() if k[0].endswith(path) and k[2] == func)
        print(f"| {name} | {cumulative / total:.0%} |")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
