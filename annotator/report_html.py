"""The evaluation report (the JSON report of :mod:`annotator.evaluate`) as one self-contained HTML page.

Opens offline: inline CSS, inline SVG charts drawn here, the worst sentences rendered by spaCy's
displaCy (entity style, manual mode); no script, no link, nothing fetched. Every text taken from
the report is escaped. Pure: a report dict in, a string out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from .analysis import ERROR_KINDS, KINDS

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
ENT_COLORS = (
    "#aa9cfc",
    "#7aecec",
    "#feca74",
    "#bfe1d9",
    "#ff9561",
    "#c887fb",
    "#e4e7d2",
    "#bfeeb7",
    "#ffeb80",
    "#f0d0ff",
)
KIND_TEXT = {
    "correct": "correct",
    "missed": "missed",
    "spurious": "spurious",
    "wrong_type": "wrong type",
    "wrong_boundary": "wrong boundary",
    "wrong_type_and_boundary": "wrong type and boundary",
}
KIND_MARK = {
    "missed": "missed",
    "spurious": "spurious",
    "wrong_type": "type",
    "wrong_boundary": "boundary",
    "wrong_type_and_boundary": "type+boundary",
}
KIND_HELP = {
    "correct": "same words, same type (what conlleval counts as correct)",
    "missed": "a gold entity no prediction overlaps",
    "spurious": "a predicted entity no gold entity overlaps",
    "wrong_type": "same words, another type",
    "wrong_boundary": "same type, overlapping but other words",
    "wrong_type_and_boundary": "overlapping, other words and another type",
}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#222;
 margin:0;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:18px 28px 40px;background:#fff}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #e3e6ea;
 padding-bottom:4px}h3{font-size:15px;margin:14px 0 6px}
p.sub{color:#555;margin:2px 0 10px}nav a{margin-right:14px;color:#2a5db0;text-decoration:none}
table{border-collapse:collapse;margin:6px 0 10px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #dde1e6;padding:3px 9px}th{background:#f0f2f5;text-align:left;font-weight:600}
td.n{text-align:right}tr.total td{font-weight:600;background:#fafbfc}
td.pos{color:#18794e}td.neg{color:#c0362c}td.zero{color:#888}
.overall td{font-size:20px;font-weight:600;padding:6px 14px}.overall td:first-child{font-size:13px;font-weight:400}
.overall th{font-weight:400;color:#444}
#error-kinds-by-type th{width:64px;white-space:normal;vertical-align:bottom}
.row{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}
.scroll{max-height:430px;overflow-y:auto;border:1px solid #eef0f3}
.scroll table{margin:0}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#333}
dl.facts{display:grid;grid-template-columns:150px 1fr;gap:3px 12px;margin:6px 0}
dl.facts dt{color:#555}dl.facts dd{margin:0;word-break:break-all}
code{background:#f0f2f5;padding:1px 4px;border-radius:3px}
.sent{border:1px solid #e3e6ea;border-radius:6px;margin:10px 0;padding:4px 10px}
.sent .where{color:#555;font-size:12px}
.sent .line{display:grid;grid-template-columns:74px 1fr;align-items:center}
.sent .line>span{color:#555;font-size:12px;font-weight:600}
.sent .entities{line-height:2.4!important;font-size:14px}
mark.err{outline:2px solid #d62728;outline-offset:1px}
.x{color:#d62728;font-weight:700;margin-left:4px}.score{color:#555;font-weight:400;margin-left:4px}
.legend span{margin-right:16px}.swatch{display:inline-block;width:11px;height:11px;margin-right:4px;
 vertical-align:-1px;border-radius:2px}
"""

ENT_TEMPLATE = (
    '<mark class="entity {cls}" style="background: {bg}; padding: 0.3em 0.5em; margin: 0 0.2em; line-height: 1;'
    ' border-radius: 0.35em;">{text}<span style="font-size: 0.75em; font-weight: bold; line-height: 1;'
    ' vertical-align: middle; margin-left: 0.4rem">{label}{kb_link}{mark}</span></mark>'
)


