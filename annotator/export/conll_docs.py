"""CoNLL ↔ spaCy Docs.

Reading: the sentences of :func:`annotator.conll.read_documents` (every scheme and option of the
one CoNLL reader) become Docs built from the CoNLL tokens themselves
(``Doc(vocab, words=..., spaces=..., sent_starts=..., ents=...)``), so every entity is a token span
by construction. One Doc per ``-DOCSTART-`` document by default, with each sentence's first token
``is_sent_start=True`` and the others ``False``; or Docs of ``n_sents`` consecutive sentences of a
document (``n_sents=1``: one Doc per sentence). A Doc never spans two documents. Tokens are joined
by single spaces; ``doc.user_data`` holds ``source`` (``path:line`` of its first token) and
``docstart`` (True on the first Doc of each document).

Writing: :func:`write_conll` turns Docs back into ``token TAG`` lines with IOB2 tags, a blank line
after each sentence and ``-DOCSTART- -X- -X- O`` plus a blank line before each Doc whose
``user_data["docstart"]`` is set, which is the layout of the CoNLL-2003 files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..conll import DOCSTART, ConllFormat, Sentence, read_documents
from ..errors import ConfigError, InputFormatError

if TYPE_CHECKING:  # pragma: no cover
    from spacy.tokens import Doc
    from spacy.vocab import Vocab

DOCSTART_LINE = f"{DOCSTART} -X- -X- O"
_LINE_BREAKERS = frozenset(" \t\r\n")  # what splits a CoNLL line into columns, or ends it


def check_n_sents(n_sents: int | None) -> int | None:
    """``n_sents`` if it is None or at least 1, else ConfigError."""
    if n_sents is not None and n_sents < 1:
        raise ConfigError(f"--n-sents must be at least 1 (1: one Doc per sentence), got {n_sents}")
    return n_sents


def group_sentences(
    documents: Iterable[Sequence[Sentence]], *, n_sents: int | None = None
) -> Iterator[tuple[tuple[Sentence, ...], bool]]:
    """Yield ``(sentences, docstart)`` per Doc: whole documents, or chunks of ``n_sents`` sentences.

    ``docstart`` is True for the first chunk of each document. Pure; chunks never cross documents.
    """
    check_n_sents(n_sents)
    for document in documents:
        if n_sents is None:
            yield tuple(document), True
            continue
        for i in range(0, len(document), n_sents):
            yield tuple(document[i : i + n_sents]), i == 0


def sentences_to_doc(vocab: Vocab, sentences: Sequence[Sentence], *, docstart: bool = True) -> Doc:
    """One Doc from CoNLL sentences: their words, IOB2 entities and sentence starts."""
    from spacy.tokens import Doc

    words = [word for sentence in sentences for word in sentence.words]
    tags = [tag for sentence in sentences for tag in sentence.tags]
    sent_starts: list[bool | int | None] = [i == 0 for sentence in sentences for i in range(len(sentence.words))]
    spaces = [True] * len(words)
    spaces[-1] = False
    doc = Doc(vocab, words=words, spaces=spaces, sent_starts=sent_starts, ents=tags)
    doc.user_data["source"] = f"{sentences[0].path}:{sentences[0].line}"
    doc.user_data["docstart"] = docstart
    return doc


def conll_to_docs(
    path: str | Path, vocab: Vocab, *, fmt: ConllFormat = ConllFormat(), n_sents: int | None = None
) -> Iterator[Doc]:
    """Stream the Docs of one CoNLL file (see the module doc). Errors name ``path:line``."""
    for sentences, docstart in group_sentences(read_documents(path, fmt=fmt), n_sents=n_sents):
        yield sentences_to_doc(vocab, sentences, docstart=docstart)


@dataclass
class ConllCounts:
    """What :func:`write_conll` wrote."""

    docs: int = 0
    sentences: int = 0
    tokens: int = 0
    skipped_whitespace: int = 0  # tokens of spaces, tabs and line breaks only, which a CoNLL line cannot hold


def token_tag(token) -> str:
    """The IOB2 tag of a spaCy token (a missing entity annotation is written as ``O``)."""
    if token.ent_iob_ in ("B", "I"):
        return f"{token.ent_iob_}-{token.ent_type_}"
    return "O"


def write_conll(docs: Iterable[Doc], handle: TextIO, *, where: str = "") -> ConllCounts:
    """Write ``docs`` as CoNLL to an open text handle (the caller closes it); return the counts.

    A Doc with sentence boundaries is written sentence by sentence, one without as one sentence.
    Tokens made of spaces, tabs and line breaks only (spaCy's whitespace tokens) are skipped
    (counted); a token with one of those inside raises InputFormatError naming ``where`` (or else
    ``doc.user_data["source"]``).
    """
    counts = ConllCounts()
    for doc in docs:
        if doc.user_data.get("docstart"):
            handle.write(DOCSTART_LINE + "\n\n")
        sentences = doc.sents if doc.has_annotation("SENT_START") else [doc[:]]
        for sentence in sentences:
            lines = []
            for token in sentence:
                if all(ch in _LINE_BREAKERS for ch in token.text):
                    counts.skipped_whitespace += 1
                    continue
                if any(ch in _LINE_BREAKERS for ch in token.text):
                    source = where or doc.user_data.get("source") or "<doc>"
                    raise InputFormatError(
                        source,
                        None,
                        f"token {token.i} {token.text!r} holds whitespace, which a CoNLL line cannot",
                        fix="split the token in two where the whitespace is",
                    )
                lines.append(f"{token.text} {token_tag(token)}\n")
            if lines:
                handle.write("".join(lines) + "\n")
                counts.sentences += 1
                counts.tokens += len(lines)
        counts.docs += 1
    return counts
