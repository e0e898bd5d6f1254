"""Drum performances on the 16th-note grid, as GrooVAE reads them: for each step and each of the 9 drum
classes a hit, its velocity and its offset from the step in [-0.5, 0.5) of a step, measured in the
file's own ticks (so a tempo change does not move the grid). Where two hits of a class fall on one
step the loudest is kept, as Magenta's GrooveConverter does.

A performance is stored compactly as ``(19, L)`` int16 rows: the step's 512-class drum token (the
``drums`` kind's representation), the 9 velocities (MIDI 0..127) and the 9 offsets in 1/254 of a
step (-127..126); models see ``(27, L)`` float rows of hits, velocities (0..1) and offsets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vaekit_midi.midi_file import TICKS_PER_QUARTER, read_midi
from vaekit_midi.parsed import Parsed
from vaekit_midi.tokens import DRUM_CLASS_OF, DRUM_CLASSES, DRUM_PITCHES, decode_hits, encode_hits

CLASSES = len(DRUM_CLASSES)
ROWS = 1 + 2 * CLASSES  # token, velocities, offsets
FEATURES = 3 * CLASSES  # hits, velocities, offsets
OFFSET_SCALE = 254  # an offset of half a step is 127
BAR = 16


def hits_of(pm: Any, steps_per_quarter: int = 4) -> np.ndarray:
    """Every drum hit of the 9 classes as rows (position in steps, class, velocity), by position."""
    scale = steps_per_quarter / pm.resolution
    rows = [(pm.time_to_tick(n.start) * scale, DRUM_CLASS_OF[n.pitch], n.velocity)
            for i in pm.instruments if i.is_drum for n in i.notes if n.pitch in DRUM_CLASS_OF]
    rows = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return rows[np.argsort(rows[:, 0], kind="stable")]


def on_grid(hits: np.ndarray, length: int | None = None) -> np.ndarray:
    """Hits ``(N, 3)`` (position, class, velocity) as ``(19, L)`` rows; ``L`` is whole bars to the
    last hit unless given (hits past it are dropped)."""
    step = np.floor(hits[:, 0] + 0.5).astype(np.int64)
    offset = np.clip(np.round((hits[:, 0] - step) * OFFSET_SCALE), -127, 126).astype(np.int64)
    if length is None:
        length = -(-(int(step.max()) + 1) // BAR) * BAR if len(step) else 0
    out = np.zeros((ROWS, length), dtype=np.int16)
    order = np.argsort(hits[:, 2], kind="stable")  # loudest last, so it wins each (step, class)
    cls, vel = hits[order, 1].astype(np.int64), hits[order, 2].astype(np.int64)
    step, offset = step[order], offset[order]
    keep = (step >= 0) & (step < length)
    step, cls, vel, offset = step[keep], cls[keep], vel[keep], offset[keep]
    out[1 + cls, step] = vel
    out[1 + CLASSES + cls, step] = offset
    out[0] = encode_hits(np.stack([step, cls], 1), length)
    return out


def segments(rows: np.ndarray) -> list[np.ndarray]:
    """The performance split where a whole bar has no hit, each part from a bar line to a bar line."""
    bars = rows.shape[1] // BAR
    busy = (rows[0, : bars * BAR].reshape(bars, BAR) != 0).any(1)
    out, start = [], None
    for i, on in enumerate([*busy.tolist(), False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            out.append(rows[:, start * BAR: i * BAR])
            start = None
    return out


def meter_of(pm: Any) -> str | None:
    """Why the file is not one 4/4 stretch (the grid GrooVAE knows), or None."""
    odd = {(t.numerator, t.denominator) for t in pm.time_signature_changes} - {(4, 4)}
    if odd:
        return "not_4_4"
    return None


def parse_performance(path: Path) -> Parsed:
    """A drum MIDI file's segments ``(19, L)`` with 16-step bars, or why there are none."""
    pm, reason = read_midi(path)
    if reason:
        return Parsed(reason=reason)
    if not any(i.is_drum and i.notes for i in pm.instruments):
        return Parsed(reason="no_drums")
    reason = meter_of(pm)
    if reason:
        return Parsed(reason=reason)
    hits = hits_of(pm)
    if len(hits) == 0:
        return Parsed(reason="no_classes")
    return Parsed(segments=[(s, BAR) for s in segments(on_grid(hits))])


def tempo_of(path: Path) -> float:
    """The file's first tempo in quarter notes a minute (120 where it cannot be read)."""
    pm, _ = read_midi(path)
    if pm is None:
        return 120.0
    tempi = pm.get_tempo_changes()[1]
    return float(tempi[0]) if len(tempi) else 120.0


def to_features(rows: np.ndarray) -> np.ndarray:
    """``(..., 19, T)`` int rows as ``(..., 27, T)`` float32: hits, velocities (0..1), offsets (steps)."""
    rows = np.asarray(rows)
    hits = ((rows[..., :1, :].astype(np.int64) >> np.arange(CLASSES)[:, None]) & 1).astype(np.float32)
    vel = rows[..., 1: 1 + CLASSES, :].astype(np.float32) / 127
    off = rows[..., 1 + CLASSES:, :].astype(np.float32) / OFFSET_SCALE
    return np.concatenate([hits, vel * hits, off * hits], -2)


def to_rows(x: np.ndarray) -> np.ndarray:
    """``(27, T)`` features (a model's output) as ``(19, T)`` int16 rows; a hit is a value over 0.5."""
    x = np.asarray(x, dtype=np.float32)
    hit = x[:CLASSES] > 0.5
    step, cls = np.nonzero(hit.T)
    out = np.zeros((ROWS, x.shape[-1]), dtype=np.int16)
    out[0] = encode_hits(np.stack([step, cls], 1), x.shape[-1])
    vel = np.clip(np.round(x[CLASSES: 2 * CLASSES] * 127), 1, 127)
    off = np.clip(np.round(x[2 * CLASSES:] * OFFSET_SCALE), -127, 126)
    out[1: 1 + CLASSES] = np.where(hit, vel, 0)
    out[1 + CLASSES:] = np.where(hit, off, 0)
    return out


def performance_notes(rows: np.ndarray) -> list[tuple[float, int, int]]:
    """``(19, T)`` rows as hits (position in steps, General MIDI pitch, velocity), by position."""
    hits = decode_hits(rows[0])
    pitch = [DRUM_PITCHES[c][0] for c in hits[:, 1].tolist()]
    notes = [(s + rows[1 + CLASSES + c, s] / OFFSET_SCALE, p, max(1, int(rows[1 + c, s])))
             for (s, c), p in zip(hits.tolist(), pitch)]
    return sorted(notes)


def write_performance(parts: list[np.ndarray], path: Path, tempo: float = 120.0, gap_bars: int = 0) -> None:
    """Performances ``(19, T)`` one after another (``gap_bars`` of rest between them) as a 4/4 drum track
    at ``tempo``, each hit a 16th-note long at its velocity and offset."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(resolution=TICKS_PER_QUARTER, initial_tempo=float(tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    step_s = 60.0 / float(tempo) / 4
    drums = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
    at = 0
    for rows in parts:
        for pos, pitch, vel in performance_notes(rows):
            start = max(0.0, (at + pos) * step_s)
            drums.notes.append(pretty_midi.Note(vel, pitch, start, start + step_s))
        at += rows.shape[-1] + gap_bars * BAR
    pm.instruments.append(drums)
    pm.write(str(path))
