"""spaCy DocBin output (``.spacy``): one Doc per record, every entity exactly a token span.

The Doc's tokens are those of ``spacy.blank(lang)``'s tokenizer, split further wherever an entity
boundary falls inside a token (``NewYork`` with the entity ``York`` → ``New`` + ``York``) or on a
token's trailing space, so ``doc.char_span(start, end)`` aligns strictly and ``doc.text`` equals the
record text exactly. ``doc.user_data`` holds ``{"id", "source", "fields", "scores"}``, the scores
in ``doc.ents`` order (entities sorted by offset).

spaCy is imported when a DocBin is first needed, so the other formats do not pay for it. A DocBin
lives in memory until it is written; pass ``shard_size`` to write a directory of DocBins of at most
that many docs each (spaCy E870: "splitting up your documents into several doc bins"), which
``spacy train`` and :func:`read_docbin` read as one corpus.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, InputFormatError
from ..records import Annotated
from .common import WriterBase, check_fields, check_span, round_score

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc, DocBin


def blank_nlp(lang: str = "en") -> Language:
    """``spacy.blank(lang)``; an unknown language code raises ConfigError."""
    import spacy

    try:
        return spacy.blank(lang)
    except (ImportError, ValueError, KeyError) as exc:
        raise ConfigError(f"unknown spaCy language {lang!r} ({exc}); pass a code such as en, de or xx") from exc


def _new_docbin() -> DocBin:
    from spacy.tokens import DocBin

    return DocBin(store_user_data=True)


def aligned_words(nlp: Language, text: str, offsets: Iterable[tuple[int, int]]) -> tuple[list[str], list[bool]]:
    """Words and spaces of ``text`` for ``Doc(vocab, words=..., spaces=...)`` such that every
    half-open ``(start, end)`` in ``offsets`` is exactly a run of whole tokens.

    The words are the tokenizer's tokens, split at each start or end that falls inside one. A
    token's trailing space becomes a word of its own only where an entity starts on it or ends just
    after it. ``"".join(w + " " * s for w, s in zip(words, spaces)) == text`` always.
    """
    starts: set[int] = set()
    ends: set[int] = set()
    for start, end in offsets:
        starts.add(start)
        ends.add(end)
    cuts = sorted(starts | ends)
    words: list[str] = []
    spaces: list[bool] = []
    for token in nlp.make_doc(text):
        start = token.idx
        end = start + len(token.text)
        position = start
        for cut in cuts[bisect.bisect_right(cuts, start) : bisect.bisect_left(cuts, end)]:
            words.append(text[position:cut])
            spaces.append(False)
            position = cut
        words.append(text[position:end])
        if not token.whitespace_:
            spaces.append(False)
        elif end in starts or end + 1 in ends:
            spaces.append(False)
            words.append(token.whitespace_)
            spaces.append(False)
        else:
            spaces.append(True)
    return words, spaces


def item_to_doc(item: Annotated, nlp: Language) -> Doc:
    """The spaCy Doc of one annotated record (tokens aligned to its entities, user_data filled in).

    Raises ValueError for an entity outside the text or two overlapping entities (a Doc cannot
    hold them), ConfigError for a kept field named like an output key.
    """
    from spacy.tokens import Doc

    record = item.record
    check_fields(record)
    spans = sorted(item.entities, key=lambda span: (span.start, span.end))
    previous = None
    for span in spans:
        check_span(record, span)
        if previous is not None and span.start < previous.end:
            raise ValueError(f"{record.source}: entities {previous} and {span} overlap; a spaCy Doc cannot hold both")
        previous = span
    words, spaces = aligned_words(nlp, record.text, [(span.start, span.end) for span in spans])
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    if doc.text != record.text:  # pragma: no cover - aligned_words keeps every character
        raise ValueError(f"{record.source}: the spaCy Doc text differs from the record text")
    ents = []
    for span in spans:
        ent = doc.char_span(span.start, span.end, label=span.label)
        if ent is None:  # pragma: no cover - aligned_words makes every boundary a token boundary
            raise ValueError(f"{record.source}: entity {span} does not align with the spaCy tokens")
        ents.append(ent)
    doc.ents = ents
    doc.user_data.update(
        {
            "id": record.id,
            "source": record.source,
            "fields": dict(record.fields),
            "scores": [round_score(span.score) for span in spans],
        }
    )
    return doc


class DocBinWriter(WriterBase):
    """Collect one Doc per record in a DocBin (``store_user_data=True``); ``close()`` writes it to ``path``.

    The one DocBin writer: ``annotate`` adds records (:meth:`write`), ``export-spacy`` adds Docs
    (:meth:`write_docs`). A single DocBin cannot pass 2 GB: ``annotate --shard-size`` writes parts.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.count = 0
        self._nlp: Language | None = None
        self._bin = _new_docbin()
        self._closed = False

    def write(self, items: Sequence[Annotated]) -> int:
        """Add one Doc per item (all or nothing per batch); return how many were added."""
        if self._nlp is None:
            self._nlp = blank_nlp("en")
        nlp = self._nlp
        return self.write_docs([item_to_doc(item, nlp) for item in items])

    def write_docs(self, docs: Iterable[Doc]) -> int:
        """Add Docs as they are; return how many were added."""
        if self._closed:
            raise ValueError(f"{self.path}: write() after close()")
        added = 0
        for doc in docs:
            self._bin.add(doc)
            added += 1
        self.count += added
        return added

    def close(self) -> int:
        """Write the DocBin; return the number of docs written."""
        if not self._closed:
            self._closed = True
            self._bin.to_disk(self.path)
        return self.count


