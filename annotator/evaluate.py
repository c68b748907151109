"""`annotator evaluate`: word-level predictions on CoNLL files, scored as conlleval counts, with the error
analysis of :mod:`annotator.analysis`; the report as JSON and as HTML (:mod:`annotator.report_html`)."""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypedDict

from .analysis import ERROR_KINDS, ErrorAnalysis, compare_reports
from .conll import ConllFormat, Sentence, read_documents
from .errors import ConfigError, InputFormatError
from .outputs import Inputs, atomic_open, atomic_write_text, check_output
from .scoring import Overall, TypeScores, score
from .tagging import Decoded, WordTagger

DEFAULT_EXAMPLES = 50  # worst sentences in a report


def tag_documents(documents: Iterable[list[Sentence]], tagger: WordTagger) -> Iterator[tuple[list[Sentence], Decoded]]:
    """Yield ``(document, (tags, probabilities) per sentence)`` for every document, in order."""
    pending: deque[list[Sentence]] = deque()

    def words() -> Iterable[list[tuple[str, ...]]]:
        for doc in documents:
            pending.append(doc)
            yield [s.words for s in doc]

    for decoded in tagger.tag_documents_scored(words()):
        yield pending.popleft(), decoded


def tag_conll(
    paths: Sequence[str | Path], tagger: WordTagger, *, fmt: ConllFormat = ConllFormat()
) -> Iterator[tuple[list[Sentence], Decoded]]:
    """Yield ``(document, (tags, probabilities) per sentence)`` for every document of ``paths``, in order.
    A file without a sentence is an InputFormatError (nothing to score)."""
    return tag_documents(_documents(paths, fmt), tagger)


def _documents(paths: Sequence[str | Path], fmt: ConllFormat) -> Iterator[list[Sentence]]:
    for path in paths:
        sentences = 0
        for doc in read_documents(path, fmt=fmt):
            sentences += len(doc)
            yield doc
        if not sentences:
            raise InputFormatError(
                path,
                None,
                "holds no sentences (empty, or only -DOCSTART- lines)",
                fix="give a CoNLL file with one `token ... TAG` line per word",
            )


class _Scored(TypedDict):
    overall: Overall
    per_type: dict[str, TypeScores]
    documents: int
    sentences: int
    tokens: int
    files: list[str]
    errors: dict[str, Any]  # the error analysis of annotator.analysis (ErrorAnalysis.report)
    confusion: dict[str, dict[str, int]]
    worst_sentences: list[dict[str, Any]]
    thresholds: list[dict[str, Any]]


class Report(_Scored, total=False):
    """What `annotator evaluate` reports (and writes as JSON with --output); the run's settings and the
    model card are there when a model was run."""

    model: str
    decoding: str
    quantize: str
    precision: str
    runtime: str
    model_card: dict[str, Any]
    comparison: dict[str, Any] | None


def score_tagged(
    tagged: Iterable[tuple[list[Sentence], Decoded]],
    *,
    files: Sequence[str | Path] = (),
    examples: int = DEFAULT_EXAMPLES,
    predictions: str | Path | None = None,
) -> Report:
    """The report of tagged documents: scores (:func:`annotator.scoring.score`), counts, and the error
    analysis of :mod:`annotator.analysis` (error kinds, confusion matrix, the ``examples`` worst
    sentences, the threshold curve). ``files`` names the paths the sentences come from, so that each
    worst sentence says ``files[file]:line``. Writes ``token gold pred`` lines to ``predictions``."""
    file_index = {str(Path(p)): i for i, p in enumerate(files)}
    analysis = ErrorAnalysis(examples=examples)
    gold: list[list[str]] = []
    pred: list[list[str]] = []
    n_docs = 0
    with ExitStack() as stack:
        handle = stack.enter_context(atomic_open(predictions, "w", encoding="utf-8")) if predictions else None
        for doc, decoded in tagged:
            n_docs += 1
            for sentence, (tags, probs) in zip(doc, decoded):
                gold.append(list(sentence.tags))
                pred.append(tags)
                analysis.add_tags(
                    sentence.words,
                    sentence.tags,
                    tags,
                    probs,
                    file=file_index.get(sentence.path, 0),
                    line=sentence.line,
                )
                if handle:
                    handle.writelines(f"{w} {g} {p}\n" for w, g, p in zip(sentence.words, sentence.tags, tags))
                    handle.write("\n")
    scores = score(gold, pred)
    found = analysis.report()
    return {
        "overall": scores["overall"],
        "per_type": scores["per_type"],
        "documents": n_docs,
        "sentences": len(gold),
        "tokens": sum(len(s) for s in gold),
        "files": [str(p) for p in files],
        "errors": found["errors"],
        "confusion": found["confusion"],
        "worst_sentences": found["worst_sentences"],
        "thresholds": found["thresholds"],
    }


