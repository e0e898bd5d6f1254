"""Which line of a user's MIDI file is its melody, and its top voice where a track holds several.

The rule: a track named as the melody (its name holds melody, vocal, lead or mel); else, of the tracks
with enough notes, the one that sounds highest most of the time; never drums or a bass program
(General MIDI 32-39). ``--track`` (a name or an index) picks any track instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from vaekit import VaekitError

MELODY_NAMES = ("melody", "vocal", "lead", "mel")
BASS_PROGRAMS = range(32, 40)
#: A track plays "enough notes" with at least this share of the busiest track's, and at least MIN_NOTES.
ENOUGH_SHARE, MIN_NOTES = 0.25, 4


class NoMelody(Exception):
    """No track can be the melody; ``args[0]`` is the reason (a key of ``parsed.REASONS``)."""


@dataclass
class TrackInfo:
    """One instrument of a file as ``vaekit inspect`` lists it."""

    index: int
    name: str
    program: int
    drums: bool
    notes: int
    low: int
    high: int
    chosen: bool = False
    why: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def track_infos(instruments: list[Any]) -> list[TrackInfo]:
    return [TrackInfo(i, inst.name.strip(), int(inst.program), bool(inst.is_drum), len(inst.notes),
                      min((n.pitch for n in inst.notes), default=0), max((n.pitch for n in inst.notes), default=0))
            for i, inst in enumerate(instruments)]


def pick(tracks: list[TrackInfo], lines: list[np.ndarray], wanted: str | int | None = None) -> tuple[int, str]:
    """The index of the melody track and why, by the rule above; ``lines`` are each track's notes
    ``(N, 3)`` of (onset step, end step, pitch). ``wanted``: a track's index or (part of) its name."""
    if wanted is not None and str(wanted).strip() != "":
        return _wanted(tracks, str(wanted).strip())
    pitched = [t for t in tracks if t.notes and not t.drums]
    if not pitched:
        raise NoMelody("no_notes" if not any(t.notes for t in tracks) else "drums_only")
    named = [t for t in pitched if any(word in t.name.lower() for word in MELODY_NAMES)]
    if named:
        best = max(named, key=lambda t: t.notes)
        return best.index, f"named {best.name!r}"
    candidates = [t for t in pitched if t.program not in BASS_PROGRAMS]
    if not candidates:
        raise NoMelody("no_melody")
    enough = max(MIN_NOTES, ENOUGH_SHARE * max(t.notes for t in candidates))
    busy = [t for t in candidates if t.notes >= enough] or [max(candidates, key=lambda t: t.notes)]
    if len(busy) == 1:
        why = "the only track that is not drums or bass" if len(candidates) == 1 else "the only one with enough notes"
        return busy[0].index, why
    top = highest_share(busy, lines)
    best = max(busy, key=lambda t: (top[t.index], t.notes))
    return best.index, f"highest {top[best.index]:.0%} of the time of {len(busy)} tracks with enough notes"


def _wanted(tracks: list[TrackInfo], wanted: str) -> tuple[int, str]:
    if wanted.isdigit():
        index = int(wanted)
        if index < len(tracks):
            return index, "asked for by --track"
    else:
        for match in (lambda t: t.name.lower() == wanted.lower(), lambda t: wanted.lower() in t.name.lower()):
            found = [t for t in tracks if match(t)]
            if found:
                return found[0].index, "asked for by --track"
    listed = ", ".join(f"{t.index} {t.name or '(unnamed)'}" for t in tracks)
    raise VaekitError(f"no track {wanted!r} (tracks: {listed})")


def highest_share(tracks: list[TrackInfo], lines: list[np.ndarray]) -> dict[int, float]:
    """Of the steps where two or more of ``tracks`` sound, the share where each sounds highest."""
    end = max((int(lines[t.index][:, 1].max()) for t in tracks if len(lines[t.index])), default=0)
    top = np.full((len(tracks), end + 1), -1, dtype=np.int64)
    for row, t in enumerate(tracks):
        for onset, stop, pitch in lines[t.index].tolist():
            top[row, onset:max(stop, onset + 1)] = np.maximum(top[row, onset:max(stop, onset + 1)], pitch)
    shared = (top >= 0).sum(0) >= 2
    if not shared.any():  # never together: the higher line by its median pitch
        medians = {t.index: float(np.median(lines[t.index][:, 2])) for t in tracks}
        high = max(medians, key=medians.get)
        return {t.index: float(t.index == high) for t in tracks}
    winner = top[:, shared].argmax(0)
    return {t.index: float((winner == row).mean()) for row, t in enumerate(tracks)}


def skyline(notes: np.ndarray) -> np.ndarray:
    """The top voice of notes ``(N, 3)`` (onset, end, pitch): a note is dropped where it starts while
    a higher kept note still sounds, or with a higher note at the same step; the others are kept."""
    notes = np.asarray(notes, dtype=np.int64).reshape(-1, 3)
    order = np.lexsort((-notes[:, 1], -notes[:, 2], notes[:, 0]))
    kept: list[list[int]] = []
    for onset, end, pitch in notes[order].tolist():
        if any(k[0] == onset or (k[1] > onset and k[2] > pitch) for k in kept[-8:]):
            continue
        kept.append([onset, end, pitch])
    return np.array(kept, dtype=np.int64).reshape(-1, 3)
