#!/usr/bin/env bash
# Recipe of the shipped default model, annotator/models/en_conll03_minilm: the exact commands of
# its card (README.md there; annotator.json "command" and "post_processing"). Run it from the
# repository root, with the project installed and the CoNLL-2003 files in ../shared/data/conll2003/.
# Measured: 68 minutes with one thread on 2 busy CPU cores (valid F1 0.9429, test F1 0.8974; word shapes on,
# the default of annotator train).
#
#   bash training/en_conll03_minilm.sh [OUTPUT_DIR]     # default: runs/en_conll03_minilm
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/en_conll03_minilm}"
DATA=../shared/data/conll2003

annotator train --backend trainer --train "$DATA/train.txt" --dev "$DATA/valid.txt" --test "$DATA/test.txt" \
    --output "$OUT" --epochs 6 --lr 1e-4 --batch-size 8 --max-length 128 --context document --seed 42 \
    --save-dtype float16 --force
# the card re-scored with the code of the day (the shipped card's second command)
python -m annotator.training.rescore "$OUT"
annotator evaluate --model "$OUT" "$DATA/test.txt" --output "$OUT/test-report.json"
