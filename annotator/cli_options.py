"""Option groups and texts shared by the command modules (cli.py, cli_export.py)."""

from __future__ import annotations

import click

EXIT_CODES = """Exit codes: 0 success, 1 failure (model or runtime error), 2 bad input or usage."""
SCHEMES = ["IOB1", "IOB2", "BIO", "IOBES", "BIOES", "BILOU", "IO"]


def conll_options(f):
    """--scheme, --tag-column and --encoding: how to read CoNLL files (annotator.conll.ConllFormat)."""
    f = click.option("--encoding", default="utf-8", show_default=True,
                     help="Encoding of the CoNLL files (the original CoNLL-2002 files are iso-8859-1).")(f)
    f = click.option("--tag-column", type=int, default=-1, show_default=True,
                     help="Column of the NE tag (0-based; negative counts from the end).")(f)
    f = click.option("--scheme", type=click.Choice(SCHEMES, case_sensitive=False), default=None,
                     help="Tag scheme of the files; detected from each file when not given.")(f)
    return f
