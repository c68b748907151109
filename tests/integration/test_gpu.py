"""The CUDA paths: bf16 autocast and pinned host memory in the tagger, fp16 autocast with the
GradScaler in our training loop. Marked `gpu`: skipped where no CUDA GPU is present (conftest.py)."""

from __future__ import annotations

import json
import math

import pytest

pytestmark = pytest.mark.gpu

TEXTS = ["Maria Lindqvist flew from Oslo to Toronto.", "Helen Brandt left Northwind Bank for Lisbon."]


def test_tagger_on_cuda_autocasts_bf16_and_agrees_with_fp32(tiny_models):
    import torch

    from annotator.inference import TokenClassifier

    model = tiny_models["torch"]
    cpu = TokenClassifier.load(model, device="cpu", precision="fp32").annotate_batch(TEXTS)
    fp32 = TokenClassifier.load(model, device="cuda", precision="fp32")
    assert fp32.tagger.device.type == "cuda" and not fp32.tagger.bf16
    assert [[(s.start, s.end, s.label) for s in spans] for spans in fp32.annotate_batch(TEXTS)] == [
        [(s.start, s.end, s.label) for s in spans] for spans in cpu
    ]
    bf16 = TokenClassifier.load(model, device="cuda", precision="auto")
    assert bf16.tagger.bf16 is torch.cuda.is_bf16_supported()
    assert {p.dtype for p in bf16.tagger.model.parameters()} == {torch.float32}  # autocast, weights untouched
    for text, spans in zip(TEXTS, bf16.annotate_batch(TEXTS)):
        assert all(0 <= s.start < s.end <= len(text) and 0.0 <= s.score <= 1.0 for s in spans)


def test_torch_loop_trains_on_cuda_with_fp16_and_the_grad_scaler(tmp_path, tiny_encoder, train_model, monkeypatch):
    import torch

    scaled = []
    real_scaler = torch.amp.GradScaler

    def spy(*args, **kwargs):
        scaler = real_scaler(*args, **kwargs)
        scaled.append(scaler.is_enabled())
        return scaler

    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)  # force fp16: the scaler's path
    monkeypatch.setattr(torch.amp, "GradScaler", spy)
    out = train_model(tmp_path, tiny_encoder, "torch", "--device", "cuda")
    assert scaled == [True]
    meta = json.loads((out / "annotator.json").read_text())
    assert meta["device"].startswith("cuda")
    assert all(math.isfinite(h["train_loss"]) for h in meta["history"])
