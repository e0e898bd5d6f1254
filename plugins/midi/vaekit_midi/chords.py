"""Chords as data: a root and a quality (every quality POP909 annotates) over a bass, or no chord.

Two spellings are read: POP909's (Harte's) labels, ``"A:min7/b7"`` (the bass a degree of the chord),
and the symbols musicians type, ``"Am7/G"`` (the bass a note name); both come back as a :class:`Chord`.
Each chord has an integer index (0 is no chord, N), small enough for int16 arrays of one chord a step,
a feature vector per index for conditioning a model (root one-hot, pitch-class chroma, bass one-hot and
a no-chord flag), and its chord tones. Transposing moves the root and keeps quality and inversion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from vaekit import VaekitError

#: Semitones above the root of each quality, under POP909's (Harte's) names.
QUALITIES: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "min7": (0, 3, 7, 10),
    "minmaj7": (0, 3, 7, 11),
    "maj6": (0, 4, 7, 9),
    "min6": (0, 3, 7, 9),
    "dim7": (0, 3, 6, 9),
    "hdim7": (0, 3, 6, 10),
    "sus4(b7)": (0, 5, 7, 10),
}
QUALITY_NAMES = list(QUALITIES)
#: How each quality is written in a chord symbol ("A" + "m7" = "Am7").
SUFFIX = {"maj": "", "min": "m", "dim": "dim", "aug": "aug", "sus2": "sus2", "sus4": "sus4", "7": "7",
          "maj7": "maj7", "min7": "m7", "minmaj7": "mM7", "maj6": "6", "min6": "m6", "dim7": "dim7",
          "hdim7": "m7b5", "sus4(b7)": "7sus4"}
#: Every suffix read in a typed chord symbol, and its quality.
SUFFIXES = {
    **{suffix: quality for quality, suffix in SUFFIX.items()},
    **{quality: quality for quality in QUALITIES},
    "M": "maj", "-": "min", "min": "min", "°": "dim", "o": "dim", "+": "aug", "sus": "sus4",
    "dom7": "7", "M7": "maj7", "Δ": "maj7", "Δ7": "maj7", "-7": "min7", "min7": "min7",
    "mmaj7": "minmaj7", "mMaj7": "minmaj7", "m(maj7)": "minmaj7", "-maj7": "minmaj7", "maj6": "maj6",
    "min6": "min6", "°7": "dim7", "o7": "dim7", "ø": "hdim7", "ø7": "hdim7", "min7b5": "hdim7",
    "-7b5": "hdim7", "7sus": "sus4(b7)", "7sus4": "sus4(b7)",
}
#: Pitch-class names as POP909 spells roots.
NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ACCIDENTALS = {"#": 1, "♯": 1, "b": -1, "♭": -1}
#: Harte's degrees of a bass note, in semitones above the root.
DEGREES = {"1": 0, "b2": 1, "2": 2, "#2": 3, "b3": 3, "3": 4, "4": 5, "#4": 6, "b5": 6, "5": 7, "#5": 8,
           "b6": 8, "6": 9, "bb7": 9, "b7": 10, "7": 11}
_DEGREE_NAMES = {0: "1", 1: "b2", 2: "2", 3: "b3", 4: "3", 5: "4", 6: "b5", 7: "5", 8: "#5", 9: "6", 10: "b7", 11: "7"}
NO_CHORD_SYMBOLS = ("N", "N.C.", "NC")

#: Index 0 is N; chord (root, quality, bass) is 1 + (root * qualities + quality) * 12 + bass.
N_CHORDS = 1 + 12 * len(QUALITIES) * 12
#: Length of a chord's feature vector: root one-hot, chroma, bass one-hot, no-chord flag.
FEATURES = 12 + 12 + 12 + 1
#: POP909's chord annotation beside a song's MIDI file: start and end in seconds, and a label, a row a chord.
CHORDS_FILE = "chord_midi.txt"
MAX_CHORDS_BYTES = 2**20


@dataclass(frozen=True)
class Chord:
    """``root`` a pitch class 0-11, ``quality`` a key of :data:`QUALITIES`, ``bass`` semitones above
    the root (0 in root position; 4 for ``C:maj/3``, C/E)."""

    root: int
    quality: str
    bass: int = 0

    @property
    def index(self) -> int:
        return 1 + (self.root * len(QUALITIES) + QUALITY_NAMES.index(self.quality)) * 12 + self.bass

    @property
    def tones(self) -> frozenset[int]:
        """Its pitch classes, the bass among them."""
        return frozenset((self.root + i) % 12 for i in (*QUALITIES[self.quality], self.bass))

    @property
    def name(self) -> str:
        """As musicians write it: "Am7", "C/E", "Bm7b5"."""
        bass = f"/{NOTE_NAMES[(self.root + self.bass) % 12]}" if self.bass else ""
        return f"{NOTE_NAMES[self.root]}{SUFFIX[self.quality]}{bass}"

    @property
    def label(self) -> str:
        """As POP909 writes it: "A:min7", "C:maj/3"."""
        return f"{NOTE_NAMES[self.root]}:{self.quality}" + (f"/{_DEGREE_NAMES[self.bass]}" if self.bass else "")


def _pitch_class(text: str) -> int | None:
    """The pitch class of a note name ("C", "Eb", "F#"), or None."""
    if not text or text[0] not in _LETTERS or any(c not in _ACCIDENTALS for c in text[1:]):
        return None
    return (_LETTERS[text[0]] + sum(_ACCIDENTALS[c] for c in text[1:])) % 12


_ROOT = re.compile(r"^([A-G][#b♯♭]?)(.*)$")


def parse_chord(symbol: str) -> Chord | None:
    """The chord a symbol names (None for no chord: "N", "N.C."): a POP909 label ("A:min7/b7") or a
    typed symbol ("Am7/G", "Bm7b5", "Csus4", "F#dim7"); a VaekitError for anything else."""
    text = symbol.strip()
    if text in NO_CHORD_SYMBOLS:
        return None
    unknown = VaekitError(f"unknown chord symbol '{symbol}'")
    if ":" in text:  # POP909's spelling: ROOT:QUALITY[/DEGREE]
        root_text, _, rest = text.partition(":")
        quality, _, bass_text = rest.partition("/")
        root = _pitch_class(root_text)
        if root is None or quality not in QUALITIES or (bass_text and bass_text not in DEGREES):
            raise unknown
        return Chord(root, quality, DEGREES[bass_text] if bass_text else 0)
    head, slash, bass_text = text.partition("/")
    match = _ROOT.match(head)
    if not match or match.group(2) not in SUFFIXES or (slash and not bass_text):
        raise unknown
    root = _pitch_class(match.group(1))
    assert root is not None
    bass = 0
    if bass_text:
        if bass_text in DEGREES:
            bass = DEGREES[bass_text]
        elif (pitch := _pitch_class(bass_text)) is not None:
            bass = (pitch - root) % 12
        else:
            raise unknown
    return Chord(root, SUFFIXES[match.group(2)], bass)


def chord_index(symbol: str) -> int:
    """The index of a symbol or label (0 for no chord)."""
    chord = parse_chord(symbol)
    return 0 if chord is None else chord.index


def chord_of(index: int) -> Chord | None:
    """The chord at an index (None for 0, no chord)."""
    if not 0 <= int(index) < N_CHORDS:
        raise VaekitError(f"chord index {index} is outside 0..{N_CHORDS - 1}")
    if index == 0:
        return None
    rest, bass = divmod(int(index) - 1, 12)
    root, quality = divmod(rest, len(QUALITIES))
    return Chord(root, QUALITY_NAMES[quality], bass)


def chord_name(index: int) -> str:
    """"Am7", "C/E", or "N"."""
    chord = chord_of(index)
    return "N" if chord is None else chord.name


@cache
def chroma_table() -> np.ndarray:
    """``(N_CHORDS, 12)`` bool: the pitch classes of each index's chord (none for N)."""
    table = np.zeros((N_CHORDS, 12), dtype=bool)
    for index in range(1, N_CHORDS):
        table[index, sorted(chord_of(index).tones)] = True
    return table


