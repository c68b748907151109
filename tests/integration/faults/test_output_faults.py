"""Outputs: never an input, never a file the run did not create without --force, atomic, locked, resumable."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faults_helpers import ROOT, cli, invoke

from annotator.errors import ConfigError, OutputError
from annotator.outputs import Inputs, RunLock, atomic_write, check_output

DOCS = [{"id": f"d{i}", "text": f"Maria Lindqvist flew from Oslo to Toronto on day {i}."} for i in range(12)]


@pytest.fixture
def data(tmp_path) -> Path:
    path = tmp_path / "x.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    return path


def _annotate(model, *args) -> object:
    return invoke("annotate", "-m", model, "-q", *args)


# -- never an input ---------------------------------------------------------------------------------


def test_output_equal_to_the_input_is_refused_even_with_force(data, model):
    before = data.read_bytes()
    result = _annotate(model, data, "-o", data, "--force")
    assert result.code == 2
    assert result.error == f"Error: output {data} is also an input; it would be overwritten: choose another path"
    assert data.read_bytes() == before


def test_output_equal_to_the_input_by_another_name_is_refused(data, model, tmp_path):
    link = tmp_path / "same.jsonl"
    os.link(data, link)
    result = _annotate(model, data, "-o", link, "--force")
    assert result.code == 2 and "is also an input" in result.error


def test_rejects_onto_the_input_is_refused(data, model, tmp_path):
    before = data.read_bytes()
    result = _annotate(model, data, "-o", tmp_path / "o.jsonl", "--rejects", data, "--force")
    assert result.error == f"Error: --rejects {data} is also an input; it would be overwritten: choose another path"
    assert data.read_bytes() == before


def test_output_onto_the_file_stdin_reads_is_refused(data, model):
    before = data.read_bytes()
    result = cli(
        "annotate",
        "-m",
        model,
        "-q",
        "-",
        "-o",
        data,
        "--force",
        stdin=None,
        preexec=lambda: os.dup2(os.open(data, os.O_RDONLY), 0),
    )
    assert result.code == 2
    assert result.error == f"Error: output {data} is also an input; it would be overwritten: choose another path"
    assert data.read_bytes() == before


def test_shard_directory_equal_to_an_input_directory_is_refused(data, model, tmp_path):
    result = _annotate(model, tmp_path, "-o", tmp_path, "--format", "jsonl", "--shard-size", "2", "--force")
    assert result.code == 2
    assert result.error == f"Error: output {tmp_path} is also an input; it would be overwritten: choose another path"
    assert data.exists()


def test_a_directory_holding_inputs_is_never_removed():
    inputs = Inputs.of([ROOT / "samples" / "train.conll"])
    with pytest.raises(ConfigError, match="holds input files; they would be removed"):
        check_output(ROOT / "samples", inputs=inputs, force=True, directory=True)


@pytest.mark.parametrize("target", ["/dev/null", "fifo"])
def test_devices_and_pipes_are_never_replaced(tmp_path, target):
    path = Path(target) if target.startswith("/") else tmp_path / target
    if target == "fifo":
        os.mkfifo(path)
    with pytest.raises(ConfigError, match=r"is not a regular file \(a device, pipe or socket\); write to a file"):
        check_output(path, force=True)


# -- never a file the run did not create, without --force ------------------------------------------


def test_named_rejects_file_needs_force(data, model, tmp_path):
    rejects = tmp_path / "mine.txt"
    rejects.write_text("precious")
    result = _annotate(model, data, "-o", tmp_path / "o.jsonl", "--rejects", rejects)
    assert result.code == 2
    assert result.error == (
        f"Error: {rejects} exists (the rejects of an earlier run?); pass --force to replace it, "
        "or name another file with --rejects"
    )
    assert rejects.read_text() == "precious"


def test_a_stale_rejects_file_never_survives_a_clean_run(data, model, tmp_path):
    stale = tmp_path / "o.rejects.jsonl"
    stale.write_text('{"source": "old", "reason": "from an earlier run"}\n')
    result = _annotate(model, data, "-o", tmp_path / "o.jsonl")
    assert result.code == 0, result.stderr
    assert not stale.exists()


def test_format_that_contradicts_the_suffix_is_refused_unless_forced(data, model, tmp_path):
    out = tmp_path / "x.jsonl.out.jsonl"
    result = _annotate(model, data, "-o", out, "--format", "parquet")
    assert result.code == 2
    assert result.error == (
        f"Error: --format parquet does not match the suffix of {out} (a jsonl name); name the "
        "output x.jsonl.out.parquet, or pass --force to write parquet under that name"
    )
    assert _annotate(model, data, "-o", out, "--format", "parquet", "--force").code == 0
    assert out.read_bytes()[:4] == b"PAR1"


# -- own outputs in an input directory ---------------------------------------------------------------


def test_output_inside_an_input_directory_is_never_read_back(data, model, tmp_path):
    out = tmp_path / "out.jsonl"
    assert _annotate(model, tmp_path, "-o", out).code == 0
    lines = out.read_text().splitlines()
    assert len(lines) == len(DOCS)
    again = _annotate(model, tmp_path, "-o", out, "--force")
    assert again.code == 0 and out.read_text().splitlines() == lines
    (tmp_path / "out.jsonl.parts").mkdir()  # as a killed run leaves it: none of it is input
    (tmp_path / "out.jsonl.parts" / "part-00000.jsonl").write_text(out.read_text())
    (tmp_path / "out.rejects.jsonl").write_text('{"text": "a reject line"}\n')
    assert _annotate(model, tmp_path, "-o", out, "--force").code == 0
    assert out.read_text().splitlines() == lines


# -- failed starts -------------------------------------------------------------------------------------


def test_a_failed_start_leaves_no_parts_directory(data, model, tmp_path):
    out = tmp_path / "o.jsonl"
    result = _annotate(model, data, "-o", out, "--window-overlap", "1000")
    assert result.code == 2
    assert (
        result.error
        == "Error: --window-overlap 1000 is more than half of this model's window (126 subwords); use at most 63"
    )
    assert not (tmp_path / "o.jsonl.parts").exists()
    assert _annotate(model, data, "-o", out).code == 0  # a plain rerun works


# -- the lock -------------------------------------------------------------------------------------------


def test_a_second_run_on_a_live_output_is_refused_by_name(data, model, tmp_path):
    out = tmp_path / "o.jsonl"
    code = (
        "import sys, time\nfrom annotator.outputs import RunLock\n"
        f"RunLock({str(out)!r}).acquire()\nprint('held', flush=True)\ntime.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"held\n"
        for flag in ("--force", "--resume"):
            result = _annotate(model, data, "-o", out, flag)
            assert result.code == 2
            assert result.error == (
                f"Error: {out} is being written by another run (pid {holder.pid}, see {out}.lock); "
                "wait for it to end, or stop it first"
            )
    finally:
        holder.kill()
        holder.wait()
    assert _annotate(model, data, "-o", out).code == 0  # the dead owner's lock does not block
    assert not (tmp_path / "o.jsonl.lock").exists()


def test_lock_in_process(tmp_path):
    first = RunLock(tmp_path / "o.jsonl")
    first.acquire()
    with pytest.raises(ConfigError, match=rf"pid {os.getpid()}"):
        RunLock(tmp_path / "o.jsonl").acquire()
    first.release()
    with RunLock(tmp_path / "o.jsonl"):
        pass


# -- atomic writes and failed writes ----------------------------------------------------------------


def test_atomic_write_keeps_the_old_file_on_error(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError
    assert target.read_text() == "old" and not list(tmp_path.glob("*.tmp"))


def test_a_file_size_limit_is_one_line_and_resumable(data, model, tmp_path):
    big = tmp_path / "big.jsonl"
    big.write_text(
        "".join(
            json.dumps({"id": i, "text": "Maria Lindqvist flew from Oslo to Toronto. " * 20}) + "\n" for i in range(60)
        )
    )
    out = tmp_path / "o.jsonl"

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (40_000, 40_000))

    result = cli("annotate", "-m", model, "-q", big, "-o", out, "--batch-size", "4", preexec=limit)
    assert result.code == 1, result.stderr
    assert result.error.startswith("Error: cannot write ")
    assert result.error.endswith(
        ": File too large; raise the file-size limit (ulimit -f) or write smaller shards "
        "with --shard-size, then continue with --resume"
    )
    resumed = cli("annotate", "-m", model, "-q", big, "-o", out, "--batch-size", "4", "--resume")
    assert resumed.code == 0, resumed.stderr
    reference = cli("annotate", "-m", model, "-q", big, "-o", tmp_path / "ref.jsonl", "--batch-size", "4")
    assert reference.code == 0 and out.read_bytes() == (tmp_path / "ref.jsonl").read_bytes()


def test_no_space_is_one_line_naming_the_path_and_the_fix(tmp_path):
    import errno

    from annotator.outputs import output_error

    error = output_error(
        tmp_path / "o.jsonl.parts" / "part-00003.jsonl",
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
        resumable=True,
    )
    assert isinstance(error, OutputError)
    assert str(error) == (
        f"cannot write {tmp_path}/o.jsonl.parts/part-00003.jsonl: No space left on device; "
        "free some space, then continue with --resume"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_directory_is_one_line(data, model, tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = _annotate(model, data, "-o", locked / "o.jsonl")
        assert result.code == 2
        assert (
            result.error
            == f"Error: output {locked / 'o.jsonl'}: the directory {locked} is not writable; choose another path"
        )
    finally:
        locked.chmod(0o700)


def test_evaluate_never_writes_onto_its_input(model, tmp_path):
    conll = tmp_path / "x.conll"
    conll.write_text((ROOT / "samples" / "dev.conll").read_text())
    before = conll.read_bytes()
    for option in ("--predictions", "--output"):
        result = invoke("evaluate", "-m", model, conll, option, conll)
        assert result.code == 2
        assert result.error == f"Error: {option} {conll} is also an input; it would be overwritten: choose another path"
    assert conll.read_bytes() == before
    report = tmp_path / "r.json"
    report.write_text("{}")
    result = invoke("evaluate", "-m", model, conll, "--output", report)
    assert result.error == f"Error: --output {report} exists; pass --force to overwrite it"
    assert invoke("evaluate", "-m", model, conll, "--output", report, "--force").code == 0


def test_export_never_writes_onto_its_input(tmp_path):
    conll = tmp_path / "x.conll"
    conll.write_text("John B-PER\n")
    result = invoke("export-spacy", conll, "--output", tmp_path / "x.spacy")
    assert result.code == 0, result.stderr
    result = invoke("import-spans", tmp_path / "x.spacy", "-o", conll, "--force")
    assert result.code == 2 and conll.read_text() == "John B-PER\n"


# -- kill -9 at random moments ------------------------------------------------------------------------


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_is_byte_identical(model, tmp_path):
    import random

    corpus = tmp_path / "c.jsonl"
    rng = random.Random(5)
    words = ["Maria", "Lindqvist", "flew", "to", "Oslo", "and", "Vantor", "Labs", "met", "Anna", "."]
    corpus.write_text(
        "".join(
            json.dumps({"id": i, "text": " ".join(rng.choice(words) for _ in range(rng.randint(3, 60)))}) + "\n"
            for i in range(400)
        )
        + "not json\n"
    )
    common = ["-m", model, corpus, "--batch-size", "8", "-q"]
    assert cli("annotate", *common, "-o", tmp_path / "ref.jsonl").code == 0
    out = tmp_path / "out.jsonl"
    args = [sys.executable, "-m", "annotator", "annotate", *map(str, common), "-o", str(out)]
    log = []
    for attempt in range(6):
        proc = subprocess.Popen(args + (["--resume"] if attempt else []), cwd=ROOT, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(1.0, 5.0))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        log.append((attempt, proc.returncode, proc.stderr.read().decode()[-500:]))
        assert proc.returncode in (0, -signal.SIGKILL), log
        if out.exists() and not (tmp_path / "out.jsonl.parts" / "manifest.json").exists():
            break  # finished (a directory without a manifest is the leftovers of the clean-up)
    unfinished = (tmp_path / "out.jsonl.parts" / "manifest.json").exists()
    final = cli("annotate", *common, "-o", out, "--resume") if unfinished else None
    assert final is None or final.code == 0, (final.stderr, log)
    assert out.read_bytes() == (tmp_path / "ref.jsonl").read_bytes(), log
    assert (tmp_path / "out.rejects.jsonl").read_bytes() == (tmp_path / "ref.rejects.jsonl").read_bytes()


def test_a_run_killed_while_it_cleaned_up_is_complete(data, model, tmp_path):
    out = tmp_path / "o.jsonl"
    assert _annotate(model, data, "-o", out).code == 0
    leftovers = tmp_path / "o.jsonl.parts"
    leftovers.mkdir()  # the manifest is removed first, so a directory without one is leftovers
    (leftovers / "part-00003.jsonl").write_text("{}\n")
    result = _annotate(model, data, "-o", out, "--resume")
    assert result.code == 2
    assert (
        result.error
        == f"Error: {out} exists; pass --force to overwrite it (it is complete: there is nothing to resume)"
    )
    assert not leftovers.exists()