def render_report(report: Mapping[str, Any]) -> str:
    """The whole HTML page of ``report`` (as :func:`annotator.evaluate.score_tagged` and
    :func:`annotator.evaluate.evaluate_files` build it)."""
    card = report.get("model_card") or {}
    sections = [
        ("model", "Model", _model_section(report, card)),
        ("scores", "Scores", _scores_section(report)),
        ("errors", "Errors by kind", _errors_section(report)),
        ("confusion", "Confusion matrix", _confusion_section(report)),
        ("thresholds", "Score threshold", _threshold_section(report)),
    ]
    if card.get("history"):
        sections.append(("training", "Training", _history_section(card["history"])))
    sections.append(("worst", "Worst sentences", _worst_section(report)))
    title = "Evaluation report: " + ", ".join(report.get("files") or ["(no files)"])
    nav = "".join(f'<a href="#{key}">{escape(name)}</a>' for key, name, _ in sections)
    body = "".join(f'<section id="{key}"><h2>{escape(name)}</h2>{html}</section>' for key, name, html in sections)
    counts = (
        f"{report.get('documents', 0):,} documents, {report.get('sentences', 0):,} sentences, "
        f"{report.get('tokens', 0):,} tokens; decoding {report.get('decoding', '?')}, "
        f"precision {report.get('precision', '?')}, quantize {report.get('quantize', '?')}, "
        f"runtime {report.get('runtime', 'torch')}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
        f'<h1>{escape(title)}</h1><p class="sub">{escape(counts)}</p><nav>{nav}</nav>{body}'
        "</main></body></html>\n"
    )


# --- sections -----------------------------------------------------------------------------------


def _model_section(report: Mapping[str, Any], card: dict) -> str:
    data = card.get("data") or {}
    facts = [
        ("model", card.get("path") or report.get("model", "")),
        ("base encoder", card.get("base_model")),
        (
            "architecture",
            f"{card.get('architecture')} ({card.get('layers')} layers, hidden {card.get('hidden_size')})"
            if card.get("architecture")
            else None,
        ),
        (
            "window",
            f"{card.get('max_length')} subwords, {card.get('context')} context" if card.get("max_length") else None,
        ),
        ("entity types", ", ".join(card.get("entity_types") or [])),
    ]
    for split in ("train", "dev", "test"):
        d = data.get(split)
        if d:
            facts.append((f"{split} data", f"{d.get('path')} ({d.get('sentences', '?')} sentences)"))
    facts.append(("trained with", card.get("command")))
    facts.append(("evaluated on", ", ".join(report.get("files") or [])))
    comparison = report.get("comparison")
    if comparison:
        facts.append(
            (
                "compared with",
                (
                    f"{comparison.get('report')} (model {comparison.get('model')}; "
                    f"files {', '.join(comparison.get('files') or [])})"
                ),
            )
        )
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in facts if v)
    return f'<dl class="facts">{rows}</dl>'


def _scores_section(report: Mapping[str, Any]) -> str:
    o = report["overall"]
    comparison = report.get("comparison") or {}
    names = [
        ("f1", "F1 (micro)"),
        ("precision", "precision"),
        ("recall", "recall"),
        ("f1_strict", "strict F1"),
        ("f1_macro", "macro F1"),
        ("accuracy", "token accuracy"),
    ]
    rows: list[list[Cell]] = [["this model", *(_num(o[key]) for key, _ in names)]]
    if comparison:
        pairs = [comparison["overall"][key] for key, _ in names]
        rows.append(["other", *(_num(p["other"]) for p in pairs)])
        rows.append(["Δ", *(_delta(p["diff"]) for p in pairs)])
    overall = _table("overall", [""] + [label for _, label in names], rows)
    per_type = report["per_type"]
    types = list(per_type)
    head = ["type", "precision", "recall", "F1", "support"]
    if comparison:
        head += ["other P", "other R", "other F1", "other support", "Δ P", "Δ R", "Δ F1"]
    rows = []
    for t in types:
        v = per_type[t]
        row: list[Cell] = [escape(t), _num(v["precision"]), _num(v["recall"]), _num(v["f1"]), _int(v["support"])]
        if comparison:
            pairs = comparison["per_type"].get(t, {})
            row += [
                _num(pairs.get(k, {}).get("other")) if k != "support" else _int(pairs.get(k, {}).get("other"))
                for k in ("precision", "recall", "f1", "support")
            ]
            row += [_delta(pairs.get(k, {}).get("diff")) for k in ("precision", "recall", "f1")]
        rows.append(row)
    support = sum(v["support"] for v in per_type.values())
    total: list[Cell] = ["overall (micro)", _num(o["precision"]), _num(o["recall"]), _num(o["f1"]), _int(support)]
    if comparison:
        c = comparison["overall"]
        other_support = sum((p.get("support") or {}).get("other") or 0 for p in comparison["per_type"].values())
        total += [
            _num(c["precision"]["other"]),
            _num(c["recall"]["other"]),
            _num(c["f1"]["other"]),
            _int(other_support),
            _delta(c["precision"]["diff"]),
            _delta(c["recall"]["diff"]),
            _delta(c["f1"]["diff"]),
        ]
    table = _table("per-type", head, rows, total=total)
    chart = bar_chart(
        types,
        {
            "precision": [per_type[t]["precision"] for t in types],
            "recall": [per_type[t]["recall"] for t in types],
            "F1": [per_type[t]["f1"] for t in types],
        },
        title="Per-type precision, recall and F1",
    )
    return (
        f'<div class="overall">{overall}</div>'
        f'<h3>Per type</h3><div class="row"><div>{table}</div><div>{chart}</div></div>'
    )


