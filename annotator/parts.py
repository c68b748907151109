"""Resumable output: the run writes numbered part files and a manifest, then assembles the output.

Layout while a run is going (``OUT`` is the output path)::

    OUT.parts/manifest.json              what is done: options fingerprint, parts, counts
    OUT.parts/part-00000.jsonl           one part per input batch, written to .tmp and renamed
    OUT.parts/part-00000.rejects.jsonl

A part is complete once it is named in the manifest (written to a temporary name and renamed,
after the part files themselves). A run killed at any moment leaves only complete parts in the
manifest; ``--resume`` skips the input items those parts cover and goes on from the next part,
with the same batch boundaries, so the assembled output is byte-identical to an uninterrupted run.
At the end the parts are assembled into ``OUT`` (a file, or a directory of shards) and removed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .errors import ConfigError
from .records import Annotated, Reject
from .stats import RunStats
from .writers import CONCATENATORS, open_writer

MANIFEST_VERSION = 1
SUFFIX = {"jsonl": ".jsonl", "parquet": ".parquet", "spacy": ".spacy"}


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PartStore:
    """The parts directory and manifest of one output."""

    def __init__(self, output: Path, fmt: str, *, include_text: bool, shard_size: int | None,
                 rejects: Path):
        self.output = Path(output)
        self.fmt = fmt
        self.include_text = include_text
        self.shard_size = shard_size
        self.rejects = Path(rejects)
        self.dir = self.output.with_name(self.output.name + ".parts")
        self.manifest_path = self.dir / "manifest.json"
        self.manifest: dict = {}

    # -- start ------------------------------------------------------------------------------------

    def start(self, fingerprint: dict, *, resume: bool, force: bool) -> RunStats:
        """Prepare a fresh run, or load the state of the run to resume. Returns what is done."""
        if force:
            self._remove(self.output)
            self._remove(self.dir)
            self._remove(self.rejects)
        elif self.dir.exists() and not resume:
            raise ConfigError(f"{self.dir} holds an interrupted run; pass --resume to continue it "
                              "or --force to start over")
        elif self.output.exists() and not self.dir.exists():
            raise ConfigError(f"{self.output} exists; pass --force to overwrite it"
                              + (" (it is complete: there is nothing to resume)" if resume else ""))
        if resume and self.manifest_path.exists():
            self.manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            changed = sorted(k for k in set(fingerprint) | set(self.manifest["fingerprint"])
                             if fingerprint.get(k) != self.manifest["fingerprint"].get(k))
            if changed:
                raise ConfigError(f"cannot resume {self.output}: the interrupted run used other settings "
                                  f"({', '.join(changed)}); run it with the same options, or pass --force")
            for stray in self.dir.glob("*.tmp"):
                stray.unlink()
        else:
            self._remove(self.dir)
            self.dir.mkdir(parents=True)
            self.manifest = {"version": MANIFEST_VERSION, "fingerprint": fingerprint, "parts": [],
                             "finished": False}
            _atomic_write_text(self.manifest_path, json.dumps(self.manifest, indent=1))
        done = RunStats()
        for part in self.manifest["parts"]:
            done.add(part)
        return done

    @property
    def finished(self) -> bool:
        return bool(self.manifest.get("finished"))

    # -- parts ------------------------------------------------------------------------------------

    def write_part(self, annotated: Sequence[Annotated], rejects: Sequence[Reject], *, items: int,
                   words: int, serialized: bytes | None = None) -> dict:
        """Write one part (annotations and rejects) and record it in the manifest.

        ``serialized``: the part's JSONL bytes, already serialized from ``annotated`` (jsonl only).
        """
        index = len(self.manifest["parts"])
        name = f"part-{index:05d}"
        data = self.dir / (name + SUFFIX[self.fmt])
        tmp = data.with_name(data.name + ".tmp")
        if self.fmt == "jsonl":
            with open(tmp, "wb") as handle:
                if serialized is not None:
                    handle.write(serialized)
                else:
                    with open_writer("jsonl", handle, include_text=self.include_text) as writer:
                        writer.write(annotated)
                handle.flush()
                os.fsync(handle.fileno())
        else:
            with open_writer(self.fmt, tmp, include_text=self.include_text) as writer:
                writer.write(annotated)
            _fsync_path(tmp)
        os.replace(tmp, data)
        rejects_file = None
        if rejects:
            rejects_file = self.dir / (name + ".rejects.jsonl")
            _atomic_write_text(rejects_file, "".join(_reject_line(r) for r in rejects))
        entities = Counter(span.label for item in annotated for span in item.entities)
        part = {"file": data.name, "rejects_file": rejects_file.name if rejects_file else None,
                "items": items, "records": len(annotated), "rejects": len(rejects), "words": words,
                "entities": dict(sorted(entities.items()))}
        self.manifest["parts"].append(part)
        _atomic_write_text(self.manifest_path, json.dumps(self.manifest, indent=1))
        return part

    # -- end --------------------------------------------------------------------------------------

    def finish(self) -> None:
        """Assemble the parts into the output (and the rejects file), then remove the parts."""
        if not self.manifest["finished"]:
            self.manifest["finished"] = True
            _atomic_write_text(self.manifest_path, json.dumps(self.manifest, indent=1))
        parts = self.manifest["parts"]
        data = [self.dir / p["file"] for p in parts]
        if self.shard_size is None:
            self._assemble_file(data, self.output)
        else:
            self._assemble_shards(parts)
        reject_files = [self.dir / p["rejects_file"] for p in parts if p["rejects_file"]]
        if reject_files:
            tmp = self.rejects.with_name(self.rejects.name + ".tmp")
            with open(tmp, "wb") as out:
                for path in reject_files:
                    with open(path, "rb") as src:
                        shutil.copyfileobj(src, out)
            os.replace(tmp, self.rejects)
        shutil.rmtree(self.dir)

    def _assemble_file(self, data: list[Path], target: Path) -> None:
        tmp = target.with_name(target.name + ".tmp")
        if self.fmt == "jsonl":
            with open(tmp, "wb") as out:
                CONCATENATORS["jsonl"](data, out)
        elif data:
            CONCATENATORS[self.fmt](data, tmp)
        else:  # no document at all: an empty file of the format
            with open_writer(self.fmt, tmp, include_text=self.include_text):
                pass
        os.replace(tmp, target)

    def _assemble_shards(self, parts: list[dict]) -> None:
        tmp_dir = self.output.with_name(self.output.name + ".tmp")
        self._remove(tmp_dir)
        tmp_dir.mkdir()
        shard: list[Path] = []
        size = 0
        n = 0
        for part in parts:
            if shard and size + part["records"] > self.shard_size:
                self._assemble_file(shard, tmp_dir / f"part-{n:05d}{SUFFIX[self.fmt]}")
                shard, size, n = [], 0, n + 1
            shard.append(self.dir / part["file"])
            size += part["records"]
        if shard or n == 0:
            self._assemble_file(shard, tmp_dir / f"part-{n:05d}{SUFFIX[self.fmt]}")
        self._remove(self.output)
        os.replace(tmp_dir, self.output)

    @staticmethod
    def _remove(path: Path) -> None:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _reject_line(reject: Reject) -> str:
    return json.dumps({"source": reject.source, "id": reject.id, "reason": reject.reason}, ensure_ascii=False) + "\n"
