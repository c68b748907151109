"""training/prune_ffn.py: the narrowed model loads as an annotator model; keeping every unit changes nothing,
and the units kept are those with the largest |w_in| * |w_out|."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _prune_module():
    spec = importlib.util.spec_from_file_location("prune_ffn", ROOT / "training" / "prune_ffn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pruned_model_loads_and_keeps_the_strongest_units(tmp_path, random_model):
    import torch
    from safetensors.torch import load_file

    from annotator.model import load_model

    prune = _prune_module().prune
    width = json.loads((random_model / "config.json").read_text())["intermediate_size"]
    same, narrow = tmp_path / "same", tmp_path / "narrow"
    prune(random_model, same, keep=width)
    prune(random_model, narrow, keep=width // 2)
    assert json.loads((narrow / "config.json").read_text())["intermediate_size"] == width // 2
    ids = torch.randint(1000, 20000, (2, 12), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        logits = [
            load_model(d, device="cpu", runtime="torch").model(input_ids=ids).logits for d in (random_model, same)
        ]
        narrowed = load_model(narrow, device="cpu", runtime="torch").model(input_ids=ids).logits
    torch.testing.assert_close(logits[0], logits[1], rtol=1e-5, atol=1e-5)  # every unit kept: the same model
    assert narrowed.shape == logits[0].shape and not torch.allclose(narrowed, logits[0])
    src = load_file(str(random_model / "model.safetensors"))
    got = load_file(str(narrow / "model.safetensors"))
    w_in, w_out = (src[f"bert.encoder.layer.0.{k}.dense.weight"].float() for k in ("intermediate", "output"))
    strongest = (w_in.norm(dim=1) * w_out.norm(dim=0)).topk(width // 2).indices.sort().values
    torch.testing.assert_close(got["bert.encoder.layer.0.intermediate.dense.weight"].float(), w_in[strongest])
    with pytest.raises(SystemExit, match="at least"):
        prune(random_model, tmp_path / "wide", keep=width + 1)
    with pytest.raises(SystemExit, match="never overwritten"):
        prune(random_model, random_model, keep=width)
