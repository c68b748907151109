"""Training backends (transformers Trainer and a custom PyTorch loop) over one data path.

Part of ``annotator``, imported only by `annotator train` (annotating never imports training code).
"""

from .config import TrainConfig
from .run import TrainResult, train

__all__ = ["TrainConfig", "TrainResult", "train"]
