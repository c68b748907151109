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

import hashlib
import json
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .errors import ConfigError
from .outputs import atomic_open, atomic_write, atomic_write_text, output_error, remove
from .records import Annotated, Record, Reject
from .stats import RunStats
from .writers import CONCATENATORS, FIXED_KEYS, WRITE_ERRORS, open_writer, split_unwritable

MANIFEST_VERSION = 1
SUFFIX = {"jsonl": ".jsonl", "parquet": ".parquet", "spacy": ".spacy"}


def _write_text(path: Path, text: str) -> None:
    atomic_write_text(path, text, resumable=True)


class PartStore:
    """The parts directory and manifest of one output."""

    def __init__(
        self,
        output: Path,
        fmt: str,
        *,
        include_text: bool,
        shard_size: int | None,
        rejects: Path,
        rejects_replaceable: bool = True,
    ):
        self.output = Path(output)
        self.fmt = fmt
        self.include_text = include_text
        self.shard_size = shard_size
        self.rejects = Path(rejects)
        self.rejects_replaceable = rejects_replaceable  # False for a --rejects path the user named: --force replaces it
        self.dir = self.output.with_name(self.output.name + ".parts")
        self.manifest_path = self.dir / "manifest.json"
        self.manifest: dict = {}
        self.fresh = False
        self._kept_types = KeptTypes()

    # -- start ------------------------------------------------------------------------------------

    def start(self, fingerprint: dict, *, resume: bool, force: bool) -> RunStats:
        """Prepare a fresh run, or load the state of the run to resume. Returns what is done.

        The caller has checked with :func:`annotator.outputs.check_output` that the output and the
        rejects file are no inputs and may be replaced; here only what exists decides."""
        try:
            return self._start(fingerprint, resume=resume, force=force)
        except OSError as exc:
            raise output_error(exc.filename or self.dir, exc) from None

    def _start(self, fingerprint: dict, *, resume: bool, force: bool) -> RunStats:
        if self.dir.exists() and not self.manifest_path.exists() and self.output.exists():
            remove(self.dir)  # what a finished run killed while it cleaned up left (the manifest goes first)
        if force:
            remove(self.output)
            remove(self.dir)
            remove(self.rejects)
        elif self.dir.exists() and not resume:
            raise ConfigError(
                f"{self.dir} holds an interrupted run; pass --resume to continue it or --force to start over"
            )
        elif self.output.exists() and not self.dir.exists():
            raise ConfigError(
                f"{self.output} exists; pass --force to overwrite it"
                + (" (it is complete: there is nothing to resume)" if resume else "")
            )
        elif self.rejects.exists() and not self.manifest_path.exists() and not self.rejects_replaceable:
            raise ConfigError(
                f"{self.rejects} exists (the rejects of an earlier run?); pass --force to replace it, "
                "or name another file with --rejects"
            )
        if resume and self.manifest_path.exists():
            self.manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            changed = sorted(
                k
                for k in set(fingerprint) | set(self.manifest["fingerprint"])
                if fingerprint.get(k) != self.manifest["fingerprint"].get(k)
            )
            if changed:
                raise ConfigError(
                    f"cannot resume {self.output}: the interrupted run used other settings "
                    f"({', '.join(changed)}); run it with the same options, or pass --force"
                )
            for stray in self.dir.glob("*.tmp"):
                remove(stray)
            self.fresh = False
        else:
            remove(self.dir)
            self.dir.mkdir(parents=True)
            self.manifest = {"version": MANIFEST_VERSION, "fingerprint": fingerprint, "parts": [], "finished": False}
            _write_text(self.manifest_path, json.dumps(self.manifest, indent=1))
            self.fresh = True
        done = RunStats()
        for part in self.manifest["parts"]:
            done.add(part)
        return done

    def abandon(self) -> None:
        """After a failed start (a bad model, an option the model refuses, a --strict stop before any
        part): remove the parts directory this run created, so a plain rerun works."""
        if self.fresh and self.manifest and not self.manifest["parts"]:
            remove(self.dir)

    def check_resumed(self, index: int, digest: str) -> None:
        """On resume: the items of part ``index`` read again must be those the interrupted run wrote
        (standard input has no modification time to compare: this is what checks it)."""
        recorded = self.manifest["parts"][index].get("digest")
        if recorded is not None and recorded != digest:
            part = self.manifest["parts"][index]
            first = sum(p["items"] for p in self.manifest["parts"][:index])
            raise ConfigError(
                f"cannot resume {self.output}: the input differs from the interrupted run's at "
                f"documents {first + 1}-{first + part['items']} (part {index}); give the same input "
                "(the same data on standard input), or pass --force to start over"
            )

    @property
    def finished(self) -> bool:
        return bool(self.manifest.get("finished"))

    # -- parts ------------------------------------------------------------------------------------

    def write_part(
        self,
        annotated: Sequence[Annotated],
        rejects: Sequence[Reject],
        *,
        items: int,
        words: int,
        digest: str | None = None,
        serialized: bytes | None = None,
    ) -> dict:
        """Write one part (annotations and rejects) and record it in the manifest.

        ``serialized``: the part's JSONL bytes, already serialized from ``annotated`` (jsonl only).
        """
        index = len(self.manifest["parts"])
        name = f"part-{index:05d}"
        data = self.dir / (name + SUFFIX[self.fmt])
        if self.fmt == "parquet":  # a kept value that fits no column type of earlier parts: that record is a reject
            annotated, misfits = self._kept_types.split(annotated, self._part_files())
            rejects = [*rejects, *misfits]
        try:
            self._write_data(data, annotated, serialized)
        except WRITE_ERRORS:  # a record the format cannot hold: that record is a reject, the run goes on
            annotated, unwritable = split_unwritable(self.fmt, annotated, include_text=self.include_text)
            rejects = [*rejects, *unwritable]
            self._write_data(data, annotated)
        rejects_file = None
        if rejects:
            rejects_file = self.dir / (name + ".rejects.jsonl")
            _write_text(rejects_file, "".join(_reject_line(r) for r in rejects))
        entities = Counter(span.label for item in annotated for span in item.entities)
        part = {
            "file": data.name,
            "rejects_file": rejects_file.name if rejects_file else None,
            "items": items,
            "records": len(annotated),
            "rejects": len(rejects),
            "words": words,
            "entities": dict(sorted(entities.items())),
        }
        if digest is not None:
            part["digest"] = digest
        self.manifest["parts"].append(part)
        _write_text(self.manifest_path, json.dumps(self.manifest, indent=1))
        return part

    def _part_files(self) -> list[Path]:
        return [self.dir / part["file"] for part in self.manifest["parts"]]

    def _write_data(self, data: Path, annotated: Sequence[Annotated], serialized: bytes | None = None) -> None:
        if self.fmt == "jsonl" and serialized is not None:
            with atomic_open(data, "wb", resumable=True) as handle:
                handle.write(serialized)
        elif self.fmt == "jsonl":
            with (
                atomic_open(data, "wb", resumable=True) as handle,
                open_writer("jsonl", handle, include_text=self.include_text) as writer,
            ):
                writer.write(annotated)
        else:
            with (
                atomic_write(data, resumable=True) as tmp,
                open_writer(self.fmt, tmp, include_text=self.include_text) as writer,
            ):
                writer.write(annotated)

    # -- end --------------------------------------------------------------------------------------

    def finish(self) -> None:
        """Assemble the parts into the output (and the rejects file), then remove the parts."""
        if not self.manifest["finished"]:
            self.manifest["finished"] = True
            _write_text(self.manifest_path, json.dumps(self.manifest, indent=1))
        parts = self.manifest["parts"]
        data = [self.dir / p["file"] for p in parts]
        if self.shard_size is None:
            self._assemble_file(data, self.output)
        else:
            self._assemble_shards(parts)
        reject_files = [self.dir / p["rejects_file"] for p in parts if p["rejects_file"]]
        if reject_files:
            with atomic_open(self.rejects, "wb", resumable=True) as out:
                for path in reject_files:
                    with open(path, "rb") as src:
                        shutil.copyfileobj(src, out)
        else:  # no rejects in this run: a rejects file from an earlier one must not pass for this run's
            remove(self.rejects)
        remove(self.manifest_path)  # first: a directory without its manifest is known to be leftovers
        remove(self.dir)

    def _assemble_file(self, data: list[Path], target: Path) -> None:
        if self.fmt == "jsonl":
            with atomic_open(target, "wb", resumable=True) as out:
                CONCATENATORS["jsonl"](data, out)
            return
        with atomic_write(target, resumable=True) as tmp:
            if data:
                CONCATENATORS[self.fmt](data, tmp)
            else:  # no document at all: an empty file of the format
                with open_writer(self.fmt, tmp, include_text=self.include_text):
                    pass

    def _assemble_shards(self, parts: list[dict]) -> None:
        with atomic_write(self.output, resumable=True) as tmp_dir:
            remove(tmp_dir)
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


