"""Helpers of the bad-input and fault suite: run a command, get its exit code and its one-line error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[3]


class Result:
    def __init__(self, code: int, stdout: str, stderr: str):
        self.code, self.stdout, self.stderr = code, stdout, stderr

    @property
    def error(self) -> str:
        """The last line on stderr (the one-line message), checked to come without a traceback."""
        assert "Traceback" not in self.stderr, self.stderr
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def cli(*args, stdin: bytes | None = None, env: dict | None = None, preexec=None, timeout: float = 300) -> Result:
    """Run ``python -m annotator ARGS`` in a subprocess (real stdin, real exit code, real stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "annotator", *map(str, args)],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "OMP_NUM_THREADS": "1", **(env or {})},
        preexec_fn=preexec,
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


def invoke(*args, stdin: str | bytes | None = None) -> Result:
    """Run the CLI in-process (fast): exit code and output, errors included."""
    from annotator.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args], input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)