def _errors_section(report: Mapping[str, Any]) -> str:
    errors = report.get("errors")
    if not errors:
        return "<p>No error analysis in this report.</p>"
    counts = errors["counts"]
    compared = (report.get("comparison") or {}).get("errors")
    head = ["kind", "count", "share of gold", "share of predicted", "meaning"] + (["other", "Δ"] if compared else [])
    rows: list[list[Cell]] = []
    for kind in KINDS:
        n = counts[kind]
        of_gold = "" if kind == "spurious" else _pct(n, errors["gold"])
        of_pred = "" if kind == "missed" else _pct(n, errors["predicted"])
        row: list[Cell] = [escape(KIND_TEXT[kind]), _int(n), of_gold, of_pred, escape(KIND_HELP[kind])]
        if compared:
            row += [
                _int(compared[kind]["other"]),
                _delta(compared[kind]["diff"], digits=0, good_if_negative=kind != "correct"),
            ]
        rows.append(row)
    n_errors = sum(counts[k] for k in ERROR_KINDS)
    total: list[Cell] = [
        "errors",
        _int(n_errors),
        "",
        "",
        escape(f"{errors['gold']:,} gold and {errors['predicted']:,} predicted entities; each counted once"),
    ]
    if compared:
        others = [compared[k]["other"] for k in ERROR_KINDS]
        other_total = sum(others) if all(x is not None for x in others) else None
        total += [
            _int(other_total),
            _delta(None if other_total is None else n_errors - other_total, digits=0, good_if_negative=True),
        ]
    table = _table("error-kinds", head, rows, total=total)
    by_type = errors.get("by_type") or {}
    types = list(by_type)
    head = ["type"] + [KIND_TEXT[k] for k in KINDS]
    rows = [[escape(t), *(_int(by_type[t][k]) for k in KINDS)] for t in types]
    breakdown = _table("error-kinds-by-type", head, rows)
    chart = stacked_bar_chart(
        types, {KIND_TEXT[k]: [by_type[t][k] for t in types] for k in ERROR_KINDS}, title="Errors per type, by kind"
    )
    return (
        f"{table}<h3>By type</h3><p class=\"sub\">The gold entity's type (the predicted one's for spurious "
        f'entities).</p><div class="row"><div>{breakdown}</div><div>{chart}</div></div>'
    )


def _confusion_section(report: Mapping[str, Any]) -> str:
    matrix = report.get("confusion")
    if not matrix:
        return "<p>No confusion matrix in this report.</p>"
    labels = list(matrix)
    head = ["gold \\ predicted"] + labels + ["total"]
    rows = [[escape(g)] + [_int(matrix[g][p]) for p in labels] + [_int(sum(matrix[g].values()))] for g in labels]
    total = ["total"] + [_int(sum(matrix[g][p] for g in labels)) for p in labels] + [""]
    table = _table("confusion-matrix", head, rows, total=total)
    note = (
        '<p class="sub">Each pair of a gold and a predicted entity counts once at (gold type, predicted type), '
        "whatever its boundaries; a missed entity counts under <code>none</code> predicted, a spurious one "
        "under <code>none</code> gold. Colour: share of the row.</p>"
    )
    return f'{note}<div class="row"><div>{table}</div><div>{heat_map(matrix)}</div></div>'


