"""MGEval's features of melodies (Yang and Lerch, 2018), per window of tokens, for ``vaekit evaluate
--quality``: pitch count, pitch-class histogram and transition matrix, pitch range, average pitch
interval, note count, average inter-onset interval, note-length histogram and transition matrix.

Lengths are in 16th-note steps and fall in MGEval's classes that the 16th grid can hold: whole, half,
quarter, 8th and 16th notes, dotted half, quarter and 8th, and anything else. A window without a note
has zeros everywhere; histograms and matrices are normalized to sum to 1."""

from __future__ import annotations

import numpy as np

from vaekit_midi.tokens import decode

LENGTH_CLASSES = (16, 8, 4, 2, 1, 12, 6, 3)  # in steps; class 8 is any other length


def length_class(lengths: np.ndarray) -> np.ndarray:
    out = np.full(len(lengths), len(LENGTH_CLASSES), dtype=np.int64)
    for i, steps in enumerate(LENGTH_CLASSES):
        out[lengths == steps] = i
    return out


def normalized(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else counts.astype(np.float64)


def melody_features(tokens: np.ndarray) -> dict[str, np.ndarray]:
    """The features of one window ``(T,)``."""
    notes = decode(tokens)
    pitch, onset, length = notes[:, 2], notes[:, 0], notes[:, 1] - notes[:, 0]
    classes, bins = pitch % 12, length_class(length)
    pc_transitions, length_transitions = np.zeros((12, 12)), np.zeros((9, 9))
    np.add.at(pc_transitions, (classes[:-1], classes[1:]), 1)
    np.add.at(length_transitions, (bins[:-1], bins[1:]), 1)
    return {
        "pitch_count": np.array(len(np.unique(pitch)), dtype=np.float64),
        "pitch_class_histogram": normalized(np.bincount(classes, minlength=12).astype(np.float64)),
        "pitch_class_transition_matrix": normalized(pc_transitions),
        "pitch_range": np.array(np.ptp(pitch) if len(pitch) else 0, dtype=np.float64),
        "avg_pitch_interval": np.array(np.abs(np.diff(pitch)).mean() if len(pitch) > 1 else 0, dtype=np.float64),
        "note_count": np.array(len(notes), dtype=np.float64),
        "avg_ioi": np.array(np.diff(onset).mean() if len(onset) > 1 else 0, dtype=np.float64),
        "note_length_histogram": normalized(np.bincount(bins, minlength=9).astype(np.float64)),
        "note_length_transition_matrix": normalized(length_transitions),
    }


def features(windows: np.ndarray) -> dict[str, np.ndarray]:
    """Each feature of windows ``(N, T)``, stacked: ``(N,)`` or ``(N, ...)``."""
    rows = [melody_features(w) for w in np.asarray(windows)]
    return {name: np.stack([row[name] for row in rows]) for name in rows[0]}
