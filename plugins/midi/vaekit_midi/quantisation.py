"""What putting a file's melody on the 16th-note grid changed, and why it likely did.

Nearest-step rounding never moves an onset by more than half a step (a 32nd note), so a note counts
as *moved* where its onset moved by more than a 64th or its length changed by more than a 32nd (a
note shorter than a 16th counts from a 16th: the grid's shortest, it keeps its place), and as *lost*
where it landed on the step of an earlier note of its line or was a grace note dropped. Beats here
are quarter notes.

A score's note values are exact, so there (``measure_score``) a note is moved where its onset or
length is off the grid at all, and the score reader leaves out every bar that holds an onset off the
grid (``scores.py``): those bars' notes are lost, not rounded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

ONSET_MOVED = 1 / 16  # beats: a 64th note
LENGTH_MOVED = 1 / 8  # beats: a 32nd note
#: A file is warned about where this share of its melody's notes was moved or lost.
WARN_SHARE = 0.05
#: How close (in beats) an onset lies to a tuplet's position to count as on it.
NEAR = 0.03

ADVICE = {
    "triplets": "no shipped preset holds triplets (every one reads 4 steps a beat): a MIDI file's come back as "
                "uneven 16ths and 8ths, a score's bars are left out; to keep them, train a model on 12 steps a "
                "beat (--set data.steps_per_bar=48 --set data.steps=96)",
    "quintuplets": "the 16th-note grid cannot hold quintuplets; some of their notes merge or are lost",
    "notes shorter than a 16th": "the 16th-note grid has no shorter step: the bars that hold 32nds are left out",
    "swing": "the swing is uneven from beat to beat; straighten the eighths in your editor (quantise) first",
    "grace notes": "grace notes are dropped: the grid has no step shorter than a 16th",
    "unquantised performance": "the notes were played, not placed on a grid; quantise the file to 16ths in "
                               "your editor first",
}


@dataclass
class QuantisationReport:
    """How far quantisation moved one file's melody: counts, shares of its notes, largest moves in beats."""

    notes: int = 0
    #: Notes moved or lost, each counted once.
    moved: int = 0
    onsets_moved: int = 0
    lengths_moved: int = 0
    lost: int = 0
    grace_notes: int = 0
    largest_onset_move: float = 0.0
    largest_length_move: float = 0.0
    #: Where the off-beat eighths were played, when swing was found and straightened (2/3: 2:1 swing).
    swing: float | None = None
    cause: str | None = None
    positions: dict[str, int] = field(default_factory=dict)
    #: Measured on a score's exact values (``measure_score``); ``bars_cut``: the bars left out.
    score: bool = False
    bars_cut: int = 0

    @property
    def share_moved(self) -> float:
        return self.moved / self.notes if self.notes else 0.0

    @property
    def warned(self) -> bool:
        return self.share_moved >= WARN_SHARE

    def to_dict(self) -> dict:
        return {**asdict(self), "share_moved": round(self.share_moved, 4),
                "warned": self.warned}

    def __str__(self) -> str:
        if self.score:
            return (f"{self.moved} of {self.notes} notes ({self.share_moved:.0%}) off the 16th-note grid or lost: "
                    f"{self.onsets_moved} onsets off it (largest {self.largest_onset_move:.3f} beats), "
                    f"{self.lengths_moved} lengths off it (largest {self.largest_length_move:.3f} beats), "
                    f"{self.lost} notes lost ({_bars(self.bars_cut)} left out, {self.grace_notes} grace notes)")
        text = (f"quantisation moved {self.moved} of {self.notes} notes ({self.share_moved:.0%}): "
                f"{self.onsets_moved} onsets by more than a 64th (largest {self.largest_onset_move:.3f} beats), "
                f"{self.lengths_moved} lengths by more than a 32nd (largest {self.largest_length_move:.3f} beats), "
                f"{self.lost} notes lost")
        if self.swing is not None:
            text += f"; swing at {self.swing:.2f} of the beat straightened (put back on output)"
        return text

    def warning(self, name: str) -> str | None:
        """One line for a file past the threshold: what moved, the likely cause and what to do; else None."""
        if not self.warned:
            return None
        advice = ADVICE[self.cause or "unquantised performance"]
        if self.score:
            return (f"{name}: reading on 16ths left out {_bars(self.bars_cut)} and moved or lost {self.moved} of "
                    f"{self.notes} notes ({self.share_moved:.0%}); likely {self.cause}: {advice}")
        return (f"{name}: quantisation to 16ths moved or lost {self.moved} of {self.notes} melody notes "
                f"({self.share_moved:.0%}, up to {max(self.largest_onset_move, self.largest_length_move):.2f} "
                f"beats); likely {self.cause}: {advice}")