def _threshold_section(report: Mapping[str, Any]) -> str:
    rows_data = report.get("thresholds")
    if not rows_data:
        return "<p>No threshold table in this report.</p>"
    xs = [r["threshold"] for r in rows_data]
    shown = [r[k] for r in rows_data if r["kept"] for k in ("precision", "recall", "f1")]
    y_lo = max(0.0, math.floor(min(shown, default=0.0) * 10 - 0.5) / 10)  # a margin of 0.05 at least, in tenths
    chart = line_chart(
        xs,
        {
            "precision": [r["precision"] for r in rows_data],
            "recall": [r["recall"] for r in rows_data],
            "F1": [r["f1"] for r in rows_data],
        },
        right=("entities kept", [r["kept"] for r in rows_data]),
        x_label="score threshold",
        x_ticks=[t for t in (0.5, 0.6, 0.7, 0.8, 0.9, 0.99) if xs[0] <= t <= xs[-1]],
        y_range=(y_lo, 1.0),
        title="Precision, recall and F1 of the entities kept, by score threshold",
    )
    best = max(rows_data, key=lambda r: (r["f1"], -r["threshold"]))
    notes = [
        (
            f"Highest F1 {best['f1']:.4f} at threshold {best['threshold']:.2f} "
            f"({best['kept']:,} entities kept, precision {best['precision']:.4f})."
        )
    ]
    for target in (0.95, 0.98):
        hit = next((r for r in rows_data if r["precision"] >= target), None)
        if hit:
            notes.append(
                f"Precision {target:.2f} or more from threshold {hit['threshold']:.2f}: "
                f"{hit['kept']:,} entities kept, recall {hit['recall']:.4f}."
            )
    head = ["threshold", "kept", "correct", "precision", "recall", "F1"]
    rows = [
        [
            f"{r['threshold']:.2f}",
            _int(r["kept"]),
            _int(r["correct"]),
            _num(r["precision"]),
            _num(r["recall"]),
            _num(r["f1"]),
        ]
        for r in rows_data
    ]
    table = _table("threshold-table", head, rows)
    intro = (
        "<p class=\"sub\">Each predicted entity's score is the mean probability of its words' tags (the "
        "<code>score</code> <code>annotate</code> writes). At threshold t the entities with score ≥ t are kept, "
        "as <code>export-spacy --min-score t</code> keeps them. Pick t on a dev set, not on test.</p>"
    )
    return (
        f"{intro}<p>{'<br>'.join(escape(n) for n in notes)}</p>"
        f'<div class="row"><div>{chart}</div><div class="scroll">{table}</div></div>'
    )


def _history_section(history: Sequence[dict]) -> str:
    points = [h for h in history if h.get("dev_f1") is not None]
    if not points:
        return "<p>No per-epoch dev scores recorded.</p>"
    xs = [float(h["epoch"]) for h in points]
    f1 = [float(h["dev_f1"]) for h in points]
    lo, hi = min(f1), max(f1)
    pad = max((hi - lo) * 0.15, 0.005)
    chart = line_chart(
        xs,
        {"dev F1": f1},
        x_label="epoch",
        y_range=(max(0.0, lo - pad), min(1.0, hi + pad)),
        title="Dev F1 per epoch (the best epoch is kept)",
        x_format="{:g}",
        x_ticks=xs if len(xs) <= 12 else None,
    )
    head = ["epoch", "train loss", "dev F1"]
    rows = [[f"{h['epoch']:g}", _num(h.get("train_loss")), _num(h["dev_f1"])] for h in points]
    return f'<div class="row"><div>{chart}</div><div>{_table("history", head, rows)}</div></div>'