@cache
def feature_table() -> np.ndarray:
    """``(N_CHORDS, FEATURES)`` float32: each index's root one-hot, chroma, bass one-hot (pitch classes)
    and no-chord flag; N is the flag alone."""
    table = np.zeros((N_CHORDS, FEATURES), dtype=np.float32)
    table[0, -1] = 1
    for index in range(1, N_CHORDS):
        chord = chord_of(index)
        table[index, chord.root] = 1
        table[index, 24 + (chord.root + chord.bass) % 12] = 1
    table[:, 12:24] = chroma_table()
    return table


@cache
def root_offsets() -> np.ndarray:
    """``(N_CHORDS,)`` int64: each index's root in semitones from C, -6 (F#) to 5 (F), and 0 for N: the
    shift that brings a melody note into its chord's frame with the least move."""
    roots = np.array([0] + [chord_of(i).root for i in range(1, N_CHORDS)], dtype=np.int64)
    return (roots + 6) % 12 - 6


@cache
def relative_feature_table() -> np.ndarray:
    """``(N_CHORDS, FEATURES)`` float32: as :func:`feature_table`, with the chroma and bass counted from
    the root and the root one-hot left empty, so that a chord and its transpositions share a row."""
    table = np.zeros((N_CHORDS, FEATURES), dtype=np.float32)
    table[0, -1] = 1
    for index in range(1, N_CHORDS):
        chord = chord_of(index)
        table[index, [12 + i for i in QUALITIES[chord.quality]]] = 1
        table[index, 12 + chord.bass] = 1
        table[index, 24 + chord.bass] = 1
    return table


def chord_tones(index: int) -> frozenset[int]:
    """The pitch classes of an index's chord (none for N)."""
    chord = chord_of(index)
    return frozenset() if chord is None else chord.tones


