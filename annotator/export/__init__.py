"""spaCy interoperability: training data for ``spacy train`` and span-JSONL for annotation tools.

* :func:`export_spacy` — CoNLL files and ``annotator annotate`` outputs (JSONL, Parquet, DocBin)
  → a spaCy DocBin (``.spacy``) or span-JSONL (Prodigy's ``ner_manual`` task format), optionally
  split into train/dev files.
* :func:`import_spans` — span-JSONL (e.g. corrected in an annotation tool) → CoNLL.

Entities that do not fit spaCy's tokens are never dropped silently: see :mod:`.align`.
spaCy is imported only when an export runs.
"""

from __future__ import annotations

from .align import ALIGNMENT_MODES, AlignmentReport, align_entity, set_entities
from .conll_docs import conll_to_docs, group_sentences, sentences_to_doc, write_conll
from .exporter import ExportStats, ImportStats, export_spacy, import_spans, write_spans_jsonl
from .inputs import INPUT_FORMATS, OUTPUT_FORMATS, detect_input_format, detect_output_format
from .spans_jsonl import doc_to_record, record_to_doc
from .split import assign_splits, parse_split, split_path

__all__ = [
    "ALIGNMENT_MODES",
    "AlignmentReport",
    "ExportStats",
    "INPUT_FORMATS",
    "ImportStats",
    "OUTPUT_FORMATS",
    "align_entity",
    "assign_splits",
    "conll_to_docs",
    "detect_input_format",
    "detect_output_format",
    "doc_to_record",
    "export_spacy",
    "group_sentences",
    "import_spans",
    "parse_split",
    "record_to_doc",
    "sentences_to_doc",
    "set_entities",
    "split_path",
    "write_conll",
    "write_spans_jsonl",
]
