"""The one place that decides whether an output path may be written, and how it is written.

Every command's outputs (annotate outputs, rejects, part files and manifests, evaluate reports,
model directories, exports) go through here:

- :func:`check_output` refuses a path that is one of the run's inputs (same device and inode,
  including the file standard input reads), an input directory or a directory holding an input,
  a device, pipe or socket (never replaced, even with ``--force``), and any existing file without
  ``--force``;
- :func:`atomic_write` writes through a temporary name beside the target, fsyncs and renames it
  into place, so a reader sees the old file or the whole new one, never half of one;
- :class:`RunLock` holds ``OUT.lock`` (naming the owner's pid) for the whole run, so a second run
  on the same output is refused by name while the first is alive; the kernel drops the lock when
  the owner dies, even by ``kill -9``.

A write that fails for lack of space, a file-size limit or permissions is one
:class:`~annotator.errors.OutputError` naming the path and the fix.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, OutputError

TMP_SUFFIX = ".tmp"
LOCK_SUFFIX = ".lock"

_FIXES = {
    errno.ENOSPC: "free some space",
    errno.EDQUOT: "free some space (disk quota exceeded)",
    errno.EFBIG: "raise the file-size limit (ulimit -f) or write smaller shards with --shard-size",
    errno.EACCES: "make the directory writable or choose another output path",
    errno.EPERM: "make the directory writable or choose another output path",
    errno.EROFS: "choose an output path on a writable file system",
}


def output_error(path: str | os.PathLike[str], exc: OSError, *, resumable: bool = False) -> OutputError:
    """One line for a failed write: the path, the reason and the fix."""
    fix = _FIXES.get(exc.errno or 0, "check the path and the disk")
    then = ", then continue with --resume" if resumable else ", then run again"
    return OutputError(f"cannot write {os.fspath(path)}: {exc.strerror or exc}; {fix}{then}")


@dataclass(frozen=True)
class Inputs:
    """What a run reads, as (device, inode) pairs: its files (stdin's included) and the directories
    holding them, so an output can be compared by identity, not by spelling."""

    files: frozenset[tuple[int, int]]
    dirs: frozenset[tuple[int, int]]

    @classmethod
    def of(
        cls,
        paths: Iterable[str | os.PathLike[str]],
        *,
        stdin: bool = False,
        dirs: Iterable[str | os.PathLike[str]] = (),
    ) -> Inputs:
        files: set[tuple[int, int]] = set()
        for path in paths:
            ident = _identity(path)
            if ident is not None:
                files.add(ident)
        if stdin:
            try:
                st = os.fstat(sys.stdin.fileno())
                if stat.S_ISREG(st.st_mode):
                    files.add((st.st_dev, st.st_ino))
            except (OSError, ValueError, AttributeError):
                pass
        folders = {ident for d in dirs if (ident := _identity(d)) is not None}
        return cls(frozenset(files), frozenset(folders))

    def holds(self, path: Path) -> bool:
        ident = _identity(path)
        return ident is not None and (ident in self.files or ident in self.dirs)


def _identity(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def check_output(
    path: str | os.PathLike[str],
    *,
    inputs: Inputs | None = None,
    force: bool = False,
    directory: bool = False,
    what: str = "output",
    force_hint: str = "pass --force to overwrite it",
) -> Path:
    """Raise ConfigError unless ``path`` may be written; return it as a Path.

    ``directory``: the output is a directory (model directories, shards); a file there is refused.
    An existing regular file (or directory) is refused without ``force``.
    """
    path = Path(path)
    if inputs is not None:
        if inputs.holds(path):
            raise ConfigError(f"{what} {path} is also an input; it would be overwritten: choose another path")
        if directory and path.is_dir() and _holds_input(path, inputs):
            raise ConfigError(f"{what} {path} holds input files; they would be removed: choose another path")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise ConfigError(f"{what} {path}: {exc.strerror or exc}; choose another path") from None
    if st is not None:
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            raise ConfigError(
                f"{what} {path} is not a regular file (a device, pipe or socket); write to a file instead"
            )
        if directory and not stat.S_ISDIR(st.st_mode):
            raise ConfigError(f"{what} {path} is a file; it must be a directory: choose another path")
        if not directory and stat.S_ISDIR(st.st_mode):
            raise ConfigError(f"{what} {path} is a directory; name a file")
        if not force:
            raise ConfigError(f"{what} {path} exists; {force_hint}")
    parent = path.absolute().parent
    while (
        not parent.exists() and parent != parent.parent
    ):  # missing directories are created: check the first that is there
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"{what} {path}: {parent} is not a directory; choose another path")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{what} {path}: the directory {parent} is not writable; choose another path")
    return path


def _holds_input(top: Path, inputs: Inputs) -> bool:
    for root, dirs, files in os.walk(top):
        for name in files + dirs:
            if inputs.holds(Path(root) / name):
                return True
    return False


def tmp_path(target: str | os.PathLike[str]) -> Path:
    """The temporary name a write to ``target`` goes through (beside it, so the rename is atomic)."""
    target = Path(target)
    return target.with_name(target.name + TMP_SUFFIX)


@contextlib.contextmanager
def atomic_write(target: str | os.PathLike[str], *, resumable: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is fsynced and renamed onto ``target``,
    on error removed. An OSError (no space, file too large, permissions) becomes an OutputError."""
    target = Path(target)
    tmp = tmp_path(target)
    try:
        yield tmp
        if tmp.is_dir():
            remove(target)
        else:
            _fsync(tmp)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except OSError as exc:
        raise output_error(exc.filename or target, exc, resumable=resumable) from None
    finally:
        if tmp.exists() or tmp.is_symlink():
            remove(tmp)


@contextlib.contextmanager
def atomic_open(
    target: str | os.PathLike[str], mode: str = "wb", *, resumable: bool = False, **kwargs
) -> Iterator[Any]:
    """:func:`atomic_write` with the temporary file opened (``mode`` "wb" or "w")."""
    with atomic_write(target, resumable=resumable) as tmp, open(tmp, mode, **kwargs) as handle:
        yield handle


def atomic_write_text(target: str | os.PathLike[str], text: str, *, resumable: bool = False) -> None:
    with atomic_open(target, "w", encoding="utf-8", newline="\n", resumable=resumable) as handle:
        handle.write(text)


def remove(path: str | os.PathLike[str]) -> None:
    """Remove a file or a directory tree (never following a link out); nothing if absent."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path if str(path) else ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def lock_path(output: str | os.PathLike[str]) -> Path:
    output = Path(output)
    return output.with_name(output.name + LOCK_SUFFIX)


class RunLock:
    """``OUT.lock``: an exclusive lock (flock) on a file naming the owner's pid, held for a run.

    A second run on the same output is refused while the first lives; the kernel releases the lock
    when the owner exits or is killed, so a stale lock file never blocks a rerun.
    """

    def __init__(self, output: str | os.PathLike[str]):
        self.path = lock_path(output)
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise output_error(self.path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            output = self.path.with_name(self.path.name[: -len(LOCK_SUFFIX)])
            raise ConfigError(
                f"{output} is being written by another run (pid {owner}, see {self.path}); "
                "wait for it to end, or stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()
