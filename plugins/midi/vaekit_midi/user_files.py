"""A user's own files (``--data PATH``): one file, or every file of a kind's types under a folder,
parsed by that kind and cached by the files' paths, sizes and modification times."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vaekit import VaekitError, walk
from vaekit_midi.corpus import Corpus, build
from vaekit_midi.parsed import MAX_SCORE_BYTES, Parsed

if TYPE_CHECKING:
    from vaekit_midi.kinds.base import Kind


def list_files(root: Path, kind: Kind, limit: int = 0) -> tuple[list[Path], list[tuple[Path, str]]]:
    """``root`` itself, or every file of ``kind.file_types`` below it (recursively, sorted; the first
    ``limit``), and the entries skipped unopened with why (links out of the folder or looping, FIFOs,
    files over the size cap: see ``vaekit.walk``)."""
    root = Path(root)
    if root.is_file():
        if root.suffix.lower() not in kind.file_types:
            raise VaekitError(kind.wrong_type(root))
        return [root], []
    # the larger cap here; each reader refuses a MIDI file over its own cap, also on its size alone
    found, skipped = walk(root, lambda p: p.suffix.lower() in kind.file_types, MAX_SCORE_BYTES)
    if not found and not skipped:
        raise VaekitError(f"{root}: no {kind.file_noun}s ({', '.join(kind.file_types)}) in this folder")
    return (found[:limit] if limit else found), skipped


def parse_task(task: tuple[Kind, str, int, str]) -> Parsed:
    """Worker function for process pools: ``(kind, path, steps_per_bar, reason it was skipped or "")``."""
    kind, path, steps_per_bar, skipped = task
    return Parsed(reason=skipped) if skipped else kind.parse(Path(path), steps_per_bar)


def load_files(root: Path, kind: Kind, limit: int = 0, steps_per_bar: int = 16) -> Corpus:
    """Every file under ``root`` parsed by ``kind``, cached; skipped entries become items with their
    reason, so they are counted in the one summary line."""
    paths, skipped = list_files(root, kind, limit)
    stats = [(str(p.resolve()), p.stat().st_mtime_ns, p.stat().st_size) for p in paths]
    identity = {"files": stats, "skipped": [(str(p), r) for p, r in skipped], "steps_per_bar": int(steps_per_bar)}

    def tasks() -> tuple[list[str], list[tuple[Kind, str, int, str]]]:
        entries = [(str(p), "") for p in paths] + [(str(p), r) for p, r in skipped]
        return [name for name, _ in entries], [(kind, name, steps_per_bar, r) for name, r in entries]

    # melodies keep the cache name they had before drums and trios shared this loader
    prefix = "files" if kind.name == "melody" else f"{kind.name}-files"
    return build(prefix, identity, tasks, parse_task, "files", kind.empty, kind.name)
