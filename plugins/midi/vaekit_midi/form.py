"""Form in melodies, which window-level features cannot see: what repeats, what stays in a key, where
phrases end, and how pitch and duration drift from one frame of bars to the next.

Every measure takes melody token windows ``(N, T)`` at 16 steps a bar and pools over the windows:

- repeated bars (and 2-bar units): the share of non-empty bars that repeat an earlier bar of their
  window exactly, onsets and pitches;
- in-key share: the share of notes in the scale (major, or natural minor) of the window's key, found
  by Krumhansl and Schmuckler's method;
- phrase endings: the share of bars 4, 8, 12, ... that hold a long note (a half note or longer starting
  in the bar), and that end on the window's tonic, against the same shares for the other bars;
- framewise self-similarity (Mittal, Engel, Hawthorne and Simon, ISMIR 2021): frames of 4 bars every 2
  bars, a Gaussian fitted to each frame's pitches and one to its durations, and the overlapping area of
  neighbouring frames' Gaussians. Its consistency and variance compare the mean and the variance of
  those overlaps with a reference set's (1: the same).
"""

from __future__ import annotations

import numpy as np

from vaekit_midi.tokens import decode

STEPS_PER_BAR = 16
LONG_NOTE = 8  # steps: a half note
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
PROFILES = {"major": np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]),
            "minor": np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])}


def _bars(notes: np.ndarray, bars: int) -> list[tuple]:
    """Each bar's notes as a tuple of (step in the bar, pitch)."""
    out: list[list] = [[] for _ in range(bars)]
    for onset, _, pitch in notes.tolist():
        out[onset // STEPS_PER_BAR].append((onset % STEPS_PER_BAR, pitch))
    return [tuple(bar) for bar in out]


def _repeats(units: list[tuple]) -> tuple[int, int]:
    """(non-empty units that repeat an earlier one, non-empty units)."""
    seen, repeats, filled = set(), 0, 0
    for unit in units:
        if not any(unit):
            continue
        filled += 1
        repeats += unit in seen
        seen.add(unit)
    return repeats, filled


def repeated_share(windows: np.ndarray, bars_per_unit: int = 1) -> float | None:
    """The share of non-empty units of ``bars_per_unit`` bars that repeat an earlier unit of their
    window; None where a window holds fewer than two units."""
    bars = windows.shape[1] // STEPS_PER_BAR
    if bars // bars_per_unit < 2:
        return None
    repeats = filled = 0
    for window in windows:
        per_bar = _bars(decode(window), bars)
        units = [tuple(per_bar[i:i + bars_per_unit]) for i in range(0, bars - bars_per_unit + 1, bars_per_unit)]
        r, f = _repeats(units)
        repeats, filled = repeats + r, filled + f
    return repeats / filled if filled else 0.0


def key_of(notes: np.ndarray) -> tuple[int, str, int]:
    """The key of notes ``(N, 3)`` by Krumhansl and Schmuckler's method (the pitch classes' durations
    correlated with Krumhansl and Kessler's profiles of the 24 keys): (tonic pitch class, mode, notes in
    its scale)."""
    weights = np.bincount(notes[:, 2] % 12, weights=notes[:, 1] - notes[:, 0], minlength=12)
    best = (-np.inf, 0, "major")
    for mode, profile in PROFILES.items():
        for tonic in range(12):
            r = np.corrcoef(weights, np.roll(profile, tonic))[0, 1] if weights.std() else 0.0
            if r > best[0]:
                best = (r, tonic, mode)
    _, tonic, mode = best
    held = np.isin((notes[:, 2] - tonic) % 12, SCALES[mode]).sum()
    return tonic, mode, int(held)


def in_key_share(windows: np.ndarray) -> float:
    held = total = 0
    for window in windows:
        notes = decode(window)
        if len(notes):
            held += key_of(notes)[2]
            total += len(notes)
    return held / total if total else 0.0


def phrase_endings(windows: np.ndarray, phrase_bars: int = 4) -> dict[str, float] | None:
    """Shares of phrase-end bars (bars 4, 8, ...) and of other bars that hold a long note, and that end
    on the tonic (their last note); None where a window is shorter than a phrase."""
    bars = windows.shape[1] // STEPS_PER_BAR
    if bars < phrase_bars:
        return None
    counts = np.zeros((2, 3))  # rows: elsewhere, phrase end; columns: bars, long note, tonic ending
    for window in windows:
        notes = decode(window)
        if not len(notes):
            continue
        tonic = key_of(notes)[0]
        for bar in range(bars):
            inside = notes[notes[:, 0] // STEPS_PER_BAR == bar]
            if not len(inside):
                continue
            end = int((bar + 1) % phrase_bars == 0)
            counts[end] += (1, (inside[:, 1] - inside[:, 0] >= LONG_NOTE).any(), inside[-1, 2] % 12 == tonic)
    share = counts[:, 1:] / np.maximum(counts[:, :1], 1)
    return {"long_at_phrase_end": share[1, 0], "long_elsewhere": share[0, 0],
            "tonic_at_phrase_end": share[1, 1], "tonic_elsewhere": share[0, 1]}


def _overlap(m1: float, s1: float, m2: float, s2: float) -> float:
    """Overlapping area of two normal densities, by the trapezoid rule on a fine grid."""
    lo, hi = min(m1 - 6 * s1, m2 - 6 * s2), max(m1 + 6 * s1, m2 + 6 * s2)
    x = np.linspace(lo, hi, 2001)
    pdf = [np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi)) for m, s in ((m1, s1), (m2, s2))]
    y = np.minimum(*pdf)
    return float(((y[1:] + y[:-1]) * np.diff(x)).sum() / 2)


