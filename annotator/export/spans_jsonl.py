"""The span-JSONL format of spaCy-based annotation tools (Prodigy's ``ner_manual`` task format), both ways.

One JSON object per line::

    {"text": "Vantor hires Kenyan staff . Helen Brandt",
     "tokens": [{"text": "Vantor", "start": 0, "end": 6, "id": 0, "ws": true}, ...],
     "spans": [{"start": 0, "end": 6, "token_start": 0, "token_end": 0, "label": "ORG"}, ...,
               {"start": 28, "end": 40, "token_start": 5, "token_end": 6, "label": "PER"}],
     "meta": {"source": "train.conll:3"},
     "sentence_starts": [0, 5], "docstart": true}

``start``/``end`` are half-open character offsets (``text[start:end]``), as in spaCy. As in
Prodigy, ``token_start`` and ``token_end`` are *inclusive* token indices: ``token_end`` is the
index of the entity's last token (``spacy_span.end - 1``). ``ws`` says whether the token is followed
by a space (spaCy's ``token.whitespace_``). ``sentence_starts`` (token indices) and ``docstart``
(the record opens a ``-DOCSTART-`` document) are this project's additions, written for CoNLL
input so that ``import-spans`` gives the same CoNLL back; tools that do not know them keep or
ignore them. ``meta`` is shown by Prodigy under each task.

Reading (:func:`record_to_doc`): the record's own ``tokens`` are the Doc's tokens when present
(their offsets must tile the text with nothing but single spaces between tokens); without them
the text is tokenized by the given pipeline (``spacy.blank(lang)``). Spans are placed by their
character offsets with the alignment mode of :mod:`.align`; where ``token_start``/``token_end``
are given with tokens they must agree with the offsets. Records answered ``reject`` or ``ignore``
(Prodigy's ``answer``) are skipped by the callers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import InputFormatError
from ..labels import Span
from .align import AlignmentReport, set_entities
from .entities import check_int, parse_entity, split_by_score

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language
    from spacy.tokens import Doc

SKIPPED_ANSWERS = ("reject", "ignore")
_INCLUSIVE = "token_end is inclusive: the index of the entity's last token (spaCy span.end - 1)"


def doc_to_record(doc: Doc) -> dict[str, Any]:
    """The span-JSONL record of a Doc (key order: text, tokens, spans, meta, sentence_starts, docstart)."""
    record: dict[str, Any] = {
        "text": doc.text,
        "tokens": [
            {
                "text": token.text,
                "start": token.idx,
                "end": token.idx + len(token.text),
                "id": token.i,
                "ws": bool(token.whitespace_),
            }
            for token in doc
        ],
        "spans": [
            {
                "start": ent.start_char,
                "end": ent.end_char,
                "token_start": ent.start,
                "token_end": ent.end - 1,
                "label": ent.label_,
            }
            for ent in doc.ents
        ],
    }
    meta = {key: doc.user_data[key] for key in ("id", "source") if doc.user_data.get(key) is not None}
    if meta:
        record["meta"] = meta
    if doc.has_annotation("SENT_START") and len(doc):
        record["sentence_starts"] = [sentence.start for sentence in doc.sents]
    if "docstart" in doc.user_data:
        record["docstart"] = bool(doc.user_data["docstart"])
    return record


def is_skipped(record: dict[str, Any]) -> bool:
    """True for a record answered ``reject`` or ``ignore`` (not training data)."""
    return record.get("answer") in SKIPPED_ANSWERS


def _words_from_tokens(text: str, tokens: Any, path: str, line: int) -> tuple[list[str], list[bool]]:
    """Words and spaces of a record's ``tokens``; their offsets must tile ``text`` (single spaces between)."""
    fix = "fix the token offsets, or remove 'tokens' to have the text tokenized"
    if not isinstance(tokens, list):
        raise InputFormatError(path, line, f"'tokens' must be a list, found {type(tokens).__name__}")
    words: list[str] = []
    spaces: list[bool] = []
    position = 0
    for i, token in enumerate(tokens):
        if not isinstance(token, dict):
            raise InputFormatError(path, line, f"token {i} must be an object with text, start and end")
        start = check_int(token.get("start"), f"token {i} start", path, line)
        end = check_int(token.get("end"), f"token {i} end", path, line)
        word = token.get("text")
        gap = text[position:start] if start >= position else None
        if i == 0 and start != 0:
            gap = None
        if gap is None or gap not in ("", " ") or (i == 0 and gap):
            raise InputFormatError(
                path,
                line,
                f"token {i} starts at {start}, but the previous token ends at {position}: tokens must "
                "cover the text in order, with at most one space between two tokens",
                fix=fix,
            )
        if i:
            spaces[-1] = gap == " "
        if not isinstance(word, str) or not start < end <= len(text) or text[start:end] != word:
            raise InputFormatError(
                path,
                line,
                f"token {i} {word!r} [{start}:{end}] does not match the text there ({text[start:end]!r})",
                fix=fix,
            )
        words.append(word)
        spaces.append(False)
        position = end
    tail = text[position:]
    if words and tail == " ":
        spaces[-1] = True
    elif tail:
        raise InputFormatError(
            path, line, f"the tokens end at {position}, but the text goes on: {tail[:20]!r}", fix=fix
        )
    return words, spaces


