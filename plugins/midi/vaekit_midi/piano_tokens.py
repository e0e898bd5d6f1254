"""Polyphonic piano on the 16th-note grid, after PianoTree VAE (Wang et al., ISMIR 2020): the notes of a
step are those that start on it, each a pitch and a duration in steps.

An item is ``(2 * MAX_NOTES, T)`` int16, time last so that windows cut like every kind's: at step t,
rows ``0..MAX_NOTES-1`` hold the pitches (MIDI 21..108, ascending, 0 where there is no more note) and
rows ``MAX_NOTES..`` the duration of each (1..MAX_DURATION steps, 0 with no note). A window clips
each duration at its own end (:func:`clip_to_window`), so a window's notes all sound inside it and
tokens -> MIDI -> tokens is exact. Reading makes the notes a piano can play as written: one note a
pitch and onset (the longest), each cut where its pitch is struck again, at least a step long, at most
``MAX_DURATION``; of more than ``MAX_NOTES`` notes on one step, the highest are kept.
"""

from __future__ import annotations

import numpy as np

from vaekit_midi.tokens import MAX_PITCH, MIN_PITCH

#: Notes that may start on one step: POP909's accompaniment has at most 8 (and 6 or fewer on all but
#: a handful of its steps).
MAX_NOTES = 8
#: The longest duration, in steps: two bars, a whole window.
MAX_DURATION = 32
ROWS = 2 * MAX_NOTES


def playable(notes: np.ndarray) -> np.ndarray:
    """Notes ``(N, 3)`` of (onset, end, pitch) in the piano's range as the tokens hold them: one a pitch
    and onset (the longest), each ending by the next onset of its pitch, 1..MAX_DURATION steps long,
    sorted by onset then pitch."""
    notes = np.asarray(notes, dtype=np.int64).reshape(-1, 3)
    notes = notes[(notes[:, 2] >= MIN_PITCH) & (notes[:, 2] <= MAX_PITCH)]
    if len(notes) == 0:
        return notes
    notes = notes[np.lexsort((-(notes[:, 1] - notes[:, 0]), notes[:, 0], notes[:, 2]))]  # by pitch, onset, longest
    first = np.ones(len(notes), dtype=bool)
    first[1:] = (notes[1:, 2] != notes[:-1, 2]) | (notes[1:, 0] != notes[:-1, 0])
    notes = notes[first]
    same_next = np.append(notes[1:, 2] == notes[:-1, 2], False)
    next_onset = np.append(notes[1:, 0], np.iinfo(np.int64).max)
    end = np.where(same_next, np.minimum(notes[:, 1], next_onset), notes[:, 1])
    duration = np.clip(end - notes[:, 0], 1, MAX_DURATION)
    out = np.stack([notes[:, 0], notes[:, 0] + duration, notes[:, 2]], 1)
    return out[np.lexsort((out[:, 2], out[:, 0]))]


def encode(notes: np.ndarray, length: int) -> np.ndarray:
    """Notes ``(N, 3)`` (see :func:`playable`; onsets in ``[0, length)``) as ``(ROWS, length)`` int16."""
    notes = playable(notes)
    notes = notes[notes[:, 0] < length]
    tokens = np.zeros((ROWS, length), dtype=np.int16)
    if len(notes) == 0:
        return tokens
    onset = notes[:, 0]
    starts = np.searchsorted(onset, onset)  # first note of each onset (sorted by onset, then pitch)
    count = np.searchsorted(onset, onset, side="right") - starts
    slot = np.arange(len(notes)) - starts - np.maximum(count - MAX_NOTES, 0)  # the highest MAX_NOTES kept
    kept = slot >= 0
    tokens[slot[kept], onset[kept]] = notes[kept, 2]
    tokens[MAX_NOTES + slot[kept], onset[kept]] = notes[kept, 1] - notes[kept, 0]
    return tokens


def decode(tokens: np.ndarray) -> np.ndarray:
    """Tokens ``(ROWS, T)`` as notes ``(N, 3)`` of (onset, end, pitch), sorted by onset then pitch."""
    tokens = np.asarray(tokens)
    slot, onset = np.nonzero(tokens[:MAX_NOTES] > 0)
    pitch = tokens[slot, onset].astype(np.int64)
    duration = np.maximum(tokens[MAX_NOTES + slot, onset].astype(np.int64), 1)
    notes = np.stack([onset, onset + duration, pitch], 1).reshape(-1, 3)
    return notes[np.lexsort((notes[:, 2], notes[:, 0]))]


def clip_to_window(windows: np.ndarray) -> None:
    """Cut each duration of windows ``(K, ROWS, T)`` at the window's end, in place."""
    steps = windows.shape[-1]
    left = (steps - np.arange(steps)).astype(windows.dtype)
    np.minimum(windows[:, MAX_NOTES:], left, out=windows[:, MAX_NOTES:])
