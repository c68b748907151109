"""`--runtime onnx`: the exported model computes what the torch model computes, a row's numbers do not depend
on the other rows of its batch, annotate gives the same bytes whatever the workers, `auto` picks ONNX int8 on
a CPU only, the export is cached by the weights (never in the model directory), and bad combinations fail
before a model loads."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_annotate import make_texts

from annotator.cli import main
from annotator.errors import ConfigError, MissingDependencyError
from annotator.run import AnnotateConfig

pytest.importorskip("onnxruntime", reason="needs ONNX Runtime (a dependency): pip install onnxruntime onnx")


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx_cache")


@pytest.fixture(autouse=True)
def _cache_env(cache, monkeypatch):
    """Every test exports into the module's cache (so each model is exported once), never ~/.cache."""
    monkeypatch.setenv("ANNOTATOR_CACHE", str(cache))


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_onnx_fp32_computes_the_logits_of_torch_fp32(random_model):
    import torch

    from annotator.model import load_model

    torch_model = load_model(random_model, device="cpu", runtime="torch").model
    onnx_model = load_model(random_model, device="cpu", runtime="onnx", quantize="none").model
    assert onnx_model.runtime == "onnx" and onnx_model.quantize == "none"
    generator = torch.Generator().manual_seed(2)
    for batch, width in ((1, 3), (4, 37), (2, 300)):  # any batch size and length (dynamic axes)
        ids = torch.randint(1000, 20000, (batch, width), generator=generator)
        mask = torch.ones_like(ids)
        mask[-1, width // 2 :] = 0  # padding
        types = torch.randint(0, 6, (batch, width), generator=generator)  # word shapes
        with torch.inference_mode():
            expected = torch_model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
            no_types = torch_model(input_ids=ids, attention_mask=mask).logits
        got = onnx_model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
        assert isinstance(got, torch.Tensor) and got.dtype == torch.float32 and got.shape == expected.shape
        kept = mask.bool().numpy()  # padding is not computed (zeros): rows run alone, cut to their length
        np.testing.assert_allclose(got.numpy()[kept], expected.numpy()[kept], atol=1e-4)
        assert not got.numpy()[~kept].any()
        np.testing.assert_allclose(  # a call without token types gets zeros, as in torch
            onnx_model(input_ids=ids, attention_mask=mask).logits.numpy()[kept], no_types.numpy()[kept], atol=1e-4
        )


def test_an_int8_row_computes_the_same_whatever_the_other_rows(random_model):
    """Dynamic int8 scales activations by the largest value in its input: run as one batch, a row's
    logits would depend on the other rows. Each row runs alone, without its padding."""
    import torch

    from annotator.model import load_model

    model = load_model(random_model, device="cpu", runtime="onnx", quantize="int8").model
    generator = torch.Generator().manual_seed(5)
    ids = torch.randint(1000, 20000, (3, 40), generator=generator)
    ids[1] *= 0
    ids[1] += 1012  # a row of one repeated token: other activations than the random rows
    mask = torch.ones_like(ids)
    mask[2, 25:] = 0
    batch = model(input_ids=ids, attention_mask=mask).logits.numpy()
    for row, end in ((0, 40), (1, 40), (2, 25)):
        alone = model(input_ids=ids[row : row + 1, :end], attention_mask=mask[row : row + 1, :end]).logits.numpy()
        assert np.array_equal(batch[row, :end], alone[0])
    assert not batch[2, 25:].any()  # padding: zeros, never computed
    pair = model(input_ids=ids[[0, 2]], attention_mask=mask[[0, 2]]).logits.numpy()
    assert np.array_equal(pair[0], batch[0]) and np.array_equal(pair[1], batch[2])
    for threads in (1, 3):  # rows run on a pool of threads, each row on one: the same numbers on any number
        model.threads, model._pool = threads, None
        assert np.array_equal(model(input_ids=ids, attention_mask=mask).logits.numpy(), batch)
    # the graph has no mask input (a row cut to its length attends to all of it), so a mask with holes,
    # which it cannot honour, is refused
    assert [i.name for i in model.session.get_inputs()] == ["input_ids", "token_type_ids", "positions"]
    holes = mask.clone()
    holes[0, 10] = 0
    with pytest.raises(ValueError, match="ones followed by padding only"):
        model(input_ids=ids, attention_mask=holes)


@pytest.mark.parametrize(
    "options, device, expected",
    [
        ({}, "cpu", ("onnx", "int8")),  # the fast CPU path
        ({}, "cuda", ("torch", "none")),  # a GPU: torch (bf16 where native)
        ({"precision": "fp32"}, "cpu", ("torch", "none")),  # a fixed precision is a torch precision
        ({"precision": "bf16"}, "cpu", ("torch", "none")),
        ({"quantize": "none"}, "cpu", ("torch", "none")),  # no quantization asked: torch's bf16 or fp32
        ({"quantize": "int8"}, "cpu", ("onnx", "int8")),  # int8 asked: the more accurate int8
        ({"runtime": "torch"}, "cpu", ("torch", "none")),  # torch's own int8 costs 0.3 F1: only when named
        ({"runtime": "torch", "quantize": "int8"}, "cpu", ("torch", "int8")),
        ({"runtime": "onnx"}, "cpu", ("onnx", "int8")),
        ({"runtime": "onnx", "quantize": "none"}, "cpu", ("onnx", "none")),
    ],
)
def test_auto_picks_onnx_int8_on_a_cpu_only(random_model, options, device, expected):
    import torch

    from annotator.model import resolve_runtime

    given = {"runtime": "auto", "quantize": "auto", "precision": "auto"} | options
    resolved = resolve_runtime(
        given["runtime"],
        given["quantize"],
        precision=given["precision"],
        device=torch.device(device),
        model_dir=random_model,
    )
    assert resolved == expected


def test_auto_stays_with_torch_without_onnxruntime_or_for_other_model_types(tmp_path, random_model, monkeypatch):
    import importlib.util

    import torch

    from annotator.model import resolve_runtime

    other = tmp_path / "other"
    shutil.copytree(random_model, other)
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps(config | {"model_type": "distilbert"}))
    cpu = torch.device("cpu")
    assert resolve_runtime("auto", "auto", precision="auto", device=cpu, model_dir=other) == ("torch", "none")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    assert resolve_runtime("auto", "auto", precision="auto", device=cpu, model_dir=random_model) == ("torch", "none")
    monkeypatch.setattr(importlib.util, "find_spec", real)
    assert resolve_runtime("auto", "auto", precision="auto", device=cpu, model_dir=random_model) == ("onnx", "int8")


