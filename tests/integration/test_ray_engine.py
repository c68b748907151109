"""`annotate --engine ray` on a local Ray (loopback, 2 CPUs): the local engine's records, in input order,
the same rejects, every document exactly once when a model actor is killed, resume, the CLI."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from annotator.cli import main
from annotator.run import AnnotateConfig, annotate
from annotator.writers import read_jsonl

ROOT = Path(__file__).resolve().parents[2]
HAS_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason='needs Ray Data: pip install -e ".[ray]"')
WORDS = [
    "Maria",
    "Lindqvist",
    "flew",
    "from",
    "Oslo",
    "to",
    "Toronto",
    "with",
    "Vantor",
    "Labs",
    "and",
    "the",
    "Nordic",
    "team",
    "of",
    "Greenline",
    "Rail",
    "on",
    "Friday",
    ".",
]


def short_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 14))) + "." for _ in range(n)]


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray for the module, on loopback, its workers importing this checkout."""
    if not HAS_RAY:
        pytest.skip('needs Ray Data: pip install -e ".[ray]"')
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="WARNING",
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}},
    )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """3,000 short documents and two bad records (one not JSON, one without text)."""
    path = tmp_path_factory.mktemp("ray") / "corpus.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for i, text in enumerate(short_texts(3000, seed=12)):
            out.write(json.dumps({"id": f"d{i}", "text": text, "n": i}) + "\n")
            if i == 100:
                out.write("not json\n")
            if i == 2000:
                out.write('{"id": "no-text"}\n')
    return path


def on_ray(inputs, out: Path, model: Path, *, workers: int = 2, preserve_order: bool = True, **kwargs):
    from annotator.ray_engine import RayOptions, annotate_on_ray

    config = AnnotateConfig(model=model, progress=False, device="cpu", **kwargs)
    return annotate_on_ray(
        [str(i) for i in inputs],
        out,
        config=config,
        options=RayOptions(num_workers=workers, preserve_order=preserve_order),
    )


def locally(inputs, out: Path, model: Path, **kwargs):
    return annotate(
        [str(i) for i in inputs],
        out,
        config=AnnotateConfig(model=model, progress=False, device="cpu", workers=0, **kwargs),
    )


def parts(out: Path) -> list[Path]:
    return sorted(out.glob("part-*"))


@needs_ray
def test_samples_and_long_documents_give_the_local_engines_bytes(
    tmp_path, local_ray, random_model, samples, monkeypatch
):
    from annotator.readers import ReaderOptions

    monkeypatch.setattr("annotator.stages.LONG_DOC_CHARS", 3_000)  # these are streamed piece by piece
    monkeypatch.setattr("annotator.stages.PIECE_WINDOWS", 4)
    long_docs = tmp_path / "long.txt"
    long_docs.write_text("".join(" ".join(short_texts(400, seed)) + "\n" for seed in (1, 2)) + "Oslo.\n")
    inputs = [samples / "texts.jsonl", samples / "texts.txt", long_docs]
    reader = ReaderOptions(lines=True)  # the txt files: a document per line
    local = tmp_path / "local.jsonl"
    locally(inputs, local, random_model, reader=reader)
    out = tmp_path / "out"
    stats = on_ray(inputs, out, random_model, reader=reader, workers=1, format="jsonl")
    assert (stats.read, stats.annotated, stats.rejected) == (19, 19, 0)
    assert [p.name for p in parts(out)] == [f"part-0000{i}-000000000000.jsonl" for i in range(3)]
    assert b"".join(p.read_bytes() for p in parts(out)) == local.read_bytes()


@needs_ray
def test_a_corpus_gives_the_local_records_in_input_order_and_the_same_rejects(
    tmp_path, local_ray, random_model, corpus, samples
):
    from annotator.ray_engine import read_output

    local = tmp_path / "local.jsonl"
    locally([corpus, samples / "texts.jsonl"], local, random_model, batch_size=64)
    out = tmp_path / "out.parquet"
    stats = on_ray([corpus, samples / "texts.jsonl"], out, random_model, batch_size=64)
    assert (stats.read, stats.annotated, stats.rejected) == (3010, 3008, 2)
    assert len(parts(out)) == 48  # 3,002 items in batches of 64, then the samples
    assert parts(out)[-1].name == "part-00001-000000000000.parquet"
    expected = list(read_jsonl(local))
    got = list(read_output(out))
    assert [r["id"] for r in got] == [r["id"] for r in expected]
    assert got == expected
    assert (tmp_path / "out.rejects.jsonl").read_bytes() == (tmp_path / "local.rejects.jsonl").read_bytes()
    assert not (out / ".rejects").exists()


