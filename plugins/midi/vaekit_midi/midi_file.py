"""MIDI files in and out with pretty_midi: the one guarded reader, quantiser and meter splitter every
kind reads through, and the one writer.

Reading quantizes on the file's own beats: a note's position is its tick in quarter notes times the
grid (4 steps per quarter), so tempo changes do not move it. Bars start at each time-signature change
(4/4 from the start where none is given).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vaekit_midi.parsed import MAX_MIDI_BYTES, MAX_NOTES, MAX_STEPS, refuse

MIDI_TYPES = (".mid", ".midi")
TICKS_PER_QUARTER = 480


def read_midi(path: Path) -> tuple[Any, str | None]:
    """``(pretty_midi.PrettyMIDI, None)``, or ``(None, reason)`` (a key of ``parsed.REASONS``). A file
    over ``MAX_MIDI_BYTES`` is refused on its size alone, unread; the rest is parsed from memory."""
    import pretty_midi

    path = Path(path)
    refused = refuse(path, MAX_MIDI_BYTES)
    if refused:
        return None, refused
    try:
        data = path.read_bytes()
    except OSError:
        return None, "cannot_read"
    if not data:
        return None, "empty"
    if not data.startswith(b"MThd"):
        return None, "not_midi"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # from memory: mido reads a chunk by its declared length, and a file would allocate all of
            # a forged 2 GB length up front; a BytesIO hands back only the bytes there are
            return pretty_midi.PrettyMIDI(io.BytesIO(data)), None
        except Exception:  # mido and pretty_midi raise many types on corrupt data
            return None, "corrupt"


def on_grid(pm: Any, instruments: Sequence[Any], steps_per_bar: int = 16) -> tuple[list[np.ndarray], str | None]:
    """Each instrument's notes as ``(N, 3)`` arrays of (onset step, end step, pitch), or the reason they
    are over a cap (``too_many_notes``)."""
    if sum(len(i.notes) for i in instruments) > MAX_NOTES:
        return [], "too_many_notes"
    step = quantiser(pm, steps_per_bar)
    return [np.array([(step(n.start), step(n.end), n.pitch) for n in i.notes], dtype=np.int64).reshape(-1, 3)
            for i in instruments], None


def quantiser(pm: Any, steps_per_bar: int = 16):
    """A function from seconds to the nearest step of the file's own beat grid."""
    scale = steps_per_bar / 4 / pm.resolution

    def step(time: float) -> int:
        return int(round(pm.time_to_tick(time) * scale))

    return step


def meter_sections(pm: Any, end: int, steps_per_bar: int = 16) -> list[tuple[int, int, int, int]] | None:
    """The file's stretches of one meter as (start step, stop step, length in steps, steps per bar):
    bars start at each time-signature change (4/4 from the start where none is given); the last
    stretch is whole bars up to ``end``; meters off the grid are left out. None where ``end`` is over
    ``MAX_STEPS``."""
    if end > MAX_STEPS:
        return None
    step = quantiser(pm, steps_per_bar)
    meters = []  # (start step, bar steps or None for an unusable meter)
    for ts in sorted(pm.time_signature_changes, key=lambda t: t.time):
        bar = steps_per_bar * ts.numerator / ts.denominator
        at = step(ts.time)
        if meters and meters[-1][0] == at:
            meters.pop()
        meters.append((at, int(bar) if bar == int(bar) and bar > 0 else None))
    if not meters or meters[0][0] > 0:
        meters.insert(0, (0, steps_per_bar))
    out = []
    for i, (start, bar) in enumerate(meters):
        stop = meters[i + 1][0] if i + 1 < len(meters) else end
        if bar is None or stop <= start:
            continue
        out.append((start, stop, stop - start if i + 1 < len(meters) else -(-(stop - start) // bar) * bar, bar))
    return out


def inside(notes: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The notes (or hits) whose onset lies in ``[start, stop)``, shifted to start at step 0: the
    first column is the onset, and a second column of ends (``(N, 3)`` notes) shifts with it."""
    shift = np.zeros(notes.shape[1], dtype=np.int64)
    shift[: 2 if notes.shape[1] == 3 else 1] = start
    return notes[(notes[:, 0] >= start) & (notes[:, 0] < stop)] - shift


def to_pretty_midi(items: Sequence[tuple[int, Sequence[np.ndarray]]], tracks: Sequence[tuple[str, int, bool]],
                   tempo: float = 120.0, steps_per_bar: int = 16, gap_bars: int = 1):
    """A ``pretty_midi.PrettyMIDI`` in 4/4 at ``tempo`` quarter notes a minute with one instrument per
    ``(name, program, is_drum)`` of ``tracks``, playing ``items`` one after another with ``gap_bars``
    bars of rest between them. An item is ``(length in steps, notes of each track)``, notes ``(N, 3)``
    of (onset step, end step, pitch)."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(resolution=TICKS_PER_QUARTER, initial_tempo=float(tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    seconds = 60.0 / float(tempo) / (steps_per_bar / 4)
    instruments = [pretty_midi.Instrument(program=int(program), is_drum=drum, name=name)
                   for name, program, drum in tracks]
    offset = 0
    for length, parts in items:
        for instrument, notes in zip(instruments, parts):
            for onset, end, pitch in np.asarray(notes).tolist():
                instrument.notes.append(pretty_midi.Note(100, int(pitch), (offset + onset) * seconds,
                                                         (offset + end) * seconds))
        offset += length + gap_bars * steps_per_bar
    pm.instruments += instruments
    return pm