def frame_overlaps(windows: np.ndarray, frame_bars: int = 4, hop_bars: int = 2) -> dict[str, np.ndarray]:
    """The overlapping areas of neighbouring frames' pitch and duration Gaussians, pooled over windows.
    A frame with no note is skipped with its pairs; a spread below half a semitone or half a step is
    raised to that, so that a frame of one repeated note stays a narrow bump."""
    bars = windows.shape[1] // STEPS_PER_BAR
    starts = range(0, bars - frame_bars + 1, hop_bars)
    out: dict[str, list[float]] = {"pitch": [], "duration": []}
    for window in windows:
        notes = decode(window)
        frames = []
        for start in starts:
            bar = notes[:, 0] // STEPS_PER_BAR
            inside = notes[(bar >= start) & (bar < start + frame_bars)].astype(float)
            frames.append((inside[:, 2], inside[:, 1] - inside[:, 0]) if len(inside) else None)
        for a, b in zip(frames, frames[1:]):
            if a is None or b is None:
                continue
            for i, name in enumerate(("pitch", "duration")):
                out[name].append(_overlap(a[i].mean(), max(a[i].std(), 0.5), b[i].mean(), max(b[i].std(), 0.5)))
    return {name: np.array(values) for name, values in out.items()}


def self_similarity(overlaps: dict[str, np.ndarray], reference: dict[str, np.ndarray]) -> dict[str, float]:
    """Mittal et al.'s consistency and variance of ``overlaps`` against ``reference``'s, per quantity."""
    out = {}
    for name, values in overlaps.items():
        real = reference[name]
        if not len(values) or not len(real):
            continue
        out[f"{name}_consistency"] = max(0.0, 1 - abs(values.mean() - real.mean()) / real.mean())
        out[f"{name}_variance"] = max(0.0, 1 - abs(values.var() - real.var()) / max(real.var(), 1e-12))
    return out


def form_figures(windows: np.ndarray) -> dict[str, float]:
    """Every measure that the windows' length allows, by name."""
    windows = np.asarray(windows)
    figures = {"repeated_bars": repeated_share(windows, 1), "repeated_2bar_units": repeated_share(windows, 2),
               "in_key_share": in_key_share(windows)}
    figures.update(phrase_endings(windows) or {})
    overlaps = frame_overlaps(windows)
    for name, values in overlaps.items():
        if len(values):
            figures[f"{name}_overlap_mean"] = float(values.mean())
            figures[f"{name}_overlap_variance"] = float(values.var())
    return {name: float(v) for name, v in figures.items() if v is not None}
