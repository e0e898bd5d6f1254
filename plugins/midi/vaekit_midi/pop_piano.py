"""The built-in ``pop_piano`` dataset: the piano accompaniment (the PIANO track) of songs 001-800 of
POP909, read on their annotated beats and downbeats, shipped as piano tokens inside the plugin (made
by ``benchmarks/shipping/pop909_piano_tokens.py``; derived from POP909, whose MIT licence is beside it). Songs
are named ``pop909/NNN`` as in ``pop``, so both split the same songs out."""

from __future__ import annotations

from pathlib import Path

from vaekit import VaekitError
from vaekit_midi.corpus import Corpus

FILE = Path(__file__).parent / "data" / "pop909_piano.npz"
DESCRIPTION = ("the piano accompaniment of 800 Chinese pop songs from POP909 (Wang et al., ISMIR 2020; MIT licence), "
               "for piano models (piano_2bar)")


def load_pop_piano(limit: int = 0, steps_per_bar: int = 16) -> Corpus:
    """The first ``limit`` songs (all where 0)."""
    if steps_per_bar != 16:
        raise VaekitError(f"pop_piano: shipped on the 16th-note grid (data.steps_per_bar 16), not {steps_per_bar}")
    return Corpus.load(FILE).first(limit)
