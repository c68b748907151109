"""Tests of annotator.export and its commands: CoNLL → Docs, alignment, span-JSONL both ways, splits, CLI.

Tiny invented data inline (no corpus text); spaCy's blank English tokenizer only (no trained pipeline).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import DocBin

from annotator.cli import AnnotatorGroup
from annotator.cli_export import export_spacy as export_command
from annotator.cli_export import import_spans as import_command
from annotator.conll import ConllFormat, read_conll
from annotator.errors import ConfigError, InputFormatError
from annotator.export import (
    AlignmentReport,
    assign_splits,
    conll_to_docs,
    detect_input_format,
    detect_output_format,
    doc_to_record,
    export_spacy,
    group_sentences,
    import_spans,
    parse_split,
    record_to_doc,
    set_entities,
    split_path,
)
from annotator.export.split import split_sizes
from annotator.labels import Span
from annotator.records import Annotated, Record
from annotator.writers import DocBinWriter, JsonlWriter, ParquetWriter

CONLL = """-DOCSTART- -X- -X- O

Vantor NNP B-NP B-ORG
hires VBZ B-VP O
Kenyan JJ B-NP B-MISC
staff NN I-NP O
. . O O

Helen NNP B-NP B-PER
Brandt NNP I-NP I-PER

-DOCSTART- -X- -X- O

LISBON NNP B-NP B-LOC
2031-04-12 CD I-NP O

The DT B-NP O
Harbor NNP I-NP B-ORG
Council NNP I-NP I-ORG
agreed VBD B-VP O
. . O O

