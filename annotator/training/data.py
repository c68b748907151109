"""CoNLL documents → windows → features, the one preprocessing path for both backends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..conll import ConllFormat, Sentence, read_documents
from ..labels import OUTSIDE, LabelSet, split_tag, tags_to_spans
from ..shapes import CASED, word_shape
from ..windows import Window, WindowEncoder, window_labels


@dataclass
class Split:
    """One data file, encoded: its sentences (in file order), documents and windows."""

    path: Path
    documents: list[list[Sentence]]
    sentences: list[Sentence]
    windows: list[Window]

    @property
    def gold(self) -> list[list[str]]:
        return [list(s.tags) for s in self.sentences]


def load_split(paths: Path | Sequence[Path], encoder: WindowEncoder, fmt: ConllFormat) -> Split:
    """One file, or several read one after another as one split (a final fit on train + dev);
    windows never cross a file or document boundary."""
    files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    documents = [doc for path in files for doc in read_documents(path, fmt=fmt)]
    sentences: list[Sentence] = []
    windows: list[Window] = []
    for doc in documents:
        windows += encoder.encode([s.words for s in doc], first_index=len(sentences))
        sentences += doc
    return Split(files[0], documents, sentences, windows)


UNCASED_SHARE = 0.001  # at most 1 training entity in 1,000 without a cased word: entities need one


def entities_are_cased(sentences: Sequence[Sentence]) -> bool:
    """Whether (almost) every entity of the training data has a word with an upper-case letter or a
    digit: at most :data:`UNCASED_SHARE` of them has none (CoNLL-2003 train: 7 of 23,499, such as
    "interior ministry"; social-media data such as WNUT-2017 has many). A model trained on such data
    gets ``cased_entities`` in annotator.json, and its decoding drops an entity without a cased word
    (:func:`annotator.decode.uncased_entities_to_outside`): a lower-case word alone is no name there."""
    total = uncased = 0
    for sentence in sentences:
        for span in tags_to_spans(sentence.tags):
            total += 1
            uncased += not any(word_shape(w) in CASED for w in sentence.words[span.start : span.end])
    return total > 0 and uncased <= UNCASED_SHARE * total


def label_set_of(sentences: Sequence[Sentence]) -> LabelSet:
    """The label set comes from the training data: every entity type seen in it."""
    return LabelSet.from_types(etype for s in sentences for t in s.tags if (etype := split_tag(t)[1]) is not None)


def features(split: Split, labels: LabelSet) -> list[dict]:
    """``{"input_ids", "labels"}`` per window (and ``token_type_ids``: word shapes, when the encoder
    gives them); tags of types unknown to ``labels`` train as O."""
    label2id = labels.label2id
    outside = label2id[OUTSIDE]
    tag_ids = [[label2id.get(t, outside) for t in s.tags] for s in split.sentences]
    return [
        {"input_ids": list(w.input_ids), "labels": window_labels(w, tag_ids)}
        | ({"token_type_ids": list(w.type_ids)} if w.type_ids is not None else {})
        for w in split.windows
    ]
