"""`annotator evaluate`: word-level predictions on CoNLL files, scored as conlleval counts."""

from __future__ import annotations

import contextlib
import json
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .conll import ConllFormat, Sentence, read_documents
from .errors import ConfigError, InputFormatError
from .outputs import Inputs, atomic_open, atomic_write_text, check_output
from .scoring import score
from .tagging import WordTagger


def tag_conll(paths: Sequence[str | Path], tagger: WordTagger, *, fmt: ConllFormat = ConllFormat()
              ) -> Iterator[tuple[list[Sentence], list[list[str]]]]:
    """Yield ``(document, predicted tags per sentence)`` for every document of ``paths``, in order."""
    pending: deque[list[Sentence]] = deque()

    def words() -> Iterable[list[tuple[str, ...]]]:
        for path in paths:
            sentences = 0
            for doc in read_documents(path, fmt=fmt):
                pending.append(doc)
                sentences += len(doc)
                yield [s.words for s in doc]
            if not sentences:
                raise InputFormatError(path, None, "holds no sentences (empty, or only -DOCSTART- lines)",
                                       fix="give a CoNLL file with one `token ... TAG` line per word")

    for doc_tags in tagger.tag_documents(words()):
        yield pending.popleft(), doc_tags


def evaluate_files(
    paths: Sequence[str | Path],
    *,
    model: str | Path | None = None,
    fmt: ConllFormat = ConllFormat(),
    device: str = "auto",
    output: str | Path | None = None,
    predictions: str | Path | None = None,
    batch_tokens: int | None = None,
    decoding: str = "constrained",
    quantize: str = "none",
    precision: str = "auto",
    force: bool = False,
) -> dict:
    """Score ``model`` (default: the shipped model) on CoNLL ``paths``, pooled over all files.

    Returns the report ``{"overall", "per_type", "documents", "sentences", "tokens", ...}``; writes
    it as JSON to ``output``, and ``token gold pred`` lines (blank line between sentences, the
    input conlleval reads) to ``predictions``, if given: never onto an input, an existing file only
    with ``force``, each written whole or not at all.
    """
    from .model import load_model

    reads = Inputs.of(paths)
    targets = [(option, Path(p)) for option, p in (("--output", output), ("--predictions", predictions)) if p]
    for option, target in targets:
        check_output(target, inputs=reads, force=force, what=option)
    if len(targets) == 2 and os.path.abspath(targets[0][1]) == os.path.abspath(targets[1][1]):
        raise ConfigError("--output and --predictions name the same file; give two names")
    loaded = load_model(model, device=device, quantize=quantize)
    tagger = WordTagger.from_loaded(loaded, batch_tokens=batch_tokens, decoding=decoding, precision=precision)
    gold: list[list[str]] = []
    pred: list[list[str]] = []
    n_docs = 0
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(atomic_open(predictions, "w", encoding="utf-8")) if predictions else None
        for doc, doc_tags in tag_conll(paths, tagger, fmt=fmt):
            n_docs += 1
            for sentence, tags in zip(doc, doc_tags):
                gold.append(list(sentence.tags))
                pred.append(tags)
                if handle:
                    handle.writelines(f"{w} {g} {p}\n" for w, g, p in zip(sentence.words, sentence.tags, tags))
                    handle.write("\n")
    report = score(gold, pred)
    report.update({
        "documents": n_docs,
        "sentences": len(gold),
        "tokens": sum(len(s) for s in gold),
        "files": [str(p) for p in paths],
        "model": str(loaded.path),
        "decoding": decoding,
        "quantize": quantize,
        "precision": precision,
    })
    if output:
        atomic_write_text(output, json.dumps(report, indent=2) + "\n")
    return report


def format_report(report: dict) -> str:
    """The report as a fixed-width table (per type, then micro/strict/macro/accuracy)."""
    rows = [f"{'type':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
    for name, v in report["per_type"].items():
        rows.append(f"{name:<16}{v['precision']:>10.4f}{v['recall']:>10.4f}{v['f1']:>10.4f}{v['support']:>9}")
    o = report["overall"]
    support = sum(v["support"] for v in report["per_type"].values())
    rows.append(f"{'overall (micro)':<16}{o['precision']:>10.4f}{o['recall']:>10.4f}{o['f1']:>10.4f}{support:>9}")
    rows.append("")
    rows.append(f"strict F1 (IOB2) {o['f1_strict']:.4f}   macro F1 {o['f1_macro']:.4f}   "
                f"token accuracy {o['accuracy']:.4f}")
    rows.append(f"{report['documents']} documents, {report['sentences']} sentences, {report['tokens']} tokens")
    return "\n".join(rows)
