"""The shipped `evaluate` metric module loads offline and reports what annotator.scoring reports."""

from annotator.scoring import score


def test_evaluate_loads_the_shipped_metric_and_agrees_with_score():
    from annotator.metrics import load_conll_ner

    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["I-ORG", "O"]]
    result = load_conll_ner().compute(predictions=pred, references=gold)
    ours = score(gold, pred)
    assert result["overall_f1"] == ours["overall"]["f1"] == 2 / 3
    assert result["overall_f1_strict"] == ours["overall"]["f1_strict"] == 0.4
    assert result["PER"] == ours["per_type"]["PER"]
