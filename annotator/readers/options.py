"""How to read input files: one frozen, self-validating options object shared by every reader."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from ..choices import InputFormat, values
from ..errors import ConfigError

FORMATS: tuple[str, ...] = values(InputFormat)  # the keys of readers.READERS


@dataclass(frozen=True)
class ReaderOptions:
    """Options for :func:`annotator.readers.open_records`; invalid combinations raise ConfigError.

    ``input_format=None`` picks each file's format from its suffix. ``lines`` makes a txt file one
    document per line (stdin always is). ``keep`` names input fields to carry into
    ``Record.fields`` (missing ones become None); ``keep_all`` carries every field except the text
    and id fields. ``encoding`` must be ASCII-compatible: input is decoded line by line from bytes.
    """

    input_format: str | None = None
    lines: bool = False
    text_key: str = "text"
    id_key: str = "id"
    keep: tuple[str, ...] = ()
    keep_all: bool = False
    encoding: str = "utf-8"

    def __post_init__(self) -> None:
        if self.input_format is not None and self.input_format not in FORMATS:
            raise ConfigError(f"unknown input format {self.input_format!r}: use one of {', '.join(FORMATS)}")
        if self.lines and self.input_format not in (None, "txt"):
            raise ConfigError(f"--lines applies only to txt input, not --input-format {self.input_format}")
        if isinstance(self.keep, str):
            raise ConfigError(f"keep must be a sequence of field names, not the string {self.keep!r}")
        keep = tuple(self.keep)
        object.__setattr__(self, "keep", keep)  # accept any sequence, store a tuple
        if keep and self.keep_all:
            raise ConfigError("use just one of --keep and --keep-all")
        for name, value in (("--text-key", self.text_key), ("--id-key", self.id_key)):
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{name} must be a non-empty field name")
        if self.text_key == self.id_key:
            raise ConfigError(f"--text-key and --id-key must differ (both are {self.text_key!r})")
        seen: set[str] = set()
        for name in keep:
            if not isinstance(name, str) or not name:
                raise ConfigError(f"--keep names must be non-empty strings, got {name!r}")
            if name in seen:
                raise ConfigError(f"--keep names {name!r} twice")
            seen.add(name)
        try:
            codec = codecs.lookup(self.encoding).name
        except (LookupError, TypeError):
            raise ConfigError(f"unknown encoding {self.encoding!r}") from None
        try:
            ascii_compatible = "\n\ta".encode(self.encoding) == b"\n\ta"
        except (LookupError, UnicodeError):  # not a text encoding (e.g. rot13, hex)
            ascii_compatible = False
        if not ascii_compatible and codec != "utf-8-sig":  # utf-8-sig is read as utf-8 (the BOM is stripped anyway)
            raise ConfigError(
                f"encoding {self.encoding!r} is not supported: input is decoded line by line, which needs an "
                "ASCII-compatible encoding such as utf-8, cp1252 or iso-8859-1 (convert the file with iconv)"
            )
