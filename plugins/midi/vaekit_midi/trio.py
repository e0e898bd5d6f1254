"""Trios as MusicVAE models them: melody (an instrument of program 0-31), bass (32-39) and drums, on one
16th-note grid, as three token rows ``(3, T)``: melody tokens (90 classes), bass tokens (the same
90 classes) and drum tokens (512).

Reading takes the first melody and the first bass instrument of a MIDI file (in file order) and all
its drum tracks; each of melody and bass is reduced to one line as melodies are (highest of notes
that start together, each clipped at the next onset). Windows start at bar lines and must hold a
note of each part. Writing gives three tracks: melody (program 0), bass (program 33) and drums.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vaekit.errors import VaekitError
from vaekit_midi import drums
from vaekit_midi.melody import monophonic
from vaekit_midi.tokens import decode, encode

Config = dict[str, Any]

PARTS = ("melody", "bass", "drums")
MELODY_PROGRAMS = range(0, 32)
BASS_PROGRAMS = range(32, 40)
BASS_PROGRAM = 33  # electric bass (finger), as MusicVAE writes
REASONS = {
    **drums.REASONS,
    "no_melody": "no melody track (a non-drum instrument of General MIDI program 0-31)",
    "no_bass": "no bass track (a non-drum instrument of General MIDI program 32-39)",
    "no_drums": "no drum track (MIDI channel 10)",
    "too_short": "too short for one window with a note of melody, bass and drums",
}


def parse_pretty_midi(pm, steps_per_bar: int = 16) -> tuple[list[tuple[np.ndarray, int]], str | None]:
    """Trio sections ``(tokens (3, L) int16, steps per bar)`` of a ``pretty_midi.PrettyMIDI``, or the
    reason there are none."""
    pitched = [i for i in pm.instruments if not i.is_drum and i.notes]
    melody = next((i for i in pitched if i.program in MELODY_PROGRAMS), None)
    bass = next((i for i in pitched if i.program in BASS_PROGRAMS), None)
    kit = [i for i in pm.instruments if i.is_drum and i.notes]
    if melody is None:
        return [], "no_melody"
    if bass is None:
        return [], "no_bass"
    if not kit:
        return [], "no_drums"
    scale = steps_per_bar / 4 / pm.resolution

    def step(time: float) -> int:
        return int(round(pm.time_to_tick(time) * scale))

    lines = [np.array([(step(n.start), step(n.end), n.pitch) for n in i.notes], dtype=np.int64) for i in (melody, bass)]
    hits = np.array([(step(n.start), drums.CLASS_OF[n.pitch]) for i in kit for n in i.notes
                     if n.pitch in drums.CLASS_OF], dtype=np.int64).reshape(-1, 2)
    end = max(int(lines[0][:, 1].max()), int(lines[1][:, 1].max()), int(hits[:, 0].max(initial=-1)) + 1)
    out = []
    for start, stop, length, bar in drums.sections(pm, step, end, steps_per_bar):
        rows = []
        for notes in lines:
            inside = notes[(notes[:, 0] >= start) & (notes[:, 0] < stop)] - np.array([start, start, 0])
            rows.append(encode(monophonic(inside, length), length).astype(np.int16))
        inside = hits[(hits[:, 0] >= start) & (hits[:, 0] < stop)] - np.array([start, 0])
        rows.append(drums.encode(inside, length))
        out.append((np.stack(rows), bar))
    return out, None if out else "no_meter"


def read_trio(path: Path, steps_per_bar: int = 16) -> tuple[list[tuple[np.ndarray, int]], str | None]:
    """Trio sections of one MIDI file, or the reason there are none (a key of ``REASONS``)."""
    pm, reason = drums.open_midi(path)
    return ([], reason) if reason else parse_pretty_midi(pm, steps_per_bar)


def windows(tokens: np.ndarray, bar: int, steps: int, hop_bars: int = 1) -> np.ndarray:
    """Windows ``(K, 3, steps)`` of one section, starting at bar lines every ``hop_bars`` bars, that
    hold a note of each part; a note held from before a window is cut (its note-off dropped)."""
    tokens = np.asarray(tokens, dtype=np.int16)
    if tokens.shape[1] < steps:
        return np.zeros((0, 3, steps), dtype=np.int16)
    starts = np.arange(0, tokens.shape[1] - steps + 1, bar * max(1, hop_bars))
    w = tokens[:, starts[:, None] + np.arange(steps)].transpose(1, 0, 2).copy()
    lines = w[:, :2]
    lines[(lines == 1) & (np.cumsum(lines >= 2, axis=2) == 0)] = 0
    keep = (lines >= 2).any(axis=2).all(axis=1) & (w[:, 2] > 0).any(axis=1)
    return w[keep]


def _data(config: Config) -> Config:
    return config.get("data", {})


def read_windows(path: Path, config: Config):
    """Every window ``(K, 3, T)`` of one file, in order, or a VaekitError naming the file and the reason."""
    import torch

    data = _data(config)
    steps, spb = int(data.get("steps", 256)), int(data.get("steps_per_bar", 16))
    path = Path(path)
    if path.suffix.lower() not in drums.MIDI_TYPES:
        raise VaekitError(f"{path}: trios are read from multi-track MIDI files (.mid, .midi)")
    found, reason = read_trio(path, spb)
    if reason:
        raise VaekitError(f"{path}: {REASONS[reason]}")
    w = np.concatenate([windows(t, bar, steps, int(data.get("hop_bars", 1))) for t, bar in found])
    if len(w) == 0:
        raise VaekitError(f"{path}: no {steps}-step window ({steps / spb:g} bars of 4/4) holds a note of "
                          "melody, bass and drums")
    _, first = np.unique(w.reshape(len(w), -1), axis=0, return_index=True)
    return torch.from_numpy(w[np.sort(first)].astype(np.int64))


def to_pretty_midi(trios: list[np.ndarray], tempo: float = 120.0, steps_per_bar: int = 16, gap_bars: int = 1):
    """A three-track ``pretty_midi.PrettyMIDI`` (melody, bass, drums) playing trios ``(3, T)`` in order,
    ``gap_bars`` bars of rest between them, in 4/4."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=float(tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    seconds = 60.0 / float(tempo) / (steps_per_bar / 4)
    tracks = [pretty_midi.Instrument(program=0, name="melody"),
              pretty_midi.Instrument(program=BASS_PROGRAM, name="bass")]
    offset = 0
    for trio in trios:
        for track, row in zip(tracks, trio[:2]):
            for onset, end, pitch in (decode(row) + np.array([offset, offset, 0])).tolist():
                track.notes.append(pretty_midi.Note(100, int(pitch), onset * seconds, end * seconds))
        offset += trio.shape[1] + gap_bars * steps_per_bar
    pm.instruments += [*tracks, drums.drum_track([t[2] for t in trios], tempo, steps_per_bar, gap_bars)]
    return pm


def write(x, path: Path, config: Config) -> None:
    """One trio ``(3, T)``, or several ``(S, 3, T)`` played in order a bar apart, as a three-track MIDI file."""
    data = _data(config)
    trios = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)
    if trios.ndim == 2:
        trios = trios[None]
    to_pretty_midi(list(trios), float(data.get("tempo", 120)), int(data.get("steps_per_bar", 16))).write(str(path))
