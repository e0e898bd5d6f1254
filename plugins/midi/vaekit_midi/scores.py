"""Scores (.abc, .musicxml, .mxl, .krn) through music21, building the note list ourselves.

music21's own MIDI writer fails on about 12% of the Essen tunes, and its offsets are exact
fractions, so reading notes and measures directly is both sturdier and exact: bar lines come from
the measures (a pickup's bar line lies before the tune starts), and a bar holding a note off the
16th-note grid (a triplet, a 32nd) is cut out rather than rounded. What that changed is measured
per file (``Parsed.report``, a ``QuantisationReport`` of every part's notes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vaekit_midi.melody_lines import Section, segments
from vaekit_midi.parsed import MAX_NOTES, MAX_STEPS, Parsed
from vaekit_midi.quantisation import measure_score, merged
from vaekit_midi.tokens import MAX_PITCH, MIN_PITCH


def read_score(path: Path, steps_per_bar: int = 16) -> Parsed:
    """Melody segments of every part of every piece in a score file, or the reason there are none."""
    from music21 import converter

    path = Path(path)
    if path.stat().st_size == 0:
        return Parsed(reason="empty")
    try:
        # no pickles: music21 would otherwise cache the parse as a pickle and load it back
        parsed = converter.parse(path, forceSource=True, storePickle=False)
    except Exception:  # music21 raises many types on bad input
        return Parsed(reason="unreadable")
    return parse_stream(parsed, steps_per_bar)


def parse_abc(text: str, steps_per_bar: int = 16) -> Parsed:
    """Melody segments of ABC text (one tune or several)."""
    from music21 import converter

    try:
        parsed = converter.parseData(text, format="abc")
    except Exception:  # music21 raises many types on bad input
        return Parsed(reason="unreadable")
    return parse_stream(parsed, steps_per_bar)


@dataclass
class _Run:
    anchor: float  # quarter notes: the first bar line
    bar: float  # quarter notes per bar
    end: float
    meter: tuple[int, int]


def parse_stream(parsed, steps_per_bar: int = 16) -> Parsed:
    """Melody segments of a music21 Score, Opus or Part, with the report of what the grid changed."""
    from music21 import stream

    if isinstance(parsed, stream.Opus):
        pieces = list(parsed.scores)
    else:
        pieces = [parsed]
    parts = []
    for piece in pieces:
        piece = _expand_repeats(piece)
        parts += list(piece.parts) if isinstance(piece, stream.Score) else [piece]
    per_quarter = steps_per_bar / 4
    out = Parsed()
    seen_notes = seen_in_range = seen_meter = seen_off_grid = False
    total = 0
    reports = []
    for part in parts:
        notes, grace_notes = _notes(part)
        if not notes:
            continue
        total += len(notes)
        if total > MAX_NOTES:
            return Parsed(reason="too_many_notes")
        seen_notes = True
        arr = np.array(notes, dtype=object)
        seen_in_range |= any(MIN_PITCH <= n[2] <= MAX_PITCH for n in notes)
        runs = _runs(part)
        seen_meter |= bool(runs)
        lost, bars_cut = np.zeros(len(notes), bool), 0
        for run in runs:
            if (run.end - run.anchor) * per_quarter > MAX_STEPS:
                return Parsed(reason="too_long")
            sections, off_grid, cut, lost_here = _sections(arr, run, per_quarter)
            seen_off_grid |= off_grid
            bars_cut, lost = bars_cut + cut, lost | lost_here
            for section in sections:
                out.segments += segments(section, steps_per_bar)
        reports.append(measure_score(np.array([float(n[0]) for n in notes]) * per_quarter,
                                     np.array([float(n[1]) for n in notes]) * per_quarter, per_quarter,
                                     lost, grace_notes, bars_cut))
    out.report = merged(reports) if reports else None
    if not out.segments:
        if not seen_notes:
            out.reason = "no_notes"
        elif not seen_in_range:
            out.reason = "out_of_range"
        elif not seen_meter:
            out.reason = "no_meter"
        elif seen_off_grid:
            out.reason = "off_grid"
        else:
            out.reason = "no_meter"
    return out


def _expand_repeats(piece):
    """The piece as played, repeats written out (three times the 16-bar windows of the folk tunes);
    as written where it has no repeat barlines (expanding copies the whole piece) or where music21
    cannot expand its repeat marks."""
    from music21 import bar

    if piece.recurse().getElementsByClass(bar.Repeat).first() is None:
        return piece
    try:
        return piece.expandRepeats()
    except Exception:  # music21 raises several types on inconsistent repeat marks
        return piece


def _notes(part) -> tuple[list[tuple[float, float, int]], int]:
    """(onset, end, MIDI pitch) in quarter notes, ties merged, grace notes and chord symbols skipped;
    and how many grace notes were skipped."""
    from music21 import chord, harmony, note

    notes: list[list] = []
    open_ties: dict[int, int] = {}  # pitch -> index of a note whose tie continues
    grace_notes = 0
    for el in part.flatten().notes:
        if isinstance(el, harmony.Harmony):
            continue
        if el.duration.quarterLength == 0:
            grace_notes += isinstance(el, (note.Note, chord.Chord))
            continue
        if isinstance(el, note.Note):
            pitches = [el.pitch.midi]
        elif isinstance(el, chord.Chord):
            pitches = [p.midi for p in el.pitches]
        else:  # unpitched percussion
            continue
        onset = el.offset
        end = onset + el.duration.quarterLength
        tie = el.tie.type if el.tie is not None else None
        for pitch in pitches:
            held = open_ties.pop(pitch, None)
            if tie in ("stop", "continue") and held is not None and notes[held][1] == onset:
                notes[held][1] = end
                index = held
            else:
                notes.append([onset, end, pitch])
                index = len(notes) - 1
            if tie in ("start", "continue"):
                open_ties[pitch] = index
    return [tuple(n) for n in notes], grace_notes


def _runs(part) -> list[_Run]:
    """Stretches of measures on one regular bar grid. A full measure off the grid or a new meter
    starts a new run; a partial measure (a pickup, a split bar around a repeat) stays in the run."""
    from music21 import stream

    runs: list[_Run] = []
    current: _Run | None = None
    meter = None
    for m in part.getElementsByClass(stream.Measure):
        if m.timeSignature is not None:
            ts = m.timeSignature
            new_meter = (ts.numerator, ts.denominator)
            if current is not None and new_meter != current.meter:
                current = None
            meter, bar = new_meter, float(ts.barDuration.quarterLength)
        if meter is None:
            continue
        start = float(m.offset) - float(m.paddingLeft)
        full = math.isclose(float(m.duration.quarterLength) + float(m.paddingLeft), bar)
        on_grid = current is not None and math.isclose((start - current.anchor) / bar % 1.0, 0.0, abs_tol=1e-9)
        if full and not on_grid:
            current = _Run(start, bar, start, meter)
            runs.append(current)
        if current is not None:
            current.end = float(m.offset) + float(m.duration.quarterLength)
    return runs


def _on_grid(x: float) -> bool:
    return abs(x - round(x)) < 1e-6


def _sections(notes: np.ndarray, run: _Run, per_quarter: float) -> tuple[list[Section], bool, int, np.ndarray]:
    """The run as sections on the step grid, with every bar that holds an off-grid onset cut out;
    whether there was one, how many bars were cut, and which of ``notes`` were lost with them."""
    bar = run.bar * per_quarter
    anchor = run.anchor * per_quarter
    length = int(math.floor((run.end - run.anchor) * per_quarter + 1e-9))
    onsets = np.array([float(n[0]) for n in notes]) * per_quarter - anchor
    inside = (onsets >= -1e-9) & (onsets < length)
    if not (_on_grid(bar) and _on_grid(anchor)) or bar < 1:
        return [], True, int(math.ceil(length / max(bar, 1e-9))), inside
    bar = int(round(bar))
    ends = np.array([float(n[1]) for n in notes]) * per_quarter - anchor
    pitches = np.array([n[2] for n in notes], dtype=np.int64)
    lost = np.zeros(len(notes), bool)
    where = np.flatnonzero(inside)
    onsets, ends, pitches = onsets[inside], ends[inside], pitches[inside]
    n_bars = -(-length // bar)
    bad = np.zeros(n_bars, dtype=bool)
    off = ~np.array([_on_grid(x) for x in onsets], dtype=bool)
    bad[(onsets[off] // bar).astype(np.int64)] = True
    lost[where] = bad[(np.maximum(onsets, 0) // bar).astype(np.int64)]
    grid = np.stack([np.round(onsets), np.maximum(np.round(ends), np.round(onsets) + 1), pitches], axis=1)
    grid = grid.astype(np.int64)[~off]
    sections = []
    good = np.flatnonzero(~bad)
    for group in np.split(good, np.flatnonzero(np.diff(good) > 1) + 1):
        if len(group) == 0:
            continue
        start, stop = int(group[0]) * bar, min(int(group[-1] + 1) * bar, length)
        chosen = grid[(grid[:, 0] >= start) & (grid[:, 0] < stop)] - np.array([start, start, 0])
        chosen[:, 1] = np.minimum(chosen[:, 1], stop - start)
        sections.append(Section(chosen, stop - start, bar))
    return sections, bool(off.any()), int(bad.sum()), lost
