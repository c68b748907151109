"""Tests of annotator.scoring: hand-computed scores and a comparison with the conlleval port."""

from __future__ import annotations

import json
import math
import random

import conlleval
import pytest

from annotator.scoring import score


def approx(x):
    return pytest.approx(x, abs=1e-12)


def test_hand_computed_example():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O"]]
    # gold entities: PER[0,2) LOC[3,4) | ORG[0,1)          -> 3
    # pred entities: PER[0,2) ORG[3,4) | ORG[0,1)          -> 3
    # correct: PER[0,2), ORG[0,1) of sentence 2            -> 2
    # precision 2/3, recall 2/3, f1 2/3
    # PER: 1/1 1/1 f1 1;  LOC: found 0 -> p 0, r 0/1, f1 0;  ORG: p 1/2, r 1/1, f1 2*(.5*1)/1.5 = 2/3
    # macro f1 = (1 + 0 + 2/3) / 3 = 5/9; accuracy: 5 of 6 tokens
    result = score(gold, pred)
    o = result["overall"]
    assert o["precision"] == approx(2 / 3)
    assert o["recall"] == approx(2 / 3)
    assert o["f1"] == approx(2 / 3)
    assert o["f1_strict"] == approx(2 / 3)  # all tags are valid IOB2, strict agrees
    assert o["f1_macro"] == approx(5 / 9)
    assert o["accuracy"] == approx(5 / 6)
    assert list(result["per_type"]) == ["LOC", "ORG", "PER"]
    assert result["per_type"]["PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert result["per_type"]["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    org = result["per_type"]["ORG"]
    assert (org["precision"], org["recall"], org["f1"], org["support"]) == (approx(0.5), approx(1.0), approx(2 / 3), 1)
    assert all(isinstance(v["support"], int) for v in result["per_type"].values())
    assert all(isinstance(v, float) for v in o.values())


def test_partial_overlap_is_wrong():
    gold = [["B-PER", "I-PER", "I-PER", "O", "B-LOC", "O"]]
    pred = [["B-PER", "I-PER", "O", "O", "B-LOC", "B-LOC"]]
    # gold: PER[0,3) LOC[4,5) -> 2; pred: PER[0,2) LOC[4,5) LOC[5,6) -> 3; correct: LOC[4,5) -> 1
    # precision 1/3, recall 1/2, f1 = 2*(1/6)/(5/6) = 2/5; accuracy: positions 2 and 5 wrong -> 4/6
    o = score(gold, pred)["overall"]
    assert (o["precision"], o["recall"], o["f1"], o["accuracy"]) == (
        approx(1 / 3),
        approx(1 / 2),
        approx(2 / 5),
        approx(4 / 6),
    )


def test_strict_differs_when_prediction_starts_with_i_after_o():
    gold = [["O", "B-PER", "I-PER"]]
    pred = [["O", "I-PER", "I-PER"]]
    o = score(gold, pred)["overall"]
    # conlleval reading: I-PER after O opens PER[1,3), which matches gold -> p = r = f1 = 1
    assert (o["precision"], o["recall"], o["f1"]) == (1.0, 1.0, 1.0)
    # strict IOB2: the predicted chunk is invalid, nothing is found -> f1 0
    assert o["f1_strict"] == 0.0
    # accuracy is per token: position 1 differs -> 2/3
    assert o["accuracy"] == approx(2 / 3)


def test_strict_partial():
    gold = [["B-PER", "O", "B-LOC"]]
    pred = [["I-PER", "O", "B-LOC"]]
    # default: both found -> f1 1; strict: pred keeps LOC only -> p 1/1, r 1/2, f1 2/3
    o = score(gold, pred)["overall"]
    assert o["f1"] == 1.0
    assert o["f1_strict"] == approx(2 / 3)


def test_sentences_are_scored_separately():
    gold = [["O", "B-PER"], ["I-PER", "O"]]
    pred = [["O", "B-PER"], ["B-PER", "O"]]
    # the sentence boundary closes PER; the I-PER that starts sentence 2 opens a second PER
    # default: gold 2, pred 2, correct 2 -> 1.0; strict: gold keeps 1, pred 2, correct 1 -> p 1/2 r 1 f1 2/3
    result = score(gold, pred)
    assert result["overall"]["f1"] == 1.0
    assert result["overall"]["f1_strict"] == approx(2 / 3)
    assert result["per_type"]["PER"]["support"] == 2


def test_per_type_support_counts():
    gold = [["B-PER", "I-PER", "B-PER", "O", "B-LOC"], ["I-MISC", "I-MISC", "B-MISC", "O", "B-PER"]]
    pred = [["O"] * 5, ["O"] * 5]
    # PER: [0,2) [2,3) and sentence 2 [4,5) -> 3; LOC 1; MISC: [0,2) and [2,3) -> 2
    result = score(gold, pred)
    assert {k: v["support"] for k, v in result["per_type"].items()} == {"LOC": 1, "MISC": 2, "PER": 3}
    o = result["overall"]
    assert (o["precision"], o["recall"], o["f1"]) == (0.0, 0.0, 0.0)
    assert o["accuracy"] == approx(2 / 10)  # the two gold O tokens


def test_predicted_only_type_has_zero_support():
    gold = [["O", "B-PER"]]
    pred = [["B-LOC", "B-PER"]]
    # pred 2, gold 1, correct 1 -> p 1/2, r 1, f1 2/3
    result = score(gold, pred)
    assert result["per_type"]["LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert result["overall"]["precision"] == approx(0.5)
    assert result["overall"]["f1"] == approx(2 / 3)


def test_hyphenated_types():
    gold = [["B-creative-work", "I-creative-work", "O", "B-corporation"]]
    pred = [["B-creative-work", "I-creative-work", "O", "O"]]
    result = score(gold, pred)
    assert list(result["per_type"]) == ["corporation", "creative-work"]
    assert result["per_type"]["creative-work"]["f1"] == 1.0
    assert result["per_type"]["creative-work"]["support"] == 1
    # p 1/1, r 1/2 -> f1 2/3, also in strict mode
    assert result["overall"]["f1"] == approx(2 / 3)
    assert result["overall"]["f1_strict"] == approx(2 / 3)


def test_accepts_tuples_and_does_not_mutate():
    gold = (("B-PER", "I-PER"),)
    pred = [["B-PER", "O"]]
    o = score(gold, pred)["overall"]
    assert o["accuracy"] == 0.5 and o["f1"] == 0.0
    assert pred == [["B-PER", "O"]]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy: mean of an empty macro average
def test_all_outside():
    result = score([["O", "O"], ["O"]], [["O", "O"], ["O"]])
    o = result["overall"]
    assert (o["precision"], o["recall"], o["f1"], o["f1_strict"], o["accuracy"]) == (0.0, 0.0, 0.0, 0.0, 1.0)
    assert result["per_type"] == {}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_all_outside_macro_f1_is_a_number():
    o = score([["O", "O"]], [["O", "O"]])["overall"]
    assert not math.isnan(o["f1_macro"])
    json.dumps(o, allow_nan=False)


@pytest.mark.parametrize(
    "gold, pred, message",
    [
        ([["O"]], [["O"], ["O"]], "gold and predicted sequences differ in shape"),
        ([["O", "O"]], [["O"]], "gold and predicted sequences differ in shape"),
        ([], [], "nothing to score: no sentences"),
    ],
)
def test_errors(gold, pred, message):
    with pytest.raises(ValueError) as info:
        score(gold, pred)
    assert str(info.value) == message


# --------------------------------------------------------------------------------------------
# against the conlleval port from PyPI (conlleval==0.2)
# --------------------------------------------------------------------------------------------

TYPES = ["PER", "LOC", "ORG", "creative-work"]


def random_iob2(rng: random.Random, n: int) -> list[str]:
    tags, prev = [], "O"
    for _ in range(n):
        r = rng.random()
        if r < 0.5:
            tag = "O"
        elif r < 0.75 or prev == "O":
            tag = f"B-{rng.choice(TYPES)}"
        else:
            tag = f"I-{prev.partition('-')[2]}"
        tags.append(tag)
        prev = tag
    return tags


def perturb(rng: random.Random, gold: list[str], loose: bool) -> list[str]:
    pred = list(gold)
    for i in range(len(pred)):
        r = rng.random()
        if r < 0.08:
            pred[i] = "O"
        elif r < 0.14:
            pred[i] = f"B-{rng.choice(TYPES)}"
        elif r < 0.20:
            pred[i] = f"I-{rng.choice(TYPES)}"  # may follow O or another type
        elif loose and r < 0.26 and pred[i].startswith("B-"):
            pred[i] = "I-" + pred[i][2:]
    return pred


def conlleval_lines(gold, pred) -> list[str]:
    lines = []
    for k, (g_sent, p_sent) in enumerate(zip(gold, pred)):
        if k:
            lines.append("")
        lines += [f"w{k}_{i} {g} {p}" for i, (g, p) in enumerate(zip(g_sent, p_sent))]
    return lines


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_matches_conlleval(seed):
    rng = random.Random(seed)
    gold, pred = [], []
    for _ in range(60):
        g = random_iob2(rng, rng.randint(1, 15))
        if seed % 2:  # odd seeds: gold with I- after O too (IOB1-like reading)
            g = perturb(rng, g, loose=True)
        gold.append(g)
        pred.append(perturb(rng, g, loose=bool(seed % 3)))
    assert any(p[i].startswith("I-") and (i == 0 or p[i - 1] == "O") for p in pred for i in range(len(p)))

    ref = conlleval.evaluate(conlleval_lines(gold, pred))
    ours = score(gold, pred)

    # This port reports fractions, not percentages (conlleval.pl prints 100x these).
    chunks = ref["overall"]["chunks"]
    assert chunks["stats"]["pred"] > 0 and chunks["stats"]["correct"] > 0
    assert ours["overall"]["precision"] == pytest.approx(chunks["evals"]["prec"], abs=1e-9)
    assert ours["overall"]["recall"] == pytest.approx(chunks["evals"]["rec"], abs=1e-9)
    assert ours["overall"]["f1"] == pytest.approx(chunks["evals"]["f1"], abs=1e-9)
    tags = ref["overall"]["tags"]["stats"]
    assert ours["overall"]["accuracy"] == pytest.approx(tags["correct"] / tags["gold"], abs=1e-9)

    ref_types = ref["slots"]["chunks"]
    assert set(ours["per_type"]) == {t for t, v in ref_types.items() if v["stats"]["gold"] or v["stats"]["pred"]}
    for etype, ours_t in ours["per_type"].items():
        stats, evals = ref_types[etype]["stats"], ref_types[etype]["evals"]
        assert ours_t["support"] == stats["gold"], etype
        # the port says precision 1 when nothing was found; conlleval.pl and we say 0
        expected_p = evals["prec"] if stats["pred"] else 0.0
        assert ours_t["precision"] == pytest.approx(expected_p, abs=1e-9), etype
        assert ours_t["recall"] == pytest.approx(evals["rec"], abs=1e-9), etype
        expected_f1 = evals["f1"] if stats["pred"] else 0.0
        assert ours_t["f1"] == pytest.approx(expected_f1, abs=1e-9), etype
