"""How far quantisation moves the notes of a folder of MIDI and score files as ``--data`` reads them
(every non-drum instrument, or those named melody; every part of a score), for ``vaekit evaluate
--data FOLDER`` to show beside its scores: a score on rewritten music is not a score on the music."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vaekit_midi.midi_file import MIDI_TYPES, grid_of, read_midi
from vaekit_midi.parsed import MAX_NOTES
from vaekit_midi.quantisation import WARN_SHARE, QuantisationReport, measure, merged

#: Files named in the text, worst first.
SHOWN = 5


@dataclass
class FolderReport:
    """The quantisation of every MIDI and score file of a folder: files measured and warned about, notes moved or
    lost, the likely causes, the files that moved most."""

    files: int = 0
    warned: int = 0
    total: QuantisationReport = field(default_factory=QuantisationReport)
    causes: dict[str, int] = field(default_factory=dict)
    worst: list[tuple[str, float, str | None]] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"files": self.files, "files_warned": self.warned, "notes": self.total.notes,
                "notes_moved": self.total.moved, "share_moved": round(self.total.share_moved, 4),
                "largest_onset_move": self.total.largest_onset_move,
                "largest_length_move": self.total.largest_length_move, "causes": self.causes,
                "worst": [{"file": f, "share_moved": round(s, 4), "cause": c} for f, s, c in self.worst]}

    def __str__(self) -> str:
        lines = [f"quantisation to 16ths: {self.total.share_moved:.1%} of {self.total.notes:,} notes moved or lost in "
                 f"{self.files} files; {self.warned} files past {WARN_SHARE:.0%}"
                 + (f" ({', '.join(f'{n} {c}' for c, n in self.causes.items())})" if self.causes else "")
                 + " - the scores above are of the quantised notes"]
        lines += [f"  {name}: {share:.0%} ({cause})" for name, share, cause in self.worst if share]
        return "\n".join(lines)


def quantisation_of(path: Path, steps_per_bar: int = 16) -> QuantisationReport | None:
    """The report for what ``--data`` reads of one MIDI or score file, or None where it reads nothing."""
    if Path(path).suffix.lower() not in MIDI_TYPES:
        return _score_quantisation(Path(path), steps_per_bar)
    pm, reason = read_midi(Path(path))
    if reason or sum(len(i.notes) for i in pm.instruments) > MAX_NOTES:
        return None
    tracks = [i for i in pm.instruments if i.notes and not i.is_drum]
    tracks = [i for i in tracks if i.name.strip().lower() == "melody"] or tracks
    if not tracks:
        return None
    grid = grid_of(pm, Path(path), steps_per_bar)
    position = grid.position or grid.step
    return merged([measure(np.array([position(n.start) for n in t.notes]), np.array([position(n.end) for n in t.notes]),
                           steps_per_bar / 4) for t in tracks])


def _score_quantisation(path: Path, steps_per_bar: int) -> QuantisationReport | None:
    import warnings

    from vaekit_midi.parsed import MAX_SCORE_BYTES, refuse
    from vaekit_midi.scores import read_score

    if refuse(path, MAX_SCORE_BYTES):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_score(path, steps_per_bar).report


def _task(task: tuple[str, int]) -> QuantisationReport | None:
    return quantisation_of(Path(task[0]), task[1])


def folder_report(paths: list[Path], steps_per_bar: int = 16) -> FolderReport | None:
    """The report of the MIDI and score files among ``paths`` (None where there are none), measured in
    parallel."""
    from vaekit_midi.corpus import parallel_map
    from vaekit_midi.kinds.melody import Melody

    files = [p for p in paths if p.suffix.lower() in Melody.file_types]
    if not files:
        return None
    reports = parallel_map(_task, [(str(p), steps_per_bar) for p in files], "files for quantisation")
    measured = [(p, r) for p, r in zip(files, reports) if r is not None and r.notes]
    out = FolderReport(files=len(measured), total=merged([r for _, r in measured]))
    warned = [(p, r) for p, r in measured if r.warned]
    out.warned = len(warned)
    out.causes = dict(Counter(r.cause for _, r in warned).most_common())
    out.worst = [(p.name, r.share_moved, r.cause)
                 for p, r in sorted(warned, key=lambda pr: -pr[1].share_moved)[:SHOWN]]
    return out