def _worst_section(report: Mapping[str, Any]) -> str:
    sentences = report.get("worst_sentences") or []
    if not sentences:
        return "<p>No sentence listed: none has an error, or <code>--report-examples</code> is 0.</p>"
    from spacy import displacy

    types = sorted({e["label"] for s in sentences for e in s["gold"] + s["pred"]})
    colors = {escape(t).upper(): ENT_COLORS[i % len(ENT_COLORS)] for i, t in enumerate(types)}
    options = {"template": ENT_TEMPLATE, "colors": colors}
    files = report.get("files") or []
    legend = (
        '<p class="sub legend">Gold above predicted. A red outline and <span class="x">✗</span> mark an '
        "entity that is not correct, with its kind; the number after a predicted type is its score.</p>"
    )
    parts = [legend]
    for s in sentences:
        gold = displacy.render(
            displacy_doc(s["words"], s["gold"]), style="ent", manual=True, page=False, jupyter=False, options=options
        )
        pred = displacy.render(
            displacy_doc(s["words"], s["pred"]), style="ent", manual=True, page=False, jupyter=False, options=options
        )
        where = f"{files[s['file']]}:{s['line']}" if s.get("file") is not None and s["file"] < len(files) else ""
        n = s["errors"]
        parts.append(
            f'<div class="sent"><div class="where">{escape(where)} · {n} error{"s" if n != 1 else ""}</div>'
            f'<div class="line"><span>gold</span>{gold}</div><div class="line"><span>predicted</span>{pred}'
            "</div></div>"
        )
    return "".join(parts)


def displacy_doc(words: Sequence[str], entities: Sequence[dict]) -> dict:
    """displaCy's manual input for one sentence: the words joined by spaces, each entity (word offsets, as
    in the report) as character offsets, with the template's ``cls`` and ``mark`` (kind, score) params."""
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w) + 1
    ents = []
    for e in entities:
        bad = e["kind"] != "correct"
        mark = f'<span class="score">{e["score"]:.2f}</span>' if e.get("score") is not None else ""
        if bad:
            mark += f'<span class="x" title="{escape(KIND_TEXT[e["kind"]])}">✗ {escape(KIND_MARK[e["kind"]])}</span>'
        ents.append(
            {
                "start": starts[e["start"]],
                "end": starts[e["end"] - 1] + len(words[e["end"] - 1]),
                "label": escape(e["label"]),
                "params": {"cls": "err" if bad else "ok", "mark": mark},
            }
        )
    return {"text": " ".join(words), "ents": ents, "title": None}


# --- tables and numbers ---------------------------------------------------------------------------


Cell = str | tuple[str, str]  # escaped text, or (escaped text, CSS class)


def _num(v, digits: int = 4) -> str:
    return "" if v is None else f"{v:.{digits}f}"


def _int(v) -> str:
    return "" if v is None else f"{v:,}"


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else ""


def _compared(pair: dict) -> list[Cell]:
    return [_num(pair.get("other")), _delta(pair.get("diff"))]


def _delta(v, *, digits: int = 4, good_if_negative: bool = False) -> Cell:
    """A difference cell: signed, green when better, red when worse (marked by a class _table reads)."""
    if v is None:
        return ""
    cls = "zero" if v == 0 else ("pos" if (v > 0) != good_if_negative else "neg")
    return f"{v:+,.{digits}f}", cls


