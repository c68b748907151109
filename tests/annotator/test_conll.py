"""Tests of annotator.conll: the CoNLL column reader. Every file is built inline in tmp_path."""

from __future__ import annotations

import pytest

from annotator.conll import ConllFormat, Sentence, detect_file_scheme, read_conll, read_documents
from annotator.errors import AnnotatorError, InputFormatError


def write(tmp_path, text: str | bytes, name: str = "data.conll"):
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def read(path, **fmt) -> list[Sentence]:
    return list(read_conll(path, fmt=ConllFormat(**fmt)))


def words_tags(sentences):
    return [(list(s.words), list(s.tags)) for s in sentences]


def raises_at(path, line, **fmt) -> InputFormatError:
    """Read ``path``, expect an InputFormatError naming ``path:line``; return it."""
    with pytest.raises(InputFormatError) as info:
        read(path, **fmt)
    err = info.value
    assert isinstance(err, AnnotatorError)
    assert str(err).startswith(f"{path}:{line}: "), str(err)
    assert err.path == str(path)
    assert err.line == line
    return err


FOUR_COLUMNS = """\
-DOCSTART- -X- -X- O

Anna NNP B-NP B-PER
Berg NNP I-NP I-PER
visited VBD B-VP O
Oslo NNP B-NP B-LOC
. . O O

Then RB B-ADVP O
she PRP B-NP O
left VBD B-VP O

-DOCSTART- -X- -X- O

Kari NNP B-NP B-PER
Dahl NNP I-NP I-PER
"""


# --------------------------------------------------------------------------------------------
# layouts
# --------------------------------------------------------------------------------------------


def test_four_columns_space_separated(tmp_path):
    path = write(tmp_path, FOUR_COLUMNS)
    sentences = read(path)
    assert words_tags(sentences) == [
        (["Anna", "Berg", "visited", "Oslo", "."], ["B-PER", "I-PER", "O", "B-LOC", "O"]),
        (["Then", "she", "left"], ["O", "O", "O"]),
        (["Kari", "Dahl"], ["B-PER", "I-PER"]),
    ]
    assert [s.doc for s in sentences] == [0, 0, 1]
    assert [s.line for s in sentences] == [3, 9, 15]
    assert all(s.path == str(path) for s in sentences)
    assert all(isinstance(s.words, tuple) and isinstance(s.tags, tuple) for s in sentences)


def test_two_columns_tab_separated(tmp_path):
    path = write(tmp_path, "Anna\tB-PER\nlives\tO\nhere\tO\n\nOslo\tB-LOC\n")
    assert words_tags(read(path)) == [
        (["Anna", "lives", "here"], ["B-PER", "O", "O"]),
        (["Oslo"], ["B-LOC"]),
    ]


def test_mixed_and_repeated_separators(tmp_path):
    path = write(tmp_path, "Anna \t B-PER\n  lives   O  \n")
    assert words_tags(read(path)) == [(["Anna", "lives"], ["B-PER", "O"])]


def test_tag_column(tmp_path):
    path = write(tmp_path, FOUR_COLUMNS)
    chunks = read(path, tag_column=2)
    assert list(chunks[0].tags) == ["B-NP", "I-NP", "B-VP", "B-NP", "O"]
    assert list(chunks[1].tags) == ["B-ADVP", "B-NP", "B-VP"]
    # -1 (the default) and 3 both name the NER column of a 4-column file
    assert words_tags(read(path, tag_column=3)) == words_tags(read(path))


def test_tag_column_out_of_range(tmp_path):
    path = write(tmp_path, "Anna NNP B-PER\nsleeps VBZ O\n")
    err = raises_at(path, 1, tag_column=5)
    assert err.message == "no column 5 in a line of 3 columns"
    assert err.fix == "check --tag-column"


# --------------------------------------------------------------------------------------------
# sentence and document boundaries
# --------------------------------------------------------------------------------------------


def test_blank_and_whitespace_only_lines_end_sentences(tmp_path):
    # A line holding only a tab ends a sentence, as in the original WNUT-2017 files.
    text = "a O\nb O\n\t\nc B-PER\n   \nd O\n \t \n\n\ne O\n\n\n"
    path = write(tmp_path, text)
    sentences = read(path)
    assert [list(s.words) for s in sentences] == [["a", "b"], ["c"], ["d"], ["e"]]
    assert [s.line for s in sentences] == [1, 4, 6, 10]
    assert {s.doc for s in sentences} == {0}


def test_crlf_line_endings(tmp_path):
    path = write(tmp_path, "Anna B-PER\r\nlives O\r\n\r\nOslo B-LOC\r\n\t\r\nx O\r\n")
    sentences = read(path)
    assert words_tags(sentences) == [
        (["Anna", "lives"], ["B-PER", "O"]),
        (["Oslo"], ["B-LOC"]),
        (["x"], ["O"]),
    ]
    assert [s.line for s in sentences] == [1, 4, 6]


