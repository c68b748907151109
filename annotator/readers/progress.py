"""How far the reading of the input files has got, in bytes: the total and ETA of `annotate`'s progress bar.

The reader thread says which file it reads and hands over the handle it opened; the thread that
draws the bar asks :attr:`ReadProgress.bytes_read`, which reads the position of the file
descriptor (a system call, no lock shared with the reader). Gzip files count compressed bytes,
as their size on disk does; Parquet files advance by the rows read. Standard input has no size,
so a run that reads it has no total.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .inputs import InputFile


def _size(file: InputFile) -> int | None:
    if file.stdin:
        return None
    try:
        return os.path.getsize(file.path)
    except OSError:
        return None


class ReadProgress:
    """Bytes read so far of ``files`` (in order); ``total`` is None when a size is unknown (stdin)."""

    def __init__(self, files: Sequence[InputFile]):
        sizes = [_size(file) for file in files]
        self.total: int | None = None if any(size is None for size in sizes) else sum(s or 0 for s in sizes)
        self._done = 0
        self._fd: int | None = None
        self._within = 0

    def start(self, file: InputFile) -> None:
        """The reader begins ``file``."""
        self._fd, self._within = None, 0

    def watch(self, handle: object) -> None:
        """The reader opened ``handle`` on the current file: its position is the progress within it."""
        try:
            self._fd = handle.fileno()  # type: ignore[attr-defined]
        except (OSError, ValueError, AttributeError):  # no descriptor (stdin's context, an in-memory stream)
            self._fd = None

    def advance(self, nbytes: int) -> None:
        """Progress within the current file when it has no descriptor to ask (Parquet: rows read)."""
        self._within = nbytes

    def finish(self, file: InputFile) -> None:
        """The reader is done with ``file``."""
        self._fd, self._within = None, 0
        self._done += _size(file) or 0

    @property
    def bytes_read(self) -> int:
        here = self._within
        fd = self._fd
        if fd is not None:
            try:
                here = os.lseek(fd, 0, os.SEEK_CUR)
            except OSError:  # closed meanwhile, or a pipe
                here = 0
        done = self._done + here
        return min(done, self.total) if self.total is not None else done
