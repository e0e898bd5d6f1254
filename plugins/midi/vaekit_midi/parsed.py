"""What reading one file or tune gives every kind: its segments, or the reason there are none, in
the words users see (one table for every kind), and the caps on one file.

The order of ``REASONS`` is the code order of cached corpora (``corpus.py`` stores a reason as its
index here): append new reasons at the end, or bump ``corpus.FORMAT_VERSION``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vaekit import SKIP_REASONS

#: Caps on one user file, so that hostile input can neither exhaust memory nor stall a load.
MAX_MIDI_BYTES = 16 * 2**20
MAX_SCORE_BYTES = 64 * 2**20
MAX_NOTES = 200_000
MAX_STEPS = 2**20  # 65,536 bars of 4/4 on the 16th-note grid

REASONS = {
    "missing": "no such file",
    "empty": SKIP_REASONS["empty"],
    "not_midi": "not a MIDI file (no MThd header)",
    "corrupt": "truncated or corrupt MIDI file",
    "unreadable": "cannot be parsed as a score",
    "drums_only": "only drum tracks, no melody",
    "no_notes": "contains no notes",
    "out_of_range": "no note in the melody range (MIDI pitch 21..108)",
    "no_meter": "no usable time signature (e.g. 'M: none' or an odd meter)",
    "off_grid": "no bar on the 16th-note grid (triplets or shorter notes everywhere)",
    "too_short": "too short for one window",
    # caps on hostile input, and folder entries skipped unopened (see vaekit.walk)
    "too_large": f"over the size cap ({MAX_MIDI_BYTES >> 20} MiB a MIDI file, {MAX_SCORE_BYTES >> 20} MiB a score)",
    "too_many_notes": f"over the cap of {MAX_NOTES:,} notes in one file",
    "too_long": f"over the cap of {MAX_STEPS:,} steps in one file",
    **{key: SKIP_REASONS[key] for key in ("cannot_read", "not_regular", "link_outside", "link_broken", "link_folder")},
    # drums and trios
    "no_drums": "no drum track (MIDI channel 10)",
    "no_classes": "its drum track has no note of the 9 drum classes (General MIDI pitches 22..87)",
    "no_melody": "no melody track (a non-drum instrument of General MIDI program 0-31)",
    "no_bass": "no bass track (a non-drum instrument of General MIDI program 32-39)",
    "not_4_4": "not in 4/4 (GrooVAE's models play 4/4 only)",
    # piano
    "no_piano": "no piano part (a track named PIANO, or a non-drum track of General MIDI program 0-7 not named "
                "MELODY or BRIDGE)",
    # melodies over chords
    "no_chords": "no chords: no chord annotation (a POP909-style chord_midi.txt beside it, the only MIDI file of its "
                 "folder) and no accompaniment to recognise them from",
}


def describe(counts: Counter) -> str:
    """``"3 empty file, 1 only drum tracks, no melody"``: reasons, most common first."""
    return ", ".join(f"{n} {REASONS[k]}" for k, n in counts.most_common())


@dataclass
class Parsed:
    """What one file or tune gave: segments ``(tokens, bar_steps)``, or why none (a key of ``REASONS``)."""

    segments: list[tuple[np.ndarray, int]] = field(default_factory=list)
    reason: str | None = None
    #: What putting the notes on the grid changed (a ``quantisation.QuantisationReport``), where the
    #: reader measures it (scores; a user's MIDI file reports through ``reading.py``).
    report: Any = None


def refuse(path: Path, max_bytes: int) -> str | None:
    """Why ``path`` is not opened at all (missing, not a regular file, unreadable, over ``max_bytes``,
    told on its ``stat`` alone), or None."""
    try:
        if not path.is_file():
            return "not_regular" if path.exists() else "missing"
        return "too_large" if path.stat().st_size > max_bytes else None
    except OSError:
        return "cannot_read"