def transpose_chords(indices, semitones):
    """Indices of the same chords ``semitones`` higher (N stays N), in the type and dtype of ``indices``
    (a numpy array or a torch tensor); ``semitones`` may be an array that broadcasts against them."""
    per_root = len(QUALITIES) * 12
    shifted = indices - 1
    moved = 1 + ((shifted // per_root + semitones) % 12) * per_root + shifted % per_root
    moved = moved * (indices > 0)
    return moved.astype(indices.dtype) if isinstance(indices, np.ndarray) else moved.to(indices.dtype)


def progression(text: str, steps: int, steps_per_bar: int = 16) -> np.ndarray:
    """One chord index a step ``(steps,)`` for a typed progression over ``steps`` steps.

    Chords are separated by spaces, bars by "|": each bar's chords share it equally. Without "|",
    as many chords as bars give one a bar, twice or four times as many one a half or quarter bar. A
    progression of fewer bars than ``steps`` holds, that divides them, repeats ("C G Am F" fills 16
    bars four times). Anything else is a VaekitError that says the rule.
    """
    bars_wanted = steps // steps_per_bar
    words = text.replace("|", " | ").split()
    if "|" in words:
        bars = [bar.split() for bar in " ".join(words).split("|")]
        bars = [bar for bar in bars if bar]
    else:
        per_bar = next((k for k in (1, 2, 4) if len(words) == k * bars_wanted), None)
        if per_bar is None:
            per_bar = 1 if words and bars_wanted % len(words) == 0 else 0
        bars = [words[i:i + per_bar] for i in range(0, len(words), per_bar)] if per_bar else []
    if not bars or bars_wanted % len(bars) or any(steps_per_bar % len(bar) for bar in bars):
        raise VaekitError(
            f"--chords has {len(words) - words.count('|')} chords; a {bars_wanted}-bar model takes one a bar "
            f"({bars_wanted}), or one a half bar ({2 * bars_wanted}), or bars split by '|' (e.g. 'C G | Am F'), "
            f"as many bars as it holds or a number that divides them")
    indices = [chord_index(symbol) for symbol in words if symbol != "|"]
    row, at = [], 0
    for bar in bars:
        for _ in bar:
            row += [indices[at]] * (steps_per_bar // len(bar))
            at += 1
    return np.tile(np.array(row, dtype=np.int16), bars_wanted // len(bars))


def describe_progression(row: np.ndarray, steps_per_bar: int = 16) -> str:
    """A per-step row as a typed progression, bars split by "|" ("C G | Am F")."""
    row = np.asarray(row)
    bars = [row[start:start + steps_per_bar] for start in range(0, len(row), steps_per_bar)]
    return " | ".join(" ".join(chord_name(index) for _, _, index in chord_changes(bar)) for bar in bars)


def read_chord_annotation(midi_path: Path) -> list[tuple[float, float, int]] | None:
    """POP909's ``chord_midi.txt`` beside a song's MIDI file as (start s, end s, chord index) rows, or
    None where there is none; a VaekitError naming the file where a row is unreadable."""
    path = Path(midi_path).with_name(CHORDS_FILE)
    try:
        if not path.is_file() or path.stat().st_size > MAX_CHORDS_BYTES:
            return None
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    rows = []
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        try:
            start, end = float(fields[0]), float(fields[1])
            label = fields[2]
        except (ValueError, IndexError):
            raise VaekitError(f"{path}: line {number} is not 'start end chord'") from None
        try:
            rows.append((start, end, chord_index(label)))
        except VaekitError as error:
            raise VaekitError(f"{path}: line {number}: {error}") from None
    return rows


def chords_on_grid(rows: list[tuple[float, float, int]], step, length: int) -> np.ndarray:
    """One chord index a step ``(length,)``: each row's chord from the step nearest its start up to the
    step nearest its end (``step``: seconds to the nearest step, a ``midi_file.Grid``'s); N elsewhere."""
    out = np.zeros(length, dtype=np.int16)
    for start, end, index in rows:
        first, last = max(step(start), 0), min(step(end), length)
        if last > first:
            out[first:last] = index
    return out


def chord_changes(row: np.ndarray) -> list[tuple[int, int, int]]:
    """A per-step row as (start step, end step, index) of each chord, one after another."""
    row = np.asarray(row)
    if len(row) == 0:
        return []
    starts = [0, *(np.flatnonzero(row[1:] != row[:-1]) + 1).tolist()]
    return [(a, b, int(row[a])) for a, b in zip(starts, [*starts[1:], len(row)])]


def block_chords(row: np.ndarray) -> np.ndarray:
    """Notes ``(N, 3)`` of (onset, end, pitch) that play a per-step row as block chords: the bass in
    octave 2 (MIDI 36-47), the chord tones above it in octave 3 (48-59), each held until the chord
    changes; nothing under N."""
    notes = []
    for start, end, index in chord_changes(row):
        chord = chord_of(index)
        if chord is None:
            continue
        notes.append((start, end, 36 + (chord.root + chord.bass) % 12))
        notes += [(start, end, 48 + tone) for tone in sorted(chord.tones)]
    return np.array(notes, dtype=np.int64).reshape(-1, 3)
