"""CoNLL-2003 test F1 of ONNX Runtime dynamic int8 variants of a model (what chose ``INT8_SETTINGS``
in annotator/onnx_model.py), beside ONNX fp32: accuracy only, so one thread is enough.

    OMP_NUM_THREADS=1 python benchmarks/onnx_int8.py [--model DIR] [--split test.txt] [--variants a,b]

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
from annotator.onnx_model import OnnxTokenClassifier, quantize_int8
from annotator.tagging import WordTagger

VARIANTS: dict[str, tuple[str, dict]] = {  # name: (what it is, quantize_int8 keywords)
    "per-channel": ("per-channel weights, every MatMul (shipped)", {}),
    "per-tensor": ("per-tensor weights", {"per_channel": False}),
    "reduce-range": ("per-channel, reduce_range (7-bit weights)", {"reduce_range": True}),
    "uint8": ("per-channel uint8 weights", {"weight_type": "QUInt8"}),
    "classifier": ("per-channel, classifier fp32", {"exclude_classifier": True}),
    "first": ("per-channel, classifier + first block fp32", {"exclude_classifier": True, "exclude_blocks": (0,)}),
    "last": ("per-channel, classifier + last block fp32", {"exclude_classifier": True, "exclude_blocks": (-1,)}),
    "first-last": (
        "per-channel, classifier + first and last blocks fp32",
        {"exclude_classifier": True, "exclude_blocks": (0, -1)},
    ),
    "pre-process": ("per-channel after quant_pre_process", {"pre_process": True}),
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
            quantize_int8(fp32, path, **kwargs)
            loaded.model = OnnxTokenClassifier(path, config=config, quantize="int8")
            print(f"| int8: {label} | {f1(loaded, split):.4f} |", flush=True)


if __name__ == "__main__":
    main()
