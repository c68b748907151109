"""Typed errors. Library code raises these; the CLI turns them into messages in one place (cli.py)."""

from __future__ import annotations

import os


class AnnotatorError(Exception):
    """Base class of every error the project raises on purpose."""


class ConfigError(AnnotatorError):
    """An option or a combination of options is invalid."""


class ModelError(AnnotatorError):
    """A model directory is missing, unreadable or not a token-classification model."""


class InputFormatError(AnnotatorError):
    """A data file is malformed. Names ``path:line`` and, where there is one, the fix."""

    def __init__(self, path: str | os.PathLike[str], line: int | None, message: str, *, fix: str | None = None):
        self.path = os.fspath(path)
        self.line = line
        self.message = message
        self.fix = fix
        where = f"{self.path}:{line}" if line is not None else self.path
        text = f"{where}: {message}"
        if fix:
            text += f" ({fix})"
        super().__init__(text)


class OutputError(AnnotatorError):
    """An output could not be written (no space, a file-size limit, permissions). Names the path and the fix."""


class AnnotatorWarning(UserWarning):
    """Something the user should know that does not stop the run; the CLI prints it as one line."""


class MissingDependencyError(AnnotatorError):
    """An optional dependency (an extra such as ``[ray]``) is not installed; says how to install it."""