def read_report(path: str | Path) -> dict:
    """A JSON report written by `annotator evaluate --output` (to compare with); ConfigError if it is not one."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"--compare {path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"--compare {path}: not a JSON report ({exc})") from None
    if (
        not isinstance(report, dict)
        or not isinstance(report.get("overall"), dict)
        or not isinstance(report.get("per_type"), dict)
    ):
        raise ConfigError(
            f'--compare {path}: not a report of `annotator evaluate --output` (it needs "overall" and "per_type")'
        )
    return report


def model_card(model_dir: str | Path | None) -> dict:
    """The model facts a report shows, from the directory's config and annotator.json (no weights loaded):
    path, base encoder, training data, the training command and the per-epoch dev F1."""
    from .model import describe_model, read_meta, resolve_model_dir

    facts = describe_model(model_dir)
    meta = read_meta(resolve_model_dir(model_dir))
    return {
        "path": facts["path"],
        "default": facts["default"],
        "base_model": facts["base_model"],
        "architecture": facts["architecture"],
        "layers": facts["layers"],
        "hidden_size": facts["hidden_size"],
        "max_length": facts["max_length"],
        "context": facts["context"],
        "entity_types": facts["entity_types"],
        "data": meta.get("data"),
        "command": facts["trained_with"],
        "history": [
            {
                "epoch": h.get("epoch"),
                "train_loss": h.get("train_loss"),
                "dev_f1": (h.get("dev") or {}).get("overall", {}).get("f1"),
            }
            for h in meta.get("history") or []
        ],
    }


def check_report_paths(
    *, report: str | Path | None = None, output: str | Path | None = None, examples: int = DEFAULT_EXAMPLES
) -> None:
    """Refuse a report option that cannot work, before any model loads."""
    if examples < 0:
        raise ConfigError("--report-examples must be 0 or more")
    for option, path in (("--report", report), ("--output", output)):
        if path is not None and not Path(path).parent.is_dir():
            raise ConfigError(f"{option} {path}: directory {Path(path).parent} does not exist")


def evaluate_files(
    paths: Sequence[str | Path],
    *,
    model: str | Path | None = None,
    fmt: ConllFormat = ConllFormat(),
    device: str = "auto",
    output: str | Path | None = None,
    predictions: str | Path | None = None,
    report: str | Path | None = None,
    report_examples: int = DEFAULT_EXAMPLES,
    compare: str | Path | None = None,
    batch_tokens: int | None = None,
    decoding: str = "constrained",
    quantize: str = "auto",
    precision: str = "auto",
    runtime: str = "auto",
    force: bool = False,
) -> Report:
    """Score ``model`` (default: the shipped model) on CoNLL ``paths``, pooled over all files.

    Returns the report ``{"overall", "per_type", "documents", "sentences", "tokens", "errors",
    "confusion", "worst_sentences", "thresholds", "model_card", "comparison", ...}``; writes it as
    JSON to ``output`` and as one self-contained HTML page to ``report``, and ``token gold pred``
    lines (blank line between sentences, the input conlleval reads) to ``predictions``, if given:
    never onto an input, an existing file only with ``force``, each written whole or not at all.
    ``compare``: a JSON report of another run, set beside this one's numbers.
    """
    from .model import check_runtime, load_model

    check_runtime(runtime, device=device, precision=precision)
    check_report_paths(report=report, output=output, examples=report_examples)
    reads = Inputs.of(paths)
    targets = [
        (option, Path(p))
        for option, p in (("--output", output), ("--predictions", predictions), ("--report", report))
        if p
    ]
    for option, target in targets:
        check_output(target, inputs=reads, force=force, what=option)
    if len({os.path.abspath(target) for _, target in targets}) < len(targets):
        raise ConfigError("--output, --predictions and --report must name different files")
    other = read_report(compare) if compare else None
    loaded = load_model(model, device=device, quantize=quantize, runtime=runtime, precision=precision)
    tagger = WordTagger.from_loaded(loaded, batch_tokens=batch_tokens, decoding=decoding, precision=precision)
    result = score_tagged(
        tag_conll(paths, tagger, fmt=fmt), files=paths, examples=report_examples, predictions=predictions
    )
    result["model"] = str(loaded.path)
    result["decoding"] = decoding
    result["quantize"] = loaded.quantize  # what "auto" became
    result["precision"] = precision
    result["runtime"] = loaded.runtime
    result["model_card"] = model_card(model)
    result["comparison"] = compare_reports(result, other) | {"report": str(compare)} if other else None
    write_reports(result, output=output, html=report)
    return result


def write_reports(report: Report, *, output: str | Path | None = None, html: str | Path | None = None) -> None:
    """Write ``report`` as JSON to ``output`` and as HTML (:mod:`annotator.report_html`) to ``html``."""
    if output:
        atomic_write_text(output, json.dumps(report, indent=2) + "\n")
    if html:
        from .report_html import render_report

        atomic_write_text(html, render_report(report))


def write_model_report(model_dir: str | Path, *, report: Report, tagger: WordTagger) -> Report:
    """Write ``report`` (:func:`score_tagged` of a trained model's dev set, scored with ``tagger``) as
    ``report.json`` and ``report.html`` into ``model_dir``, which must already hold its annotator.json
    (the model card facts and history)."""
    report["model"] = str(model_dir)
    report["decoding"] = tagger.decoding
    report["quantize"] = "none"
    report["precision"] = "bf16" if tagger.bf16 else "fp32"
    report["runtime"] = "torch"
    report["model_card"] = model_card(model_dir)
    report["comparison"] = None
    write_reports(report, output=Path(model_dir) / "report.json", html=Path(model_dir) / "report.html")
    return report


def format_report(report: Report) -> str:
    """The report as a fixed-width table (per type, then micro/strict/macro/accuracy)."""
    rows = [f"{'type':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
    for name, v in report["per_type"].items():
        rows.append(f"{name:<16}{v['precision']:>10.4f}{v['recall']:>10.4f}{v['f1']:>10.4f}{v['support']:>9}")
    o = report["overall"]
    support = sum(v["support"] for v in report["per_type"].values())
    rows.append(f"{'overall (micro)':<16}{o['precision']:>10.4f}{o['recall']:>10.4f}{o['f1']:>10.4f}{support:>9}")
    rows.append("")
    rows.append(
        f"strict F1 (IOB2) {o['f1_strict']:.4f}   macro F1 {o['f1_macro']:.4f}   token accuracy {o['accuracy']:.4f}"
    )
    rows.append(f"{report['documents']} documents, {report['sentences']} sentences, {report['tokens']} tokens")
    if "errors" in report:
        counts = report["errors"]["counts"]
        rows.append(
            "errors: "
            + ", ".join(f"{kind.replace('_', ' ')} {counts[kind]}" for kind in ERROR_KINDS)
            + f" ({report['errors']['gold']} gold, {report['errors']['predicted']} predicted entities)"
        )
    return "\n".join(rows)
