"""From notes on a grid to melody segments and fixed-length windows (MusicVAE's melody extraction).

A *section* is a stretch of one part on one regular bar grid (one time signature; step 0 is a bar
line). Per section: drop pitches outside 21..108, keep the highest of notes that start together,
clip each note at the next onset, and split where a bar of silence falls. Each resulting segment
starts on a bar line and ends on the bar line after its last note; windows of ``steps`` steps are
cut from it at bar lines, every ``hop_bars`` bars.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaekit_midi.tokens import MAX_PITCH, MIN_PITCH, encode


@dataclass
class Section:
    """Notes ``(N, 3)`` of (onset, end, pitch) in steps from a bar line; any polyphony."""

    notes: np.ndarray
    length: int
    bar_steps: int


def monophonic(notes: np.ndarray, length: int) -> np.ndarray:
    """The melody line of ``notes``: in range, highest of simultaneous onsets, clipped at the next onset."""
    notes = np.asarray(notes, dtype=np.int64).reshape(-1, 3)
    keep = (notes[:, 0] >= 0) & (notes[:, 0] < length) & (notes[:, 2] >= MIN_PITCH) & (notes[:, 2] <= MAX_PITCH)
    notes = notes[keep]
    if len(notes) == 0:
        return notes
    order = np.lexsort((-notes[:, 1], -notes[:, 2], notes[:, 0]))  # by onset, then highest, then longest
    notes = notes[order]
    first = np.ones(len(notes), dtype=bool)
    first[1:] = notes[1:, 0] != notes[:-1, 0]
    notes = notes[first].copy()
    next_onset = np.append(notes[1:, 0], length)
    notes[:, 1] = np.clip(notes[:, 1], notes[:, 0] + 1, next_onset)
    return notes


def segments(section: Section, steps_per_bar: int = 16) -> list[tuple[np.ndarray, int]]:
    """Melody segments of a section, split at a bar of silence (at most ``steps_per_bar`` steps, so
    that a segment written in 4/4 reads back whole)."""
    return [(tokens, bar) for tokens, bar, _ in placed_segments(section, steps_per_bar)]


def placed_segments(section: Section, steps_per_bar: int = 16) -> list[tuple[np.ndarray, int, int]]:
    """:func:`segments`, each with the step of the section where it starts."""
    bar = section.bar_steps
    notes = monophonic(section.notes, section.length)
    if len(notes) == 0:
        return []
    gap = min(bar, steps_per_bar)
    breaks = np.flatnonzero(notes[1:, 0] - notes[:-1, 1] >= gap) + 1
    out = []
    for group in np.split(notes, breaks):
        start = group[0, 0] // bar * bar
        stop = min(-(-group[-1, 1] // bar) * bar, section.length)
        shifted = group - np.array([start, start, 0])
        out.append((encode(shifted, int(stop - start)), bar, int(start)))
    return out


def usable(w: np.ndarray, steps_per_bar: int = 16) -> np.ndarray:
    """Which windows ``(K, T)`` to keep; cuts notes held from before each window, in place.

    A window starts silent until its first note-on (a note held from before is cut), must have a
    note-on in its first bar and must not end in a bar of silence: exactly the windows that read back
    unchanged after being written as a 4/4 MIDI file.
    """
    steps = w.shape[1]
    note_on = w >= 2
    w[(w == 1) & (np.cumsum(note_on, axis=1) == 0)] = 0
    starts_in_first_bar = note_on[:, : min(steps_per_bar, steps)].any(axis=1)
    last_event = steps - 1 - np.argmax(w[:, ::-1] != 0, axis=1)
    ends_silent = (w[np.arange(len(w)), last_event] == 1) & (steps - last_event >= steps_per_bar)
    return starts_in_first_bar & ~ends_silent
