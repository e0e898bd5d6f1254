"""The built-in ``groove`` dataset: the 1,021 train and validation performances of the Groove MIDI Dataset
(Gillick et al., ICML 2019; CC BY 4.0, its attribution beside it in ``data/GROOVE-LICENSE``), read by
``groove_midi.py`` and shipped as one array (made by ``benchmarks/shipping/groove_npz.py``). The split is the
release's own, by performance (``info.csv``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vaekit import VaekitError
from vaekit_midi.corpus import Corpus

FILE = Path(__file__).parent / "data" / "groove.npz"
DESCRIPTION = ("drum performances of 10 drummers from the Groove MIDI Dataset with velocities and microtiming "
               "(Gillick et al., ICML 2019; CC BY 4.0); for drums_2bar and groove_2bar")


def load_groove(steps_per_bar: int = 16) -> tuple[Corpus, np.ndarray]:
    """The corpus of ``(19, L)`` performance rows (see ``groove_midi.py``) and which items are held out."""
    if steps_per_bar != 16:
        raise VaekitError(f"groove: shipped on the 16th-note grid (data.steps_per_bar 16), not {steps_per_bar}")
    with np.load(FILE, allow_pickle=False) as data:
        validation = data["validation"]
    return Corpus.load(FILE), validation
