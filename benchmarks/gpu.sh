#!/usr/bin/env bash
# The GPU suite, under 5 minutes on one H100/H200 with 16 cores: words/s of
#   1. annotate end to end: JSONL in, Parquet out, bf16, every worker (--workers auto: min(cores - 1, 8));
#   2. the bare model forward (bf16) on the same windows: the ceiling;
#   3. the transformers pipeline (batch 32, bf16) on the first documents of the same corpus.
# The corpus is CoNLL-2003 (1,393 documents, about 300,000 words) repeated 10 times.
#
#   bash benchmarks/gpu.sh                                    # CoNLL-2003 from ../shared/data, on cuda
#   bash benchmarks/gpu.sh --corpus conll.jsonl               # a machine without ../shared: build it first with
#                                                             #   python benchmarks/corpus.py conll.jsonl
#   bash benchmarks/gpu.sh --device cpu --docs 20 --repeat 1  # the same path on a CPU (tests run this)
#
# Extra arguments go to benchmarks/throughput.py and override the defaults below (the last one wins).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
echo "# $(date -u +%FT%TZ) $(git rev-parse --short HEAD 2>/dev/null || echo "?"); $(getconf _NPROCESSORS_ONLN) cores"
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi
exec "$PYTHON" benchmarks/throughput.py --device cuda --docs 0 --repeat 10 --format parquet --precision bf16 \
    --workers auto --skip spacy,int8,other,fp32,torch,onnx,onnx-forward --pipeline-docs 1393 "$@"