def _actor_pids() -> list[int]:
    """Processes of the model actors (Ray titles them ``ray::MapWorker(MapBatches(AnnotateBatches))``)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if b"MapBatches(AnnotateBatches)" in handle.read():
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


@needs_ray
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the actor's process in /proc")
def test_a_killed_model_worker_loses_no_document_and_doubles_none(tmp_path, local_ray, random_model, corpus):
    from annotator.ray_engine import read_output

    out = tmp_path / "out.jsonl"
    killed: list[tuple[int, int]] = []  # (pid, parts written when it was killed)

    def kill_one_actor() -> None:
        deadline = time.time() + 240
        while time.time() < deadline and not killed:
            written = len(parts(out)) if out.exists() else 0
            pids = _actor_pids()
            if written >= 5 and pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append((pids[0], written))
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_actor, daemon=True)
    killer.start()
    stats = on_ray([corpus], out, random_model, batch_size=16, preserve_order=False)
    killer.join(timeout=1)
    assert killed and killed[0][1] < 188, f"no actor was killed in the middle of the job: {killed}"
    assert (stats.read, stats.annotated, stats.rejected) == (3002, 3000, 2)
    ids = [r["id"] for r in read_output(out)]
    assert ids == [f"d{i}" for i in range(3000)]  # every document once, in input order by part name
    local = tmp_path / "local.jsonl"
    locally([corpus], local, random_model, batch_size=16)
    assert list(read_output(out)) == list(read_jsonl(local))


@needs_ray
def test_resume_redoes_only_the_missing_parts(tmp_path, local_ray, random_model, samples):
    texts = tmp_path / "texts.jsonl"
    texts.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(short_texts(40, 3))))
    out = tmp_path / "out.jsonl"
    on_ray([texts], out, random_model, batch_size=8, workers=1)
    before = {p.name: p.read_bytes() for p in parts(out)}
    assert len(before) == 5
    # as a run killed after three parts leaves it
    manifest = json.loads((out / ".annotator-ray.json").read_text())
    (out / ".annotator-ray.json").write_text(json.dumps({**manifest, "finished": False}))
    for p in parts(out)[3:]:
        p.unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in parts(out)}
    with pytest.raises(Exception, match="holds an interrupted run; pass --resume"):
        on_ray([texts], out, random_model, batch_size=8, workers=1)
    stats = on_ray([texts], out, random_model, batch_size=8, workers=1, resume=True)
    assert (stats.read, stats.resumed_from, stats.annotated) == (40, 24, 40)
    assert {p.name: p.stat().st_mtime_ns for p in parts(out)[:3]} == kept
    assert {p.name: p.read_bytes() for p in parts(out)} == before
    with pytest.raises(Exception, match="it is complete: there is nothing to resume"):
        on_ray([texts], out, random_model, batch_size=8, workers=1, resume=True)


@needs_ray
def test_strict_stops_at_the_first_bad_record(tmp_path, local_ray, random_model):
    from annotator.errors import InputFormatError

    texts = tmp_path / "texts.jsonl"
    texts.write_text('{"text": "Maria flew to Oslo."}\n{"id": "x"}\n')
    with pytest.raises(InputFormatError) as info:
        on_ray([texts], tmp_path / "out", random_model, format="jsonl", strict=True, workers=1)
    assert str(info.value) == f"{texts}:2: no field 'text' (drop --strict to collect rejects and go on)"


@needs_ray
def test_the_cli_command(tmp_path, local_ray, random_model, corpus, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main,
        [
            "annotate",
            str(corpus),
            "-o",
            "out",
            "--format",
            "jsonl",
            "--engine",
            "ray",
            "--num-workers",
            "2",
            "--preserve-order",
            "-m",
            str(random_model),
            "--device",
            "cpu",
            "--batch-size",
            "512",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "read 3,002 documents: 3,000 annotated, 2 rejected (see out.rejects.jsonl)" in result.output
    local = tmp_path / "local.jsonl"
    locally([corpus], local, random_model, batch_size=512)
    assert b"".join(p.read_bytes() for p in parts(tmp_path / "out")) == local.read_bytes()


def test_without_ray_the_error_says_how_to_install_it(tmp_path, monkeypatch, samples):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    result = CliRunner().invoke(
        main,
        ["annotate", str(samples / "texts.jsonl"), "-o", str(tmp_path / "out"), "--format", "jsonl", "--engine", "ray"],
    )
    assert result.exit_code == 1
    assert result.output == 'Error: the Ray engine needs Ray Data: pip install -e ".[ray]" (ray[data]==2.60.0)\n'
    assert not (tmp_path / "out").exists()


def test_ray_options_need_the_ray_engine(tmp_path, samples):
    result = CliRunner().invoke(
        main, ["annotate", str(samples / "texts.jsonl"), "-o", str(tmp_path / "o.jsonl"), "--num-workers", "2"]
    )
    assert result.exit_code == 2
    assert result.output.endswith("Error: --num-workers applies only to --engine ray\n")


class _Cluster:
    """What ``_resources`` reads of a Ray module: the cluster's resources."""

    def __init__(self, **resources: float):
        self.resources = resources

    def cluster_resources(self) -> dict[str, float]:
        return self.resources


def test_gpus_are_reserved_only_where_the_model_runs_on_them():
    from annotator.errors import ConfigError
    from annotator.ray_engine import RayOptions, _resources

    gpu_cluster = _Cluster(GPU=2.0, CPU=16.0)
    assert _resources(gpu_cluster, RayOptions()) == (2, 1.0, 1.0)  # one actor per GPU
    # --runtime onnx or --device cpu: the model runs on the CPU; its actors hold no GPU
    assert _resources(gpu_cluster, RayOptions(), cpu_only=True) == (1, 0.0, 1.0)
    assert _resources(gpu_cluster, RayOptions(num_workers=3), cpu_only=True) == (3, 0.0, 1.0)
    with pytest.raises(ConfigError, match="runs on the CPU"):
        _resources(gpu_cluster, RayOptions(gpus_per_worker=1.0), cpu_only=True)
    with pytest.raises(ConfigError, match="needs 3 GPUs; the cluster has 2"):
        _resources(gpu_cluster, RayOptions(num_workers=3))
    assert _resources(_Cluster(CPU=2.0), RayOptions()) == (1, 0.0, 1.0)  # a CPU-only cluster