def _table(
    table_id: str, head: Sequence[str], rows: Sequence[Sequence[Cell]], *, total: Sequence[Cell] | None = None
) -> str:
    """An HTML table; cells are already-escaped text, numbers right-aligned, ``_delta`` cells coloured."""

    def cell(value: Cell, i: int) -> str:
        if isinstance(value, tuple):
            return f'<td class="n {value[1]}">{value[0]}</td>'
        numeric = i > 0 and value.replace(",", "").replace(".", "").replace("%", "").replace("-", "").isdigit()
        return f'<td class="n">{value}</td>' if numeric else f"<td>{value}</td>"

    out = [
        f'<table id="{table_id}"><thead><tr>' + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr></thead><tbody>"
    ]
    for row in rows:
        out.append("<tr>" + "".join(cell(v, i) for i, v in enumerate(row)) + "</tr>")
    if total is not None:
        out.append('<tr class="total">' + "".join(cell(v, i) for i, v in enumerate(total)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


# --- SVG charts ---------------------------------------------------------------------------------


def _legend(names: Sequence[str], colors: Sequence[str], x: float, y: float) -> str:
    out = []
    for i, (name, color) in enumerate(zip(names, colors)):
        out.append(
            f'<rect x="{x + i * 110:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{color}"/>'
            f'<text x="{x + i * 110 + 14:.1f}" y="{y:.1f}">{escape(name)}</text>'
        )
    return "".join(out)


def _svg(width: int, height: int, title: str, content: str) -> str:
    return (
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>"
        f'<text x="{width / 2:.1f}" y="14" text-anchor="middle" style="font-weight:600">{escape(title)}</text>'
        f"{content}</svg>"
    )


def bar_chart(
    categories: Sequence[str], series: dict[str, Sequence[float]], *, title: str, width: int = 520, height: int = 260
) -> str:
    """Grouped vertical bars of values in [0, 1], one group per category, one bar per series."""
    left, right, top, bottom = 40, 10, 42, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    names = list(series)
    parts = []
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e6ea"/>'
            f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{tick:.2f}</text>'
        )
    group = plot_w / max(len(categories), 1)
    bar = group * 0.8 / max(len(names), 1)
    for i, cat in enumerate(categories):
        x0 = left + i * group + group * 0.1
        for j, name in enumerate(names):
            v = max(0.0, min(1.0, float(series[name][i])))
            h = plot_h * v
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 2:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(cat)} '
                f"{escape(name)} {v:.4f}</title></rect>"
            )
        parts.append(
            f'<text x="{left + (i + 0.5) * group:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle">{escape(cat)}</text>'
        )
    parts.append(_legend(names, PALETTE, left, 32))
    return _svg(width, height, title, "".join(parts))


