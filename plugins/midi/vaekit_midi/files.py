"""User files: one MIDI or score file, or every such file under a folder (``--data PATH``)."""

from __future__ import annotations

import warnings
from pathlib import Path

from vaekit.errors import VaekitError
from vaekit_midi.corpus import Corpus, build
from vaekit_midi.melody import Parsed

MIDI_TYPES = (".mid", ".midi")
FILE_TYPES = (".mid", ".midi", ".abc", ".musicxml", ".mxl", ".krn")


def parse_file(path: Path, steps_per_bar: int = 16) -> Parsed:
    """Melody segments of one file by its suffix, or why there are none."""
    path = Path(path)
    if not path.is_file():
        return Parsed(reason="missing")
    if path.suffix.lower() in MIDI_TYPES:
        from vaekit_midi.midi_io import read_midi

        return read_midi(path, steps_per_bar)
    from vaekit_midi.scores import read_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_score(path, steps_per_bar)


def parse_task(task: tuple[str, int]) -> Parsed:
    """Worker function for process pools: ``(path, steps_per_bar)``."""
    return parse_file(Path(task[0]), task[1])


def list_files(root: Path, limit: int = 0) -> list[Path]:
    """``root`` itself, or every MIDI or score file below it (recursively, sorted), the first ``limit``."""
    root = Path(root)
    if root.is_file():
        if root.suffix.lower() not in FILE_TYPES:
            raise VaekitError(f"{root}: not a MIDI or score file (expected one of {', '.join(FILE_TYPES)})")
        return [root]
    found = sorted(
        p for p in root.rglob("*") if p.suffix.lower() in FILE_TYPES and p.is_file() and not p.name.startswith(".")
    )
    if not found:
        raise VaekitError(f"{root}: no MIDI or score files ({', '.join(FILE_TYPES)}) in this folder")
    return found[:limit] if limit else found


def load_files(root: Path, limit: int = 0, steps_per_bar: int = 16) -> Corpus:
    """Every file under ``root`` parsed, cached by the files' paths, sizes and modification times."""
    paths = list_files(root, limit)
    stats = [(str(p.resolve()), p.stat().st_mtime_ns, p.stat().st_size) for p in paths]
    identity = {"files": stats, "steps_per_bar": int(steps_per_bar)}

    def tasks() -> tuple[list[str], list[tuple[str, int]]]:
        return [str(p) for p in paths], [(str(p), steps_per_bar) for p in paths]

    return build("files", identity, tasks, parse_task, "files")
