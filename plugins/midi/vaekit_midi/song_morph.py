"""Whole-song interpolation (``vaekit compose --between A.mid B.mid``): songs from song A to song B, every
2-bar window of the one moving to the same window of the other on ``mel_2bar``'s codes (slerp), so that
each 8-bar section of a step lies between A's section and B's.

A straight path between two songs' codes passes through codes that belong to neither and to no song:
the steps between the ends are noised to ``strength`` of the composer's schedule and denoised by it
(``Composer.sample``'s ``start``), which pulls each back among the songs it learned while keeping where
it stood on the path; then, as ``compose`` does, held in one key and closed every eighth bar. A step
repeats its windows where the nearer song repeats them (the path alone repeats a window only where both
songs do, so its steps lost the songs' repeats). The first and last steps are A and B as read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from vaekit import VaekitError
from vaekit.latent import path
from vaekit_midi.composer_model import Composer
from vaekit_midi.key_hold import hold_key, repeated_from
from vaekit_midi.song_codes import WINDOW

#: Steps by default, both songs included; how far the composer re-noises the steps between (its share of
#: the schedule: benchmarks/results/song_morph_quality.md measures it).
STEPS = 5
STRENGTH = 0.15


def morph(composer: Composer, mel: Any, a: Any, b: Any, windows: int, steps: int, generator: torch.Generator,
          strength: float = STRENGTH, temperature: float = 0.0, key: bool = True,
          close: bool = True) -> np.ndarray:
    """``steps`` songs ``(steps, windows * 32)`` of tokens from ``a``'s first ``windows`` windows to ``b``'s
    (``compose.Given``), both ends as read; ``strength`` 0 decodes the path's codes as they are."""
    from vaekit_midi.compose import decode_songs

    if steps < 2:
        raise VaekitError(f"--steps {steps}: a path between two songs takes at least 2 steps")
    if not 0 <= strength <= 1:
        raise VaekitError(f"strength {strength} must lie in [0, 1]")
    codes = torch.stack([path(torch.from_numpy(a.codes[i]).float(), torch.from_numpy(b.codes[i]).float(), steps)
                         for i in range(windows)], 1)  # (steps, windows, D)
    nearer_a = torch.linspace(0, 1, steps) <= 0.5
    rest = torch.where(nearer_a[:, None], torch.from_numpy(a.rest[:windows]), torch.from_numpy(b.rest[:windows]))
    a_repeats, b_repeats = (repeated_from(torch.from_numpy(song.tokens[: windows * WINDOW].reshape(1, windows, -1)))[0]
                            for song in (a, b))  # each window's earlier copy in the song, or -1
    sources = np.stack([a_repeats if near else b_repeats for near in nearer_a[1:-1].tolist()]).reshape(-1, windows)
    inner = tied(composer.to_values(codes[1:-1], rest[1:-1]), sources)
    if strength > 0 and len(inner):
        inner = tied(composer.sample(windows, len(inner), generator, start=inner, strength=strength), sources)
    if key and len(inner):
        held = torch.zeros(inner.shape[:2], dtype=torch.bool)
        inner = tied(hold_key(composer, mel.model, inner, held, generator), sources)
    songs = np.zeros((steps, windows * WINDOW), np.int64)
    if len(inner):
        songs[1:-1] = decode_songs(composer, mel, inner, temperature, generator, close)
    songs[0], songs[-1] = a.tokens[: windows * WINDOW], b.tokens[: windows * WINDOW]
    return songs


def tied(values: torch.Tensor, sources: np.ndarray) -> torch.Tensor:
    """Songs' values ``(n, L, C)`` with each window that ``sources`` ``(n, L)`` ties to an earlier one made
    that one's."""
    values = values.clone()
    for song, row in enumerate(sources):
        for j, source in enumerate(row.tolist()):
            if source >= 0:
                values[song, j] = values[song, source]
    return values
