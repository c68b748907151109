"""Metric modules for the `evaluate` library, shipped with the project (no hub download).

``evaluate.load(str(CONLL_NER))`` gives a metric whose scores come from seqeval through
:func:`annotator.scoring.score`, the same numbers `annotator evaluate` reports.
"""

from pathlib import Path

CONLL_NER = Path(__file__).parent / "conll_ner" / "conll_ner.py"


def load_conll_ner():
    """The shipped `evaluate` metric, loaded from its local path."""
    import evaluate

    return evaluate.load(str(CONLL_NER))
