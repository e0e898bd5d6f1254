"""Datasets of drum patterns and trios from a user's MIDI files (``--data PATH``): every file parsed once,
in parallel, cached as plain arrays (keyed by the files' paths, sizes and modification times), split
into train and validation by file, windows deduplicated. There is no built-in drum or trio data."""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit.errors import VaekitError
from vaekit_midi import drums, trio

Config = dict[str, Any]
#: Per kind: the module that reads files, cuts windows and names the reasons a file gave none.
KINDS = {"drums": drums, "trio": trio}


class TrackDataset(torch.utils.data.Dataset):
    """Windows ``(N, ...)`` of tokens held as one int64 tensor; items are ``(x, x)``."""

    def __init__(self, windows: np.ndarray):
        self.windows = torch.from_numpy(np.asarray(windows).astype(np.int64))

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.windows[index]
        return x, x

    def get_batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.windows[indices]
        return x, x


def parse_task(task: tuple[str, str, int, str]) -> tuple[list[tuple[np.ndarray, int]], str | None]:
    """Worker function for process pools: ``(kind, path, steps_per_bar, reason it was skipped or "")``."""
    kind, path, steps_per_bar, skipped = task
    if skipped:
        return [], skipped
    return (drums.read_drums if kind == "drums" else trio.read_trio)(Path(path), steps_per_bar)


def list_midi(root: Path, limit: int = 0) -> tuple[list[Path], list[tuple[Path, str]]]:
    """``root`` itself, or every MIDI file under it (sorted; the first ``limit``), and the entries
    skipped unopened with why (links out of the folder or looping, FIFOs, files over the size cap:
    see ``vaekit.files.walk``)."""
    from vaekit.files import walk

    root = Path(root)
    if root.is_file():
        if root.suffix.lower() not in drums.MIDI_TYPES:
            raise VaekitError(f"{root}: not a MIDI file (.mid, .midi)")
        return [root], []
    found, skipped = walk(root, lambda p: p.suffix.lower() in drums.MIDI_TYPES, drums.MAX_MIDI_BYTES)
    if not found and not skipped:
        raise VaekitError(f"{root}: no MIDI files (.mid, .midi) in this folder")
    return (found[:limit] if limit else found), skipped


def load_corpus(kind: str, root: Path, limit: int = 0, steps_per_bar: int = 16) -> dict[str, np.ndarray]:
    """Sections of every MIDI file under ``root``: names, reasons ("" where parsed), tokens (sections
    concatenated along the last axis), offsets, bars and owner (the file of each section)."""
    from vaekit_midi.corpus import cache_dir, cache_key, parallel_map

    paths, skipped = list_midi(root, limit)
    identity = {kind: [(str(p.resolve()), p.stat().st_mtime_ns, p.stat().st_size) for p in paths],
                "skipped": [(str(p), r) for p, r in skipped], "steps_per_bar": int(steps_per_bar)}
    cache = cache_dir() / cache_key(kind, identity)
    if cache.exists():
        try:
            with np.load(cache, allow_pickle=False) as f:
                return {k: f[k] for k in f.files}
        except (OSError, ValueError):
            cache.unlink(missing_ok=True)  # a damaged cache is rebuilt
    entries = [(str(p), "") for p in paths] + [(str(p), r) for p, r in skipped]
    parsed = parallel_map(parse_task, [(kind, name, steps_per_bar, r) for name, r in entries], f"{kind} files")
    secs = [(i, t, bar) for i, (found, _) in enumerate(parsed) for t, bar in found]
    empty = np.zeros((3, 0) if kind == "trio" else 0, np.int16)
    corpus = {
        "names": np.array([name for name, _ in entries], dtype=str),
        "reasons": np.array([reason or "" for _, reason in parsed], dtype=str),
        "tokens": np.concatenate([t for _, t, _ in secs] or [empty], axis=-1).astype(np.int16),
        "offsets": np.concatenate([[0], np.cumsum([t.shape[-1] for _, t, _ in secs])]).astype(np.int64),
        "bars": np.array([b for _, _, b in secs], dtype=np.int64),
        "owner": np.array([i for i, _, _ in secs], dtype=np.int64),
    }
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **corpus)
    os.replace(tmp, cache)
    return corpus


def load_dataset(source: str, config: Config) -> tuple[TrackDataset, TrackDataset]:
    """Train and validation windows of ``data.kind`` (drums or trio) from the MIDI files under ``source``."""
    from vaekit_midi.dataset import split_items

    data = config["data"]
    kind = data["kind"]
    module = KINDS[kind]
    steps, spb, hop = int(data["steps"]), int(data.get("steps_per_bar", 16)), int(data.get("hop_bars", 1))
    if not Path(source).exists():
        what = "drum" if kind == "drums" else "multi-track (melody, bass, drums)"
        raise VaekitError(f"{source or 'folk'}: {kind} models need your own {what} MIDI files: --data PATH "
                          f"(a folder or a file; there is no built-in {kind} dataset)")
    c = load_corpus(kind, Path(source), int(data.get("limit_tunes", 0) or 0), spb)
    found, owner = [], []
    for s in range(len(c["bars"])):
        w = module.windows(c["tokens"][..., c["offsets"][s]:c["offsets"][s + 1]], int(c["bars"][s]), steps, hop)
        found.append(w)
        owner.append(np.full(len(w), c["owner"][s]))
    shape = (0, 3, steps) if kind == "trio" else (0, steps)
    w = np.concatenate(found) if found else np.zeros(shape, np.int16)
    owner = np.concatenate(owner).astype(np.int64) if owner else np.zeros(0, np.int64)
    skipped = Counter(r for r in c["reasons"].tolist() if r)
    has = np.zeros(len(c["names"]), dtype=bool)
    has[owner] = True
    skipped["too_short"] += int((~has & (c["reasons"] == "")).sum())
    reasons = ", ".join(f"{n} {module.REASONS[k]}" for k, n in skipped.most_common() if n)
    if reasons:
        print(f"vaekit: {source}: {sum(skipped.values())} of {len(c['names'])} files gave no {kind} window: "
              f"{reasons}", file=sys.stderr)
    if len(w) == 0:
        raise VaekitError(f"{source}: no {steps}-step {kind} window in {len(c['names'])} files ({reasons})")
    in_val = split_items(c["names"], has, float(data.get("val_fraction", 0.1)))[owner]
    rng = np.random.default_rng(0)
    out = []
    for part in (w[~in_val], w[in_val]):
        part = np.unique(part.reshape(len(part), np.prod(w.shape[1:])), axis=0).reshape(-1, *w.shape[1:])
        out.append(TrackDataset(part[rng.permutation(len(part))]))
    return out[0], out[1]
