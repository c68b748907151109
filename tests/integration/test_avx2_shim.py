"""benchmarks/avx2/run.sh, which measures the AVX2 code paths on a CPU that has AVX512 (BENCHMARKS.md): a
command under it sees an AVX2-only CPU, and torch and ONNX Runtime pick their AVX2 kernels."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "avx2" / "run.sh"

PROBE = """
import numpy as np, onnxruntime as ort, torch
from onnx import TensorProto, helper

k = 64  # u8 255 times s8 127, summed over k: exact on VNNI, pairs capped at 32767 by AVX2's vpmaddubsw
weights = helper.make_tensor("B", TensorProto.INT8, [k, 16], np.full((k, 16), 127, np.int8).tobytes(), raw=True)
graph = helper.make_graph(
    [helper.make_node("MatMulInteger", ["A", "B"], ["Y"])], "g",
    [helper.make_tensor_value_info("A", TensorProto.UINT8, [None, k])],
    [helper.make_tensor_value_info("Y", TensorProto.INT32, [None, 16])], initializer=[weights])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
got = int(session.run(None, {"A": np.full((8, k), 255, np.uint8)})[0][0, 0])
print(torch.backends.cpu.get_cpu_capability(), torch.cpu._is_vnni_supported(), got == 255 * 127 * k, got)
"""


def _flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    return set(next((line for line in text.splitlines() if line.startswith("flags")), "").split())


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the shim hides x86-64 CPU features")
def test_run_sh_shows_an_avx2_cpu_to_torch_and_onnx_runtime(tmp_path):
    pytest.importorskip("onnxruntime", reason="needs ONNX Runtime (a dependency)")
    flags = _flags()
    if "cpuid_fault" not in flags or "avx2" not in flags or shutil.which("gcc") is None:
        pytest.skip("needs gcc and an x86-64 CPU with AVX2 and CPUID faulting (cpuid_fault in /proc/cpuinfo)")
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    env = {**os.environ, "TMPDIR": str(tmp_path), "HIDE_AVX512_COUNT": "1"}
    shown = subprocess.run(
        ["bash", str(RUN), sys.executable, str(probe)], capture_output=True, text=True, env=env, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    capability, vnni, exact, got = shown.stdout.split()
    assert (capability, vnni, exact, int(got)) == ("AVX2", "False", "False", 32767 * 32)  # saturated pairs
    assert "CPUID instructions trapped" in shown.stderr
    real = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, timeout=120)
    if "avx512_vnni" in flags:  # without the shim: the VNNI kernel, exact
        assert real.stdout.split()[1:3] == ["True", "True"], real.stdout
