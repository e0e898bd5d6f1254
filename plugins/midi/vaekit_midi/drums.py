"""Drum patterns as MusicVAE encodes them: General MIDI drum pitches reduced to 9 classes, and each
16th-note step one token out of 2^9 = 512 (bit ``i`` set when class ``i`` is hit at that step).

Reading takes every drum track (``is_drum``, MIDI channel 10) of a MIDI file, quantizes onsets on the
file's own beats as the melody reader does, starts bars at each time-signature change, splits at a
bar without a hit and cuts windows at bar lines. Writing plays each hit as a short note of the
class's first pitch on a drum track, so tokens -> MIDI -> tokens is exact on the reduced classes.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from vaekit.errors import VaekitError
from vaekit.files import SKIP_REASONS

Config = dict[str, Any]

CLASSES = ("kick", "snare", "closed hi-hat", "open hi-hat", "low tom", "mid tom", "high tom", "crash", "ride")
#: note_seq's DEFAULT_DRUM_TYPE_PITCHES (MusicVAE's REDUCED_DRUM_PITCH_CLASSES); the first is written.
PITCHES = (
    (36, 35),
    (38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85),
    (42, 44, 54, 68, 69, 70, 71, 73, 78, 80, 22),
    (46, 67, 72, 74, 79, 81, 26),
    (45, 29, 41, 43, 61, 64, 84),
    (48, 47, 60, 63, 77, 86, 87),
    (50, 30, 62, 76, 83),
    (49, 52, 55, 57, 58),
    (51, 53, 59, 82),
)
CLASS_OF = {pitch: i for i, pitches in enumerate(PITCHES) for pitch in pitches}
VOCAB = 2 ** len(CLASSES)
MIDI_TYPES = (".mid", ".midi")
MAX_MIDI_BYTES = 16 * 2**20  # a cap on one user file, so that hostile input cannot exhaust memory
REASONS = {
    **SKIP_REASONS,  # folder entries skipped unopened: links out of the folder or looping, FIFOs, ...
    "missing": "no such file",
    "cannot_read": "cannot be read (permission or I/O error)",
    "too_large": f"over the size cap of {MAX_MIDI_BYTES >> 20} MiB a MIDI file",
    "empty": "empty file",
    "not_midi": "not a MIDI file (no MThd header)",
    "corrupt": "truncated or corrupt MIDI file",
    "no_drums": "no drum track (MIDI channel 10)",
    "no_classes": "its drum track has no note of the 9 drum classes (General MIDI pitches 22..87)",
    "no_meter": "no usable time signature",
    "too_short": "too short for one window",
}


def encode(hits: np.ndarray, length: int) -> np.ndarray:
    """Hits ``(N, 2)`` of (step, class) as ``length`` tokens (int16); hits past the end are dropped."""
    tokens = np.zeros(length, dtype=np.int16)
    hits = np.asarray(hits, dtype=np.int64).reshape(-1, 2)
    hits = hits[(hits[:, 0] >= 0) & (hits[:, 0] < length)]
    np.bitwise_or.at(tokens, hits[:, 0], (1 << hits[:, 1]).astype(np.int16))
    return tokens


def decode(tokens: np.ndarray) -> np.ndarray:
    """Tokens as hits ``(N, 2)`` of (step, class), by step then class."""
    tokens = np.asarray(tokens, dtype=np.int64)
    bits = (tokens[:, None] >> np.arange(len(CLASSES))) & 1
    step, cls = np.nonzero(bits)
    return np.stack([step, cls], 1)


def segments(hits: np.ndarray, length: int, bar: int) -> list[np.ndarray]:
    """Token segments of one meter section, split where a whole bar has no hit; each starts on the
    bar line before its first hit and ends on the bar line after its last."""
    hits = hits[np.lexsort((hits[:, 1], hits[:, 0]))]
    if len(hits) == 0:
        return []
    onsets = np.unique(hits[:, 0])
    cut = onsets[np.flatnonzero(np.diff(onsets) > bar) + 1]
    out = []
    for group in np.split(hits, np.searchsorted(hits[:, 0], cut)):
        start = group[0, 0] // bar * bar
        stop = min(-(-(group[-1, 0] + 1) // bar) * bar, length)
        out.append(encode(group - np.array([start, 0]), int(stop - start)))
    return out


def parse_pretty_midi(pm, steps_per_bar: int = 16) -> tuple[list[tuple[np.ndarray, int]], str | None]:
    """Drum segments ``(tokens, bar steps)`` of a ``pretty_midi.PrettyMIDI``, or the reason there are none."""
    drums = [i for i in pm.instruments if i.is_drum and i.notes]
    if not drums:
        return [], "no_drums"
    scale = steps_per_bar / 4 / pm.resolution

    def step(time: float) -> int:
        return int(round(pm.time_to_tick(time) * scale))

    hits = np.array([(step(n.start), CLASS_OF[n.pitch]) for i in drums for n in i.notes if n.pitch in CLASS_OF],
                    dtype=np.int64).reshape(-1, 2)
    if len(hits) == 0:
        return [], "no_classes"
    out = []
    for start, stop, length, bar in sections(pm, step, int(hits[:, 0].max()) + 1, steps_per_bar):
        inside = hits[(hits[:, 0] >= start) & (hits[:, 0] < stop)] - np.array([start, 0])
        out += [(tokens, bar) for tokens in segments(inside, length, bar)]
    return out, None if out else "no_meter"


def sections(pm, step, end: int, steps_per_bar: int = 16) -> list[tuple[int, int, int, int]]:
    """The file's stretches of one meter as (start step, stop step, length in steps, steps per bar):
    bars start at each time-signature change (4/4 from the start where none is given); the last
    stretch is whole bars up to ``end``; meters off the grid are left out."""
    meters = []  # (start step, bar steps or None)
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


def open_midi(path: Path):
    """``(pretty_midi.PrettyMIDI, None)``, or ``(None, reason)`` (a key of ``REASONS``). A file over
    ``MAX_MIDI_BYTES`` is refused on its size alone, unread."""
    import pretty_midi

    path = Path(path)
    try:
        if not path.is_file():
            return None, "missing"
        if path.stat().st_size > MAX_MIDI_BYTES:
            return None, "too_large"
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
            return pretty_midi.PrettyMIDI(str(path)), None
        except Exception:  # mido and pretty_midi raise many types on corrupt data
            return None, "corrupt"


def read_drums(path: Path, steps_per_bar: int = 16) -> tuple[list[tuple[np.ndarray, int]], str | None]:
    """Drum segments of one MIDI file, or the reason there are none (a key of ``REASONS``)."""
    pm, reason = open_midi(path)
    return ([], reason) if reason else parse_pretty_midi(pm, steps_per_bar)


def windows(tokens: np.ndarray, bar: int, steps: int, hop_bars: int = 1) -> np.ndarray:
    """Windows ``(K, steps)`` of one segment, starting at bar lines every ``hop_bars`` bars."""
    if len(tokens) < steps:
        return np.zeros((0, steps), dtype=np.int16)
    starts = np.arange(0, len(tokens) - steps + 1, bar * max(1, hop_bars))
    return np.asarray(tokens, dtype=np.int16)[starts[:, None] + np.arange(steps)]


def _data(config: Config) -> Config:
    return config.get("data", {})


def read_windows(path: Path, config: Config):
    """Every window ``(K, T)`` of one file's drum tracks, in order, or a VaekitError naming the file."""
    import torch

    data = _data(config)
    steps, spb = int(data.get("steps", 32)), int(data.get("steps_per_bar", 16))
    path = Path(path)
    if path.suffix.lower() not in MIDI_TYPES:
        raise VaekitError(f"{path}: drum patterns are read from MIDI files (.mid, .midi)")
    segs, reason = read_drums(path, spb)
    if reason:
        raise VaekitError(f"{path}: {REASONS[reason]}")
    found = np.concatenate([windows(t, bar, steps, int(data.get("hop_bars", 1))) for t, bar in segs])
    if len(found) == 0:
        longest = max(len(t) for t, _ in segs)
        raise VaekitError(f"{path}: too short for one {steps}-step drum window (its longest pattern without "
                          f"a silent bar has {longest} steps)")
    _, first = np.unique(found, axis=0, return_index=True)
    return torch.from_numpy(found[np.sort(first)].astype(np.int64))


