"""The built-in ``pop`` dataset: the sung melodies (the MELODY track) of songs 001-800 of POP909, read
on their annotated beats and downbeats, shipped as a token array inside the plugin (made by
``benchmarks/shipping/pop909_tokens.py``; POP909's MIT licence is beside it)."""

from __future__ import annotations

from pathlib import Path

from vaekit import VaekitError
from vaekit_midi.corpus import Corpus

FILE = Path(__file__).parent / "data" / "pop909.npz"
DESCRIPTION = ("the sung melodies of 800 Chinese pop songs from POP909 (Wang et al., ISMIR 2020; MIT licence); "
               "--data folk+pop trains on both")


def load_pop(limit: int = 0, steps_per_bar: int = 16) -> Corpus:
    """The first ``limit`` songs (all where 0)."""
    if steps_per_bar != 16:
        raise VaekitError(f"pop: shipped on the 16th-note grid (data.steps_per_bar 16), not {steps_per_bar}")
    return Corpus.load(FILE).first(limit)
