"""annotator: batch named-entity annotation with transformer token-classification models."""

from .errors import AnnotatorError, ConfigError, InputFormatError, ModelError
from .labels import LabelSet, Span
from .records import Annotated, Record, Reject

__version__ = "0.1.0"
__all__ = [
    "AnnotateConfig",
    "Annotated",
    "AnnotatorError",
    "ConfigError",
    "InputFormatError",
    "LabelSet",
    "ModelError",
    "Record",
    "Reject",
    "Span",
    "TokenClassifier",
    "annotate",
    "__version__",
]


def __getattr__(name: str):
    """Heavy parts (torch, transformers) load on first use, so `import annotator` stays light."""
    if name in ("annotate", "AnnotateConfig", "RunStats"):
        from . import run

        return getattr(run, name)
    if name == "TokenClassifier":
        from .inference import TokenClassifier

        return TokenClassifier
    raise AttributeError(f"module 'annotator' has no attribute {name!r}")