def stacked_bar_chart(
    categories: Sequence[str], series: dict[str, Sequence[int]], *, title: str, width: int = 460, height: int = 240
) -> str:
    """Horizontal stacked bars of counts, one bar per category, one segment per series."""
    names = list(series)
    left, right, top, bottom = 70, 50, 58, 20  # right: room for the totals
    plot_w = width - left - right
    totals = [sum(series[n][i] for n in names) for i in range(len(categories))]
    scale = plot_w / max(max(totals, default=0), 1)
    row = (height - top - bottom) / max(len(categories), 1)
    parts = []
    for i, cat in enumerate(categories):
        y = top + i * row + row * 0.15
        x = float(left)
        for j, name in enumerate(names):
            w = series[name][i] * scale
            if w > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{row * 0.7:.1f}" '
                    f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(cat)} {escape(name)} '
                    f"{series[name][i]:,}</title></rect>"
                )
            x += w
        parts.append(
            f'<text x="{left - 6}" y="{y + row * 0.45:.1f}" text-anchor="end">{escape(cat)}</text>'
            f'<text x="{x + 4:.1f}" y="{y + row * 0.45:.1f}">{totals[i]:,}</text>'
        )
    for k in range(0, len(names), 3):
        parts.append(_legend(names[k : k + 3], PALETTE[k : k + 3], left - 60, 30 + (k // 3) * 14))
    return _svg(width, height, title, "".join(parts))


def line_chart(
    xs: Sequence[float],
    series: dict[str, Sequence[float]],
    *,
    title: str,
    x_label: str,
    right: tuple[str, Sequence[float]] | None = None,
    y_range: tuple[float, float] = (0.0, 1.0),
    x_format: str = "{:.2f}",
    x_ticks: Sequence[float] | None = None,
    width: int = 620,
    height: int = 330,
) -> str:
    """Lines over ``xs`` on a left axis (``y_range``), and optionally one series (dashed) on its own right axis."""
    left, right_pad, top, bottom = 46, 56 if right else 14, 42, 40
    plot_w, plot_h = width - left - right_pad, height - top - bottom
    x_lo, x_hi = min(xs), max(xs)
    x_span = (x_hi - x_lo) or 1.0
    y_lo, y_hi = y_range
    y_span = (y_hi - y_lo) or 1.0

    def px(x: float) -> float:
        return left + plot_w * (x - x_lo) / x_span

    def py(y: float, lo: float = y_lo, span: float = y_span) -> float:
        return top + plot_h * (1 - (y - lo) / span)

    parts = []
    for k in range(5):
        tick = y_lo + y_span * k / 4
        parts.append(
            f'<line x1="{left}" y1="{py(tick):.1f}" x2="{left + plot_w}" y2="{py(tick):.1f}" stroke="#e3e6ea"/>'
            f'<text x="{left - 5}" y="{py(tick) + 4:.1f}" text-anchor="end">{tick:.2f}</text>'
        )
    if x_ticks is None:
        n_ticks = min(len(xs), 6)
        x_ticks = [x_lo + x_span * k / max(n_ticks - 1, 1) for k in range(n_ticks)]
    for x in x_ticks:
        parts.append(
            f'<text x="{px(x):.1f}" y="{top + plot_h + 15:.1f}" text-anchor="middle">'
            f"{escape(x_format.format(x))}</text>"
        )
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">{escape(x_label)}</text>')
    names = list(series)
    for j, name in enumerate(names):
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(xs, series[name]))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{PALETTE[j % len(PALETTE)]}" stroke-width="2"/>')
        if len(xs) < 30:
            parts += [
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{PALETTE[j % len(PALETTE)]}">'
                f"<title>{escape(x_format.format(x))}: {escape(name)} {y:.4f}</title></circle>"
                for x, y in zip(xs, series[name])
            ]
    legend_names, legend_colors = names[:], [PALETTE[j % len(PALETTE)] for j in range(len(names))]
    if right:
        name, values = right
        r_hi = max(max(values, default=0), 1)
        color = "#555"
        points = " ".join(f"{px(x):.1f},{py(v, 0, r_hi):.1f}" for x, v in zip(xs, values))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.5" stroke-dasharray="5,3"/>'
        )
        for k in range(5):
            tick = r_hi * k / 4
            parts.append(f'<text x="{left + plot_w + 5}" y="{py(tick, 0, r_hi) + 4:.1f}">{tick:,.0f}</text>')
        legend_names.append(name + " (right)")
        legend_colors.append(color)
    parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#c9ced6"/>')
    parts.append(_legend(legend_names, legend_colors, left, 32))
    return _svg(width, height, title, "".join(parts))


def heat_map(matrix: dict[str, dict[str, int]], *, cell: int = 58) -> str:
    """The confusion matrix as coloured cells (share of the row) with the counts written in."""
    labels = list(matrix)
    left, top = 70, 56
    width, height = left + cell * len(labels) + 10, top + cell * len(labels) + 10
    parts = [
        f'<text x="{left + cell * len(labels) / 2:.1f}" y="{top - 22}" text-anchor="middle">predicted</text>',
        (
            f'<text x="14" y="{top + cell * len(labels) / 2:.1f}" text-anchor="middle" '
            f'transform="rotate(-90 14 {top + cell * len(labels) / 2:.1f})">gold</text>'
        ),
    ]
    for j, p in enumerate(labels):
        parts.append(f'<text x="{left + (j + 0.5) * cell:.1f}" y="{top - 6}" text-anchor="middle">{escape(p)}</text>')
    for i, g in enumerate(labels):
        row_total = sum(matrix[g].values())
        parts.append(f'<text x="{left - 6}" y="{top + (i + 0.5) * cell + 4:.1f}" text-anchor="end">{escape(g)}</text>')
        for j, p in enumerate(labels):
            n = matrix[g][p]
            share = n / row_total if row_total else 0.0
            shade = _blend(share)
            ink = "#fff" if share > 0.5 else "#222"
            x, y = left + j * cell, top + i * cell
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{shade}">'
                f"<title>gold {escape(g)}, predicted {escape(p)}: {n:,} ({share:.1%} of the row)</title></rect>"
                f'<text x="{x + cell / 2 - 1:.1f}" y="{y + cell / 2 + 3:.1f}" text-anchor="middle" '
                f'style="fill:{ink}">{n:,}</text>'
            )
    return _svg(width, height, "Confusion matrix (colour: share of the gold row)", "".join(parts))


def _blend(share: float) -> str:
    """White (0) to deep blue (1)."""
    lo, hi = (247, 249, 252), (31, 84, 160)
    r, g, b = (round(a + (c - a) * share) for a, c in zip(lo, hi))
    return f"#{r:02x}{g:02x}{b:02x}"
