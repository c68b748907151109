"""Training backends (transformers Trainer and a custom PyTorch loop) over one data path.

Imports from ``annotator``; ``annotator`` imports this package only inside `annotator train`.
"""

from .config import TrainConfig
from .run import TrainResult, train

__all__ = ["TrainConfig", "TrainResult", "train"]
