"""A whole melody as the sequence of a 2-bar model's codes (issue 28's composer works on these).

A melody token row at 16 steps a bar is cut into consecutive, non-overlapping 2-bar windows from its
first bar line. A window with a note-on is encoded to the model's posterior mean; a window with none
is a *rest*: it has no code (the composer marks it with a flag instead) and decodes to silence (a
note held into it from the window before is cut at its bar line). The windows' tokens simply follow
each other, so a note held across a window's edge (no event at the start of the next window) keeps
sounding when the decoded windows are joined.
"""

from __future__ import annotations

import numpy as np
import torch

from vaekit_midi.cadence import closing
from vaekit_midi.tokens import NO_EVENT, NOTE_OFF

WINDOW = 32  # steps: 2 bars of 4/4 at 16 steps a bar
CLOSING_NOTE = 8  # steps: the note that closes a phrase, a half note


def song_windows(tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``tokens`` ``(T,)`` as windows ``(K, 32)`` (the last padded with rests) and whether each is a rest
    ``(K,)``; a note-off before a window's first note-on is dropped, as in the model's training windows."""
    tokens = np.asarray(tokens, dtype=np.int64)
    k = max(1, -(-len(tokens) // WINDOW))
    windows = np.full((k, WINDOW), NO_EVENT, dtype=np.int64)
    windows.reshape(-1)[: len(tokens)] = tokens
    if len(tokens) < k * WINDOW:
        windows.reshape(-1)[len(tokens)] = NOTE_OFF  # the melody ends where the row ends
    note_on = windows >= 2
    windows[(windows == NOTE_OFF) & (np.cumsum(note_on, axis=1) == 0)] = NO_EVENT
    return windows, ~note_on.any(axis=1)


@torch.no_grad()
def encode_windows(model: torch.nn.Module, windows: np.ndarray, rest: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Posterior means ``(K, D)`` float32 of the windows that are not rests; zeros for rests."""
    codes = np.zeros((len(windows), model.latent_dim), dtype=np.float32)
    playing = np.flatnonzero(~rest)
    for chunk in np.array_split(playing, max(1, -(-len(playing) // batch))):
        if len(chunk):
            codes[chunk] = model.encode(torch.from_numpy(windows[chunk]))[0].float().cpu().numpy()
    return codes


@torch.no_grad()
def decode_song(model: torch.nn.Module, codes: torch.Tensor, rest: torch.Tensor, temperature: float = 0.0,
                generator: torch.Generator | None = None, closes: np.ndarray | None = None) -> np.ndarray:
    """The token row ``(K * 32,)`` of codes ``(K, D)``: each window decoded by ``model`` (greedy at
    temperature 0, else sampled from ``generator``), a rest as a note-off then silence. ``closes`` ``(K,)``:
    the windows whose second bar closes a phrase, decoded to its third beat and held there
    (``cadence.closing``)."""
    out = model.decode(codes.float(), temperature, generator).cpu().numpy().astype(np.int64)
    rests = rest.cpu().numpy().astype(bool)
    if closes is not None and (closes & ~rests).any():
        which = np.flatnonzero(closes & ~rests)
        out[which] = closed_windows(model, codes[which], temperature, generator)
    out[rests] = NO_EVENT
    out[rests, 0] = NOTE_OFF
    return out.reshape(-1)


def closed_windows(model: torch.nn.Module, codes: torch.Tensor, temperature: float = 0.0,
                   generator: torch.Generator | None = None, landing: int | None = None) -> np.ndarray:
    """Windows ``(K, 32)`` of codes ``(K, D)`` whose second bar closes a phrase: decoded to its third beat,
    then a held note (``cadence.closing``; ``landing``: its pitch class)."""
    closed = closing(model.decoder.core, codes.float().to(model.device), WINDOW, WINDOW - CLOSING_NOTE, temperature,
                     generator=generator, landing=landing)
    return closed.cpu().numpy()
