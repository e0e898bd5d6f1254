"""User files: one MIDI or score file, or every such file under a folder (``--data PATH``)."""

from __future__ import annotations

import warnings
from pathlib import Path

from vaekit.errors import VaekitError
from vaekit.files import walk
from vaekit_midi.corpus import Corpus, build
from vaekit_midi.melody import MAX_MIDI_BYTES, MAX_SCORE_BYTES, Parsed

MIDI_TYPES = (".mid", ".midi")
FILE_TYPES = (".mid", ".midi", ".abc", ".musicxml", ".mxl", ".krn")


def parse_file(path: Path, steps_per_bar: int = 16) -> Parsed:
    """Melody segments of one file by its suffix, or why there are none. A file over the size cap
    (``MAX_MIDI_BYTES``, ``MAX_SCORE_BYTES``) is refused on its size alone, unread."""
    path = Path(path)
    try:
        if not path.is_file():
            return Parsed(reason="not_regular" if path.exists() else "missing")
        size = path.stat().st_size
    except OSError:
        return Parsed(reason="cannot_read")
    midi = path.suffix.lower() in MIDI_TYPES
    if size > (MAX_MIDI_BYTES if midi else MAX_SCORE_BYTES):
        return Parsed(reason="too_large")
    if midi:
        from vaekit_midi.midi_io import read_midi

        return read_midi(path, steps_per_bar)
    from vaekit_midi.scores import read_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_score(path, steps_per_bar)


def parse_task(task: tuple[str, int, str]) -> Parsed:
    """Worker function for process pools: ``(path, steps_per_bar, reason it was skipped or "")``."""
    return Parsed(reason=task[2]) if task[2] else parse_file(Path(task[0]), task[1])


def list_files(root: Path, limit: int = 0) -> tuple[list[Path], list[tuple[Path, str]]]:
    """``root`` itself, or every MIDI or score file below it (recursively, sorted; the first ``limit``),
    and the entries skipped unopened with why (links out of the folder or looping, FIFOs, files over
    the size cap: see ``vaekit.files.walk``)."""
    root = Path(root)
    if root.is_file():
        if root.suffix.lower() not in FILE_TYPES:
            raise VaekitError(f"{root}: not a MIDI or score file (expected one of {', '.join(FILE_TYPES)})")
        return [root], []
    # the larger cap here; parse_file refuses a MIDI file over its own cap, also on its size alone
    found, skipped = walk(root, lambda p: p.suffix.lower() in FILE_TYPES, MAX_SCORE_BYTES)
    if not found and not skipped:
        raise VaekitError(f"{root}: no MIDI or score files ({', '.join(FILE_TYPES)}) in this folder")
    return (found[:limit] if limit else found), skipped


def load_files(root: Path, limit: int = 0, steps_per_bar: int = 16) -> Corpus:
    """Every file under ``root`` parsed, cached by the files' paths, sizes and modification times;
    skipped entries become items with their reason, so they are counted in the one summary line."""
    paths, skipped = list_files(root, limit)
    stats = [(str(p.resolve()), p.stat().st_mtime_ns, p.stat().st_size) for p in paths]
    identity = {"files": stats, "skipped": [(str(p), r) for p, r in skipped], "steps_per_bar": int(steps_per_bar)}

    def tasks() -> tuple[list[str], list[tuple[str, int, str]]]:
        entries = [(str(p), "") for p in paths] + [(str(p), r) for p, r in skipped]
        return [name for name, _ in entries], [(name, steps_per_bar, r) for name, r in entries]

    return build("files", identity, tasks, parse_task, "files")