"""

NLP = spacy.blank("en")


@pytest.fixture
def conll_file(tmp_path) -> Path:
    path = tmp_path / "tiny.conll"
    path.write_text(CONLL, encoding="utf-8")
    return path


def load(path) -> list:
    return list(DocBin().from_disk(path).get_docs(NLP.vocab))


def ents(doc) -> list[tuple[str, str]]:
    return [(ent.text, ent.label_) for ent in doc.ents]


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def cli(*args):
    group = AnnotatorGroup("annotator")
    group.add_command(export_command)
    group.add_command(import_command)
    return CliRunner().invoke(group, [str(a) for a in args])


# -- CoNLL → Docs ------------------------------------------------------------------------------


def test_one_doc_per_document_with_sentence_starts(conll_file):
    docs = list(conll_to_docs(conll_file, NLP.vocab))
    assert [doc.text for doc in docs] == [
        "Vantor hires Kenyan staff . Helen Brandt",
        "LISBON 2031-04-12 The Harbor Council agreed .",
    ]
    assert [[s.text for s in doc.sents] for doc in docs][0] == ["Vantor hires Kenyan staff .", "Helen Brandt"]
    assert [t.is_sent_start for t in docs[1]] == [True, False, True, False, False, False, False]
    assert ents(docs[0]) == [("Vantor", "ORG"), ("Kenyan", "MISC"), ("Helen Brandt", "PER")]
    assert [t.ent_iob_ for t in docs[0]] == ["B", "O", "B", "O", "O", "B", "I"]  # O is set, never missing
    assert docs[0].user_data == {"source": f"{conll_file}:3", "docstart": True}
    assert docs[1].user_data["source"] == f"{conll_file}:14"


def test_n_sents_groups_within_documents(conll_file):
    per_sentence = list(conll_to_docs(conll_file, NLP.vocab, n_sents=1))
    assert [doc.text for doc in per_sentence] == [
        "Vantor hires Kenyan staff .",
        "Helen Brandt",
        "LISBON 2031-04-12",
        "The Harbor Council agreed .",
    ]
    assert [doc.user_data["docstart"] for doc in per_sentence] == [True, False, True, False]
    pairs = list(conll_to_docs(conll_file, NLP.vocab, n_sents=3))
    assert len(pairs) == 2  # never across a -DOCSTART- boundary


def test_group_sentences_is_pure_and_checks_n():
    docs = [["a", "b", "c"], ["d"]]
    assert list(group_sentences(docs, n_sents=2)) == [(("a", "b"), True), (("c",), False), (("d",), True)]
    assert docs == [["a", "b", "c"], ["d"]]
    with pytest.raises(ConfigError, match="--n-sents must be at least 1"):
        list(group_sentences(docs, n_sents=0))


def test_every_reader_option_reaches_the_docs(tmp_path):
    path = tmp_path / "latin.iobes"
    path.write_bytes("José\tS-PER\tx\nvisits\tO\tx\nSão\tB-LOC\tx\nPaulo\tE-LOC\tx\n".encode("iso-8859-1"))
    fmt = ConllFormat(tag_column=1, scheme="IOBES", encoding="iso-8859-1")
    (doc,) = conll_to_docs(path, NLP.vocab, fmt=fmt)
    assert ents(doc) == [("José", "PER"), ("São Paulo", "LOC")]


# -- alignment ---------------------------------------------------------------------------------

TEXT = "Ms Lindqvist flew to NewYork."


@pytest.mark.parametrize(
    "mode, expected, counts",
    [
        ("strict", [("Ms Lindqvist", "PER")], {"misaligned": 1, "adjusted": 0}),
        ("contract", [("Ms Lindqvist", "PER")], {"misaligned": 1, "adjusted": 0}),
        ("expand", [("Ms Lindqvist", "PER"), ("NewYork", "LOC")], {"misaligned": 0, "adjusted": 1}),
    ],
)
def test_alignment_modes_follow_char_span(mode, expected, counts):
    doc = NLP.make_doc(TEXT)
    report = AlignmentReport(mode=mode)
    set_entities(doc, [Span(0, 12, "PER"), Span(24, 28, "LOC")], mode=mode, report=report, where="t:1")
    assert ents(doc) == expected
    assert {"misaligned": report.misaligned, "adjusted": report.adjusted} == counts
    if counts["misaligned"]:
        assert report.examples["misaligned"] == ["t:1: LOC 'York' [24:28] in tokens ['NewYork']"]
        assert [t.ent_iob_ for t in doc] == ["B", "I", "O", "O", "", "O"]  # the dropped entity's token: missing


def test_contract_shrinks_to_whole_tokens_and_trims_whitespace():
    doc = NLP.make_doc("flew to  New York")  # two spaces: a whitespace token
    report = AlignmentReport(mode="contract")
    set_entities(doc, [Span(6, 17, "LOC")], mode="contract", report=report, where="x")
    assert ents(doc) == [("New York", "LOC")]
    assert report.adjusted == 1 and report.examples["adjusted"] == ["x: LOC 'o  New York' [6:17] became 'New York'"]
    strict = NLP.make_doc("flew to  New York")
    report = AlignmentReport()
    set_entities(strict, [Span(7, 17, "LOC")], mode="strict", report=report, where="x")
    assert ents(strict) == [] and report.misaligned == 1  # starts on the whitespace token


def test_overlapping_entities_keep_the_first_and_count_the_rest():
    doc = NLP.make_doc("New York City Hall")
    report = AlignmentReport()
    set_entities(doc, [Span(0, 13, "LOC"), Span(9, 18, "ORG")], mode="strict", report=report, where="x")
    assert ents(doc) == [("New York City", "LOC")]
    assert report.overlapping == 1
    assert report.examples["overlapping"] == ["x: ORG 'City Hall' [9:18] overlaps LOC 'New York City'"]
    assert [t.ent_iob_ for t in doc] == ["B", "I", "I", ""]


# -- annotate outputs → Docs -------------------------------------------------------------------

SILVER = [
    {
        "id": "d1",
        "source": "in.txt:1",
        "text": "Maria Lindqvist flew to NewYork.",
        "entities": [
            {"start": 0, "end": 15, "label": "PER", "text": "Maria Lindqvist", "score": 0.99},
            {"start": 27, "end": 31, "label": "LOC", "text": "York", "score": 0.95},
        ],
    },
    {
        "id": "d2",
        "source": "in.txt:2",
        "text": "Vantor Labs hired Kenji Sato.",
        "entities": [
            {"start": 0, "end": 11, "label": "ORG", "text": "Vantor Labs", "score": 0.6},
            {"start": 18, "end": 28, "label": "PER", "text": "Kenji Sato", "score": None},
        ],
    },
]


def test_silver_jsonl_min_score_and_strict_alignment(tmp_path):
    source = write_jsonl(tmp_path / "out.jsonl", SILVER)
    stats = export_spacy([source], tmp_path / "silver.spacy", min_score=0.8)
    docs = load(tmp_path / "silver.spacy")
    assert [ents(d) for d in docs] == [[("Maria Lindqvist", "PER")], [("Kenji Sato", "PER")]]  # no score: kept
    assert [t.ent_iob_ for t in docs[1]] == ["", "", "O", "B", "I", "O"]  # low-score tokens: missing, not O
    assert docs[0].user_data == {"id": "d1", "source": "in.txt:1"}
    assert (stats.docs, stats.tokens, dict(stats.entities)) == (2, 12, {"PER": 2})
    assert (stats.alignment.low_score, stats.alignment.misaligned) == (1, 1)
    assert stats.alignment.examples == {
        "misaligned": [f"{source}:1: LOC 'York' [27:31] in tokens ['NewYork']"],
        "low_score": [f"{source}:2: ORG 'Vantor Labs' [0:11] score 0.6"],
    }
    assert stats.inputs == {str(source): "jsonl"} and stats.outputs == {str(tmp_path / "silver.spacy"): 2}


def _annotated() -> list[Annotated]:
    items = []
    for record in SILVER:
        spans = tuple(Span(e["start"], e["end"], e["label"], e["score"]) for e in record["entities"])
        items.append(Annotated(Record(record["id"], record["text"], record["source"]), spans))
    return items


def test_jsonl_parquet_and_docbin_outputs_export_the_same(tmp_path):
    with open(tmp_path / "a.jsonl", "wb") as handle, JsonlWriter(handle) as writer:
        writer.write(_annotated())
    with ParquetWriter(tmp_path / "a.parquet") as writer:
        writer.write(_annotated())
    with DocBinWriter(tmp_path / "a.spacy") as writer:
        writer.write(_annotated())
    exported = {}
    for name in ("a.jsonl", "a.parquet", "a.spacy"):
        out = tmp_path / f"x-{name}.jsonl"
        stats = export_spacy([tmp_path / name], out, alignment="expand")
        assert stats.inputs == {str(tmp_path / name): name.split(".")[1]}
        exported[name] = [{k: r[k] for k in ("text", "tokens", "spans")} for r in map(json.loads, out.open())]
    assert exported["a.jsonl"] == exported["a.parquet"] == exported["a.spacy"]
    assert [s["label"] for r in exported["a.jsonl"] for s in r["spans"]] == ["PER", "LOC", "ORG", "PER"]


def test_a_shard_directory_is_read_in_order(tmp_path):
    shards = tmp_path / "out.jsonl"
    shards.mkdir()
    write_jsonl(shards / "part-00001.jsonl", SILVER[1:])
    write_jsonl(shards / "part-00000.jsonl", SILVER[:1])
    stats = export_spacy([shards], tmp_path / "x.spacy")
    assert list(stats.inputs) == [str(shards / "part-00000.jsonl"), str(shards / "part-00001.jsonl")]
    assert [d.user_data["id"] for d in load(tmp_path / "x.spacy")] == ["d1", "d2"]


# -- span-JSONL --------------------------------------------------------------------------------


def test_span_jsonl_record_pins_prodigy_conventions(conll_file, tmp_path):
    export_spacy([conll_file], tmp_path / "t.jsonl", n_sents=2)
    first = json.loads((tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first == {
        "text": "Vantor hires Kenyan staff . Helen Brandt",
        "tokens": [
            {"text": "Vantor", "start": 0, "end": 6, "id": 0, "ws": True},
            {"text": "hires", "start": 7, "end": 12, "id": 1, "ws": True},
            {"text": "Kenyan", "start": 13, "end": 19, "id": 2, "ws": True},
            {"text": "staff", "start": 20, "end": 25, "id": 3, "ws": True},
            {"text": ".", "start": 26, "end": 27, "id": 4, "ws": True},
            {"text": "Helen", "start": 28, "end": 33, "id": 5, "ws": True},
            {"text": "Brandt", "start": 34, "end": 40, "id": 6, "ws": False},
        ],
        "spans": [  # start/end: characters, half-open; token_start/token_end: tokens, token_end INCLUSIVE
            {"start": 0, "end": 6, "token_start": 0, "token_end": 0, "label": "ORG"},
            {"start": 13, "end": 19, "token_start": 2, "token_end": 2, "label": "MISC"},
            {"start": 28, "end": 40, "token_start": 5, "token_end": 6, "label": "PER"},
        ],
        "meta": {"source": f"{conll_file}:3"},
        "sentence_starts": [0, 5],
        "docstart": True,
    }


def test_doc_to_record_of_a_plain_doc():
    doc = NLP.make_doc("Oslo, Norway")
    doc.ents = [doc.char_span(0, 4, label="LOC")]
    assert doc_to_record(doc) == {
        "text": "Oslo, Norway",
        "tokens": [
            {"text": "Oslo", "start": 0, "end": 4, "id": 0, "ws": False},
            {"text": ",", "start": 4, "end": 5, "id": 1, "ws": True},
            {"text": "Norway", "start": 6, "end": 12, "id": 2, "ws": False},
        ],
        "spans": [{"start": 0, "end": 4, "token_start": 0, "token_end": 0, "label": "LOC"}],
    }


def test_record_tokens_are_used_and_checked():
    record = {
        "text": "Hi  New York",
        "tokens": [
            {"text": "Hi", "start": 0, "end": 2, "id": 0, "ws": True},
            {"text": " ", "start": 3, "end": 4, "id": 1},
            {"text": "New York", "start": 4, "end": 12, "id": 2, "ws": False},
        ],
        "spans": [{"start": 4, "end": 12, "token_start": 2, "token_end": 2, "label": "LOC"}],
    }
    doc = record_to_doc(record, NLP, path="f.jsonl", line=4, alignment="strict", report=AlignmentReport())
    assert [t.text for t in doc] == ["Hi", " ", "New York"] and ents(doc) == [("New York", "LOC")]
    assert doc.text == record["text"]
    exclusive = dict(record, spans=[{"start": 4, "end": 12, "token_start": 2, "token_end": 3, "label": "LOC"}])
    with pytest.raises(InputFormatError) as info:
        record_to_doc(exclusive, NLP, path="f.jsonl", line=4, alignment="strict", report=AlignmentReport())
    assert str(info.value) == (
        "f.jsonl:4: span 0 [4:12] covers tokens 2..2, but says token_start 2, token_end 3 "
        "(token_end is inclusive: the index of the entity's last token (spaCy span.end - 1))"
    )
    gap = dict(record, tokens=[record["tokens"][0], record["tokens"][2]])
    with pytest.raises(InputFormatError, match=r"^f.jsonl:4: token 1 starts at 4, but the previous token ends at 2"):
        record_to_doc(gap, NLP, path="f.jsonl", line=4, alignment="strict", report=AlignmentReport())


def test_record_without_tokens_is_tokenized_and_aligned():
    record = {"text": "Visit NewYork now", "spans": [{"start": 9, "end": 13, "label": "LOC", "score": 0.9}]}
    report = AlignmentReport(mode="expand")
    doc = record_to_doc(record, NLP, path="f", line=1, alignment="expand", report=report, min_score=0.5)
    assert ents(doc) == [("NewYork", "LOC")] and report.adjusted == 1


def test_import_spans_writes_conll(tmp_path):
    source = write_jsonl(
        tmp_path / "c.jsonl",
        [
            {
                "text": "Ada  Lovelace wrote .",
                "spans": [{"start": 0, "end": 13, "label": "PER"}],
                "sentence_starts": [0, 3],
                "docstart": True,
                "answer": "accept",
            },
            {"text": "Rejected text", "spans": [], "answer": "reject"},
            {"text": "Kenji Sato", "spans": [{"start": 0, "end": 10, "label": "PER"}]},
        ],
    )
    stats = import_spans(source, tmp_path / "c.conll")
    assert (tmp_path / "c.conll").read_text(encoding="utf-8") == (
        "-DOCSTART- -X- -X- O\n\nAda B-PER\nLovelace I-PER\n\nwrote O\n. O\n\nKenji B-PER\nSato I-PER\n\n"
    )
    assert (stats.records, stats.skipped_records, stats.docs, stats.sentences, stats.tokens) == (3, 1, 2, 3, 6)
    assert stats.skipped_whitespace == 1 and dict(stats.entities) == {"PER": 2}


def test_a_token_with_a_space_cannot_be_a_conll_line(tmp_path):
    source = write_jsonl(
        tmp_path / "c.jsonl",
        [
            {
                "text": "New York",
                "tokens": [{"text": "New York", "start": 0, "end": 8, "id": 0, "ws": False}],
                "spans": [],
            }
        ],
    )
    with pytest.raises(InputFormatError) as info:
        import_spans(source, tmp_path / "c.conll")
    assert str(info.value) == (
        f"{source}:1: token 0 'New York' holds whitespace, which a CoNLL line cannot "
        "(split the token in two where the whitespace is)"
    )
    assert not (tmp_path / "c.conll").exists()  # nothing half-written


def test_round_trip_conll_spans_jsonl_conll(conll_file, tmp_path):
    export_spacy([conll_file], tmp_path / "t.jsonl")
    import_spans(tmp_path / "t.jsonl", tmp_path / "back.conll")
    original = [line.split() for line in CONLL.splitlines()]
    back = [line.split() for line in (tmp_path / "back.conll").read_text(encoding="utf-8").splitlines()]
    assert [(c[0], c[-1]) if c else () for c in original] == [(c[0], c[-1]) if c else () for c in back]
    assert list(read_conll(conll_file)) != [] and [(s.words, s.tags, s.doc) for s in read_conll(conll_file)] == [
        (s.words, s.tags, s.doc) for s in read_conll(tmp_path / "back.conll")
    ]


TYPES = st.sampled_from(["PER", "LOC", "B-X"])
WORDS = st.text(alphabet="abcXYZ.,-'é0", min_size=1, max_size=6)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(WORDS, st.sampled_from(["O", "B", "I"]), TYPES), min_size=1, max_size=6),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([None, 1, 2]),
)
def test_round_trip_property(tmp_path_factory, sentences, n_sents):
    tmp = tmp_path_factory.mktemp("rt")
    text = "-DOCSTART- -X- -X- O\n\n" + "".join(
        "".join(f"{w} {'O' if p == 'O' else f'{p}-{t}'}\n" for w, p, t in sentence) + "\n" for sentence in sentences
    )
    (tmp / "in.conll").write_text(text, encoding="utf-8")
    export_spacy([tmp / "in.conll"], tmp / "s.jsonl", n_sents=n_sents, conll=ConllFormat(scheme="IOB1"))
    import_spans(tmp / "s.jsonl", tmp / "out.conll")
    expected = [(s.words, s.tags) for s in read_conll(tmp / "in.conll", fmt=ConllFormat(scheme="IOB1"))]
    assert [(s.words, s.tags) for s in read_conll(tmp / "out.conll")] == expected


# -- splits ------------------------------------------------------------------------------------


def test_parse_split_and_its_errors():
    assert parse_split("train=0.8, dev=0.2") == {"train": 0.8, "dev": 0.2}
    for text, message in [
        ("train=0.8,dev=0.3", "--split: the fractions add up to 1.1, not 1 (write it like train=0.8,dev=0.2)"),
        ("train", "--split: 'train' is not NAME=FRACTION (write it like train=0.8,dev=0.2)"),
        ("train=x,dev=1", "--split: 'x' is not a number (write it like train=0.8,dev=0.2)"),
        ("a=0.5,a=0.5", "--split: 'a' appears twice (write it like train=0.8,dev=0.2)"),
        ("a b=1", "--split: 'a b' is not a split name (letters, digits, _ and -)"),
        ("a=0,b=1", "--split: the fraction of 'a' must be above 0 and at most 1, got 0.0"),
    ]:
        with pytest.raises(ConfigError) as info:
            parse_split(text)
        assert str(info.value) == message


def test_split_sizes_are_exact_and_assignment_is_seeded():
    assert split_sizes(10, (0.8, 0.2)) == [8, 2]
    assert split_sizes(7, (1 / 3, 1 / 3, 1 / 3)) == [3, 2, 2]
    assert sum(split_sizes(999, (0.7, 0.2, 0.1))) == 999
    first = assign_splits(50, (0.8, 0.2), seed=1)
    assert first == assign_splits(50, (0.8, 0.2), seed=1) != assign_splits(50, (0.8, 0.2), seed=2)
    assert first.count(0) == 40 and first.count(1) == 10
    assert split_path("out/silver.spacy", "train") == Path("out/silver.train.spacy")


def test_export_with_split_writes_one_file_per_split(conll_file, tmp_path):
    stats = export_spacy([conll_file], tmp_path / "d.spacy", n_sents=1, split={"train": 0.5, "dev": 0.5}, seed=3)
    assert stats.outputs == {str(tmp_path / "d.train.spacy"): 2, str(tmp_path / "d.dev.spacy"): 2}
    texts = [d.text for name in ("train", "dev") for d in load(tmp_path / f"d.{name}.spacy")]
    assert sorted(texts) == sorted(d.text for d in conll_to_docs(conll_file, NLP.vocab, n_sents=1))
    again = export_spacy([conll_file], tmp_path / "e.spacy", n_sents=1, split={"train": 0.5, "dev": 0.5}, seed=3)
    assert [d.text for d in load(tmp_path / "e.train.spacy")] == [d.text for d in load(tmp_path / "d.train.spacy")]
    assert again.docs == 4 and not (tmp_path / "d.spacy").exists()


# -- formats and options -----------------------------------------------------------------------


def test_input_and_output_formats(tmp_path):
    ann = write_jsonl(tmp_path / "a.jsonl", SILVER)
    spans = write_jsonl(tmp_path / "s.jsonl", [{"text": "x", "spans": []}])
    assert [detect_input_format(p) for p in (ann, spans, tmp_path / "t.txt", tmp_path / "t.parquet")] == [
        "jsonl",
        "spans-jsonl",
        "conll",
        "parquet",
    ]
    assert detect_input_format(ann, "spans-jsonl") == "spans-jsonl"
    assert detect_output_format("x.spacy") == "spacy" and detect_output_format("x.jsonl") == "spans-jsonl"
    with pytest.raises(ConfigError, match=r"cannot tell the input format of .*x\.csv \(suffix '\.csv'\)"):
        detect_input_format(tmp_path / "x.csv")
    with pytest.raises(ConfigError, match=r"name it \.spacy or \.jsonl, or pass --format spacy\|spans-jsonl"):
        detect_output_format("x.conll")


def test_original_conll_file_names_are_recognised_by_their_content(tmp_path):
    """eng.testb, esp.train, ned.testa: the suffix says nothing, the content says CoNLL (as evaluate reads them)."""
    files = {
        "eng.testb": "-DOCSTART- -X- -X- O\n\nSOCCER NN B-NP O\nJAPAN NNP B-NP B-LOC\n\n",
        "esp.train": "Melbourne B-LOC\n( O\nAustralia B-LOC\n\n",
        "ned.testa": "-DOCSTART- -DOCSTART- O\nDe Art O\nBrussel N B-LOC\n\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert detect_input_format(tmp_path / name) == "conll", name
    write_jsonl(tmp_path / "silver.out", SILVER)
    assert detect_input_format(tmp_path / "silver.out") == "jsonl"
    (tmp_path / "notes.data").write_text("just some prose here\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        detect_input_format(tmp_path / "notes.data")
    assert str(info.value) == (
        f"cannot tell the input format of {tmp_path / 'notes.data'} (suffix '.data') nor from "
        "its content; pass --input-format conll|jsonl|parquet|spacy|spans-jsonl"
    )
    result = cli("export-spacy", tmp_path / "eng.testb", "-o", tmp_path / "o.spacy")
    assert result.exit_code == 0, result.output
    docs = list(DocBin().from_disk(tmp_path / "o.spacy").get_docs(spacy.blank("en").vocab))
    assert [(e.text, e.label_) for e in docs[0].ents] == [("JAPAN", "LOC")]


def test_options_are_checked_before_reading(conll_file, tmp_path):
    missing = tmp_path / "nothing-here.jsonl"
    for kwargs, message in [
        ({"alignment": "loose"}, "unknown alignment 'loose'; use one of strict, contract, expand"),
        ({"min_score": 1.5}, "--min-score must be between 0 and 1, got 1.5"),
        ({"n_sents": 0}, "--n-sents must be at least 1 (1: one Doc per sentence), got 0"),
    ]:
        with pytest.raises(ConfigError) as info:
            export_spacy([missing], tmp_path / "o.spacy", **kwargs)
        assert str(info.value) == message
    with pytest.raises(ConfigError, match="^--min-score applies to annotate outputs and span-JSONL; CoNLL input"):
        export_spacy([conll_file], tmp_path / "o.spacy", min_score=0.5)
    with pytest.raises(ConfigError, match="unknown spaCy language 'zz'"):
        export_spacy([conll_file], tmp_path / "o.spacy", lang="zz")
    with pytest.raises(ConfigError, match="is also an input"):
        export_spacy([conll_file], conll_file, output_format="spacy")


def test_bad_input_names_path_and_line(tmp_path):
    bad = write_jsonl(
        tmp_path / "bad.jsonl",
        [SILVER[0], {"id": "x", "text": "abc", "entities": [{"start": 1, "end": 9, "label": "PER", "score": 0.9}]}],
    )
    with pytest.raises(InputFormatError) as info:
        export_spacy([bad], tmp_path / "o.spacy")
    assert str(info.value) == f"{bad}:2: entity 0 [1:9] does not fit a text of 3 characters"
    assert not (tmp_path / "o.spacy").exists()
    broken = tmp_path / "broken.spacy"
    broken.write_bytes(b"not a docbin")
    with pytest.raises(InputFormatError, match=r"broken\.spacy: cannot be read as a spaCy DocBin"):
        export_spacy([broken], tmp_path / "o.spacy")
    no_text = write_jsonl(tmp_path / "nt.jsonl", [{"id": "1", "source": "s", "entities": []}])
    with pytest.raises(InputFormatError, match=r"nt\.jsonl:1: the record has no text \(annotate again without"):
        export_spacy([no_text], tmp_path / "o.spacy")


# -- CLI ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["export-spacy", "import-spans"])
def test_commands_have_help(command):
    result = cli(command, "--help")
    assert result.exit_code == 0 and "Exit codes" in result.output


def test_cli_summary_counts_and_examples(tmp_path):
    source = write_jsonl(tmp_path / "out.jsonl", SILVER)
    result = cli("export-spacy", source, "--output", tmp_path / "silver.spacy", "--min-score", "0.8")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "read 1 file (JSONL 1): 2 docs, 12 tokens\n"
        "entities: 2 (PER 2)\n"
        "entities not exported: 2 (1 scored below --min-score 0.8, 1 not on spaCy token boundaries "
        "(--alignment strict), 0 overlapping another entity)\n"
        f"  low_score: {source}:2: ORG 'Vantor Labs' [0:11] score 0.6\n"
        f"  misaligned: {source}:1: LOC 'York' [27:31] in tokens ['NewYork']\n"
        f"wrote {tmp_path / 'silver.spacy'} (2 docs)\n"
    )


def test_cli_conll_split_and_import(conll_file, tmp_path):
    result = cli(
        "export-spacy",
        conll_file,
        "-o",
        tmp_path / "c.jsonl",
        "--n-sents",
        "1",
        "--split",
        "train=0.75,dev=0.25",
        "--seed",
        "0",
        "--scheme",
        "IOB2",
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "read 1 file (CoNLL 1): 4 docs, 4 sentences, 14 tokens"
    assert result.output.splitlines()[-1] == (
        f"wrote {tmp_path / 'c.train.jsonl'} (3 docs), {tmp_path / 'c.dev.jsonl'} (1 doc)"
    )
    result = cli("import-spans", tmp_path / "c.dev.jsonl", "-o", tmp_path / "dev.conll")
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"read 1 record from {tmp_path / 'c.dev.jsonl'}\n"
        "entities: 1 (ORG 1)\n"
        "entities not imported: 0 (0 not on spaCy token boundaries (--alignment strict), "
        "0 overlapping another entity)\n"
        f"wrote {tmp_path / 'dev.conll'}: 1 doc, 1 sentence, 5 tokens\n"
    )
    assert (tmp_path / "dev.conll").read_text(encoding="utf-8") == (
        "The O\nHarbor B-ORG\nCouncil I-ORG\nagreed O\n. O\n\n"
    )  # not a document start: no -DOCSTART-


def test_cli_errors_are_one_line_with_exit_code_2(conll_file, tmp_path):
    bad = tmp_path / "bad.conll"
    bad.write_text("Bob B-PER\nsays O\n\nhi PER\n", encoding="utf-8")
    result = cli("export-spacy", bad, "-o", tmp_path / "o.spacy")
    assert result.exit_code == 2
    assert result.output == (
        f"Error: {bad}:4: tag 'PER' is not O or <B|I|E|S|L|U>-<TYPE> (check --scheme and --tag-column)\n"
    )
    (tmp_path / "o.spacy").write_bytes(b"")
    result = cli("export-spacy", conll_file, "-o", tmp_path / "o.spacy")
    assert result.exit_code == 2 and f"{tmp_path / 'o.spacy'} exists; pass --force to overwrite it" in result.output
    result = cli("export-spacy", conll_file, "-o", tmp_path / "p.spacy", "--split", "train=0.8,dev=0.1")
    assert result.exit_code == 2 and "the fractions add up to 0.9, not 1" in result.output
    result = cli("import-spans", tmp_path / "none.jsonl", "-o", tmp_path / "x.conll")
    assert result.exit_code == 2 and "none.jsonl: no such file" in result.output
    assert "Traceback" not in result.output