def test_the_int8_weights_fit_in_7_bits_so_avx2_int8_products_cannot_saturate(random_model):
    """On AVX2 (no VNNI), ONNX Runtime adds pairs of u8*s8 products in 16 bits: 255*127*2 overflows, 255*64*2
    does not. The shipped export quantizes to 7 bits (reduce_range) so every CPU computes exact sums."""
    import onnx
    from onnx import numpy_helper

    from annotator.model import load_model

    path = load_model(random_model, device="cpu", runtime="onnx", quantize="int8").model.path
    weights = [numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer]
    int8 = [w for w in weights if w.dtype == np.int8 and w.ndim == 2]
    assert len(int8) >= 6  # a block's MatMuls (Q, K, V, output, FFN in and out) and the classifier's
    assert all(w.min() >= -64 and w.max() <= 64 for w in int8)
    assert max(max(-int(w.min()), int(w.max())) for w in int8) >= 60  # the 7-bit range is used, not less


def test_annotate_says_what_computes_and_that_it_exports_once(tmp_path, random_model, monkeypatch):
    monkeypatch.setenv("ANNOTATOR_CACHE", str(tmp_path / "cache"))  # a cold cache: this run exports
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("Maria flew to Oslo.\n", encoding="utf-8")
    first = invoke("annotate", corpus, "-o", tmp_path / "a.jsonl", "-m", random_model)
    assert first.exit_code == 0, first.output
    assert f"exporting {random_model} to ONNX int8, once" in first.output
    assert "words/s (onnx int8 on cpu); output:" in first.output
    again = invoke("annotate", corpus, "-o", tmp_path / "b.jsonl", "-m", random_model)
    assert "exporting" not in again.output and "(onnx int8 on cpu)" in again.output
    torch_run = invoke("annotate", corpus, "-o", tmp_path / "c.jsonl", "-m", random_model, "--precision", "fp32")
    assert "words/s (torch fp32 on cpu); output:" in torch_run.output
    quiet = invoke("annotate", corpus, "-o", tmp_path / "d.jsonl", "-m", random_model, "-q", "--runtime", "onnx")
    assert quiet.exit_code == 0 and quiet.output == ""