def test_utf8_bom_at_start(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbfAnna B-PER\nlives O\n")
    assert words_tags(read(path)) == [(["Anna", "lives"], ["B-PER", "O"])]
    path = write(tmp_path, b"\xef\xbb\xbf-DOCSTART- -X- O\n\nAnna B-PER\n", "doc.conll")
    sentences = read(path)
    assert words_tags(sentences) == [(["Anna"], ["B-PER"])]
    assert sentences[0].doc == 0


def test_read_documents_groups_by_docstart(tmp_path):
    path = write(tmp_path, FOUR_COLUMNS)
    docs = list(read_documents(path))
    assert [[list(s.words) for s in doc] for doc in docs] == [
        [["Anna", "Berg", "visited", "Oslo", "."], ["Then", "she", "left"]],
        [["Kari", "Dahl"]],
    ]
    assert [[s.doc for s in doc] for doc in docs] == [[0, 0], [1]]


def test_file_without_docstart_is_one_document(tmp_path):
    path = write(tmp_path, "a O\n\nb O\n\nc O\n")
    docs = list(read_documents(path))
    assert len(docs) == 1
    assert [s.doc for s in docs[0]] == [0, 0, 0]


def test_docstart_edge_cases(tmp_path):
    # repeated -DOCSTART- with nothing between opens no empty document; a -DOCSTART- right after a
    # token line (no blank line) still ends the sentence; a file ending in -DOCSTART- adds nothing.
    text = (
        "-DOCSTART- O\n-DOCSTART- O\n\na O\nb O\n-DOCSTART- O\nc O\n\n"
        "-DOCSTART- O\n\n-DOCSTART- O\n\nd O\n\n-DOCSTART- O\n"
    )
    path = write(tmp_path, text)
    sentences = read(path)
    assert [(list(s.words), s.doc) for s in sentences] == [(["a", "b"], 0), (["c"], 1), (["d"], 2)]
    assert [[list(s.words) for s in doc] for doc in read_documents(path)] == [[["a", "b"]], [["c"]], [["d"]]]


def test_empty_file(tmp_path):
    path = write(tmp_path, "")
    assert read(path) == []
    assert list(read_documents(path)) == []


def test_read_conll_is_lazy_and_accepts_str_path(tmp_path):
    path = write(tmp_path, "a O\n")
    sentences = list(read_conll(str(path)))
    assert sentences[0].path == str(path)


# --------------------------------------------------------------------------------------------
# schemes
# --------------------------------------------------------------------------------------------

IOB1_FILE = """\
Anna I-PER
Berg I-PER
Kari B-PER
met O
Oslo I-LOC
City I-LOC
folk I-MISC

Nils I-PER
"""

IOB2_FILE = """\
Anna B-PER
Berg I-PER
Kari B-PER
met O
Oslo B-LOC
City I-LOC
folk B-MISC

Nils B-PER
"""


def test_iob1_and_iob2_files_read_the_same(tmp_path):
    iob1 = write(tmp_path, IOB1_FILE, "iob1.conll")
    iob2 = write(tmp_path, IOB2_FILE, "iob2.conll")
    assert detect_file_scheme(iob1) == "IOB1"
    assert detect_file_scheme(iob2) == "IOB2"
    assert words_tags(read(iob1)) == words_tags(read(iob2))
    assert words_tags(read(iob1, scheme="IOB1")) == words_tags(read(iob2))
    assert list(read(iob1)[0].tags) == ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "I-LOC", "B-MISC"]


def test_bioes_is_normalised_to_iob2(tmp_path):
    path = write(tmp_path, "Anna B-PER\nBerg E-PER\nKari S-PER\nin O\nNew B-LOC\nYork I-LOC\nCity E-LOC\n")
    assert detect_file_scheme(path) == "IOBES"
    expected = ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "I-LOC", "I-LOC"]
    for scheme in (None, "BIOES", "IOBES", "bioes"):
        assert list(read(path, scheme=scheme)[0].tags) == expected


def test_bilou_is_normalised_to_iob2(tmp_path):
    path = write(tmp_path, "Anna B-PER\nBerg L-PER\nKari U-PER\nin O\n")
    assert detect_file_scheme(path) == "BILOU"
    assert list(read(path)[0].tags) == ["B-PER", "I-PER", "B-PER", "O"]


def test_io_input(tmp_path):
    path = write(tmp_path, "Anna I-PER\nBerg I-PER\nin O\nOslo I-LOC\nnow O\n\nx I-creative-work\n")
    assert detect_file_scheme(path) == "IO"
    assert words_tags(read(path)) == [
        (["Anna", "Berg", "in", "Oslo", "now"], ["B-PER", "I-PER", "O", "B-LOC", "O"]),
        (["x"], ["B-creative-work"]),
    ]
    assert words_tags(read(path, scheme="IO")) == words_tags(read(path))


