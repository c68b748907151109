"""Peak memory does not grow with corpus size: annotate a corpus once and repeated 10 times, each
in a fresh process, and compare the peak resident memory.

    python benchmarks/memory.py [--model DIR] [--docs 100] [--repeat 10] [--format jsonl]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from corpus import documents, require_data

WRAPPER = (
    "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(rc)"
)


def peak_rss_mib(args: list[str]) -> float:
    out = subprocess.run([sys.executable, "-c", WRAPPER, *args], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--docs", type=int, default=100, help="documents in the corpus (0: all, about 1,400)")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--format", default="jsonl", choices=["jsonl", "parquet", "spacy"])
    parser.add_argument(
        "--annotate-args", default="", help="extra `annotator annotate` options, e.g. '--precision fp32'"
    )
    args = parser.parse_args()
    require_data()
    docs = list(documents())
    if args.docs:
        docs = docs[: args.docs]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for times in (1, args.repeat):
            corpus = Path(tmp) / f"corpus{times}.jsonl"
            with open(corpus, "w", encoding="utf-8") as out:
                for r in range(times):
                    for d in docs:
                        out.write(json.dumps({"id": f"{d['id']}-{r}", "text": d["text"]}) + "\n")
            cmd = [
                sys.executable,
                "-m",
                "annotator",
                "annotate",
                str(corpus),
                "-o",
                str(Path(tmp) / f"out{times}.{ {'spacy': 'spacy'}.get(args.format, args.format) }"),
                "-q",
                "--force",
            ]
            if args.model:
                cmd += ["--model", args.model]
            cmd += args.annotate_args.split()
            results[times] = peak_rss_mib(cmd)
            print(f"{times:>3} x {len(docs)} documents: peak RSS {results[times]:.0f} MiB", flush=True)
    ratio = results[args.repeat] / results[1]
    print(f"peak({args.repeat}x) / peak(1x) = {ratio:.3f} ({'within' if ratio <= 1.10 else 'NOT within'} 10%)")


if __name__ == "__main__":
    main()