def test_the_labelled_positions_alone_give_the_logits_of_the_whole_model(random_model):
    """The BERT export computes its last block at the positions the caller labels only (``label_mask``):
    there, the logits of torch fp32; elsewhere zeros; a row without any is not run."""
    import torch

    from annotator.model import load_model

    torch_model = load_model(random_model, device="cpu", runtime="torch").model
    model = load_model(random_model, device="cpu", runtime="onnx", quantize="none").model
    assert model.takes_label_mask
    generator = torch.Generator().manual_seed(3)
    ids = torch.randint(1000, 20000, (4, 50), generator=generator)
    types = torch.randint(0, 6, (4, 50), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 30:] = 0
    labels = (torch.rand((4, 50), generator=generator) < 0.7).long() * mask
    labels[2] = 0  # nothing to label in this row
    labels[3] = mask[3]  # every position
    calls = _spy_on_runs(model)
    got = model(input_ids=ids, attention_mask=mask, token_type_ids=types, label_mask=labels).logits.numpy()
    with torch.inference_mode():
        expected = torch_model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits.numpy()
    keep = labels.bool().numpy()
    np.testing.assert_allclose(got[keep], expected[keep], atol=1e-4)
    assert not got[~keep].any()
    assert len(calls) == 3 and sorted(len(feed["positions"]) for feed in calls) == sorted(
        int(n) for n in labels.sum(1) if n
    )
    with pytest.raises(ValueError, match="label_mask marks padding"):
        model(input_ids=ids, attention_mask=mask, label_mask=torch.ones_like(ids))


class _Spy:
    """An ONNX Runtime session that records the feed of every run."""

    def __init__(self, session, calls: list):
        self.session, self.calls = session, calls

    def run(self, outputs, feed):
        self.calls.append(feed)
        return self.session.run(outputs, feed)


def _spy_on_runs(model) -> list[dict]:
    calls: list[dict] = []
    model.session = _Spy(model.session, calls)
    return calls


def test_a_model_the_positions_export_does_not_fit_is_exported_whole(tmp_path, monkeypatch):
    """The export at the labelled positions is checked against the torch model; where it differs (a BERT
    built otherwise), the whole model is exported, and every position computed."""
    import torch

    from annotator import onnx_model
    from annotator.model import load_model

    monkeypatch.setenv("ANNOTATOR_CACHE", str(tmp_path / "cache"))
    src = _tiny_model_dir(tmp_path / "model")
    real = onnx_model._at_positions

    class Off(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, *args):
            return self.inner(*args) + 0.5  # not the model's numbers

    monkeypatch.setattr(onnx_model, "_at_positions", lambda model, inputs: Off(real(model, inputs)))
    model = load_model(src, device="cpu", runtime="onnx", quantize="none").model
    inputs = [i.name for i in model.session.get_inputs()]
    assert not model.takes_label_mask and inputs == ["input_ids", "token_type_ids"]
    torch_model = load_model(src, device="cpu", runtime="torch").model
    ids = torch.randint(1000, 20000, (2, 9), generator=torch.Generator().manual_seed(1))
    labels = torch.zeros_like(ids)
    labels[:, 1:4] = 1
    with torch.inference_mode():
        expected = torch_model(input_ids=ids).logits.numpy()
    got = model(input_ids=ids, attention_mask=torch.ones_like(ids), label_mask=labels).logits.numpy()
    np.testing.assert_allclose(got, expected, atol=1e-4)  # every position, the label mask notwithstanding


