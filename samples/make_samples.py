"""Write the sample data in this folder from templates: invented names and sentences only.

    python samples/make_samples.py

Produces train.conll, dev.conll (IOB2, -DOCSTART- documents, 4 columns like CoNLL-2003),
texts.txt (one raw text per line) and texts.jsonl. Deterministic (fixed seed).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).parent

PER = [
    "Maria Lindqvist",
    "Tomas Okafor",
    "Helen Brandt",
    "Ravi Menon",
    "Sofia Carvalho",
    "Jonas Weber",
    "Amina Diallo",
    "Peter Novak",
    "Lucia Romano",
    "Kenji Sato",
    "Clara Moreau",
    "David Osei",
    "Elena Petrova",
    "Marco Bianchi",
    "Nadia Haddad",
    "Oliver Grant",
]
ORG = [
    "Northwind Bank",
    "Bluefield Motors",
    "the Harbor Council",
    "Vantor Labs",
    "Greenline Rail",
    "Orion Insurance",
    "the Meridian Group",
    "Solstice Airways",
    "Keller Steel",
    "Atlas Foods",
]
LOC = [
    "Lisbon",
    "Nairobi",
    "Oslo",
    "Toronto",
    "Kyoto",
    "Valparaiso",
    "Gdansk",
    "Adelaide",
    "Bergen",
    "Cairo",
    "the Rhine valley",
    "Lake Geneva",
]
MISC = ["German", "Brazilian", "Japanese", "Canadian", "Olympic", "Nordic", "Kenyan", "French"]

TEMPLATES = [
    "{PER} , chief executive of {ORG} , said on Monday that sales in {LOC} rose .",
    "{ORG} opened a new office in {LOC} last week .",
    "{PER} met {PER} in {LOC} to discuss the {MISC} market .",
    "Shares of {ORG} fell 3 percent after the {MISC} regulator opened an inquiry .",
    "The {MISC} team beat {LOC} 2-1 on Sunday .",
    "{PER} told reporters in {LOC} that {ORG} would hire 200 people .",
    "Rain delayed trains between {LOC} and {LOC} on Tuesday .",
    "{ORG} and {ORG} agreed to merge their {MISC} units .",
    "{PER} won the {MISC} marathon in {LOC} .",
    "Analysts at {ORG} expect prices to stay flat .",
    "The mayor of {LOC} , {PER} , welcomed the plan .",
    "{MISC} exports to {LOC} grew for a third month .",
]


def _fill(template: str, rng: random.Random) -> list[tuple[str, str]]:
    pools = {"PER": PER, "ORG": ORG, "LOC": LOC, "MISC": MISC}
    rows: list[tuple[str, str]] = []
    for piece in template.split():
        if piece.startswith("{") and piece.endswith("}"):
            etype = piece[1:-1]
            words = rng.choice(pools[etype]).split()
            if words[0] == "the":  # the article stays outside the entity, as in CoNLL-2003
                rows.append((words.pop(0), "O"))
            rows += [(w, ("B-" if i == 0 else "I-") + etype) for i, w in enumerate(words)]
        else:
            rows.append((piece, "O"))
    return rows


def _write_conll(path: Path, n_docs: int, rng: random.Random) -> list[str]:
    texts = []
    with open(path, "w", encoding="utf-8") as out:
        out.write("-DOCSTART- -X- -X- O\n\n")
        for d in range(n_docs):
            if d:
                out.write("-DOCSTART- -X- -X- O\n\n")
            for _ in range(rng.randint(3, 6)):
                rows = _fill(rng.choice(TEMPLATES), rng)
                texts.append(" ".join(w for w, _ in rows))
                for word, tag in rows:
                    out.write(f"{word} X X {tag}\n")
                out.write("\n")
    return texts


def main() -> None:
    rng = random.Random(13)
    _write_conll(HERE / "train.conll", 60, rng)
    texts = _write_conll(HERE / "dev.conll", 12, rng)
    raw = [
        "Maria Lindqvist flew from Oslo to Toronto on Friday to meet investors of Vantor Labs.",
        "Greenline Rail said its new line between Gdansk and Bergen opens in May.",
        "The Japanese delegation, led by Kenji Sato, visited Atlas Foods in Adelaide.",
        "No names in this sentence at all.",
    ] + texts[:4]
    (HERE / "texts.txt").write_text("\n".join(raw) + "\n", encoding="utf-8")
    with open(HERE / "texts.jsonl", "w", encoding="utf-8") as out:
        for i, text in enumerate(raw):
            out.write(json.dumps({"id": f"doc-{i + 1}", "text": text}) + "\n")


if __name__ == "__main__":
    main()
