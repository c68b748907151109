"""`annotator evaluate`: word-level predictions on CoNLL files, scored as conlleval counts."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TypedDict

from .conll import ConllFormat, Sentence, read_documents
from .scoring import Overall, TypeScores, score
from .tagging import WordTagger


def tag_conll(paths: Sequence[str | Path], tagger: WordTagger, *, fmt: ConllFormat = ConllFormat()
              ) -> Iterator[tuple[list[Sentence], list[list[str]]]]:
    """Yield ``(document, predicted tags per sentence)`` for every document of ``paths``, in order."""
    pending: deque[list[Sentence]] = deque()

    def words() -> Iterable[list[tuple[str, ...]]]:
        for path in paths:
            for doc in read_documents(path, fmt=fmt):
                pending.append(doc)
                yield [s.words for s in doc]

    for doc_tags in tagger.tag_documents(words()):
        yield pending.popleft(), doc_tags


class Report(TypedDict):
    """What `annotator evaluate` reports (and writes as JSON with --output)."""

    overall: Overall
    per_type: dict[str, TypeScores]
    documents: int
    sentences: int
    tokens: int
    files: list[str]
    model: str
    decoding: str
    quantize: str
    precision: str


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
) -> Report:
    """Score ``model`` (default: the shipped model) on CoNLL ``paths``, pooled over all files.

    Returns the report ``{"overall", "per_type", "documents", "sentences", "tokens", ...}``; writes
    it as JSON to ``output``, and ``token gold pred`` lines (blank line between sentences, the
    input conlleval reads) to ``predictions``, if given.
    """
    from .model import load_model

    loaded = load_model(model, device=device, quantize=quantize)
    tagger = WordTagger.from_loaded(loaded, batch_tokens=batch_tokens, decoding=decoding, precision=precision)
    gold: list[list[str]] = []
    pred: list[list[str]] = []
    n_docs = 0
    handle = open(predictions, "w", encoding="utf-8") if predictions else None
    try:
        for doc, doc_tags in tag_conll(paths, tagger, fmt=fmt):
            n_docs += 1
            for sentence, tags in zip(doc, doc_tags):
                gold.append(list(sentence.tags))
                pred.append(tags)
                if handle:
                    handle.writelines(f"{w} {g} {p}\n" for w, g, p in zip(sentence.words, sentence.tags, tags))
                    handle.write("\n")
    finally:
        if handle:
            handle.close()
    scores = score(gold, pred)
    report: Report = {
        "overall": scores["overall"],
        "per_type": scores["per_type"],
        "documents": n_docs,
        "sentences": len(gold),
        "tokens": sum(len(s) for s in gold),
        "files": [str(p) for p in paths],
        "model": str(loaded.path),
        "decoding": decoding,
        "quantize": quantize,
        "precision": precision,
    }
    if output:
        Path(output).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
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
    rows.append(f"strict F1 (IOB2) {o['f1_strict']:.4f}   macro F1 {o['f1_macro']:.4f}   "
                f"token accuracy {o['accuracy']:.4f}")
    rows.append(f"{report['documents']} documents, {report['sentences']} sentences, {report['tokens']} tokens")
    return "\n".join(rows)
