"""`annotator evaluate --report` and the report `annotator train` writes, end to end with tiny models."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from annotator.cli import main


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_evaluate_writes_an_html_report_with_the_numbers_of_the_json(tmp_path, tiny_models, samples, parse_report):
    html, out = tmp_path / "r.html", tmp_path / "r.json"
    result = invoke(
        "evaluate",
        "--model",
        tiny_models["torch"],
        samples / "dev.conll",
        "--report",
        html,
        "-o",
        out,
        "--report-examples",
        7,
    )
    assert result.exit_code == 0, result.output
    assert f"HTML report written to {html}" in result.output
    report = json.loads(out.read_text())
    errors = report["errors"]
    assert "errors: missed " in result.output
    c = errors["counts"]
    paired = c["correct"] + c["wrong_type"] + c["wrong_boundary"] + c["wrong_type_and_boundary"]
    assert paired + c["missed"] == errors["gold"] == sum(v["support"] for v in report["per_type"].values())
    assert paired + c["spurious"] == errors["predicted"]
    assert len(report["worst_sentences"]) <= 7
    page = parse_report(html.read_text(encoding="utf-8"))
    assert page.mismatches(report) == []
    assert page.sections == ["model", "scores", "errors", "confusion", "thresholds", "training", "worst"]
    assert report["model_card"]["path"] == str(tiny_models["torch"].resolve())
    assert report["model_card"]["command"].startswith("annotator train --backend torch")


def test_compare_sets_another_report_beside_this_one(tmp_path, tiny_models, samples, parse_report):
    first = tmp_path / "first.json"
    assert invoke("evaluate", "-m", tiny_models["trainer"], samples / "dev.conll", "-o", first).exit_code == 0
    html, out = tmp_path / "r.html", tmp_path / "r.json"
    result = invoke(
        "evaluate", "-m", tiny_models["torch"], samples / "dev.conll", "--report", html, "-o", out, "--compare", first
    )
    assert result.exit_code == 0, result.output
    report, other = json.loads(out.read_text()), json.loads(first.read_text())
    comparison = report["comparison"]
    assert comparison["report"] == str(first) and comparison["model"] == other["model"]
    assert comparison["overall"]["f1"]["diff"] == report["overall"]["f1"] - other["overall"]["f1"]
    assert comparison["errors"]["missed"] == {
        "this": report["errors"]["counts"]["missed"],
        "other": other["errors"]["counts"]["missed"],
        "diff": report["errors"]["counts"]["missed"] - other["errors"]["counts"]["missed"],
    }
    page = parse_report(html.read_text(encoding="utf-8"))
    assert page.mismatches(report) == []
    assert page.rows("overall")["other"][0] == f"{other['overall']['f1']:.4f}"
    assert page.head("error-kinds")[-2:] == ["other", "Δ"]


def test_report_options_are_checked_before_the_model_loads(tmp_path, samples):
    missing_model = tmp_path / "no-model"
    result = invoke("evaluate", "-m", missing_model, samples / "dev.conll", "--compare", tmp_path / "none.json")
    assert result.exit_code == 2
    assert f"Error: --compare {tmp_path / 'none.json'}: no such file" in result.output
    not_a_report = tmp_path / "x.json"
    not_a_report.write_text('{"f1": 1}')
    result = invoke("evaluate", "-m", missing_model, samples / "dev.conll", "--compare", not_a_report)
    assert result.exit_code == 2
    assert (
        f"Error: --compare {not_a_report}: not a report of `annotator evaluate --output` "
        '(it needs "overall" and "per_type")'
    ) in result.output
    result = invoke("evaluate", "-m", missing_model, samples / "dev.conll", "--report-examples", -1)
    assert result.exit_code == 2 and "Error: --report-examples must be 0 or more" in result.output
    result = invoke("evaluate", "-m", missing_model, samples / "dev.conll", "--report", tmp_path / "no" / "r.html")
    assert result.exit_code == 2
    assert f"Error: --report {tmp_path / 'no' / 'r.html'}: directory {tmp_path / 'no'} does not exist" in result.output


def test_train_writes_the_dev_report_with_the_epoch_curve(tiny_models, samples, parse_report):
    out = tiny_models["trainer"]
    report = json.loads((out / "report.json").read_text())
    meta = json.loads((out / "annotator.json").read_text())
    assert report["overall"] == meta["scores"]["dev"]["overall"]
    assert report["files"] == [str(samples / "dev.conll")]
    assert [h["dev_f1"] for h in report["model_card"]["history"]] == [
        h["dev"]["overall"]["f1"] for h in meta["history"]
    ]
    page = parse_report((out / "report.html").read_text(encoding="utf-8"))
    assert page.mismatches(report) == []
    assert "training" in page.sections and "history" in page.tables


def test_report_renders_in_headless_chromium_without_console_messages(tmp_path, tiny_models, samples):
    import shutil
    import subprocess

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium)")
    html = tmp_path / "r.html"
    assert invoke("evaluate", "-m", tiny_models["torch"], samples / "dev.conll", "--report", html).exit_code == 0
    run = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            html.resolve().as_uri(),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert [line for line in run.stderr.splitlines() if ":CONSOLE" in line] == []
    assert '<section id="worst">' in run.stdout and "<svg" in run.stdout
