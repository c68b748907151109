"""spaCy itself on what export-spacy writes: `spacy convert` parity on CoNLL-2003 train, the round
trip through span-JSONL on CoNLL-2003 valid, and `spacy train` / `benchmark accuracy` / `debug data`
for a few steps on data exported from samples/ (a tiny CNN; never the full corpus here).

The CoNLL-2003 tests read ../shared/data in place (research data is never copied into the repo)
and are skipped, saying so, where it is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from annotator.conll import read_conll
from annotator.export import export_spacy, import_spans

VOCAB = spacy.blank("en").vocab


def conll2003(shared_data: Path, name: str) -> Path:
    path = shared_data / "conll2003" / name
    if not path.is_file():
        pytest.skip(f"CoNLL-2003 {name} not found at {path} (reference data lives in ../shared/data)")
    return path


def load(path: Path) -> list:
    return list(DocBin().from_disk(path).get_docs(VOCAB))


def flatten(docs) -> tuple[list[str], list[tuple[int, int, str]], list[int]]:
    """Tokens, entities (start, end, label) and sentence starts, in one token stream over all docs."""
    tokens: list[str] = []
    entities: list[tuple[int, int, str]] = []
    sentence_starts: list[int] = []
    for doc in docs:
        offset = len(tokens)
        tokens += [token.text for token in doc]
        entities += [(offset + ent.start, offset + ent.end, ent.label_) for ent in doc.ents]
        sentence_starts += [offset + sentence.start for sentence in doc.sents]
    return tokens, entities, sentence_starts


def spacy_cli(*args: str, cwd: Path, check: bool = True) -> str:
    """Run `python -m spacy ARGS` without colours; return stdout + stderr (with ``check``: exit code 0)."""
    env = {**os.environ, "ANSI_COLORS_DISABLED": "1", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "spacy", *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0 or not check, output
    return output


@pytest.mark.slow
def test_conll2003_train_counts_and_spacy_convert_parity(shared_data, tmp_path):
    train = conll2003(shared_data, "train.txt")
    stats = export_spacy([train], tmp_path / "ours.spacy")
    assert (stats.docs, stats.sentences, stats.tokens) == (946, 14_041, 203_621)
    assert dict(stats.entities) == {"LOC": 7_140, "MISC": 3_438, "ORG": 6_321, "PER": 6_600}
    assert sum(stats.entities.values()) == 23_499 and stats.alignment.dropped == 0 and not stats.warnings

    ours = load(tmp_path / "ours.spacy")
    assert len(ours) == 946
    (tmp_path / "converted").mkdir()
    spacy_cli("convert", str(train), str(tmp_path / "converted"), "-c", "ner", cwd=tmp_path)
    theirs = load(tmp_path / "converted" / "train.spacy")
    # spaCy's converter (-n 1 by default) makes each sentence a Doc and keeps every "-DOCSTART- -X- -X- O"
    # line (not its "-DOCSTART- -X- O O" delimiter) as a one-token Doc of its own; ours has none.
    docstarts = {i for i, doc in enumerate(theirs) if [t.text for t in doc] == ["-DOCSTART-"]}
    assert len(docstarts) == 946 and len(theirs) == 946 + 14_041
    assert not any(theirs[i].ents for i in docstarts)
    our_tokens, our_entities, our_sentences = flatten(ours)
    their_tokens, their_entities, their_sentences = flatten(doc for i, doc in enumerate(theirs) if i not in docstarts)
    assert our_tokens == their_tokens
    assert our_entities == their_entities
    assert our_sentences == their_sentences  # our sentence starts are their Doc (= sentence) starts


@pytest.mark.slow
def test_conll2003_valid_round_trip_through_span_jsonl(shared_data, tmp_path):
    valid = conll2003(shared_data, "valid.txt")
    export_spacy([valid], tmp_path / "valid.jsonl")
    stats = import_spans(tmp_path / "valid.jsonl", tmp_path / "valid.conll")
    assert (stats.docs, stats.sentences, stats.tokens, stats.alignment.dropped) == (216, 3_250, 51_362, 0)
    assert [(s.words, s.tags, s.doc) for s in read_conll(valid)] == [
        (s.words, s.tags, s.doc) for s in read_conll(tmp_path / "valid.conll")
    ]

    def token_and_tag_columns(path: Path) -> list[tuple[str, ...]]:
        with open(path, encoding="utf-8") as handle:
            return [(cols[0], cols[-1]) if cols else () for cols in (line.split() for line in handle)]

    # Line for line: the same -DOCSTART- lines, blank lines, tokens and tags (the POS and chunk
    # columns of the original have no place in span-JSONL, so the written file has two columns).
    assert token_and_tag_columns(valid) == token_and_tag_columns(tmp_path / "valid.conll")


SILVER_SPANS = {  # entity text → (label, score)
    "Maria Lindqvist": ("PER", 0.98),
    "Oslo": ("LOC", 0.97),
    "Toronto": ("LOC", 0.95),
    "Vantor Labs": ("ORG", 0.9),
    "Greenline Rail": ("ORG", 0.93),
    "Gdansk": ("LOC", 0.99),
    "Bergen": ("LOC", 0.55),
    "Kenji Sato": ("PER", 0.96),
    "Japanese": ("MISC", 0.91),
    "Green": ("ORG", 0.99),  # "Green" of "Greenline": inside a token
}


def silver_jsonl(samples: Path, out: Path) -> Path:
    """An annotate-style JSONL output over samples/texts.jsonl with hand-made scored entities."""
    lines = []
    for line in (samples / "texts.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        entities = []
        for entity_text, (label, score) in SILVER_SPANS.items():
            start = record["text"].find(entity_text)
            if start >= 0:
                entities.append(
                    {
                        "start": start,
                        "end": start + len(entity_text),
                        "label": label,
                        "text": entity_text,
                        "score": score,
                    }
                )
        lines.append(
            json.dumps(
                {
                    "id": record["id"],
                    "source": f"texts.jsonl:{len(lines) + 1}",
                    "text": record["text"],
                    "entities": entities,
                }
            )
        )
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


@pytest.mark.slow
def test_spacy_trains_benchmarks_and_debugs_our_export(samples, tmp_path):
    corpus = tmp_path / "corpus"
    gold = export_spacy([samples / "train.conll"], corpus / "gold.spacy")
    silver = export_spacy([silver_jsonl(samples, tmp_path / "annotated.jsonl")], corpus / "silver.spacy", min_score=0.8)
    export_spacy([samples / "dev.conll"], tmp_path / "dev.spacy")
    assert gold.docs == 60 and silver.docs == 8
    report = silver.alignment
    assert (report.low_score, report.misaligned, report.overlapping) == (1, 2, 0)  # Bergen; "Green" twice

    spacy_cli(
        "init", "config", "config.cfg", "--lang", "en", "--pipeline", "ner", "--optimize", "efficiency", cwd=tmp_path
    )
    tiny = [
        "--paths.train",
        "corpus",
        "--paths.dev",
        "dev.spacy",
        "--training.max_steps",
        "2",
        "--training.eval_frequency",
        "1",
        "--components.tok2vec.model.encode.width",
        "16",
        "--components.ner.model.hidden_width",
        "16",
    ]
    trained = spacy_cli("train", "config.cfg", "--output", "model", *tiny, cwd=tmp_path)
    benchmark = spacy_cli(
        "benchmark", "accuracy", "model/model-last", "dev.spacy", "--output", "metrics.json", cwd=tmp_path
    )
    for output in (trained, benchmark):  # spaCy reads our files with no error or warning
        assert "⚠" not in output and "✘" not in output and "Warning" not in output, output
    assert set(json.loads((tmp_path / "metrics.json").read_text())) >= {"ents_f", "ents_p", "ents_r"}

    # `debug data` exits 1 here for one reason only: 68 training docs are few to train a pipeline on.
    debug = spacy_cli("debug", "data", "config.cfg", *tiny[:4], cwd=tmp_path, check=False)
    assert [line for line in debug.splitlines() if line.startswith(("✘", "⚠"))] == [
        "✘ Low number of examples to train a new pipeline (68)",
        "✘ 1 error",
    ], debug
    for check in (
        "✔ Corpus is loadable",
        "✔ No entities consisting of or starting/ending with whitespace",
        "✔ No entities crossing sentence boundaries",
        "✔ No overlap between training and evaluation data",
    ):
        assert check in debug, debug

    # What spacy train sees for a silver Doc: "Bergen" (left out by --min-score) is missing (None: no
    # loss), not O; the other tokens are O or entity tags.
    from spacy.training import Example

    nlp = spacy.blank("en")
    (doc,) = [doc for doc in load(corpus / "silver.spacy") if "Bergen" in doc.text]
    tags = dict(zip([t.text for t in doc], Example(nlp.make_doc(doc.text), doc).get_aligned_ner()))
    assert tags["Bergen"] is None and tags["Gdansk"] == "U-LOC" and tags["Greenline"] == "B-ORG"
    assert tags["and"] == "O"