def to_pretty_midi(patterns: list[np.ndarray], tempo: float = 120.0, steps_per_bar: int = 16, gap_bars: int = 1):
    """A ``pretty_midi.PrettyMIDI`` with one drum track playing the patterns in order, ``gap_bars``
    bars of rest between them, in 4/4; each hit lasts one step."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=float(tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    pm.instruments.append(drum_track(patterns, tempo, steps_per_bar, gap_bars))
    return pm


def drum_track(patterns: list[np.ndarray], tempo: float = 120.0, steps_per_bar: int = 16, gap_bars: int = 1):
    """A pretty_midi drum ``Instrument`` playing the patterns in order."""
    import pretty_midi

    seconds = 60.0 / float(tempo) / (steps_per_bar / 4)
    track = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
    offset = 0
    for tokens in patterns:
        for step, cls in decode(tokens).tolist():
            start = (offset + step) * seconds
            track.notes.append(pretty_midi.Note(100, PITCHES[cls][0], start, start + seconds))
        offset += len(tokens) + gap_bars * steps_per_bar
    return track


def write(x, path: Path, config: Config) -> None:
    """One pattern ``(T,)``, or several ``(S, T)`` played in order a bar apart, as a MIDI drum track."""
    data = _data(config)
    patterns = np.atleast_2d(np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x))
    pm = to_pretty_midi(list(patterns), float(data.get("tempo", 120)), int(data.get("steps_per_bar", 16)))
    pm.write(str(path))


def drum_grid(x, path: Path, config: Config | None = None) -> None:
    """A PNG with one grid of hits (class by step) per pattern ``(N, T)``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    patterns = np.atleast_2d(np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x))
    n, steps = patterns.shape
    fig, axes = plt.subplots(n, 1, figsize=(max(6.0, steps / 8), 1.6 * n + 0.4), squeeze=False)
    for ax, tokens in zip(axes[:, 0], patterns):
        bits = (tokens[None, :].astype(np.int64) >> np.arange(len(CLASSES))[:, None]) & 1
        ax.imshow(bits, aspect="auto", cmap="Greys", interpolation="nearest", origin="lower")
        ax.set_yticks(range(len(CLASSES)), CLASSES, fontsize=6)
        ax.tick_params(labelsize=6)
    axes[-1, 0].set_xlabel("16th-note step")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
