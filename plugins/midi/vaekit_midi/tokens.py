"""MusicVAE's tokens, one per 16th-note step.

Melodies: one of 90 classes. 0 = no event (a sounding note holds, silence stays silent), 1 = note-off,
2..89 = note-on of MIDI pitch 21..108 (token = pitch - 19). A melody is monophonic: a note-on ends
the note before it. Drums: one of 512, a bit for each of 9 drum classes (below).
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


# Drums, as MusicVAE encodes them: General MIDI drum pitches reduced to 9 classes, and each step one
# token out of 2^9 = 512 (bit ``i`` set when class ``i`` is hit at that step).

DRUM_CLASSES = ("kick", "snare", "closed hi-hat", "open hi-hat", "low tom", "mid tom", "high tom", "crash", "ride")
#: note_seq's DEFAULT_DRUM_TYPE_PITCHES (MusicVAE's REDUCED_DRUM_PITCH_CLASSES) with the GrooVAE paper's
#: table for the Roland TD-11 of the Groove MIDI Dataset on top (magenta's ROLAND_DRUM_PITCH_CLASSES):
#: 22 and 44 closed hi-hat, 26 open, toms 43 and 58 low, 45 and 47 mid, 48 and 50 high. The first pitch
#: of a class is the one written, so every class reads back as itself.
DRUM_PITCHES = (
    (36, 35),
    (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85),
    (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22),
    (46, 67, 72, 74, 79, 81, 26),
    (43, 58, 29, 41, 61, 64, 84),
    (47, 45, 60, 63, 77, 86, 87),
    (50, 48, 30, 62, 76, 83),
    (49, 52, 55, 57),
    (51, 53, 59, 82),
)
DRUM_CLASS_OF = {pitch: i for i, pitches in enumerate(DRUM_PITCHES) for pitch in pitches}
DRUM_VOCAB = 2 ** len(DRUM_CLASSES)


def encode_hits(hits: np.ndarray, length: int) -> np.ndarray:
    """Hits ``(N, 2)`` of (step, class) as ``length`` drum tokens (int16); hits past the end are dropped."""
    tokens = np.zeros(length, dtype=np.int16)
    hits = np.asarray(hits, dtype=np.int64).reshape(-1, 2)
    hits = hits[(hits[:, 0] >= 0) & (hits[:, 0] < length)]
    np.bitwise_or.at(tokens, hits[:, 0], (1 << hits[:, 1]).astype(np.int16))
    return tokens


def decode_hits(tokens: np.ndarray) -> np.ndarray:
    """Drum tokens as hits ``(N, 2)`` of (step, class), by step then class."""
    tokens = np.asarray(tokens, dtype=np.int64)
    bits = (tokens[:, None] >> np.arange(len(DRUM_CLASSES))) & 1
    step, cls = np.nonzero(bits)
    return np.stack([step, cls], 1)
