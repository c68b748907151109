"""The model card (README.md in the model directory), written from the same metadata as annotator.json."""

from __future__ import annotations

from pathlib import Path

from annotator.outputs import atomic_write_text


def _scores_table(scores: dict) -> list[str]:
    o = scores["overall"]
    lines = ["| type | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for name, v in scores["per_type"].items():
        lines.append(f"| {name} | {v['precision']:.4f} | {v['recall']:.4f} | {v['f1']:.4f} | {v['support']} |")
    support = sum(v["support"] for v in scores["per_type"].values())
    lines.append(f"| **overall (micro)** | {o['precision']:.4f} | {o['recall']:.4f} | **{o['f1']:.4f}** | {support} |")
    lines.append("")
    lines.append(
        f"Strict-mode F1 (seqeval, IOB2): {o['f1_strict']:.4f}; macro F1: {o['f1_macro']:.4f}; "
        f"token accuracy: {o['accuracy']:.4f}."
    )
    return lines


def _shapes_lines(shapes: list[str]) -> list[str]:
    return [
        f"Inputs: word shapes ({', '.join(shapes)}) as `token_type_ids`, one class per word computed from its "
        "original text and given to every subword of the word (`annotator` does this on every path). The "
        "uncased encoder sees no capital letters otherwise. A caller that passes no token types, such as "
        "`transformers.pipeline`, gives every word class 0 (`lower`) and gets lower scores: see Notes.",
        "",
    ]


_CASED_LINES = [
    "Cased entities: (almost) every entity of the training data has a word with an upper-case letter or a "
    "digit, so `annotator` drops a predicted entity without one (`cased_entities` in annotator.json; "
    "`annotator.decode.uncased_entities_to_outside`). A plain `transformers.pipeline` does not.",
    "",
]


def loading_section(weights_dtype: str) -> list[str]:
    """How to load the model: fp32 on a CPU by default (the config says float32), half precision on a GPU."""
    return [
        "## Loading",
        "",
        f'The weights are stored in {weights_dtype}; `config.json` says `"dtype": "float32"`, so plain '
        "transformers loads the model in fp32 and runs it at full speed on a CPU. On a GPU, load it in half "
        'precision: `AutoModelForTokenClassification.from_pretrained(DIR, dtype=torch.bfloat16).to("cuda")` '
        'or `pipeline("token-classification", model=DIR, dtype=torch.bfloat16, device=0)` (`torch.float16` '
        "on GPUs without bf16).",
        "",
    ]


def write_card(path: Path, meta: dict) -> None:
    hp = meta["hyperparameters"]
    data = meta["data"]
    dev_role = "model selection" if hp.get("keep", "best") == "best" else "scored each epoch; the last epoch is kept"
    if data["dev"].get("trained_on"):
        dev_role += "; also a training file, so its scores are not held out"
    types = sorted({label[2:] for label in meta["labels"] if label != "O"})
    lines = [
        "---",
        "library_name: transformers",
        "pipeline_tag: token-classification",
        "tags: [ner, annotator]",
        "---",
        "",
        f"# NER model: {', '.join(types)}",
        "",
        "Token-classification model trained by `annotator train`. Loads with "
        "`AutoModelForTokenClassification.from_pretrained(DIR)` and "
        '`transformers.pipeline("token-classification", model=DIR)`.',
        "",
        *loading_section(meta.get("weights_dtype", "float32")),
        "## Command",
        "",
        "```",
        meta["command"] or "(library call)",
        *meta.get("post_processing", []),
        "```",
        "",
        "## Data",
        "",
        f"- train: `{data['train']['path']}` ({data['train']['sentences']} sentences, "
        f"{data['train']['documents']} documents, tag scheme read as {data['train']['scheme']})",
        f"- dev ({dev_role}): `{data['dev']['path']}` ({data['dev']['sentences']} sentences)",
    ]
    if data.get("test"):
        lines.append(f"- test: `{data['test']['path']}` ({data['test']['sentences']} sentences)")
    lines += [
        "",
        f"Labels (IOB2): {', '.join(meta['labels'])}",
        "",
        f"Base encoder: `{meta['base_model_name']}` (from `{meta['base_model']}`)"
        + (f", its first {hp['layers']} blocks (the top ones dropped)" if hp.get("layers") else ""),
        "",
        *(
            [
                f"Distilled from `{hp['teacher']}`: the loss at each word is {hp['distill_alpha']} x the KL "
                f"divergence from the teacher's scores (temperature {hp['distill_temperature']}) + "
                f"{1 - hp['distill_alpha']:g} x the cross-entropy of the tags (`annotator.training.distill`).",
                "",
            ]
            if hp.get("teacher")
            else []
        ),
        *(_shapes_lines(meta["word_shapes"]) if meta.get("word_shapes") else []),
        *(_CASED_LINES if meta.get("cased_entities") else []),
        "## Hyperparameters",
        "",
        "| setting | value |",
        "|---|---|",
    ]
    lines += [f"| {k} | {'all' if k == 'layers' and v is None else v} |" for k, v in hp.items()]
    lines += ["", "Per epoch (dev, entity-level micro F1, conlleval counting):", ""]
    lines += ["| epoch | train loss | dev F1 |", "|---|---|---|"]
    for h in meta["history"]:
        loss = f"{h['train_loss']:.4f}" if h.get("train_loss") is not None else "-"
        lines.append(f"| {h['epoch']} | {loss} | {h['dev']['overall']['f1']:.4f} |")
    decoding = meta.get("scores_decoding", "constrained")
    lines += [
        "",
        "## Scores",
        "",
        "Word-level predictions (the first subword's label scores), "
        + (
            "constrained decoding (the best IOB2-valid tag sequence per sentence)"
            if decoding == "constrained"
            else f"{decoding} decoding"
        )
        + "; entities counted as conlleval counts them (`annotator evaluate` gives these numbers).",
        "",
        "### Dev",
        "",
    ]
    lines += _scores_table(meta["scores"]["dev"])
    if meta["scores"].get("test"):
        lines += ["", "### Test", ""]
        lines += _scores_table(meta["scores"]["test"])
    if meta.get("notes"):
        lines += ["", "## Notes", "", *[f"- {note}" for note in meta["notes"]]]
    lines += [
        "",
        "## Training",
        "",
        f"- time: {meta['training_seconds'] / 60:.1f} minutes on {meta['device']}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()),
        "",
    ]
    atomic_write_text(path, "\n".join(lines))
