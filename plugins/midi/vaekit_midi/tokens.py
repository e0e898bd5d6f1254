"""MusicVAE's melody tokens: one of 90 classes per 16th-note step.

0 = no event (a sounding note holds, silence stays silent), 1 = note-off, 2..89 = note-on of MIDI
pitch 21..108 (token = pitch - 19). A melody is monophonic: a note-on ends the note before it.
"""

from __future__ import annotations

import numpy as np

NO_EVENT = 0
NOTE_OFF = 1
MIN_PITCH = 21
MAX_PITCH = 108
NUM_CLASSES = MAX_PITCH - MIN_PITCH + 3  # 90
PITCH_OFFSET = MIN_PITCH - 2  # token = pitch - 19


def encode(notes: np.ndarray, length: int) -> np.ndarray:
    """Monophonic notes ``(N, 3)`` of (onset step, end step, pitch), sorted with distinct onsets and
    each end at or before the next onset, as ``length`` tokens (int8). Ends past ``length`` are cut."""
    tokens = np.zeros(length, dtype=np.int8)
    if len(notes) == 0:
        return tokens
    onset, end, pitch = (np.asarray(notes[:, i], dtype=np.int64) for i in range(3))
    next_onset = np.append(onset[1:], np.iinfo(np.int64).max)
    tokens[onset] = pitch - PITCH_OFFSET
    off = end[(end < next_onset) & (end < length)]
    tokens[off] = NOTE_OFF
    return tokens


def decode(tokens: np.ndarray) -> np.ndarray:
    """Tokens as notes ``(N, 3)`` of (onset step, end step, pitch); a note still sounding at the end
    ends at ``len(tokens)``. A note-off while nothing sounds is ignored."""
    tokens = np.asarray(tokens)
    notes = []
    start, pitch = -1, 0
    for step, token in enumerate(tokens.tolist()):
        if token == NO_EVENT:
            continue
        if start >= 0:
            notes.append((start, step, pitch))
            start = -1
        if token >= 2:
            start, pitch = step, token + PITCH_OFFSET
    if start >= 0:
        notes.append((start, len(tokens), pitch))
    return np.array(notes, dtype=np.int64).reshape(-1, 3)


def canonical(tokens: np.ndarray) -> np.ndarray:
    """The same melody with every note-off that ends nothing replaced by no-event, so that
    ``encode(decode(t), len(t)) == t`` holds exactly."""
    tokens = np.array(tokens, dtype=np.int8)
    return encode(decode(tokens), len(tokens))
