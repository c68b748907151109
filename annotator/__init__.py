"""annotator: batch named-entity annotation with transformer token-classification models."""

from .errors import AnnotatorError, ConfigError, InputFormatError, ModelError
from .labels import LabelSet, Span

__version__ = "0.1.0"
__all__ = ["AnnotatorError", "ConfigError", "InputFormatError", "LabelSet", "ModelError", "Span", "__version__"]
