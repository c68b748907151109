"""The local engine against the Ray engine with 1 and 2 workers, on the same corpus in one run,
and an estimate for 8 and 64 GPU workers from the measured per-worker throughput.

    python benchmarks/ray_engine.py                         # 500 CoNLL-2003 documents, the shipped model
    python benchmarks/ray_engine.py --docs 0 --files 8      # the whole corpus, in 8 input files
    python benchmarks/ray_engine.py --synthetic 300 --tiny  # a smoke test: generated texts, a random model
    python benchmarks/ray_engine.py --worker-words-per-s 250000   # estimate with a GPU worker's rate

Each engine annotates the same input files (``--files`` JSONL files: the Ray engine reads one file
per read task) into a fresh output. Words/s are counted two ways: end to end (from the job's start,
so the Ray numbers include starting the actors and loading the model in each) and steady (the
words of every part file after the first, over the time between the first and the last part file
written: what a long job runs at). The estimate's assumptions are printed with it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def write_corpus(texts: list[str], out_dir: Path, files: int) -> list[Path]:
    """The texts as ``files`` JSONL files of consecutive documents (ids ``d0``, ``d1``, ...)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    per_file = -(-len(texts) // files)
    paths = []
    for f in range(files):
        path = out_dir / f"corpus-{f:03d}.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            handle.writelines(
                json.dumps({"id": f"d{i}", "text": texts[i]}, ensure_ascii=False) + "\n"
                for i in range(f * per_file, min(len(texts), (f + 1) * per_file))
            )
        paths.append(path)
    return paths


def corpus_texts(args) -> list[str]:
    if args.synthetic:
        rng = random.Random(0)
        words = [
            "Maria",
            "Lindqvist",
            "flew",
            "from",
            "Oslo",
            "to",
            "Toronto",
            "with",
            "Vantor",
            "Labs",
            "and",
            "the",
            "Nordic",
            "team",
            "of",
            "Greenline",
            "Rail",
            "on",
            "Friday",
            ".",
        ]
        return [" ".join(rng.choice(words) for _ in range(rng.randint(5, 60))) + "." for _ in range(args.synthetic)]
    if args.corpus:
        with open(args.corpus, encoding="utf-8") as handle:
            texts = [json.loads(line)["text"] for line in handle if line.strip()]
    else:
        from corpus import documents, require_data

        require_data()
        texts = [doc["text"] for doc in documents(("test.txt", "valid.txt", "train.txt"))]
    return texts[: args.docs] if args.docs else texts


def steady_words_per_s(parts: list[Path], fmt: str) -> float:
    """Words of the parts after the first one written, over the time from the first to the last."""
    from annotator.writers import read_docbin, read_jsonl, read_parquet

    read = {"jsonl": read_jsonl, "parquet": read_parquet, "spacy": read_docbin}[fmt]
    if len(parts) < 2:
        return 0.0
    timed = sorted((p.stat().st_mtime, p) for p in parts)
    words = sum(len(r["text"].split()) for _, p in timed[1:] for r in read(p))
    span = timed[-1][0] - timed[0][0]
    return words / span if span > 0 else 0.0


