"""The built-in ``pop_chords`` dataset: the sung melodies (the MELODY track) of songs 001-800 of POP909
over their annotated chords, both read on the songs' annotated beats and downbeats, shipped as
``(2, L)`` segments (melody tokens over a chord index a step) inside the plugin (made by
``benchmarks/shipping/pop909_chord_tokens.py``; POP909's MIT licence, which covers the chord annotations too,
is beside it)."""

from __future__ import annotations

from pathlib import Path

from vaekit import VaekitError
from vaekit_midi.corpus import Corpus

FILE = Path(__file__).parent / "data" / "pop909_chords.npz"
DESCRIPTION = ("POP909's sung melodies over their annotated chords (800 songs, every chord quality POP909 uses; "
               "MIT licence), for the chord_melody models")


def load_pop_chords(limit: int = 0, steps_per_bar: int = 16) -> Corpus:
    """The first ``limit`` songs (all where 0)."""
    if steps_per_bar != 16:
        raise VaekitError(f"pop_chords: shipped on the 16th-note grid (data.steps_per_bar 16), not {steps_per_bar}")
    return Corpus.load(FILE).first(limit)