def _span(raw: Any, i: int, text: str, path: str, line: int) -> tuple[Span, int | None, int | None]:
    span = parse_entity(raw, i, text, kind="span", path=path, line=line)
    token_start, token_end = raw.get("token_start"), raw.get("token_end")
    if token_start is not None:
        token_start = check_int(token_start, f"span {i} token_start", path, line)
    if token_end is not None:
        token_end = check_int(token_end, f"span {i} token_end", path, line)
    return span, token_start, token_end


def record_to_doc(
    record: dict[str, Any],
    nlp: Language,
    *,
    path: str,
    line: int,
    alignment: str,
    report: AlignmentReport,
    min_score: float | None = None,
) -> Doc:
    """The Doc of one span-JSONL record (see the module doc); ``report`` counts what did not align.

    Spans with a ``score`` below ``min_score`` are dropped (counted as ``low_score``).
    """
    from spacy.tokens import Doc

    text = record.get("text")
    if not isinstance(text, str):
        raise InputFormatError(path, line, "the record has no 'text' string")
    if "entities" in record and "spans" not in record:
        raise InputFormatError(
            path,
            line,
            "the record has 'entities' but no 'spans': it is an annotate output",
            fix="pass --input-format jsonl",
        )
    has_tokens = record.get("tokens") is not None
    if has_tokens:
        words, spaces = _words_from_tokens(text, record["tokens"], path, line)
        doc = Doc(nlp.vocab, words=words, spaces=spaces)
    else:
        doc = nlp.make_doc(text)
    raw_spans = record.get("spans") or []
    if not isinstance(raw_spans, list):
        raise InputFormatError(path, line, f"'spans' must be a list, found {type(raw_spans).__name__}")
    where = f"{path}:{line}"
    spans: list[Span] = []
    for i, raw in enumerate(raw_spans):
        span, token_start, token_end = _span(raw, i, text, path, line)
        if has_tokens and token_start is not None and token_end is not None:
            exact = doc.char_span(span.start, span.end)
            if exact is not None and (exact.start, exact.end - 1) != (token_start, token_end):
                raise InputFormatError(
                    path,
                    line,
                    f"span {i} [{span.start}:{span.end}] covers tokens {exact.start}..{exact.end - 1}, "
                    f"but says token_start {token_start}, token_end {token_end}",
                    fix=_INCLUSIVE,
                )
        spans.append(span)
    kept, low = split_by_score(spans, min_score, text=text, where=where, report=report)
    set_entities(doc, kept, mode=alignment, report=report, where=where, dropped=low)
    _set_sentence_starts(doc, record.get("sentence_starts"), path, line)
    raw_meta = record.get("meta")
    meta = raw_meta if isinstance(raw_meta, dict) else {}
    doc.user_data["source"] = meta.get("source") or where
    if meta.get("id") is not None:
        doc.user_data["id"] = meta["id"]
    if "docstart" in record:
        doc.user_data["docstart"] = bool(record["docstart"])
    return doc


def _set_sentence_starts(doc: Doc, starts: Any, path: str, line: int) -> None:
    if starts is None:
        return
    if not isinstance(starts, list) or not all(isinstance(s, int) and not isinstance(s, bool) for s in starts):
        raise InputFormatError(path, line, "'sentence_starts' must be a list of token indices")
    if starts != sorted(set(starts)) or (starts and not 0 <= starts[0] <= starts[-1] < len(doc)):
        raise InputFormatError(
            path, line, f"'sentence_starts' must be increasing token indices below {len(doc)}, found {starts[:10]!r}"
        )
    first = set(starts) | {0}
    for token in doc:
        token.is_sent_start = token.i in first
