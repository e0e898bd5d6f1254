"""MIDI files in and out with pretty_midi.

Reading quantizes on the file's own beats: a note's position is its tick in quarter notes times the
grid (4 steps per quarter), so tempo changes do not move it. Bars start at each time-signature change
(4/4 from the start where none is given); each non-drum instrument is read on its own.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from vaekit_midi.melody import MAX_NOTES, MAX_STEPS, Parsed, Section, segments
from vaekit_midi.tokens import MAX_PITCH, MIN_PITCH, decode

TICKS_PER_QUARTER = 480


def read_midi(path: Path, steps_per_bar: int = 16) -> Parsed:
    """Melody segments of every non-drum instrument, or the reason there are none."""
    import pretty_midi

    try:
        data = Path(path).read_bytes()
    except OSError:
        return Parsed(reason="cannot_read")
    if not data:
        return Parsed(reason="empty")
    if not data.startswith(b"MThd"):
        return Parsed(reason="not_midi")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # from memory: mido reads a chunk by its declared length, and a file would allocate all of
            # a forged 2 GB length up front; a BytesIO hands back only the bytes there are
            pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
        except Exception:  # mido and pretty_midi raise many types on corrupt data
            return Parsed(reason="corrupt")
    return parse_pretty_midi(pm, steps_per_bar)


def parse_pretty_midi(pm, steps_per_bar: int = 16) -> Parsed:
    """Melody segments of a ``pretty_midi.PrettyMIDI`` object (see :func:`read_midi`)."""
    tracks = [i for i in pm.instruments if i.notes]
    if not tracks:
        return Parsed(reason="no_notes")
    tracks = [i for i in tracks if not i.is_drum]
    if not tracks:
        return Parsed(reason="drums_only")
    if sum(len(i.notes) for i in tracks) > MAX_NOTES:
        return Parsed(reason="too_many_notes")
    per_quarter = steps_per_bar / 4
    scale = per_quarter / pm.resolution

    def step(time: float) -> int:
        return int(round(pm.time_to_tick(time) * scale))

    all_notes = [
        np.array([(step(n.start), step(n.end), n.pitch) for n in track.notes], dtype=np.int64) for track in tracks
    ]
    if not any(((n[:, 2] >= MIN_PITCH) & (n[:, 2] <= MAX_PITCH)).any() for n in all_notes):
        return Parsed(reason="out_of_range")
    end = max(int(n[:, 1].max()) for n in all_notes) + 1
    if end > MAX_STEPS:
        return Parsed(reason="too_long")
    meters = []  # (start step, bar steps or None for an unusable meter)
    for ts in sorted(pm.time_signature_changes, key=lambda t: t.time):
        bar = steps_per_bar * ts.numerator / ts.denominator
        at = step(ts.time)
        if meters and meters[-1][0] == at:
            meters.pop()
        meters.append((at, int(bar) if bar == int(bar) and bar > 0 else None))
    if not meters or meters[0][0] > 0:
        meters.insert(0, (0, steps_per_bar))
    out = Parsed()
    for i, (start, bar) in enumerate(meters):
        stop = meters[i + 1][0] if i + 1 < len(meters) else end
        if bar is None or stop <= start:
            continue
        length = stop - start if i + 1 < len(meters) else -(-(stop - start) // bar) * bar
        for notes in all_notes:
            inside = notes[(notes[:, 0] >= start) & (notes[:, 0] < stop)] - np.array([start, start, 0])
            inside[:, 1] = np.minimum(inside[:, 1], length)
            out.segments += segments(Section(inside, length, bar), steps_per_bar)
    if not out.segments:
        out.reason = "no_meter"
    return out


def to_pretty_midi(
    melodies: list[np.ndarray], tempo: float = 120.0, program: int = 0, steps_per_bar: int = 16, gap_bars: int = 1
):
    """A ``pretty_midi.PrettyMIDI`` playing token sequences one after another, ``gap_bars`` bars of
    rest between them, in 4/4 at ``tempo`` quarter notes per minute."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(resolution=TICKS_PER_QUARTER, initial_tempo=float(tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    seconds_per_step = 60.0 / float(tempo) / (steps_per_bar / 4)
    track = pretty_midi.Instrument(program=int(program), name="melody")
    offset = 0
    for tokens in melodies:
        tokens = np.asarray(tokens)
        for onset, end, pitch in decode(tokens).tolist():
            start = (offset + onset) * seconds_per_step
            track.notes.append(pretty_midi.Note(100, int(pitch), start, (offset + end) * seconds_per_step))
        offset += len(tokens) + gap_bars * steps_per_bar
    pm.instruments.append(track)
    return pm


def write_midi(
    melodies: np.ndarray | list[np.ndarray], path: Path, tempo: float = 120.0, program: int = 0, steps_per_bar: int = 16
) -> None:
    """Write one token sequence ``(T,)``, or several ``(S, T)`` played in order with a bar of rest
    between them, as a MIDI file."""
    melodies = np.asarray(melodies)
    if melodies.ndim == 1:
        melodies = melodies[None]
    to_pretty_midi(list(melodies), tempo, program, steps_per_bar).write(str(path))
