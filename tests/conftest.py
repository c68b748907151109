"""Shared test options: `slow` tests are deselected unless --runslow; `gpu` tests skip without CUDA."""

from __future__ import annotations

import pytest


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run the tests marked slow")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--runslow"):
        slow = [item for item in items if "slow" in item.keywords]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in items if "slow" not in item.keywords]
    import torch

    if not torch.cuda.is_available():
        skip_gpu = pytest.mark.skip(reason="needs a CUDA GPU")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip_gpu)


@pytest.fixture(scope="session", autouse=True)
def _onnx_cache(tmp_path_factory):
    """ONNX exports (``--runtime auto`` exports BERT models on a CPU) go to one cache for the whole
    session, never ~/.cache: each test model is exported once."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ANNOTATOR_CACHE", str(tmp_path_factory.mktemp("annotator_cache")))
        yield


class ReportPage:
    """An HTML page read with the standard library's parser: tables by id (rows of cell texts), the ids of
    sections, every tag with its attributes, and the classes of the ``mark`` elements (displaCy entities)."""

    def __init__(self, html: str):
        from html.parser import HTMLParser

        page = self
        self.tables: dict[str, list[list[str]]] = {}
        self.sections: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.marks: list[str] = []
        self.text_parts: list[str] = []

        class Parser(HTMLParser):
            table: str | None = None
            cell: list[str] | None = None

            def handle_starttag(self, tag, attrs):
                attrs = dict(attrs)
                page.tags.append((tag, attrs))
                if tag == "table":
                    self.table = attrs.get("id", "")
                    page.tables[self.table] = []
                elif tag == "tr" and self.table is not None:
                    page.tables[self.table].append([])
                elif tag in ("td", "th") and self.table is not None:
                    self.cell = []
                elif tag == "section":
                    page.sections.append(attrs.get("id", ""))
                elif tag == "mark":
                    page.marks.append(attrs.get("class", ""))

            def handle_endtag(self, tag):
                if tag in ("td", "th") and self.cell is not None:
                    page.tables[self.table][-1].append("".join(self.cell).strip())
                    self.cell = None
                elif tag == "table":
                    self.table = None

            def handle_data(self, data):
                page.text_parts.append(data)
                if self.cell is not None:
                    self.cell.append(data)

        parser = Parser(convert_charrefs=True)
        parser.feed(html)
        parser.close()
        self.text = "".join(self.text_parts)

    def rows(self, table_id: str) -> dict[str, list[str]]:
        """The body rows of a table keyed by their first cell."""
        return {row[0]: row[1:] for row in self.tables[table_id][1:]}

    def head(self, table_id: str) -> list[str]:
        return self.tables[table_id][0]

    def mismatches(self, report: dict) -> list[str]:
        """Where the page's tables disagree with the JSON report (empty when every number agrees)."""
        bad: list[str] = []

        def check(where: str, shown: str, value, fmt: str) -> None:
            if shown != format(value, fmt):
                bad.append(f"{where}: page shows {shown!r}, report has {value!r}")

        overall = dict(zip(self.head("overall")[1:], self.rows("overall")["this model"]))
        for key, label in (
            ("f1", "F1 (micro)"),
            ("precision", "precision"),
            ("recall", "recall"),
            ("f1_strict", "strict F1"),
            ("f1_macro", "macro F1"),
            ("accuracy", "token accuracy"),
        ):
            check(f"overall {key}", overall[label], report["overall"][key], ".4f")
        per_type = self.rows("per-type")
        for name, v in report["per_type"].items():
            for i, key in enumerate(("precision", "recall", "f1")):
                check(f"{name} {key}", per_type[name][i], v[key], ".4f")
            check(f"{name} support", per_type[name][3], v["support"], ",")
        kinds = self.rows("error-kinds")
        names = {
            "correct": "correct",
            "missed": "missed",
            "spurious": "spurious",
            "wrong_type": "wrong type",
            "wrong_boundary": "wrong boundary",
            "wrong_type_and_boundary": "wrong type and boundary",
        }
        for kind, n in report["errors"]["counts"].items():
            check(f"error kind {kind}", kinds[names[kind]][0], n, ",")
        labels = self.head("confusion-matrix")[1:-1]
        if labels != list(report["confusion"]):
            bad.append(f"confusion labels {labels} != {list(report['confusion'])}")
        for gold, row in self.rows("confusion-matrix").items():
            if gold == "total":
                continue
            for label, shown in zip(labels, row):
                check(f"confusion {gold}/{label}", shown, report["confusion"][gold][label], ",")
        thresholds = self.rows("threshold-table")
        for r in report["thresholds"]:
            shown = thresholds[f"{r['threshold']:.2f}"]
            check(f"t={r['threshold']} kept", shown[0], r["kept"], ",")
            check(f"t={r['threshold']} correct", shown[1], r["correct"], ",")
            for i, key in enumerate(("precision", "recall", "f1"), start=2):
                check(f"t={r['threshold']} {key}", shown[i], r[key], ".4f")
        return bad


@pytest.fixture(scope="session")
def parse_report():
    """``parse_report(html) -> ReportPage``."""
    return ReportPage
