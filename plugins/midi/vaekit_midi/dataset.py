"""Tensor-resident melody datasets, split by tune, with batched random transposition."""

from __future__ import annotations

import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit.errors import VaekitError
from vaekit_midi.corpus import Corpus, describe
from vaekit_midi.melody import REASONS, unique_rows
from vaekit_midi.tokens import MAX_PITCH, MIN_PITCH, PITCH_OFFSET

Config = dict[str, Any]


class MelodyDataset(torch.utils.data.Dataset):
    """Windows ``(N, T)`` of melody tokens; items are ``(x, x)`` int64. ``get_batch`` transposes each
    window by a random -transpose..+transpose semitones (torch's global RNG), less where a note would
    leave 21..108."""

    def __init__(self, windows: np.ndarray, transpose: int = 0):
        windows = np.asarray(windows, dtype=np.int8)
        self.windows = torch.from_numpy(windows.astype(np.uint8))
        self.transpose = int(transpose)
        # every window has a note-on, and note-ons are the largest tokens
        lowest = np.where(windows >= 2, windows, 127).min(axis=1, initial=127).astype(np.int64) + PITCH_OFFSET
        highest = windows.max(axis=1, initial=2).astype(np.int64) + PITCH_OFFSET
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
            low, high = self.low[indices], self.high[indices]
            shift = low + (torch.rand(len(indices)) * (high - low + 1)).long()
            x = torch.where(x >= 2, x + shift[:, None], x)
        return x, x


def _data(config: Config) -> Config:
    return config.get("data", {})


def corpus_for(source: str, config: Config) -> Corpus:
    """The parsed corpus of a built-in name (``folk``) or an existing path."""
    data = _data(config)
    limit = int(data.get("limit_tunes", 0) or 0)
    steps_per_bar = int(data.get("steps_per_bar", 16))
    if source in ("", "folk"):
        from vaekit_midi.folk import COLLECTIONS, load_folk

        return load_folk(list(data.get("collections") or COLLECTIONS), limit, steps_per_bar)
    if Path(source).exists():
        from vaekit_midi.files import load_files

        return load_files(Path(source), limit, steps_per_bar)
    raise VaekitError(f"{source}: no such file or folder, and not a built-in dataset (midi has: folk)")


def split_items(names: np.ndarray, has_windows: np.ndarray, val_fraction: float) -> np.ndarray:
    """A deterministic validation mask over items (tunes), by a hash of each name, so a tune stays on
    its side whatever else is in the corpus. Both sides get an item where there are two; a lone item
    goes to training."""
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


def load_dataset(source: str, config: Config) -> tuple[MelodyDataset, MelodyDataset]:
    """Train and validation windows of ``data.steps`` steps, split by tune (or file), deduplicated."""
    data = _data(config)
    steps = int(data.get("steps", 32))
    corpus = corpus_for(source, config)
    w, owner, skipped = corpus.windows(steps, int(data.get("hop_bars", 1)), int(data.get("steps_per_bar", 16)))
    label = source or "folk"
    kind = "tunes" if label == "folk" else "files"
    if skipped and kind == "files":
        print(
            f"vaekit: {label}: skipped {sum(skipped.values())} of {len(corpus.names)} files: {describe(skipped)}",
            file=sys.stderr,
        )
    if len(w) == 0:
        raise VaekitError(f"{label}: no {steps}-step melody window in {len(corpus.names)} {kind} ({describe(skipped)})")
    has_windows = np.zeros(len(corpus.names), dtype=bool)
    has_windows[owner] = True
    val_items = split_items(corpus.names, has_windows, float(data.get("val_fraction", 0.1)))
    in_val = val_items[owner]
    train = MelodyDataset(_shuffled(unique_rows(w[~in_val])), int(data.get("transpose", 0)))
    val = MelodyDataset(_shuffled(unique_rows(w[in_val])), 0)
    return train, val


def _shuffled(w: np.ndarray) -> np.ndarray:
    """A fixed permutation, so that the first validation items (``datasets export``) are typical
    rather than the lexicographically smallest windows."""
    return w[np.random.default_rng(0).permutation(len(w))]


def read_windows(path: Path, config: Config) -> torch.Tensor:
    """Every window ``(K, T)`` of one file, in order, or a VaekitError naming the file and the reason."""
    from vaekit_midi.files import FILE_TYPES, parse_file
    from vaekit_midi.melody import windows

    data = _data(config)
    steps = int(data.get("steps", 32))
    steps_per_bar = int(data.get("steps_per_bar", 16))
    path = Path(path)
    if path.suffix.lower() not in FILE_TYPES:
        raise VaekitError(f"{path}: not a MIDI or score file (expected one of {', '.join(FILE_TYPES)})")
    parsed = parse_file(path, steps_per_bar)
    if parsed.reason:
        raise VaekitError(f"{path}: {REASONS[parsed.reason]}")
    found = [windows(t, bar, steps, int(data.get("hop_bars", 1)), steps_per_bar) for t, bar in parsed.segments]
    found = np.concatenate(found)
    if len(found) == 0:
        longest = max(len(t) for t, _ in parsed.segments)
        if longest >= steps:
            raise VaekitError(f"{path}: no {steps}-step window starts with a note in its first bar")
        raise VaekitError(
            f"{path}: too short for one {steps}-step window (its longest melody has {longest} steps, "
            f"{longest / steps_per_bar:g} bars of 4/4)"
        )
    _, first = np.unique(found, axis=0, return_index=True)
    return torch.from_numpy(found[np.sort(first)].astype(np.int64))
