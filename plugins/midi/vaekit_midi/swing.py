"""Swung eighths: found in a melody's onsets, straightened before quantising, and put back on output.

A swung beat plays its second eighth late, at ``position`` of the beat (2/3 for a 2:1 swing) instead
of 1/2. Straightening maps the first ``position`` of each beat onto its first half and the rest onto
its second half; ``swung`` is the inverse.
"""

from __future__ import annotations

import numpy as np

#: Off-beat positions read as swing: from 3:2 (0.6) to about 2.5:1; 0.75 is a straight 16th.
LOWEST, HIGHEST = 0.56, 0.72
#: How close to the beat (in beats) an onset counts as on it, and how tightly the late eighths agree.
ON_BEAT, SPREAD = 0.04, 0.04
MIN_OFF_BEATS = 4


def find_swing(onsets: np.ndarray) -> float | None:
    """Where in the beat the off-beat eighths fall, for onsets (in beats) that are all either on a
    beat or at one consistent late position between ``LOWEST`` and ``HIGHEST``; else None."""
    frac = np.asarray(onsets, dtype=np.float64) % 1.0
    on_beat = (frac < ON_BEAT) | (frac > 1 - ON_BEAT)
    off = frac[~on_beat]
    if len(off) < MIN_OFF_BEATS:
        return None
    position = float(np.median(off))
    if not LOWEST <= position <= HIGHEST or np.abs(off - position).max() > SPREAD:
        return None
    return position


def straightened(beats: np.ndarray | float, position: float) -> np.ndarray | float:
    """Times in beats with the swing at ``position`` taken out."""
    whole = np.floor(beats)
    frac = beats - whole
    return whole + np.where(frac < position, frac / position * 0.5, 0.5 + (frac - position) / (1 - position) * 0.5)


def swung(beats: np.ndarray | float, position: float) -> np.ndarray | float:
    """Times in beats with the swing at ``position`` put back (the inverse of ``straightened``)."""
    whole = np.floor(beats)
    frac = beats - whole
    out = whole + np.where(frac < 0.5, frac / 0.5 * position, position + (frac - 0.5) / 0.5 * (1 - position))
    return float(out) if np.ndim(out) == 0 else out
