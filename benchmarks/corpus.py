"""Build benchmark corpora from CoNLL-2003 (read in place from ../shared/data, never copied).

One JSONL record per ``-DOCSTART-`` document: the tokens joined back into text (a space between
tokens, a newline between sentences), with the character offsets of every token and the gold
entities as character spans, so raw-text predictions can be scored against gold by offsets.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.conll import read_documents  # noqa: E402
from annotator.labels import tags_to_spans  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "conll2003"
SPLITS = ("train.txt", "valid.txt", "test.txt")


def require_data() -> None:
    if not (DATA / "test.txt").is_file():
        sys.exit(f"skip: CoNLL-2003 not found in {DATA} (the reference data lives in ../shared/data)")


def documents(files=SPLITS) -> Iterator[dict]:
    """``{"id", "text", "tokens": [[start, end], ...], "entities": [[start, end, label], ...]}``."""
    for name in files:
        for d, doc in enumerate(read_documents(DATA / name)):
            pieces: list[str] = []
            tokens: list[list[int]] = []
            entities: list[list] = []
            pos = 0
            for s, sentence in enumerate(doc):
                if s:
                    pieces.append("\n")
                    pos += 1
                starts = []
                for w, word in enumerate(sentence.words):
                    if w:
                        pieces.append(" ")
                        pos += 1
                    starts.append(pos)
                    tokens.append([pos, pos + len(word)])
                    pieces.append(word)
                    pos += len(word)
                for span in tags_to_spans(sentence.tags):
                    entities.append(
                        [starts[span.start], starts[span.end - 1] + len(sentence.words[span.end - 1]), span.label]
                    )
            yield {
                "id": f"{name.split('.')[0]}-{d:04d}",
                "text": "".join(pieces),
                "tokens": tokens,
                "entities": entities,
            }


def write_jsonl(path: Path, docs) -> int:
    n = 0
    with open(path, "w", encoding="utf-8") as out:
        for doc in docs:
            out.write(json.dumps({"id": doc["id"], "text": doc["text"]}, ensure_ascii=False) + "\n")
            n += 1
    return n


if __name__ == "__main__":  # python benchmarks/corpus.py OUT.jsonl writes the corpus for --corpus
    require_data()
    print(write_jsonl(Path(sys.argv[1]), documents()), "documents written to", sys.argv[1])
