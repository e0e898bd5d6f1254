"""MIDI files in and out with pretty_midi: the one guarded reader, grid (quantiser and meters) and
meter splitter every kind reads through, and the one writer."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaekit_midi.parsed import MAX_MIDI_BYTES, MAX_NOTES, MAX_STEPS, refuse

MIDI_TYPES = (".mid", ".midi")
TICKS_PER_QUARTER = 480
#: POP909's beat annotation beside a song's MIDI file: seconds, a flag, and 1 on downbeats, a row a beat.
BEATS_FILE = "beat_midi.txt"
MAX_BEATS_BYTES = 2**20


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


@dataclass
class Grid:
    """Where a file's 16th-note steps and bar lines lie: ``step(seconds)``, the nearest step, and the
    meters as (start step, steps a bar, or None for a stretch to leave out), in order; ``position``,
    where known, the unrounded step (what quantisation moves a note by)."""

    step: Callable[[float], int]
    meters: list[tuple[int, int | None]]
    position: Callable[[float], float] | None = None


def grid_of(pm: Any, path: Path, steps_per_bar: int = 16) -> Grid:
    """The file's own grid: steps on its ticks in quarter notes (so tempo changes do not move them),
    bars from its time signatures (4/4 from the start where none is given). Where a POP909-style
    ``beat_midi.txt`` lies beside the file, the only MIDI file of its folder, its annotated beats and
    downbeats give the grid instead: such files are played to a click whose bar lines the MIDI file
    does not know."""
    beats = read_beats(Path(path))
    if beats is not None:
        return annotated_grid(beats, steps_per_bar)
    scale = steps_per_bar / 4 / pm.resolution

    def position(time: float) -> float:
        return pm.time_to_tick(time) * scale

    def step(time: float) -> int:
        return int(round(position(time)))

    meters: list[tuple[int, int | None]] = []
    for ts in sorted(pm.time_signature_changes, key=lambda t: t.time):
        bar = steps_per_bar * ts.numerator / ts.denominator
        at = step(ts.time)
        if meters and meters[-1][0] == at:
            meters.pop()
        meters.append((at, int(bar) if bar == int(bar) and bar > 0 else None))
    if not meters or meters[0][0] > 0:
        meters.insert(0, (0, steps_per_bar))
    return Grid(step, meters, position)


def read_beats(path: Path) -> np.ndarray | None:
    """The annotated beats beside MIDI file ``path`` as rows (seconds, downbeat 0 or 1), or None where
    there are none, the folder holds other MIDI files, or the annotation is unusable (then the file's
    own grid serves)."""
    beats_file = path.with_name(BEATS_FILE)
    try:
        if not beats_file.is_file() or beats_file.stat().st_size > MAX_BEATS_BYTES:
            return None
        if any(p != path and p.suffix.lower() in MIDI_TYPES for p in path.parent.iterdir()):
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = np.loadtxt(beats_file, dtype=np.float64, ndmin=2)
    except (OSError, ValueError):
        return None
    if rows.shape[0] < 2 or rows.shape[1] < 3 or not np.isfinite(rows).all():
        return None
    times, down = rows[:, 0], rows[:, 2]
    if (np.diff(times) <= 0).any() or not np.isin(down, (0, 1)).all() or not down.any():
        return None
    return np.stack([times, down], 1)


def annotated_grid(beats: np.ndarray, steps_per_bar: int = 16) -> Grid:
    """Step 0 on the first annotated beat, ``steps_per_bar / 4`` steps a beat between annotations (and
    at the first and last beat's spacing outside them); a bar from each downbeat to the next (the last
    bar's length after the last one), stretches of equal bars as one meter, and what comes before the
    first downbeat left out."""
    times, per_beat = beats[:, 0], steps_per_bar / 4
    last = len(times) - 1

    def position(time: float) -> float:
        if time < times[0]:
            beat = (time - times[0]) / (times[1] - times[0])
        elif time > times[-1]:
            beat = last + (time - times[-1]) / (times[-1] - times[-2])
        else:
            beat = float(np.interp(time, times, np.arange(len(times))))
        return beat * per_beat

    def step(time: float) -> int:
        return int(round(position(time)))

    downbeats = np.flatnonzero(beats[:, 1] == 1)
    lengths = np.append(np.diff(downbeats), downbeats[-1] - downbeats[-2] if len(downbeats) > 1 else 4)
    meters: list[tuple[int, int | None]] = [(0, None)] if downbeats[0] > 0 else []
    for at, length in zip(downbeats.tolist(), lengths.tolist()):
        bar = int(round(length * per_beat))
        if not meters or meters[-1][1] != bar:
            meters.append((int(round(at * per_beat)), bar))
    return Grid(step, meters, position)


def on_grid(grid: Grid, instruments: Sequence[Any]) -> tuple[list[np.ndarray], str | None]:
    """Each instrument's notes as ``(N, 3)`` arrays of (onset step, end step, pitch), or the reason they
    are over a cap (``too_many_notes``)."""
    if sum(len(i.notes) for i in instruments) > MAX_NOTES:
        return [], "too_many_notes"
    return [np.array([(grid.step(n.start), grid.step(n.end), n.pitch) for n in i.notes],
                     dtype=np.int64).reshape(-1, 3) for i in instruments], None


def meter_sections(grid: Grid, end: int) -> list[tuple[int, int, int, int]] | None:
    """The file's stretches of one meter as (start step, stop step, length in steps, steps per bar);
    the last stretch is whole bars up to ``end``; stretches of no usable meter are left out. None
    where ``end`` is over ``MAX_STEPS``."""
    if end > MAX_STEPS:
        return None
    out = []
    for i, (start, bar) in enumerate(grid.meters):
        stop = grid.meters[i + 1][0] if i + 1 < len(grid.meters) else end
        if bar is None or stop <= start:
            continue
        out.append((start, stop, stop - start if i + 1 < len(grid.meters) else -(-(stop - start) // bar) * bar, bar))
    return out


def inside(notes: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The notes (or hits) whose onset lies in ``[start, stop)``, shifted to start at step 0: the
    first column is the onset, and a second column of ends (``(N, 3)`` notes) shifts with it."""
    shift = np.zeros(notes.shape[1], dtype=np.int64)
    shift[: 2 if notes.shape[1] == 3 else 1] = start
    return notes[(notes[:, 0] >= start) & (notes[:, 0] < stop)] - shift


def to_pretty_midi(items: Sequence[tuple[int, Sequence[np.ndarray]]], tracks: Sequence[tuple[str, int, bool]],
                   tempo: float = 120.0, steps_per_bar: int = 16, gap_bars: int = 1,
                   meter: tuple[int, int] = (4, 4), key: int | None = None, swing: float | None = None):
    """A ``pretty_midi.PrettyMIDI`` in ``meter`` (and ``key``, a pretty_midi key number, where given) at
    ``tempo`` quarter notes a minute with one instrument per ``(name, program, is_drum)`` of ``tracks``,
    playing ``items`` one after another with ``gap_bars`` bars of rest between them (and, in a meter
    other than 4/4, each from a bar line). An item is ``(length in steps, notes of each track)``, notes
    ``(N, 3)`` of (onset step, end step, pitch). ``swing``: where in the beat the off-beat eighth is
    played (``swing.swung``)."""
    import pretty_midi

    from vaekit_midi.swing import swung

    pm = pretty_midi.PrettyMIDI(resolution=TICKS_PER_QUARTER, initial_tempo=float(tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(int(meter[0]), int(meter[1]), 0.0))
    if key is not None:
        pm.key_signature_changes.append(pretty_midi.KeySignature(int(key), 0.0))
    per_beat = steps_per_bar / 4
    seconds = 60.0 / float(tempo) / per_beat
    bar = steps_per_bar * meter[0] / meter[1]
    bar = int(bar) if bar == int(bar) and bar > 0 else steps_per_bar
    instruments = [pretty_midi.Instrument(program=int(program), is_drum=drum, name=name)
                   for name, program, drum in tracks]

    def time(step: int) -> float:
        return (step if swing is None else swung(step / per_beat, swing) * per_beat) * seconds

    offset = 0
    for length, parts in items:
        for instrument, notes in zip(instruments, parts):
            for onset, end, pitch in np.asarray(notes).tolist():
                instrument.notes.append(pretty_midi.Note(100, int(pitch), time(offset + onset), time(offset + end)))
        offset += length + gap_bars * bar
        if tuple(meter) != (4, 4):  # in the music's own meter, the next item also waits for a bar line
            offset = -(-offset // bar) * bar
    pm.instruments += instruments
    return pm
