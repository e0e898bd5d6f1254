"""Real drummers beside GrooVAE when it humanises a score: the velocities and offsets that the training
beats most alike to the score (by their hits: Jaccard) gave each hit. A score says little of its timing
beyond which instrument hits at which step; the model and the alike beats each guess the rest with
errors of their own, and their mean misses by less than either (``benchmarks/drums_quality.py``).

The beats are the 2-bar windows, at every bar line, of the built-in Groove MIDI Dataset's training
performances (CC BY 4.0, ``data/GROOVE-LICENSE``), whatever data the model was trained on: they are real
playing on the same nine instruments.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from vaekit_midi.groove import load_groove
from vaekit_midi.groove_midi import CLASSES, to_features

#: training beats a score's hits are played like
ALIKE = 50


@lru_cache(maxsize=2)
def training_beats(steps: int) -> tuple[np.ndarray, np.ndarray]:
    """The hits ``(N, 9 * steps)`` and the velocities and offsets ``(N, 2, 9 * steps)`` of every training
    window of ``steps`` steps."""
    corpus, validation = load_groove()
    windows, owner, _ = corpus.windows(steps)
    beats = to_features(windows[~validation[owner]])
    return (beats[:, :CLASSES] > 0).reshape(len(beats), -1).astype(np.float32), \
        beats[:, CLASSES:].reshape(len(beats), 2, -1)


def alike_playing(scores: np.ndarray, k: int = ALIKE, batch: int = 256) -> np.ndarray:
    """Scores ``(B, 27, T)`` (their hits) played as the ``k`` most alike training beats played them: each hit
    the mean velocity and offset of its instrument at its step among those beats that hit it there, else
    among all training beats; ``(B, 27, T)``."""
    known, played = training_beats(scores.shape[-1])
    asked = (scores[:, :CLASSES] > 0).reshape(len(scores), -1).astype(np.float32)
    everywhere = (played * known[:, None]).sum(0) / np.maximum(known.sum(0), 1)
    out = np.zeros((len(scores), 2, known.shape[1]), np.float32)
    for start in range(0, len(scores), batch):
        a = asked[start: start + batch]
        shared = a @ known.T
        alike = shared / np.maximum(a.sum(1)[:, None] + known.sum(1)[None] - shared, 1)
        near = np.argpartition(-alike, min(k, len(known) - 1), 1)[:, :k]
        hit = known[near]
        n = hit.sum(1)
        mean = (played[near] * hit[:, :, None]).sum(1) / np.maximum(n, 1)[:, None]
        out[start: start + batch] = np.where(n[:, None] > 0, mean, everywhere) * a[:, None]
    return np.concatenate([scores[:, :CLASSES], out.reshape(len(scores), 2 * CLASSES, -1)], 1)
