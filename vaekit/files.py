"""File helpers for the core and plugins.

Writing: every file goes to a temporary name in its own folder and is renamed into place, so a crash
never leaves a half-written file where a reader looks.

Walking a user's data folder without trusting it: links are followed only to files inside the folder
(never out of it, never into a loop, never to a folder, which could repeat or loop the walk); FIFOs,
sockets and devices are never opened (reading a FIFO would block forever); empty files and files over
the modality's size cap are skipped on their ``stat`` alone, so a 2 GB sparse file costs nothing.
Hidden entries (``.name``) are ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

#: Why a file of a data folder was skipped, in the words users see (keys are stable).
SKIP_REASONS = {
    "link_outside": "link out of the folder (not followed)",
    "link_broken": "broken or looping link",
    "link_folder": "link to a folder (not followed)",
    "not_regular": "not a regular file (a FIFO, socket or device)",
    "cannot_read": "cannot be read (permission or I/O error)",
    "empty": "empty file",
    "too_large": "file over the size cap",
}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file open for writing at a temporary name beside ``path``, renamed to ``path`` when the
    block ends without an error and removed when it raises::

        with atomic_file(out) as f:
            np.savez(f, **arrays)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    with atomic_file(path) as f:
        f.write(data)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def too_large(path: Path, max_bytes: int) -> str | None:
    """A one-line refusal when ``path`` is over ``max_bytes``, else None (checked on ``stat`` alone)."""
    size = path.stat().st_size
    if size > max_bytes:
        return f"{path}: {size / 2**20:.0f} MiB is over the {max_bytes / 2**20:.0f} MiB cap on one file"
    return None


def walk(root: Path, wanted: Callable[[Path], bool], max_bytes: int) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files below ``root`` for which ``wanted(path)`` holds, sorted, and ``(path, reason)`` for each
    skipped one (a key of ``SKIP_REASONS``). Links and unreadable folders are reported whatever their
    names; other files only when wanted."""
    root = Path(root)
    top = root.resolve()
    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            skipped.append((folder, "cannot_read"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    try:
                        target = path.resolve(strict=True)
                    except (OSError, RuntimeError):  # dangling, or a loop (RuntimeError before 3.13)
                        skipped.append((path, "link_broken"))
                        continue
                    if not target.is_relative_to(top):
                        skipped.append((path, "link_outside"))
                        continue
                    if target.is_dir():
                        skipped.append((path, "link_folder"))
                        continue
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(path)
                    continue
                if not wanted(path):
                    continue
                info = path.stat()
            except OSError:
                skipped.append((path, "cannot_read"))
                continue
            if not stat.S_ISREG(info.st_mode):
                skipped.append((path, "not_regular"))
            elif info.st_size == 0:
                skipped.append((path, "empty"))
            elif info.st_size > max_bytes:
                skipped.append((path, "too_large"))
            else:
                found.append(path)
    return sorted(found), skipped
