"""CoNLL-2003 test F1 of ONNX Runtime dynamic int8 variants of a model (what chose ``INT8_SETTINGS``
in annotator/onnx_model.py), beside ONNX fp32: accuracy, on one thread; with ``--speed N``, instead
the words/s of each variant's bare forward over the windows of the first 300 CoNLL-2003 documents, as
annotate calls it (all threads), medians of N interleaved rounds.

    OMP_NUM_THREADS=1 python benchmarks/onnx_int8.py [--model DIR] [--split test.txt] [--variants a,b]
    OMP_NUM_THREADS=1 bash benchmarks/avx2/run.sh python benchmarks/onnx_int8.py   # on AVX2 kernels
    python benchmarks/onnx_int8.py --speed 3 --variants shipped,8-bit,uint8

The fp32 export comes from the cache of ``--runtime onnx``; the variants are written to a temporary
directory.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from corpus import DATA, documents, require_data

from annotator.conll import ConllFormat
from annotator.evaluate import score_tagged, tag_conll
from annotator.model import load_model
from annotator.onnx_model import INT8_SETTINGS, OnnxTokenClassifier, quantize_int8
from annotator.tagging import WordTagger

VARIANTS: dict[str, tuple[str, dict]] = {  # name: (what it is, changes to INT8_SETTINGS)
    "shipped": ("per-channel 7-bit weights (reduce_range), every MatMul (shipped)", {}),
    "8-bit": ("per-channel 8-bit weights (saturates on AVX2 kernels)", {"reduce_range": False}),
    "per-tensor": ("per-tensor 7-bit weights", {"per_channel": False}),
    "uint8": ("per-channel uint8 weights", {"weight_type": "QUInt8", "reduce_range": False}),
    "classifier": ("shipped, classifier fp32", {"exclude_classifier": True}),
    "first": ("shipped, classifier + first block fp32", {"exclude_classifier": True, "exclude_blocks": (0,)}),
    "last": ("shipped, classifier + last block fp32", {"exclude_classifier": True, "exclude_blocks": (-1,)}),
    "first-last": (
        "shipped, classifier + first and last blocks fp32",
        {"exclude_classifier": True, "exclude_blocks": (0, -1)},
    ),
    "pre-process": ("shipped, after quant_pre_process", {"pre_process": True}),
}


def f1(loaded, split: Path) -> float:
    tagger = WordTagger.from_loaded(loaded, precision="fp32")
    return score_tagged(tag_conll([split], tagger, fmt=ConllFormat()), files=[split])["overall"]["f1"]


def speed_batches(loaded, docs: int = 300) -> tuple[list[dict], int]:
    """The batches annotate would run over the first ``docs`` CoNLL-2003 documents, and their words."""
    from throughput import forward_batches

    from annotator.inference import TokenClassifier

    texts = [d["text"] for d in list(documents())[:docs]]
    classifier = TokenClassifier(WordTagger.from_loaded(loaded, precision="fp32"))
    return forward_batches(classifier, texts), sum(len(t.split()) for t in texts)


def speed(models: dict, batches: list[dict], words: int, rounds: int) -> None:
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(rounds):
        for name, model in models.items():
            model(**batches[-1])  # warm-up
            started = time.perf_counter()
            for batch in batches:
                model(**batch)
            times[name].append(time.perf_counter() - started)
            print(f"{name}: {words / times[name][-1]:,.0f} words/s", flush=True)
    print(f"\n{words:,} words, medians of {rounds} interleaved rounds\n| variant | words/s |\n|---|---|")
    for name, seconds in times.items():
        print(f"| {name} | {words / statistics.median(seconds):,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory [default: the shipped model]")
    parser.add_argument("--split", type=Path, default=None, help="CoNLL file [default: CoNLL-2003 test]")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names of VARIANTS")
    parser.add_argument("--speed", type=int, default=0, help="time the bare forwards instead, N rounds")
    args = parser.parse_args()
    split = args.split
    if split is None:
        require_data()
        split = DATA / "test.txt"
    loaded = load_model(args.model, device="cpu", runtime="onnx", quantize="none")
    fp32, config = loaded.model.path, loaded.model.config
    if args.speed:
        batches, words = speed_batches(loaded)
    else:
        print(f"{split}\n| variant | F1 |\n|---|---|")
        print(f"| ONNX fp32 | {f1(loaded, split):.4f} |", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        models = {"ONNX fp32": loaded.model}
        for name in filter(None, args.variants.split(",")):
            path = Path(tmp) / f"{name}.onnx"
            label, kwargs = VARIANTS[name]
            quantize_int8(fp32, path, **(INT8_SETTINGS | kwargs))
            models[f"int8: {label}"] = OnnxTokenClassifier(path, config=config, quantize="int8")
            if not args.speed:
                loaded.model = models[f"int8: {label}"]
                print(f"| int8: {label} | {f1(loaded, split):.4f} |", flush=True)
        if args.speed:
            speed(models, batches, words, args.speed)


if __name__ == "__main__":
    main()
