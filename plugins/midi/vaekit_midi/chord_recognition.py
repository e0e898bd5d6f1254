"""Where a file's chords come from: POP909's annotation, a score's chord symbols, or recognised from
its MIDI accompaniment, each as one chord index a step (``chords.py``) on the grid the melody
reader puts the file's notes on.

Recognition is template matching, one chord a beat at most: each beat's notes give a pitch-class
profile weighted by how long each sounds in the beat, and a bass profile (the lowest sounding note
of each step). Every root and quality of :data:`chords.QUALITIES` is scored by the share of the
profile on its chord tones, less a penalty for the share off them, plus a bonus for the bass on its
root (or on another of its tones, an inversion) and a bias per quality that favours plain triads.
A Viterbi pass over the beats charges each change of chord, so a chord holds until the notes move
(and equal neighbours merge) and through a short rest; a longer silence is no chord (N). The weights
were tuned on POP909's training songs (``benchmarks/chord_recognition.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vaekit import VaekitError
from vaekit_midi.chords import (
    CHORDS_FILE,
    QUALITIES,
    QUALITY_NAMES,
    Chord,
    chord_changes,
    chord_name,
    chords_on_grid,
    read_chord_annotation,
)
from vaekit_midi.melody_choice import MELODY_NAMES, NoMelody, pick, track_infos
from vaekit_midi.midi_file import MIDI_TYPES, Grid, grid_of, meter_sections, on_grid, read_midi
from vaekit_midi.parsed import MAX_STEPS, REASONS

ANNOTATION = "annotation"
SCORE_SYMBOLS = "score symbols"
RECOGNISED = "recognised from the accompaniment"
#: Tracks that are never accompaniment: the melody, and POP909's second melody.
NOT_ACCOMPANIMENT = (*MELODY_NAMES, "bridge")
#: music21's chord kinds (``ChordSymbol.chordKind``) as our qualities; extensions (9ths, 11ths, 13ths)
#: keep their seventh chord.
MUSIC21_KINDS = {
    "major": "maj", "minor": "min", "diminished": "dim", "augmented": "aug", "suspended-second": "sus2",
    "suspended-fourth": "sus4", "dominant-seventh": "7", "major-seventh": "maj7", "minor-seventh": "min7",
    "minor-major-seventh": "minmaj7", "major-sixth": "maj6", "minor-sixth": "min6", "diminished-seventh": "dim7",
    "half-diminished-seventh": "hdim7", "suspended-fourth-seventh": "sus4(b7)", "seventh-flat-five": "7",
    "augmented-seventh": "7", "augmented-major-seventh": "maj7", "dominant-ninth": "7", "dominant-11th": "7",
    "dominant-13th": "7", "major-ninth": "maj7", "major-11th": "maj7", "major-13th": "maj7",
    "minor-ninth": "min7", "minor-11th": "min7", "minor-13th": "min7", "minor-major-ninth": "minmaj7",
    "augmented-ninth": "7", "power": "maj", "pedal": "maj",
}


@dataclass(frozen=True)
class Templates:
    """The weights of the template match (see the module's docstring)."""

    off_tones: float = 0.68  # penalty per unit of the profile off the chord's tones
    bass_root: float = 0.25  # bonus per unit of the bass profile on the root
    bass_tone: float = 0.14  # ... on another chord tone
    change: float = 0.25  # cost of a change of chord between beats
    no_chord: float = -0.5  # score of N where something sounds
    silence: float = 0.1  # cost of holding a chord through a beat where nothing sounds (N scores 0 there)
    #: Bias per quality: plain triads first.
    bias: dict[str, float] = field(default_factory=lambda: {
        "maj": 0.0, "min": 0.0, "dim": -0.07, "aug": -0.11, "sus2": -0.07, "sus4": -0.08, "7": -0.08,
        "maj7": -0.12, "min7": -0.1, "minmaj7": -0.3, "maj6": -0.15, "min6": -0.16, "dim7": -0.4,
        "hdim7": -0.2, "sus4(b7)": -0.16})


TEMPLATES = Templates()


def _chord_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each (root, quality), in ``root * qualities + quality`` order: its tones ``(K, 12)``, its root
    ``(K, 12)`` one-hot, and its quality's position in :data:`QUALITY_NAMES`."""
    tones = np.zeros((12 * len(QUALITIES), 12))
    roots = np.zeros_like(tones)
    quality = np.zeros(len(tones), dtype=np.int64)
    for root in range(12):
        for q, name in enumerate(QUALITY_NAMES):
            k = root * len(QUALITIES) + q
            tones[k, [(root + i) % 12 for i in QUALITIES[name]]] = 1
            roots[k, root] = 1
            quality[k] = q
    return tones, roots, quality


TONES, ROOTS, QUALITY_OF = _chord_table()


def beat_profiles(notes: np.ndarray, length: int, steps_per_beat: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Per beat ``(B, 12)`` each: how many steps each pitch class sounds (every note counted), and how
    many steps it is the lowest sounding note; ``notes`` ``(N, 3)`` of (onset step, end step, pitch)."""
    beats = -(-length // steps_per_beat)
    steps = beats * steps_per_beat
    sounding = np.zeros((steps, 12))
    lowest = np.full(steps, 128)
    for onset, end, pitch in np.asarray(notes, dtype=np.int64).reshape(-1, 3).tolist():
        onset, end = max(onset, 0), min(max(end, onset + 1), steps)
        if end <= onset:
            continue
        sounding[onset:end, pitch % 12] += 1
        lowest[onset:end] = np.minimum(lowest[onset:end], pitch)
    bass = np.zeros((steps, 12))
    heard = lowest < 128
    bass[np.flatnonzero(heard), lowest[heard] % 12] = 1
    return (sounding.reshape(beats, steps_per_beat, 12).sum(1), bass.reshape(beats, steps_per_beat, 12).sum(1))


def chord_scores(chroma: np.ndarray, bass: np.ndarray, templates: Templates = TEMPLATES) -> np.ndarray:
    """``(B, 1 + 12 * qualities)``: each beat's score for N and for each (root, quality)."""
    total = chroma.sum(1, keepdims=True)
    profile = chroma / np.maximum(total, 1e-9)
    low = bass / np.maximum(bass.sum(1, keepdims=True), 1e-9)
    on = profile @ TONES.T
    bias = np.array([templates.bias[name] for name in QUALITY_NAMES])[QUALITY_OF]
    scores = (on - templates.off_tones * (1 - on) + templates.bass_root * (low @ ROOTS.T)
              + templates.bass_tone * (low @ (TONES - ROOTS).T) + bias)
    silent = total[:, 0] == 0
    none = np.where(silent, 0.0, templates.no_chord)
    scores[silent] = -templates.silence
    return np.concatenate([none[:, None], scores], 1)


def smoothed(scores: np.ndarray, change: float) -> np.ndarray:
    """The best path through ``scores`` ``(B, K)`` that pays ``change`` for each change of state (Viterbi)."""
    if len(scores) == 0:
        return np.zeros(0, dtype=np.int64)
    back = np.zeros(scores.shape, dtype=np.int64)
    total = scores[0].copy()
    for b in range(1, len(scores)):
        best = int(np.argmax(total))
        moved = total[best] - change
        stay = total > moved  # on a tie, change as late as possible: a chord holds through a rest
        back[b] = np.where(stay, np.arange(scores.shape[1]), best)
        total = np.where(stay, total, moved) + scores[b]
    path = np.zeros(len(scores), dtype=np.int64)
    path[-1] = int(np.argmax(total))
    for b in range(len(scores) - 1, 0, -1):
        path[b - 1] = back[b, path[b]]
    return path


def recognise(notes: np.ndarray, length: int, steps_per_beat: int = 4,
              templates: Templates = TEMPLATES) -> np.ndarray:
    """One chord index a step ``(length,)`` int16 for accompaniment ``notes`` ``(N, 3)`` (onset step,
    end step, pitch), a chord a beat of ``steps_per_beat`` steps at most."""
    chroma, bass = beat_profiles(notes, length, steps_per_beat)
    return np.repeat(recognise_profiles(chroma, bass, templates), steps_per_beat)[:length]


def recognise_profiles(chroma: np.ndarray, bass: np.ndarray, templates: Templates = TEMPLATES) -> np.ndarray:
    """One chord index a beat ``(B,)`` int16 for :func:`beat_profiles`; the bass of each chord is the
    pitch class lowest for most of its steps where that is one of its tones (an inversion), else its
    root."""
    path = smoothed(chord_scores(chroma, bass, templates), templates.change)
    row = np.zeros(len(path), dtype=np.int16)
    starts = np.flatnonzero(np.diff(path, prepend=-1))
    for start, stop in zip(starts, [*starts[1:], len(path)]):
        if path[start] == 0:
            continue
        root, quality = divmod(int(path[start]) - 1, len(QUALITIES))
        chord = Chord(root, QUALITY_NAMES[quality])
        low = int(np.argmax(bass[start:stop].sum(0)))
        if low in chord.tones:
            chord = Chord(root, chord.quality, (low - root) % 12)
        row[start:stop] = chord.index
    return row


def accompaniment(pm: Any, grid: Grid) -> list[Any]:
    """A pretty_midi file's accompaniment: its non-drum tracks with notes, less the melody (the track
    that ``melody_choice`` picks, and any named as a melody or as POP909's BRIDGE)."""
    pitched = [i for i, inst in enumerate(pm.instruments) if inst.notes and not inst.is_drum]
    if len(pitched) < 2:
        return []
    lines, reason = on_grid(grid, pm.instruments)
    if reason:
        return []
    try:
        melody, _ = pick(track_infos(pm.instruments), lines)
    except NoMelody:  # every pitched track is bass: they all accompany
        melody = -1
    return [pm.instruments[i] for i in pitched
            if i != melody and not any(word in pm.instruments[i].name.lower() for word in NOT_ACCOMPANIMENT)]


def recognised(pm: Any, grid: Grid, steps_per_bar: int = 16, length: int = 0) -> np.ndarray | None:
    """Chords recognised from a file's accompaniment on ``grid``, at least ``length`` steps; None where
    it has none."""
    tracks = accompaniment(pm, grid)
    if not tracks:
        return None
    parts, reason = on_grid(grid, tracks)
    if reason:
        return None
    notes = np.concatenate(parts)
    end = max(length, int(notes[:, 1].max()) if len(notes) else 0)
    if end > MAX_STEPS or not len(notes):
        return None
    return recognise(notes, end, steps_per_bar // 4)


@dataclass
class FileChords:
    """A file's chords, one index a step on its melody reader's grid, where they came from, and its
    bars: (first step, steps a bar) of each stretch of one meter, and the number of the first bar (0
    where a score's first bar is a pickup)."""

    row: np.ndarray
    source: str
    meters: list[tuple[int, int]]
    first_bar: int = 1

    def by_bar(self) -> list[str]:
        """Each bar's chords as a lead sheet writes them ("C Am", "G7"; the chord sounding at its bar
        line first)."""
        out = []
        for i, (start, bar) in enumerate(self.meters):
            stop = self.meters[i + 1][0] if i + 1 < len(self.meters) else len(self.row)
            for at in range(start, stop, bar):
                bar_row = self.row[at:min(at + bar, stop)]
                out.append(" ".join(chord_name(index) for _, _, index in chord_changes(bar_row)))
        return out


def score_chords(path: Path, steps_per_bar: int = 16) -> FileChords | None:
    """The chord symbols of a score's first piece, one index a step from its first bar line (step 0 of
    the melody reader's grid, before a pickup; repeats written out as it writes them), each held to
    the next; None where it has none or cannot be read."""
    from music21 import converter, harmony, stream

    from vaekit_midi.scores import _expand_repeats, _runs

    try:
        parsed = converter.parse(Path(path), forceSource=True, storePickle=False)
    except Exception:  # music21 raises many types on bad input
        return None
    piece = next(iter(parsed.scores), None) if isinstance(parsed, stream.Opus) else parsed
    if piece is None:
        return None
    piece = _expand_repeats(piece)
    parts = list(piece.parts) if isinstance(piece, stream.Score) else [piece]
    symbols: dict[float, int] = {}
    first, end = None, 0.0
    for part in parts:
        runs = _runs(part)
        if runs and first is None:
            first = runs[0]
        end = max(end, float(part.highestTime))
        for el in part.flatten().getElementsByClass(harmony.Harmony):
            index = symbol_index(el)
            if index is not None:
                symbols.setdefault(float(el.offset), index)
    if not symbols or not any(symbols.values()):
        return None
    per_quarter = steps_per_bar / 4
    anchor = first.anchor if first else 0.0
    length = int(math.ceil((end - anchor) * per_quarter))
    if length > MAX_STEPS:
        return None
    row = np.zeros(max(length, 0), dtype=np.int16)
    for offset, index in sorted(symbols.items()):
        row[max(int(round((offset - anchor) * per_quarter)), 0):] = index
    bar = int(round(first.bar * per_quarter)) if first else steps_per_bar
    return FileChords(row, SCORE_SYMBOLS, [(0, bar)], 0 if anchor < 0 else 1)


def symbol_index(symbol: Any) -> int | None:
    """A music21 ``Harmony`` as a chord index (0 for its NoChord), or None where it names no chord
    (a roman numeral, a figured bass, a lower-case word). The quality is the one its kind names where its pitches are
    that chord's (with or without a bass outside it: "Am/G"), else the one whose tones they are
    ("Bm7b5", which music21 calls a minor seventh), else the named one, else the nearest."""
    from music21 import harmony

    if isinstance(symbol, harmony.NoChord):
        return 0
    if not isinstance(symbol, harmony.ChordSymbol) or (symbol.figure or "C")[:1] not in "ABCDEFG":
        return None  # a chord's letter is a capital: ABC's quoted "f" is a dynamic, not F major
    try:
        root, bass = symbol.root().pitchClass, symbol.bass().pitchClass
        steps = {(p.pitchClass - root) % 12 for p in symbol.pitches}
    except Exception:  # a symbol music21 could not realise
        return None
    above = (bass - root) % 12
    named = MUSIC21_KINDS.get(symbol.chordKind)
    exact = [q for q in ([named] if named else []) + QUALITY_NAMES
             if set(QUALITIES[q]) in (steps, steps - {above})]
    quality = exact[0] if exact else named or _nearest_quality(steps)
    return Chord(root, quality, above).index


def _nearest_quality(steps: set[int]) -> str:
    """The quality whose tones best match ``steps`` above the root (most shared, fewest missing)."""
    return max(QUALITY_NAMES, key=lambda q: (len(steps & set(QUALITIES[q])) - len(set(QUALITIES[q]) - steps),
                                             -QUALITY_NAMES.index(q)))


def found_chords(path: Path, steps_per_bar: int = 16) -> FileChords | None:
    """A file's chords: POP909's annotation beside a MIDI file, else its accompaniment recognised; a
    score's chord symbols. None where it has none of these; a VaekitError naming the file where it
    cannot be read."""
    path = Path(path)
    if path.suffix.lower() not in MIDI_TYPES:
        return score_chords(path, steps_per_bar)
    pm, reason = read_midi(path)
    if reason:
        raise VaekitError(f"{path}: {REASONS[reason]}")
    grid = grid_of(pm, path, steps_per_bar)
    end = max((grid.step(n.end) for inst in pm.instruments for n in inst.notes), default=0)
    rows = read_chord_annotation(path)
    if rows is not None:
        length = max(end, max((grid.step(stop) for _, stop, _ in rows), default=0))
        row, source = chords_on_grid(rows, grid.step, min(length, MAX_STEPS)), ANNOTATION
    else:
        row, source = recognised(pm, grid, steps_per_bar, end), RECOGNISED
        if row is None or not row.any():
            return None
    return FileChords(row, source, [(start, bar) for start, _, _, bar in meter_sections(grid, len(row)) or []])


def find_chords(path: Path, steps_per_bar: int = 16) -> tuple[np.ndarray, str] | None:
    """:func:`found_chords` as (row, source)."""
    found = found_chords(path, steps_per_bar)
    return None if found is None else (found.row, found.source)


def chords_of_file(path: Path, steps_per_bar: int = 16) -> tuple[np.ndarray, str]:
    """A file's chords, one index a step ``(T,)`` int16 on the grid its melody is read on (step 0 of
    ``midi_file.grid_of``, or a score's first bar line), and where they came from (:data:`ANNOTATION`,
    :data:`SCORE_SYMBOLS` or :data:`RECOGNISED`); one VaekitError line where the file has none."""
    found = find_chords(path, steps_per_bar)
    if found is None:
        raise VaekitError(f"{path}: no chords: no chord annotation ({CHORDS_FILE}), no chord symbols and no "
                          "accompaniment to recognise them from; give --chords")
    return found
