"""The README's two set-up commands are what CI runs; no research data in the repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- setup -->\s*```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert block, "README.md has no <!-- setup --> code block"
    return [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


CI_PRELUDE = {"set -euo pipefail", 'cd "$(dirname "$0")/.."', "rm -rf .venv"}


def test_ci_runs_exactly_the_readme_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith(
        "annotator annotate samples/texts.jsonl -o annotations.jsonl --force && head -n 1 annotations.jsonl"
    )
    assert commands[1] == ". .venv/bin/activate && ruff check . && ruff format --check . && mypy && python -m pytest -q"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    run = [line for line in ci if line.strip() and not line.startswith("#") and line not in CI_PRELUDE]
    assert run == commands


def test_the_readme_sample_input_exists():
    assert (ROOT / "samples" / "texts.jsonl").is_file()


def test_only_the_annotator_package_is_installed():
    """No top-level `training` package in site-packages: the backends live in annotator/training/."""
    from setuptools import find_packages

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = find_packages(str(ROOT), include=include)
    assert "annotator.training" in packages
    assert {name.split(".")[0] for name in packages} == {"annotator"}
    assert pyproject["project"]["license"] == "MIT"  # an SPDX expression, not a table


def test_the_recipe_of_the_shipped_model_runs_the_commands_of_its_card():
    import json

    meta = json.loads((ROOT / "annotator/models/en_conll03_minilm/annotator.json").read_text(encoding="utf-8"))
    recipe = (ROOT / "training" / "en_conll03_minilm.sh").read_text(encoding="utf-8")
    flat = " ".join(recipe.replace("\\\n", " ").split())
    data = "../shared/data/conll2003"
    words = meta["command"].split()
    output = words[words.index("--output") + 1]  # where the model was trained: $OUT in the recipe
    teacher = meta["hyperparameters"]["teacher"]  # the 6-block model: the recipe's step 2, $TEACHER
    base = meta["base_model"]  # the 4-block model narrowed: the recipe's step 4, $OUT-ffn1024
    train = meta["command"].replace(data, "$DATA").replace(output, "$OUT").replace(teacher, "$TEACHER")
    train = train.replace(base, "$OUT-ffn1024")
    for word in train.split():
        assert word in flat.replace('"', ""), word
    assert "--save-dtype float16" in recipe and '--teacher "$TEACHER"' in recipe
    assert 'python training/prune_ffn.py "$FOUR" "$OUT-ffn1024" --keep 1024' in recipe
    for step in meta.get("post_processing", []):  # e.g. python -m annotator.training.rescore DIR --cased-entities
        assert step.replace(output, '"$OUT"') in flat, step


def test_no_conll2003_text_is_tracked():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not files:  # not a git checkout (e.g. an sdist): nothing to check
        return
    pattern = re.compile(r"^(rejects VBZ B-VP O|Peter NNP B-NP B-PER|Nadim NNP B-NP B-PER)$", re.M)
    for name in files:
        path = ROOT / name
        if path.suffix in {".safetensors", ".bin"} or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        assert not pattern.search(text), f"{name} holds CoNLL-2003 text"


def test_importing_the_library_sets_no_environment_variables():
    """HF_*_OFFLINE is the CLI's business (set in its entry point), not a side effect of `import annotator`."""
    code = (
        "import os; before = dict(os.environ); import annotator.model, annotator.inference, annotator.run; "
        "print(sorted(set(os.environ) - set(before)))"
    )
    env = {k: v for k, v in os.environ.items() if "OFFLINE" not in k}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