def test_the_forward_stage_and_the_word_tagger_run_the_onnx_model(random_model):
    from annotator.inference import TokenClassifier
    from annotator.stages import Preparer, StageSettings, forward

    texts = make_texts(12, seed=4)
    torch_clf = TokenClassifier.load(random_model, device="cpu", precision="fp32")
    onnx_clf = TokenClassifier.load(random_model, device="auto", precision="auto", runtime="onnx", quantize="none")
    assert onnx_clf.tagger.device.type == "cpu" and not onnx_clf.tagger.bf16  # auto: the CPU, fp32
    calls = _spy_on_runs(onnx_clf.tagger.model)  # both run the labelled positions only
    packed = Preparer(StageSettings.from_tagger(onnx_clf.tagger)).prepare(texts)
    got = forward(packed, tagger=onnx_clf.tagger)
    assert sum(len(feed["positions"]) for feed in calls) == len(packed.positions) < len(packed.input_ids)
    np.testing.assert_allclose(got, forward(packed, tagger=torch_clf.tagger), atol=1e-4)
    windows = [w for doc in onnx_clf.prepare(texts).windows for w in doc]
    np.testing.assert_allclose(np.concatenate(onnx_clf.tagger.window_log_probs(windows)), got, atol=1e-5)
    assert sum(len(feed["positions"]) for feed in calls) == 2 * len(packed.positions)
    shapes_off = forward(dataclasses.replace(packed, type_ids=np.zeros_like(packed.type_ids)), tagger=onnx_clf.tagger)
    assert not np.allclose(shapes_off, got, atol=1e-3)  # the word shapes reach the exported graph


def test_the_forward_stage_runs_int8_windows_alone_with_the_numbers_of_padded_batches(random_model):
    """The forward stage hands ONNX every window alone (no padded batch, no wait between batches); its
    numbers are, bit for bit, those of the padded batches the word tagger runs through ``__call__``."""
    from annotator.inference import TokenClassifier
    from annotator.stages import Preparer, StageSettings, forward

    texts = make_texts(20, seed=6)
    clf = TokenClassifier.load(random_model, device="cpu", precision="auto", runtime="onnx", quantize="int8")
    packed = Preparer(StageSettings.from_tagger(clf.tagger)).prepare(texts)
    calls = _spy_on_runs(clf.tagger.model)
    got = forward(packed, tagger=clf.tagger)
    widths = sorted(feed["input_ids"].shape for feed in calls)
    assert widths == sorted((1, int(n)) for n in packed.window_tokens)  # one call per window, cut to it
    windows = [w for doc in clf.prepare(texts).windows for w in doc]
    np.testing.assert_array_equal(np.concatenate(clf.tagger.window_log_probs(windows)), got)


def test_annotate_onnx_int8_gives_the_same_bytes_with_any_workers(tmp_path, random_model):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(make_texts(60, seed=8))),
        encoding="utf-8",
    )
    outputs = []
    for workers in (0, 1):
        out = tmp_path / f"w{workers}.jsonl"
        args = ["annotate", corpus, "-o", out, "-m", random_model, "--runtime", "onnx", "--quantize", "int8"]
        result = invoke(*args, "--workers", workers, "--batch-size", "16", "--quiet")
        assert result.exit_code == 0, result.output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") == 60