def measure(onsets: np.ndarray, ends: np.ndarray, steps_per_beat: float, grace_notes: int = 0,
            swing: float | None = None) -> QuantisationReport:
    """The report for a line's notes, given unrounded onsets and ends in steps (after any swing was
    straightened: ``swing`` says where it was) and the grace notes already dropped from them."""
    onsets, ends = np.asarray(onsets, np.float64), np.asarray(ends, np.float64)
    order = np.argsort(onsets, kind="stable")
    onsets, ends = onsets[order], ends[order]
    q_on, q_end = np.round(onsets), np.round(ends)
    q_end = np.maximum(q_end, q_on + 1)
    onset_move = np.abs(onsets - q_on) / steps_per_beat
    length_move = np.abs(np.maximum(ends - onsets, 1) - (q_end - q_on)) / steps_per_beat
    # a note whose onset rounds onto the step of an earlier one, from an onset of its own
    lost = int(((q_on[1:] == q_on[:-1]) & (onsets[1:] - onsets[:-1] > 0.1)).sum()) if len(onsets) > 1 else 0
    onset_moved, length_moved = onset_move > ONSET_MOVED + 1e-9, length_move > LENGTH_MOVED + 1e-9
    report = QuantisationReport(
        notes=len(onsets) + grace_notes, moved=int((onset_moved | length_moved).sum()) + lost + grace_notes,
        onsets_moved=int(onset_moved.sum()), lengths_moved=int(length_moved.sum()), lost=lost + grace_notes,
        grace_notes=grace_notes, largest_onset_move=round(float(onset_move.max(initial=0.0)), 4),
        largest_length_move=round(float(length_move.max(initial=0.0)), 4), swing=swing)
    report.positions = positions(onsets / steps_per_beat)
    report.cause = likely_cause(report)
    return report


def _bars(n: int) -> str:
    return f"{n} bar" if n == 1 else f"{n} bars"


def measure_score(onsets: np.ndarray, ends: np.ndarray, steps_per_beat: float, lost: np.ndarray,
                  grace_notes: int = 0, bars_cut: int = 0) -> QuantisationReport:
    """The report for a score's notes, given their exact onsets and ends in steps, which of them the
    reader lost (``lost``: in a bar it left out), the grace notes it skipped and the bars it left out."""
    onsets, ends, lost = np.asarray(onsets, np.float64), np.asarray(ends, np.float64), np.asarray(lost, bool)
    onset_off = np.abs(onsets - np.round(onsets))
    length_off = np.abs((ends - onsets) - np.round(ends - onsets))
    onset_moved, length_moved = onset_off > 1e-6, length_off > 1e-6
    report = QuantisationReport(
        notes=len(onsets) + grace_notes, moved=int((onset_moved | length_moved | lost).sum()) + grace_notes,
        onsets_moved=int(onset_moved.sum()), lengths_moved=int(length_moved.sum()), lost=int(lost.sum()) + grace_notes,
        grace_notes=grace_notes, largest_onset_move=round(float(onset_off.max(initial=0.0)) / steps_per_beat, 4),
        largest_length_move=round(float(length_off.max(initial=0.0)) / steps_per_beat, 4), score=True,
        bars_cut=bars_cut)
    report.positions = positions(onsets / steps_per_beat, near=1e-6)  # exact: a 32nd is no quintuplet
    report.cause = likely_cause(report)
    return report


def merged(reports: list[QuantisationReport]) -> QuantisationReport:
    """One report for several lines (a file's instruments, a folder's files)."""
    total = QuantisationReport()
    for r in reports:
        for name in ("notes", "moved", "onsets_moved", "lengths_moved", "lost", "grace_notes", "bars_cut"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        total.largest_onset_move = max(total.largest_onset_move, r.largest_onset_move)
        total.largest_length_move = max(total.largest_length_move, r.largest_length_move)
        for name, count in r.positions.items():
            total.positions[name] = total.positions.get(name, 0) + count
    total.score = bool(reports) and all(r.score for r in reports)
    total.cause = likely_cause(total)
    return total


def positions(beats: np.ndarray, near: float = NEAR) -> dict[str, int]:
    """How many onsets lie within ``near`` beats of each tuplet position within the beat, and how many
    lie off all of them and off the 16th-note grid."""
    frac = np.asarray(beats) % 1.0
    on = {name: np.zeros(len(frac), bool) for name in ("grid", "triplet", "quintuplet")}
    for name, points in (("grid", (0, 0.25, 0.5, 0.75, 1)), ("triplet", (1 / 6, 1 / 3, 2 / 3, 5 / 6)),
                         ("quintuplet", (0.2, 0.4, 0.6, 0.8))):
        for point in points:
            on[name] |= np.abs(frac - point) < near
    counts = {name: int((mask & ~on["grid"]).sum()) for name, mask in on.items() if name != "grid"}
    counts["elsewhere"] = int((~on["grid"] & ~on["triplet"] & ~on["quintuplet"]).sum())
    return counts


def likely_cause(report: QuantisationReport) -> str | None:
    """Triplets, quintuplets, swing (left uneven), grace notes or an unquantised performance (in a
    score: notes shorter than a 16th): the most common kind of misplaced onset; None where nothing moved."""
    if not report.moved:
        return None
    counts = {"triplets": report.positions.get("triplet", 0), "quintuplets": report.positions.get("quintuplet", 0),
              "grace notes": report.grace_notes,
              "unquantised performance": report.positions.get("elsewhere", 0)}
    if report.swing is not None and counts["unquantised performance"]:
        return "swing"
    cause, count = max(counts.items(), key=lambda kv: kv[1])
    cause = cause if count else "unquantised performance"
    return "notes shorter than a 16th" if report.score and cause == "unquantised performance" else cause
