"""Entity-level NER scores as conlleval counts them, with seqeval's strict IOB2 F1 beside them.

A local `evaluate` metric module: ``evaluate.load("<path>/conll_ner.py")``. It delegates to
``annotator.scoring.score`` so that it reports exactly what `annotator evaluate` reports.
"""

import datasets
import evaluate

_DESCRIPTION = "Entity-level precision, recall and F1 (conlleval counting, via seqeval), per type and overall."
_KWARGS = """
Args:
    predictions: list of tag sequences (IOB2 strings), one per sentence.
    references: list of gold tag sequences, same shapes.
Returns:
    overall_precision, overall_recall, overall_f1, overall_f1_strict, overall_accuracy, and one dict per
    entity type with precision, recall, f1 and support.
"""


class ConllNer(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS,
            features=datasets.Features(
                {
                    "predictions": datasets.Sequence(datasets.Value("string")),
                    "references": datasets.Sequence(datasets.Value("string")),
                }
            ),
        )

    def _compute(self, predictions, references):
        from annotator.scoring import score

        report = score(references, predictions)
        out = {f"overall_{k}": v for k, v in report["overall"].items()}
        out.update(report["per_type"])
        return out