def test_the_resume_fingerprint_tells_the_runtimes_apart(tmp_path, random_model):
    from annotator.model import resolve_model_dir
    from annotator.readers import expand_inputs
    from annotator.run import run_fingerprint

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("Maria flew to Oslo.\n", encoding="utf-8")
    config = AnnotateConfig(model=random_model, device="cpu", runtime="torch")
    files = expand_inputs([corpus], options=config.reader)
    prints = [
        run_fingerprint(files, resolve_model_dir(random_model), "jsonl", c, device="cpu")
        for c in (config, dataclasses.replace(config, runtime="onnx"))
    ]
    # where the run may use the int8 export (onnx, quantize auto here), its settings and the export's format:
    # a run interrupted under the old 8-bit export, or the export of every position, does not resume under
    # the 7-bit one, or the one at the labelled positions
    assert {k for k in prints[1] if prints[0].get(k) != prints[1][k]} == {"runtime", "onnx_export", "onnx_int8"}
    assert (prints[0]["runtime"], prints[1]["runtime"]) == ("torch", "onnx")
    assert json.loads(prints[1]["onnx_int8"])["reduce_range"] is True and prints[1]["onnx_export"] == 3
    fp32 = dataclasses.replace(config, runtime="onnx", quantize="none")
    fp32_print = run_fingerprint(files, resolve_model_dir(random_model), "jsonl", fp32)
    assert "onnx_int8" not in fp32_print and fp32_print["onnx_export"] == 3


def test_the_export_is_cached_by_the_weights_outside_the_model_directory(tmp_path, cache, monkeypatch):
    import torch
    from transformers import AutoModelForTokenClassification

    from annotator import onnx_model
    from annotator.model import load_model

    monkeypatch.setenv("ANNOTATOR_CACHE", str(tmp_path / "cache"))
    src = _tiny_model_dir(tmp_path / "model")
    listing = sorted(p.name for p in src.iterdir())
    exports = []
    real_export = onnx_model.export
    monkeypatch.setattr(onnx_model, "export", lambda model, path: exports.append(path) or real_export(model, path))
    first = load_model(src, device="cpu", runtime="onnx", quantize="int8").model.path
    assert len(exports) == 1 and first.is_relative_to(tmp_path / "cache" / "onnx")
    assert sorted(p.name for p in first.parent.iterdir()) == ["model.int8.onnx", "model.onnx"]  # no temp files
    again = load_model(src, device="cpu", runtime="onnx", quantize="int8").model.path
    fp32 = load_model(src, device="cpu", runtime="onnx", quantize="none").model.path
    assert again == first and fp32 == first.with_name("model.onnx") and len(exports) == 1  # reused
    assert sorted(p.name for p in src.iterdir()) == listing  # nothing written into the model directory

    model = AutoModelForTokenClassification.from_pretrained(src)
    with torch.no_grad():
        model.classifier.bias += 1.0  # new weights, same config
    model.save_pretrained(src)
    retrained = load_model(src, device="cpu", runtime="onnx").model.path
    assert len(exports) == 2 and retrained.parent != first.parent
    assert len(list((tmp_path / "cache" / "onnx").iterdir())) == 2


def _tiny_model_dir(out: Path) -> Path:
    """A 1-layer random BERT token classifier without word shapes (token types 2, all zeros)."""
    from transformers import BertConfig, BertForTokenClassification

    from annotator.model import DEFAULT_MODEL_DIR

    labels = {0: "O", 1: "B-PER", 2: "I-PER"}
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        num_labels=3,
        id2label=labels,
        label2id={v: k for k, v in labels.items()},
    )
    BertForTokenClassification(config).save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(DEFAULT_MODEL_DIR / name, out / name)
    return out


