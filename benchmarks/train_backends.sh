#!/usr/bin/env bash
# Train the CoNLL-2003 model with both backends and the same settings, side by side (one thread
# each, so the two runs share the machine evenly), then score both on valid and test with
# `annotator evaluate`. Results go to BENCHMARKS.md.
#
#   bash benchmarks/train_backends.sh [OUT_DIR] [extra train options...]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/backends}; shift || true
DATA=../shared/data/conll2003
if [ ! -f "$DATA/train.txt" ]; then echo "skip: $DATA not found (CoNLL-2003 lives in ../shared/data)"; exit 0; fi
mkdir -p "$OUT"
for backend in trainer torch; do
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 annotator train --backend "$backend" \
    --train "$DATA/train.txt" --dev "$DATA/valid.txt" --test "$DATA/test.txt" \
    --output "$OUT/$backend" --epochs 6 --lr 1e-4 --batch-size 8 --max-length 128 --context document \
    --seed 42 --force "$@" > "$OUT/$backend.log" 2>&1 &
done
wait
for backend in trainer torch; do
  for split in valid test; do
    annotator evaluate --model "$OUT/$backend" "$DATA/$split.txt" --output "$OUT/$backend.$split.json" > /dev/null
  done
  python - "$OUT" "$backend" <<'PY'
import json, sys
out, backend = sys.argv[1], sys.argv[2]
meta = json.load(open(f"{out}/{backend}/annotator.json"))
v = json.load(open(f"{out}/{backend}.valid.json"))["overall"]
t = json.load(open(f"{out}/{backend}.test.json"))["overall"]
print(f"{backend:8s} valid F1 {v['f1']:.4f}  test F1 {t['f1']:.4f}  training {meta['training_seconds'] / 60:.1f} min")
PY
done
