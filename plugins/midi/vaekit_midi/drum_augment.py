"""Augmented training windows of drum tokens: the Groove MIDI Dataset has some 16,000 distinct training
beats, few enough that a drum model learns them by heart and reconstructs held-out beats worse. Each
window drawn for training may lose a few hits, may play its closed hi-hat part on the ride (and its
ride part on the closed hi-hat), as drummers do, and may take its second half from another window of
the batch: beats near the real ones that the data lacks. Validation windows are never changed."""

from __future__ import annotations

import numpy as np
import torch

from vaekit_midi.dataset import WindowDataset
from vaekit_midi.tokens import DRUM_CLASSES

CLOSED_HAT, RIDE = DRUM_CLASSES.index("closed hi-hat"), DRUM_CLASSES.index("ride")
BITS = 1 << torch.arange(len(DRUM_CLASSES))


class AugmentedDrums(WindowDataset):
    """Drum windows ``(N, T)``; each drawn window loses each hit with probability ``drop_hits``, swaps
    its closed hi-hat and ride parts with probability ``swap_hats`` and takes its second half from
    another window of the batch with probability ``mix_halves`` (torch's global RNG). A window that
    would lose every hit keeps them all."""

    def __init__(self, windows: np.ndarray, drop_hits: float = 0.0, swap_hats: float = 0.0, mix_halves: float = 0.0):
        super().__init__(windows)
        self.drop_hits, self.swap_hats, self.mix_halves = float(drop_hits), float(swap_hats), float(mix_halves)

    def get_batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.windows[indices].long()
        if self.mix_halves > 0:
            half = x.shape[1] // 2
            other = x[torch.randperm(len(x)), half:]
            x = torch.cat([x[:, :half], torch.where(torch.rand(len(x), 1) < self.mix_halves, other, x[:, half:])], 1)
        if self.drop_hits > 0:
            hits = (x[..., None] & BITS) > 0
            kept = hits & (torch.rand(hits.shape) >= self.drop_hits)
            dropped = (kept.long() * BITS).sum(-1)
            x = torch.where((dropped > 0).any(1, keepdim=True), dropped, x)
        if self.swap_hats > 0:
            swap = (torch.rand(len(x), 1) < self.swap_hats)
            x = torch.where(swap, swapped_bits(x, CLOSED_HAT, RIDE), x)
        return x, x


def swapped_bits(x: torch.Tensor, a: int, b: int) -> torch.Tensor:
    """Tokens ``x`` with drum classes ``a`` and ``b`` exchanged."""
    differ = ((x >> a) ^ (x >> b)) & 1
    return x ^ ((differ << a) | (differ << b))