@pytest.mark.parametrize("command", ["annotate", "evaluate", "predict"])
def test_onnx_with_cuda_or_bf16_fails_before_any_model_loads(tmp_path, command):
    missing = tmp_path / "no-such-model"  # the options are judged first: no model error
    args = {
        "annotate": ["annotate", tmp_path, "-o", tmp_path / "out.jsonl", "-m", missing],
        "evaluate": ["evaluate", "-m", missing, Path(__file__)],
        "predict": ["predict", "-m", missing, "Maria flew to Oslo."],
    }[command]
    result = invoke(*args, "--runtime", "onnx", "--device", "cuda")
    assert result.exit_code == 2
    assert (
        "Error: --runtime onnx runs on the CPU only; pass --device cpu, or --runtime torch for --device cuda\n"
        in result.output
    )
    result = invoke(*args, "--runtime", "onnx", "--precision", "bf16")
    assert result.exit_code == 2
    assert (
        "Error: --runtime onnx computes in fp32 (or int8 with --quantize int8); drop --precision bf16, "
        "or pass --runtime torch for bf16\n" in result.output
    )


def test_onnx_model_refuses_bf16_in_the_tagger_too(random_model):
    from annotator.model import load_model
    from annotator.tagging import WordTagger

    loaded = load_model(random_model, device="cpu", runtime="onnx")
    with pytest.raises(ConfigError, match="drop --precision bf16"):
        WordTagger.from_loaded(loaded, precision="bf16")


def test_without_onnxruntime_the_error_says_how_to_install_it(random_model, monkeypatch):
    from annotator.model import load_model

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime raises ImportError
    hint = "--runtime onnx needs ONNX Runtime, a dependency missing here: pip install onnxruntime onnx"
    with pytest.raises(MissingDependencyError) as info:
        load_model(random_model, device="cpu", runtime="onnx")
    assert str(info.value) == hint
    result = invoke("predict", "-m", random_model, "--runtime", "onnx", "Maria flew to Oslo.")
    assert result.exit_code == 1
    assert result.output.endswith(
        "Error: --runtime onnx needs ONNX Runtime, a dependency missing here: pip install onnxruntime onnx\n"
    )


@pytest.mark.parametrize(
    "options, expected",
    [
        ((), ("onnx", "int8", "auto")),  # the defaults on a CPU: what "auto" became
        (("--runtime", "onnx", "--quantize", "none"), ("onnx", "none", "auto")),
        (("--precision", "fp32"), ("torch", "none", "fp32")),
    ],
)
def test_evaluate_reports_the_runtime(tmp_path, random_model, samples, options, expected):
    out = tmp_path / "report.json"
    result = invoke("evaluate", "-m", random_model, samples / "dev.conll", *options, "-o", out)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert (report["runtime"], report["quantize"], report["precision"]) == expected


def test_quantize_int8_keeps_the_excluded_matmuls_in_fp32(tmp_path, random_model):
    import onnx

    from annotator.model import load_model
    from annotator.onnx_model import quantize_int8

    fp32 = load_model(random_model, device="cpu", runtime="onnx", quantize="none").model.path
    weights = {i.name for i in onnx.load(str(fp32)).graph.initializer}
    for kwargs, kept in (
        ({}, set()),
        ({"exclude_classifier": True}, {"/classifier/MatMul"}),
        ({"exclude_blocks": (-1,)}, {f"/layer.0/{m}/MatMul" for m in LAST_LAYER_MATMULS}),
    ):
        target = tmp_path / "int8.onnx"
        quantize_int8(fp32, target, **kwargs)
        graph = onnx.load(str(target)).graph
        fp32_matmuls = {n.name for n in graph.node if n.op_type == "MatMul" and set(n.input) & weights}
        assert fp32_matmuls == kept, kwargs


# the last block (the only one of random_model), computed at the labelled positions by the export's own module
LAST_LAYER_MATMULS = ("query", "key", "value", "dense", "dense_1", "dense_2")


def test_a_damaged_cache_file_names_itself_and_the_fix(tmp_path, monkeypatch):
    from annotator.errors import ModelError
    from annotator.model import load_model

    monkeypatch.setenv("ANNOTATOR_CACHE", str(tmp_path / "cache"))
    src = _tiny_model_dir(tmp_path / "model")
    path = load_model(src, device="cpu", runtime="onnx").model.path
    path.write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"ONNX Runtime cannot load it .*; delete it to export the model again"):
        load_model(src, device="cpu", runtime="onnx")