class KeptTypes:
    """The Parquet column type of each kept field, from the parts written so far (first non-null type
    wins), so that a later record whose value cannot join that column is one reject, not a run that
    fails when the parts are assembled. Rebuilt from the part files' footers after a resume."""

    def __init__(self) -> None:
        self.types: dict[str, object] = {}
        self.seen = 0

    def split(self, items: Sequence[Annotated], parts: list[Path]) -> tuple[list[Annotated], list[Reject]]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        for path in parts[self.seen :]:
            for column in pq.read_schema(path):
                if column.name not in FIXED_KEYS and not pa.types.is_null(column.type):
                    self.types.setdefault(column.name, column.type)
        self.seen = len(parts)
        good, bad = [], []
        for item in items:
            problem = next(
                (
                    name
                    for name, value in item.record.fields.items()
                    if value is not None and name in self.types and not _fits(value, self.types[name])
                ),
                None,
            )
            if problem is None:
                good.append(item)
            else:
                bad.append(
                    Reject(
                        source=item.record.source,
                        id=item.record.id,
                        reason=(
                            f"cannot be written as parquet: kept field {problem!r} does not fit the column type "
                            f"{self.types[problem]} of the records before it; give the field one type in every record"
                        ),
                    )
                )
        return good, bad


def _fits(value: object, arrow_type) -> bool:
    import pyarrow as pa

    try:
        pa.array([value], type=arrow_type)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return False
    return True


def items_digest(items: Sequence[Record | Reject]) -> str:
    """A hash of what one batch read (every record's id, source, text and kept fields; every reject),
    recorded per part so that ``--resume`` can tell the same input from other data (stdin above all)."""
    digest = hashlib.sha256()
    for item in items:
        data: list[object]
        if isinstance(item, Record):
            data = ["r", item.id, item.source, item.text, item.fields]
        else:
            data = ["x", item.source, item.reason, item.id]
        digest.update(json.dumps(data, ensure_ascii=True, sort_keys=True, default=str).encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()


def _reject_line(reject: Reject) -> str:
    return json.dumps({"source": reject.source, "id": reject.id, "reason": reject.reason}, ensure_ascii=False) + "\n"