def docbin_files(path: str | os.PathLike[str]) -> list[Path]:
    """``[path]`` for a ``.spacy`` file; the sorted ``*.spacy`` files of a directory (a sharded output)."""
    path = Path(path)
    if path.is_dir():
        return sorted(child for child in path.iterdir() if child.suffix == ".spacy" and child.is_file())
    return [path]


def _plain(value: Any) -> Any:
    """msgpack gives tuples back for lists (spaCy reads user_data with ``use_list=False``)."""
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def read_docbin(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Yield the record dict of each Doc in a ``.spacy`` file (or a directory of shards).

    ``{"id", "source", <fields>, "text", "entities": [{"start", "end", "label", "text", "score"}]}``
    from ``doc.user_data`` and ``doc.ents``. A Doc without our user_data gets ``None`` id, source
    and scores. Each file is loaded whole (a DocBin cannot be streamed).
    """
    from spacy.vocab import Vocab

    vocab = Vocab()
    for file in docbin_files(path):
        docbin = _new_docbin().from_disk(file)
        for index, doc in enumerate(docbin.get_docs(vocab)):
            data = _plain(dict(doc.user_data))
            scores = data["scores"] if "scores" in data else [None] * len(doc.ents)
            if len(scores) != len(doc.ents):
                raise InputFormatError(
                    file, None, f"doc {index} has {len(doc.ents)} entities but {len(scores)} scores in its user_data"
                )
            out: dict[str, Any] = {"id": data.get("id"), "source": data.get("source")}
            out.update(data.get("fields") or {})
            out["text"] = doc.text
            out["entities"] = [
                {"start": ent.start_char, "end": ent.end_char, "label": ent.label_, "text": ent.text, "score": score}
                for ent, score in zip(doc.ents, scores)
            ]
            yield out


def concat_docbin(part_paths: Iterable[str | os.PathLike[str]], out_path: str | os.PathLike[str]) -> int:
    """Merge DocBin parts (files, or shard directories) in order into one ``.spacy`` file; return the doc count.

    Uses ``DocBin.merge``, so the merged bin is held in memory.
    """
    merged = _new_docbin()
    for part in part_paths:
        for file in docbin_files(part):
            merged.merge(_new_docbin().from_disk(file))
    merged.to_disk(Path(out_path))
    return len(merged)
