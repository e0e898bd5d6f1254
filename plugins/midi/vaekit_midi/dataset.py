"""Tensor-resident datasets of windows of any kind, split by item (tune or file), with batched random
transposition of melodies."""

from __future__ import annotations

import zlib

import numpy as np
import torch

from vaekit_midi.tokens import MAX_PITCH, MIN_PITCH, PITCH_OFFSET


class WindowDataset(torch.utils.data.Dataset):
    """Windows ``(N, ..., T)`` of tokens; items are ``(x, x)`` int64. With ``transpose`` (melodies only)
    ``get_batch`` transposes each window by a random -transpose..+transpose semitones (torch's global
    RNG), less where a note would leave 21..108."""

    def __init__(self, windows: np.ndarray, transpose: int = 0):
        windows = np.asarray(windows)
        # melodies (int8, 0..89) are held as uint8
        self.windows = torch.from_numpy(windows.astype(np.uint8) if windows.dtype == np.int8 else windows)
        self.transpose = int(transpose)
        if self.transpose:  # every melody window has a note-on, and note-ons are the largest tokens
            melodies = self.melodies(windows)
            lowest = np.where(melodies >= 2, melodies, 127).min(axis=1, initial=127).astype(np.int64) + PITCH_OFFSET
            highest = melodies.max(axis=1, initial=2).astype(np.int64) + PITCH_OFFSET
            self.low = torch.from_numpy(np.clip(MIN_PITCH - lowest, -self.transpose, 0))
            self.high = torch.from_numpy(np.clip(MAX_PITCH - highest, 0, self.transpose))

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.get_batch(torch.tensor([index]))
        return x[0], y[0]

    def get_batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.windows[indices].long()
        if self.transpose:
            x = self.transposed(x, self.shift(indices))
        return x, x

    def shift(self, indices: torch.Tensor) -> torch.Tensor:
        """A random shift in semitones for each window, within what keeps its notes in range."""
        low, high = self.low[indices], self.high[indices]
        return low + (torch.rand(len(indices)) * (high - low + 1)).long()

    def melodies(self, windows: np.ndarray) -> np.ndarray:
        """The melody tokens ``(N, T)`` of windows, which transposition must keep in range."""
        return windows

    def transposed(self, x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
        """Windows ``x`` each ``shift`` semitones higher."""
        return torch.where(x >= 2, x + shift[:, None], x)


class ChordWindowDataset(WindowDataset):
    """Windows ``(N, 2, T)`` of melody tokens over chord indices; transposition moves the chords with
    the notes. With ``apart``, each window's input and target get shifts of their own: a code of the
    input then cannot tell the target's key, which the decoder must take from the target's chords (a
    model trained without it kept the key in z and sampled over any chords at chance). ``apart`` is the
    share of windows so treated (True: all); the others' inputs are their targets."""

    def __init__(self, windows: np.ndarray, transpose: int = 0, apart: float = 0.0):
        super().__init__(windows, transpose)
        self.apart = float(apart)

    def get_batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.windows[indices].long()
        if not self.transpose:
            return x, x
        shift = self.shift(indices)
        target = self.transposed(x, shift)
        if not self.apart:
            return target, target
        own = torch.where(torch.rand(len(indices)) < self.apart, self.shift(indices), shift)
        return self.transposed(x, own), target

    def melodies(self, windows: np.ndarray) -> np.ndarray:
        return windows[:, 0]

    def transposed(self, x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
        from vaekit_midi.chords import transpose_chords

        melody = torch.where(x[:, 0] >= 2, x[:, 0] + shift[:, None], x[:, 0])
        return torch.stack([melody, transpose_chords(x[:, 1], shift[:, None])], 1)


def split_items(names: np.ndarray, has_windows: np.ndarray, val_fraction: float) -> np.ndarray:
    """A deterministic validation mask over items (tunes), by a hash of each name, so a tune stays on
    its side whatever else is in the corpus. Both sides get an item where there are two; a lone item
    goes to training. A ``val_fraction`` of 1 holds every item out (``vaekit evaluate --data``)."""
    if val_fraction >= 1:
        return np.asarray(has_windows, dtype=bool).copy()
    # surrogateescape: a file name that is not UTF-8 hashes as its own bytes (and a UTF-8 name as before)
    position = np.array([zlib.crc32(str(n).encode("utf-8", "surrogateescape")) / 2**32 for n in names.tolist()],
                        dtype=np.float64)
    val = (position < val_fraction) & has_windows
    usable = np.flatnonzero(has_windows)
    if len(usable) < 2:  # a single tune trains; it cannot also be held out
        return np.zeros(len(names), dtype=bool)
    if val_fraction > 0:
        if not val.any():
            val[usable[np.argmin(position[usable])]] = True
        if val[usable].all():
            val[usable[np.argmax(position[usable])]] = False
    return val


def shuffled(w: np.ndarray) -> np.ndarray:
    """A fixed permutation, so that the first validation items (``datasets export``) are typical
    rather than the lexicographically smallest windows."""
    return w[np.random.default_rng(0).permutation(len(w))]


def unique_rows(w: np.ndarray) -> np.ndarray:
    """Deduplicated windows ``(N, ...)``, in a deterministic order (a lexsort of their bytes as 8-byte
    words: fast and exact)."""
    if len(w) == 0:
        return w
    w = np.ascontiguousarray(w)
    rows = w.reshape(len(w), -1).view(np.uint8)
    words = np.pad(rows, ((0, 0), (0, -rows.shape[1] % 8))).view(np.uint64)
    order = np.lexsort(words.T[::-1])
    words = words[order]
    first = np.ones(len(w), dtype=bool)
    first[1:] = (words[1:] != words[:-1]).any(axis=1)
    return w[order[first]]