def prepare_words_per_s(texts: list[str], model: Path | None, batch_size: int) -> float:
    """Words/s of the CPU prepare stage (segment, tokenize, pack) on one thread, as the tasks run it."""
    from annotator.inference import TokenClassifier
    from annotator.stages import Preparer, StageSettings

    preparer = Preparer(StageSettings.from_tagger(TokenClassifier.load(model, device="cpu", runtime="torch").tagger))
    words = sum(len(t.split()) for t in texts)
    started = time.perf_counter()
    for i in range(0, len(texts), batch_size):
        preparer.prepare(texts[i : i + batch_size])
    return words / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory [default: the shipped model]")
    parser.add_argument("--tiny", action="store_true", help="a random 1-layer model (measures all but the model)")
    parser.add_argument("--docs", type=int, default=500, help="CoNLL-2003 documents (0: all, about 1,400)")
    parser.add_argument("--corpus", default=None, help="a JSONL corpus (text field) instead of CoNLL-2003")
    parser.add_argument("--synthetic", type=int, default=0, help="this many generated documents instead")
    parser.add_argument("--files", type=int, default=4, help="input files the corpus is split into")
    parser.add_argument("--batch-size", type=int, default=64, help="documents per batch (a part file each)")
    parser.add_argument(
        "--worker-words-per-s",
        type=float,
        default=None,
        help="one GPU worker's words/s for the estimate (e.g. measured with --engine ray "
        "--num-workers 1 --gpus-per-worker 1) [default: the 1-worker rate measured here]",
    )
    parser.add_argument(
        "--task-cpus-per-worker",
        type=float,
        default=6.0,
        help="CPUs beside each GPU worker for the prepare tasks, in the estimate",
    )
    args = parser.parse_args()

    import ray

    from annotator.ray_engine import RayOptions, annotate_on_ray
    from annotator.run import AnnotateConfig, annotate

    texts = corpus_texts(args)
    work = Path(tempfile.mkdtemp(prefix="ray_bench_"))
    model = args.model
    if args.tiny:
        from tiny_model import build_tiny_model

        model = build_tiny_model(work / "model")
    files = write_corpus(texts, work / "corpus", args.files)
    words = sum(len(t.split()) for t in texts)
    cpus = os.cpu_count() or 1
    print(
        f"corpus: {len(texts):,} documents, {words:,} words, in {len(files)} files; batch size {args.batch_size}; "
        f"{cpus} CPUs; model: {model or 'shipped'}"
    )
    config = AnnotateConfig(model=model, progress=False, device="cpu", batch_size=args.batch_size)
    rows = []

    local = work / "local.jsonl"
    started = time.perf_counter()
    stats = annotate([str(f) for f in files], local, config=config)
    rows.append(("local engine", stats.workers, stats.words, time.perf_counter() - started, stats.words_per_second))

    ray.init(
        num_cpus=cpus,
        include_dashboard=False,
        logging_level="WARNING",
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}},
    )
    try:
        for workers in (1, 2):
            out = work / f"ray{workers}"
            started = time.perf_counter()
            stats = annotate_on_ray(
                [str(f) for f in files],
                out,
                config=AnnotateConfig(
                    model=model, progress=False, device="cpu", batch_size=args.batch_size, format="jsonl"
                ),
                options=RayOptions(num_workers=workers),
            )
            seconds = time.perf_counter() - started
            rows.append(
                (
                    f"ray, {workers} worker{'s' * (workers > 1)}",
                    workers,
                    stats.words,
                    seconds,
                    steady_words_per_s(sorted(out.glob("part-*.jsonl")), "jsonl"),
                )
            )
    finally:
        ray.shutdown()

    base = rows[0][4]
    print(
        f"\n{'engine':<18}{'workers':>8}{'words':>11}{'seconds':>9}{'end-to-end w/s':>16}{'steady w/s':>12}"
        f"{'vs local':>10}"
    )
    for name, workers, n, seconds, steady in rows:
        ratio = steady / base if base else 0.0
        print(f"{name:<18}{workers:>8}{n:>11,}{seconds:>9.1f}{n / seconds:>16,.0f}{steady:>12,.0f}{ratio:>9.2f}x")
    print("(local engine: steady = words/s from its first document; Ray: from the first part file written)")

    one, two = rows[1][4], rows[2][4]
    prepare = prepare_words_per_s(texts[:2000], model, args.batch_size)
    per_worker = args.worker_words_per_s or one
    source = "given (--worker-words-per-s)" if args.worker_words_per_s else "the 1-worker steady rate measured here"
    print(
        f"\nscaling here, 1 -> 2 workers: {two / one if one else 0:.2f}x (on {cpus} CPUs shared by the actors and "
        f"the tasks)\nprepare stage: {prepare:,.0f} words/s per CPU core (one thread)"
    )
    print(f"\nestimate for a GPU fleet: per worker {per_worker:,.0f} words/s ({source})")
    for n in (8, 64):
        linear = n * per_worker
        prepare_cap = n * args.task_cpus_per_worker * prepare
        print(
            f"  {n:>2} workers: {min(linear, prepare_cap):>13,.0f} words/s  (linear {linear:,.0f}; prepare tasks "
            f"cap at {prepare_cap:,.0f} with {args.task_cpus_per_worker:g} CPUs per worker)"
        )
    print(
        "assumptions: each worker has its own GPU (or cores), none shared as on this machine; a worker's rate "
        "is the one above, so Ray's per-batch overhead stays what one worker paid here; workers add linearly "
        "until the prepare tasks (the measured per-core rate x the CPUs beside each worker) or reading cap it; "
        "the corpus is split into at least as many files as workers, and storage, the network and the "
        "driver are not the limit; start-up (actors loading the model) is left out."
    )
    print(f"\noutputs under {work}")


if __name__ == "__main__":
    main()