def test_iob2_file_with_hyphenated_types(tmp_path):
    path = write(tmp_path, "Dune\tB-creative-work\nPart\tI-creative-work\nTwo\tI-creative-work\nby\tO\n")
    assert list(read(path)[0].tags) == ["B-creative-work", "I-creative-work", "I-creative-work", "O"]


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", [None, "IOB2"])
def test_missing_tag(tmp_path, scheme):
    path = write(tmp_path, "Anna B-PER\n\nlives O\nhere\n")
    err = raises_at(path, 4, scheme=scheme)
    assert str(err) == (
        f"{path}:4: expected a token and a tag, found one column 'here' "
        "(every token line needs its tag; separate columns with spaces or tabs)"
    )


def test_tag_outside_given_scheme(tmp_path):
    path = write(tmp_path, "Anna B-PER\n\nKari S-PER\n")
    err = raises_at(path, 3, scheme="IOB2")
    assert str(err) == (
        f"{path}:3: tag 'S-PER' is outside the IOB2 scheme (prefixes B/I and O) (check --scheme and --tag-column)"
    )


def test_mixed_iobes_and_bilou_file(tmp_path):
    # L/U make the detected scheme BILOU, so the IOBES tag on line 2 is the one rejected.
    path = write(tmp_path, "Kari U-PER\nAnna S-PER\n")
    assert detect_file_scheme(path) == "BILOU"
    err = raises_at(path, 2)
    assert err.message == "tag 'S-PER' is outside the BILOU scheme (prefixes B/I/L/U and O)"


@pytest.mark.parametrize("scheme", [None, "IOB2"])
def test_malformed_tag(tmp_path, scheme):
    path = write(tmp_path, "Anna B-PER\nBerg PER\n")
    err = raises_at(path, 2, scheme=scheme)
    assert err.message == "tag 'PER' is not O or <B|I|E|S|L|U>-<TYPE>"


def test_invalid_utf8_on_first_line(tmp_path):
    path = write(tmp_path, b"Zo\xeb B-PER\nlives O\n")
    err = raises_at(path, 1)
    assert err.message.startswith("not valid utf-8: ")
    assert "--encoding" in str(err)


def test_invalid_utf8_reports_the_line_of_the_bad_byte(tmp_path):
    path = write(tmp_path, b"Anna B-PER\nlives O\n\nZo\xeb B-PER\nsings O\n")
    err = raises_at(path, 4)
    assert "--encoding" in str(err)


def test_invalid_utf8_deep_in_a_file_reports_its_line(tmp_path):
    good = b"".join(b"word%d O\n\n" % i for i in range(2000))  # ~20 KB, 4000 lines
    path = write(tmp_path, good + b"Zo\xeb B-PER\n")
    raises_at(path, 4001)


def test_iso_8859_1_file(tmp_path):
    path = write(tmp_path, "Zoë B-PER\nbor O\ni O\nMünchen B-LOC\n".encode("iso-8859-1"))
    assert words_tags(read(path, encoding="iso-8859-1")) == [
        (["Zoë", "bor", "i", "München"], ["B-PER", "O", "O", "B-LOC"]),
    ]
    err = raises_at(path, 1)  # the same file read as UTF-8
    assert "--encoding" in str(err)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.conll"
    with pytest.raises(InputFormatError) as info:
        read(path)
    assert str(info.value) == f"{path}: no such file"
    assert info.value.line is None


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(InputFormatError) as info:
        read(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a directory, expected a CoNLL file"


def test_unknown_scheme_name(tmp_path):
    path = write(tmp_path, "a O\n")
    with pytest.raises(ValueError, match=r"^unknown tag scheme 'BIOUL'"):
        read(path, scheme="BIOUL")


# --------------------------------------------------------------------------------------------
# unusual tokens
# --------------------------------------------------------------------------------------------


def test_invisible_characters_are_words(tmp_path):
    text = (
        "first O\n"
        "\ufe0f O\n"  # a lone variation selector (emoji residue in tweets)
        "a\u200bb B-PER\n"  # zero-width space inside a token
        "\u200b I-PER\n"  # a lone zero-width space
        "x\ufeffy O\n"  # a BOM inside a token
        "\ufeff O\n"  # a lone BOM, not on the first line
        "last\ufe0f O\n"
    )
    path = write(tmp_path, text)
    sentences = read(path)
    assert len(sentences) == 1
    assert list(sentences[0].words) == ["first", "\ufe0f", "a\u200bb", "\u200b", "x\ufeffy", "\ufeff", "last\ufe0f"]
    assert list(sentences[0].tags) == ["O", "O", "B-PER", "I-PER", "O", "O", "O"]


def test_lone_bom_token_after_file_bom(tmp_path):
    path = write(tmp_path, b"\xef\xbb\xbf\xef\xbb\xbf O\nnext O\n")
    assert list(read(path)[0].words) == ["\ufeff", "next"]


def test_no_break_space_token(tmp_path):
    path = write(tmp_path, "a O\n\u00a0 O\nb O\n")
    assert list(read(path)[0].words) == ["a", "\u00a0", "b"]
