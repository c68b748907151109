"""CoNLL-2003 test F1 of ONNX Runtime dynamic int8 variants of a model (what chose ``INT8_SETTINGS``
in annotator/onnx_model.py), beside ONNX fp32: accuracy only, so one thread is enough.

    OMP_NUM_THREADS=1 python benchmarks/onnx_int8.py [--model DIR] [--split test.txt] [--variants a,b]
    OMP_NUM_THREADS=1 bash benchmarks/avx2/run.sh python benchmarks/onnx_int8.py   # on AVX2 kernels

The fp32 export comes from the cache of ``--runtime onnx``; the variants are written to a temporary
directory.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from corpus import DATA, require_data

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model directory [default: the shipped model]")
    parser.add_argument("--split", type=Path, default=None, help="CoNLL file [default: CoNLL-2003 test]")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names of VARIANTS")
    args = parser.parse_args()
    split = args.split
    if split is None:
        require_data()
        split = DATA / "test.txt"
    loaded = load_model(args.model, device="cpu", runtime="onnx", quantize="none")
    fp32, config = loaded.model.path, loaded.model.config
    print(f"{split}\n| variant | F1 |\n|---|---|")
    print(f"| ONNX fp32 | {f1(loaded, split):.4f} |", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in filter(None, args.variants.split(",")):
            path = Path(tmp) / "int8.onnx"
            label, kwargs = VARIANTS[name]
            quantize_int8(fp32, path, **(INT8_SETTINGS | kwargs))
            loaded.model = OnnxTokenClassifier(path, config=config, quantize="int8")
            print(f"| int8: {label} | {f1(loaded, split):.4f} |", flush=True)


if __name__ == "__main__":
    main()
