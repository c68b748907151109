"""``annotator export-spacy`` and ``annotator import-spans``: thin commands over :mod:`annotator.export`.

Plain Click commands, registered on the ``annotator`` group with ``main.add_command``; library
errors (ConfigError, InputFormatError) are translated by the group (``AnnotatorGroup``) in one
place. This module does not import :mod:`annotator.cli`, so ``cli.py`` can import it at any point.
"""

from __future__ import annotations

from pathlib import Path

import click

from .choices import Alignment, ExportInputFormat, ExportOutputFormat
from .cli_options import EXIT_CODES, choice, conll_options

_FORMAT_NAMES = {
    "conll": "CoNLL",
    "jsonl": "JSONL",
    "parquet": "Parquet",
    "spacy": "DocBin",
    "spans-jsonl": "span-JSONL",
}


def _n(count: int, noun: str) -> str:
    """``1 doc``, ``2 docs``, ``1,000 docs``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _count_text(counter) -> str:
    return ", ".join(f"{label} {n:,}" for label, n in sorted(counter.items())) or "none"


def _alignment_lines(report, *, min_score: float | None = None, verb: str = "exported") -> list[str]:
    """What the summary says about entities that were dropped or moved, with examples."""
    parts = []
    if min_score is not None:
        parts.append(f"{report.low_score:,} scored below --min-score {min_score:g}")
    parts.append(f"{report.misaligned:,} not on spaCy token boundaries (--alignment {report.mode})")
    parts.append(f"{report.overlapping:,} overlapping another entity")
    lines = [f"entities not {verb}: {report.dropped:,} (" + ", ".join(parts) + ")"]
    for kind in ("low_score", "misaligned", "overlapping"):
        lines += [f"  {kind}: {example}" for example in report.examples.get(kind, [])]
    if report.adjusted:
        lines.append(f"entities with boundaries moved to tokens by --alignment {report.mode}: {report.adjusted:,}")
        lines += [f"  adjusted: {example}" for example in report.examples.get("adjusted", [])]
    return lines


def export_summary(stats, *, min_score: float | None = None) -> list[str]:
    """The lines ``export-spacy`` prints for an :class:`~annotator.export.ExportStats`."""
    kinds: dict[str, int] = {}
    for fmt in stats.inputs.values():
        kinds[_FORMAT_NAMES[fmt]] = kinds.get(_FORMAT_NAMES[fmt], 0) + 1
    files = ", ".join(f"{name} {n}" for name, n in kinds.items())
    read = f"read {_n(len(stats.inputs), 'file')} ({files}): {_n(stats.docs, 'doc')}"
    if stats.sentences:
        read += f", {_n(stats.sentences, 'sentence')}"
    read += f", {_n(stats.tokens, 'token')}"
    if stats.skipped_records:
        read += f"; {stats.skipped_records:,} records answered reject/ignore skipped"
    lines = [read, f"entities: {sum(stats.entities.values()):,} ({_count_text(stats.entities)})"]
    lines += _alignment_lines(stats.alignment, min_score=min_score)
    lines.append("wrote " + ", ".join(f"{path} ({_n(n, 'doc')})" for path, n in stats.outputs.items()))
    lines += [f"warning: {warning}" for warning in stats.warnings]
    return lines


def import_summary(stats) -> list[str]:
    """The lines ``import-spans`` prints for an :class:`~annotator.export.ImportStats`."""
    read = f"read {_n(stats.records, 'record')} from {stats.input}"
    if stats.skipped_records:
        read += f" ({stats.skipped_records:,} answered reject/ignore, skipped)"
    lines = [read, f"entities: {sum(stats.entities.values()):,} ({_count_text(stats.entities)})"]
    lines += _alignment_lines(stats.alignment, verb="imported")
    wrote = (
        f"wrote {stats.output}: {_n(stats.docs, 'doc')}, {_n(stats.sentences, 'sentence')}, {_n(stats.tokens, 'token')}"
    )
    if stats.skipped_whitespace:
        wrote += f" ({_n(stats.skipped_whitespace, 'whitespace token')} left out)"
    lines.append(wrote)
    return lines


def _alignment_option(f):
    return click.option(
        "--alignment",
        type=choice(Alignment),
        default="strict",
        show_default=True,
        help="An entity whose offsets fall inside a spaCy token: strict drops it; contract shrinks it to the "
        "tokens inside it; expand grows it to the tokens it touches (as Doc.char_span). Counted either way.",
    )(f)


@click.command("export-spacy", epilog=EXIT_CODES)
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    required=True,
    help="Output file: .spacy (DocBin for spacy train) or .jsonl (span-JSONL).",
)
@click.option(
    "--format",
    "output_format",
    type=choice(ExportOutputFormat),
    default=None,
    help="Output format [default: from the suffix of --output].",
)
@click.option(
    "--input-format",
    type=choice(ExportInputFormat),
    default=None,
    help="Format of every input [default: per file from its suffix: .conll/.iob/.bio/.tsv/.txt CoNLL; "
    ".jsonl an annotate output if its records have 'entities', else span-JSONL; .parquet, .spacy "
    "annotate outputs; other names (eng.testb) by their content].",
)
@click.option(
    "--n-sents",
    type=int,
    default=None,
    help="CoNLL: sentences per Doc (1: one Doc per sentence) [default: one Doc per -DOCSTART- document].",
)
@click.option(
    "--split",
    default=None,
    help="Write one file per split, e.g. train=0.8,dev=0.2 → OUTPUT.train.spacy, OUTPUT.dev.spacy.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the --split shuffle.")
@click.option(
    "--min-score",
    type=float,
    default=None,
    help="Annotate outputs: leave out entities scored below this (their tokens become unknown, not O).",
)
@_alignment_option
@click.option(
    "--lang",
    default="en",
    show_default=True,
    help="Language of spacy.blank(LANG), whose tokenizer splits texts that come without tokens.",
)
@conll_options
@click.option("--force", "-F", is_flag=True, help="Overwrite existing output files.")
@click.option("--quiet", "-q", is_flag=True, help="No summary.")
def export_spacy(
    inputs,
    output,
    output_format,
    input_format,
    n_sents,
    split,
    seed,
    min_score,
    alignment,
    lang,
    scheme,
    tag_column,
    encoding,
    force,
    quiet,
) -> None:
    """Export INPUTS (CoNLL files, or annotate outputs) as spaCy training data or span-JSONL.

    CoNLL Docs keep the CoNLL tokens, sentence starts and entities. Annotate outputs are tokenized
    by spacy.blank(LANG); entities that do not fit its tokens are handled by --alignment and
    counted in the summary, never dropped silently.
    """
    from .conll import ConllFormat
    from .export import export_spacy as run
    from .export.split import parse_split

    stats = run(
        list(inputs),
        output,
        output_format=output_format,
        input_format=input_format,
        conll=ConllFormat(tag_column=tag_column, scheme=scheme, encoding=encoding),
        n_sents=n_sents,
        split=parse_split(split) if split is not None else None,
        seed=seed,
        min_score=min_score,
        alignment=alignment,
        lang=lang,
        force=force,
    )
    if not quiet:
        click.echo("\n".join(export_summary(stats, min_score=min_score)), err=True)


@click.command("import-spans", epilog=EXIT_CODES)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path), required=True, help="CoNLL file to write.")
@_alignment_option
@click.option(
    "--lang",
    default="en",
    show_default=True,
    help="Language of spacy.blank(LANG), whose tokenizer splits records that come without tokens.",
)
@click.option("--force", "-F", is_flag=True, help="Overwrite an existing output file.")
@click.option("--quiet", "-q", is_flag=True, help="No summary.")
def import_spans(file, output, alignment, lang, force, quiet) -> None:
    """Write the span-JSONL records of FILE (e.g. corrected in an annotation tool) as CoNLL.

    One `token TAG` line per token (IOB2), a blank line after each sentence, -DOCSTART- lines
    where export-spacy marked documents. Records answered reject or ignore are skipped.
    """
    from .export import import_spans as run

    stats = run(file, output, alignment=alignment, lang=lang, force=force)
    if not quiet:
        click.echo("\n".join(import_summary(stats)), err=True)
