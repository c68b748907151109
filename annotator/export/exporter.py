"""``export_spacy`` and ``import_spans``: the library calls behind ``annotator export-spacy`` and
``annotator import-spans``. Every option is checked before any input is read; the functions
return counts and the command prints them.

Data flow of the export: inputs (each in its detected format) → Docs (:mod:`.conll_docs`,
:mod:`.annotations`, :mod:`.spans_jsonl`) → counted → written to one output, or (with a split)
held in memory, assigned to splits (:mod:`.split`) and written to one file per split. Outputs
are written to a temporary file beside the target and renamed into place, so a failed run leaves
no half-written file.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..conll import ConllFormat
from ..errors import ConfigError, InputFormatError
from ..outputs import Inputs, atomic_open, atomic_write, check_output
from ..writers.docbin import DocBinWriter
from ..writers.jsonl import iter_jsonl
from .align import AlignmentReport, check_alignment
from .annotations import annotation_to_doc, iter_annotation_records
from .conll_docs import ConllCounts, check_n_sents, conll_to_docs, write_conll
from .inputs import SCORED_FORMATS, detect_input_format, detect_output_format, expand_inputs
from .spans_jsonl import doc_to_record, is_skipped, record_to_doc
from .split import assign_splits, check_split, split_path

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

LARGE_DOC_TOKENS = 10_000  # a Doc this long is usually a CoNLL file without -DOCSTART- lines


@dataclass
class ExportStats:
    """What an export read and wrote. ``inputs`` maps each input file to the format used;
    ``outputs`` each written file to its number of Docs; ``sentences`` counts CoNLL sentences."""

    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, int] = field(default_factory=dict)
    docs: int = 0
    sentences: int = 0
    tokens: int = 0
    entities: Counter = field(default_factory=Counter)
    skipped_records: int = 0  # span-JSONL records answered reject/ignore
    alignment: AlignmentReport = field(default_factory=AlignmentReport)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportStats:
    """What an import read and wrote (``skipped_records``: answered reject/ignore)."""

    input: str = ""
    output: str = ""
    records: int = 0
    skipped_records: int = 0
    docs: int = 0
    sentences: int = 0
    tokens: int = 0
    skipped_whitespace: int = 0
    entities: Counter = field(default_factory=Counter)
    alignment: AlignmentReport = field(default_factory=AlignmentReport)


def export_spacy(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    output_format: str | None = None,
    input_format: str | None = None,
    conll: ConllFormat = ConllFormat(),
    n_sents: int | None = None,
    split: Mapping[str, float] | None = None,
    seed: int = 0,
    min_score: float | None = None,
    alignment: str = "strict",
    lang: str = "en",
    force: bool = False,
) -> ExportStats:
    """Export CoNLL files and annotate outputs to a spaCy DocBin or span-JSONL; return the counts.

    ``output_format``: ``spacy`` | ``spans-jsonl`` (default: from the suffix of ``output``).
    ``input_format``: one of :data:`~annotator.export.inputs.INPUT_FORMATS` for every input
    (default: per file, from its suffix). ``conll`` and ``n_sents`` apply to CoNLL inputs (one Doc
    per ``-DOCSTART-`` document, or per ``n_sents`` sentences); ``min_score`` and ``alignment`` to
    the others. ``split`` (e.g. ``{"train": 0.8, "dev": 0.2}``) writes one file per split, named by
    :func:`~annotator.export.split.split_path`, assigned reproducibly from ``seed``.

    Raises ConfigError for bad options (before reading), InputFormatError for bad input.
    """
    from ..writers.docbin import blank_nlp

    fmt = detect_output_format(output, output_format)
    check_alignment(alignment)
    check_n_sents(n_sents)
    if min_score is not None and not 0 <= min_score <= 1:
        raise ConfigError(f"--min-score must be between 0 and 1, got {min_score}")
    splits = check_split(split) if split is not None else None
    if not inputs:
        raise ConfigError("give at least one input file")
    files = expand_inputs(list(inputs))
    formats = {str(path): detect_input_format(path, input_format) for path in files}
    if min_score is not None and not SCORED_FORMATS & set(formats.values()):
        raise ConfigError("--min-score applies to annotate outputs and span-JSONL; CoNLL input has no scores")
    if n_sents is not None and "conll" not in formats.values():
        raise ConfigError("--n-sents groups CoNLL sentences; none of the inputs is CoNLL")
    targets = [split_path(Path(output), name) for name in splits] if splits else [Path(output)]
    _check_targets(targets, files, force=force)
    nlp = blank_nlp(lang)

    stats = ExportStats(inputs=formats, alignment=AlignmentReport(mode=alignment))
    docs = _counted(
        _read_docs(
            files, formats, nlp, conll=conll, n_sents=n_sents, min_score=min_score, alignment=alignment, stats=stats
        ),
        stats,
    )
    if splits is None:
        stats.outputs[str(targets[0])] = _write(fmt, docs, targets[0])
    else:
        held = list(docs)
        assignment = assign_splits(len(held), tuple(splits.values()), seed=seed)
        for index, (name, target) in enumerate(zip(splits, targets)):
            written = _write(fmt, (doc for doc, split in zip(held, assignment) if split == index), target)
            stats.outputs[str(target)] = written
            if not written:
                stats.warnings.append(f"split {name!r} got no documents ({target} is empty)")
    if not stats.docs:
        stats.warnings.append("the inputs hold no documents")
    return stats


def _check_targets(targets: list[Path], files: list[Path], *, force: bool) -> None:
    reads = Inputs.of(files)
    for target in targets:
        check_output(target, inputs=reads, force=force, what="--output")


def _read_docs(
    files: list[Path],
    formats: dict[str, str],
    nlp: Language,
    *,
    conll: ConllFormat,
    n_sents: int | None,
    min_score: float | None,
    alignment: str,
    stats: ExportStats,
) -> Iterator[Doc]:
    """The Docs of every input in order, each file read in its format."""
    report = stats.alignment
    for path in files:
        fmt = formats[str(path)]
        if fmt == "conll":
            for doc in conll_to_docs(path, nlp.vocab, fmt=conll, n_sents=n_sents):
                if len(doc) >= LARGE_DOC_TOKENS and n_sents is None:
                    stats.warnings.append(
                        f"{doc.user_data['source']}: one Doc of {len(doc):,} tokens (a file without -DOCSTART- "
                        "lines is one document); pass --n-sents 10 for Docs of 10 sentences"
                    )
                yield doc
        elif fmt == "spans-jsonl":
            for line, record in iter_jsonl(path):
                if is_skipped(record):
                    stats.skipped_records += 1
                    continue
                yield record_to_doc(
                    record, nlp, path=str(path), line=line, alignment=alignment, report=report, min_score=min_score
                )
        else:
            for where, lineno, record in iter_annotation_records(path, fmt):
                yield annotation_to_doc(
                    record, nlp, path=where, line=lineno, alignment=alignment, report=report, min_score=min_score
                )


def _counted(docs: Iterable[Doc], stats: ExportStats) -> Iterator[Doc]:
    """Pass Docs through, counting docs, sentences, tokens and entities into ``stats``."""
    for doc in docs:
        stats.docs += 1
        stats.tokens += len(doc)
        if doc.has_annotation("SENT_START"):
            stats.sentences += sum(1 for _ in doc.sents)
        stats.entities.update(ent.label_ for ent in doc.ents)
        yield doc


def write_spans_jsonl(docs: Iterable[Doc], handle) -> int:
    """Write one span-JSONL record per Doc to an open binary handle (the caller closes it); return how many."""
    count = 0
    for doc in docs:
        handle.write((json.dumps(doc_to_record(doc), ensure_ascii=False) + "\n").encode("utf-8"))
        count += 1
    return count


def _write(fmt: str, docs: Iterable[Doc], target: Path) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(target) as tmp:
        if fmt == "spacy":
            with DocBinWriter(tmp) as writer:
                return writer.write_docs(docs)
        with open(tmp, "wb") as handle:
            return write_spans_jsonl(docs, handle)


def import_spans(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    alignment: str = "strict",
    lang: str = "en",
    force: bool = False,
) -> ImportStats:
    """Write the span-JSONL records of ``path`` as a CoNLL file (``token TAG``, IOB2); return the counts.

    Records answered ``reject``/``ignore`` are skipped; ``sentence_starts`` and ``docstart`` (as
    :func:`export_spacy` writes them) give sentence breaks and ``-DOCSTART-`` lines, and without
    them a record is one sentence. Records without ``tokens`` are tokenized by
    ``spacy.blank(lang)`` and their spans aligned by ``alignment``.
    """
    from ..writers.docbin import blank_nlp

    check_alignment(alignment)
    source = Path(path)
    if not source.is_file():
        raise InputFormatError(source, None, "no such file")
    target = Path(output)
    _check_targets([target], [source], force=force)
    nlp = blank_nlp(lang)
    stats = ImportStats(input=str(source), output=str(target), alignment=AlignmentReport(mode=alignment))
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(target, "w", encoding="utf-8", newline="\n") as handle:
        for line, record in iter_jsonl(source):
            stats.records += 1
            if is_skipped(record):
                stats.skipped_records += 1
                continue
            where = f"{source}:{line}"
            doc = record_to_doc(record, nlp, path=str(source), line=line, alignment=alignment, report=stats.alignment)
            _add_counts(stats, write_conll([doc], handle, where=where))
            stats.entities.update(ent.label_ for ent in doc.ents)
    return stats


def _add_counts(stats: ImportStats, counts: ConllCounts) -> None:
    stats.docs += counts.docs
    stats.sentences += counts.sentences
    stats.tokens += counts.tokens
    stats.skipped_whitespace += counts.skipped_whitespace
