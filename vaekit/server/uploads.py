"""What an upload is called on disk while a verb reads it."""

from __future__ import annotations

import re
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 100  # characters; file systems refuse names over 255 bytes


def safe_name(filename: str | None) -> str:
    """The base name of an upload in safe characters, at most ``MAX_NAME`` long with its suffix kept
    (so that an error names ``tune.mid``, and a long name is no error of the file system)."""
    name = _UNSAFE.sub("_", Path(filename or "upload").name).lstrip(".") or "upload"
    if len(name) > MAX_NAME:
        suffix = Path(name).suffix[:10]
        name = name[: MAX_NAME - len(suffix)] + suffix
    return name
