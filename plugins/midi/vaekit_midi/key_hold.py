"""Holding one key across a composed song. The composer writes each 2-bar window given the others but
knows no key, so its songs drift between keys window to window. After a song is drawn, its key is
found (Krumhansl and Schmuckler, ``form.key_of``) in the notes it must keep to (given bars, or the
song so far), and each generated window that plays notes outside that key's scale is drawn again a few
times: its code re-noised part of the way along the diffusion schedule and denoised with the rest of
the song held (SDEdit), each candidate decoded greedily by the 2-bar model, and the one with the
fewest notes out of key kept, of those the one playing nearest as many notes as the window was drawn
with (fewer notes are fewer chances to stray, and a song redrawn toward the sparser ones would thin
out). A candidate must play at least half those notes (a window emptied of notes is trivially in key)
and is kept only where it is strictly better, so a window in key stays as drawn, and a window that
repeats an earlier one follows it.
"""

from __future__ import annotations

import numpy as np
import torch

from vaekit_midi.form import SCALES, key_of
from vaekit_midi.song_codes import WINDOW, decode_song
from vaekit_midi.tokens import decode

#: Rounds of redrawing, candidates a window each round, and how far along the schedule a window's
#: code is re-noised (benchmarks/results/compose_quality.md measures them).
ROUNDS = 2
CANDIDATES = 8
STRENGTH = 0.3


def song_key(tokens: np.ndarray) -> tuple[int, str] | None:
    """(tonic pitch class, mode) of a token row, or None where it plays no note."""
    notes = decode(tokens)
    return key_of(notes)[:2] if len(notes) else None


def out_of_key(windows: np.ndarray, key: tuple[int, str] | None) -> tuple[np.ndarray, np.ndarray]:
    """Notes ``(K,)`` and notes outside ``key``'s scale ``(K,)`` of each window ``(K, 32)``."""
    notes, outside = np.zeros(len(windows), int), np.zeros(len(windows), int)
    for i, window in enumerate(windows):
        pitches = decode(window)[:, 2]
        notes[i] = len(pitches)
        if key is not None:
            outside[i] = int((~np.isin((pitches - key[0]) % 12, SCALES[key[1]])).sum())
    return notes, outside


def _decoded(composer, model, values: torch.Tensor) -> np.ndarray:
    """Each window of ``values`` ``(..., C)`` decoded greedily ``(..., 32)`` (a rest decodes to silence, as in a
    song: ``decode_song``)."""
    codes, rest = composer.from_values(values)
    return decode_song(model, codes.reshape(-1, codes.shape[-1]), rest.reshape(-1)).reshape(*values.shape[:-1], WINDOW)


@torch.no_grad()
def hold_key(composer, model, values: torch.Tensor, held: torch.Tensor, generator: torch.Generator,
             keys: list[tuple[int, str] | None] | None = None, free: torch.Tensor | None = None,
             rounds: int = ROUNDS, candidates: int = CANDIDATES, strength: float = STRENGTH,
             temperature: float = 1.0) -> torch.Tensor:
    """``values`` ``(n, L, C)`` of ``n`` songs with their windows that stray from the song's key drawn
    again. ``held`` ``(n, L)``: windows never changed (given bars, earlier sections); ``free``: the
    windows that may change (default: all not held); ``keys``: each song's key, by default that of its
    held windows' notes where it has any, else of the whole song as drawn. ``model``: the 2-bar VAE
    whose codes these are."""
    values = values.clone()
    n, length, _ = values.shape
    free = ~held if free is None else free & ~held
    tokens = _decoded(composer, model, values)
    if keys is None:
        keys = [song_key(tokens[b][held[b].numpy()].reshape(-1)) if held[b].any() else None for b in range(n)]
        keys = [key or song_key(tokens[b].reshape(-1)) for b, key in enumerate(keys)]
    counts = [out_of_key(tokens[b], keys[b]) for b in range(n)]
    notes = np.stack([c[0] for c in counts])
    outside = np.stack([c[1] for c in counts])
    at_first = notes.copy()
    least = np.maximum(1, (at_first + 1) // 2)  # notes a window keeps at least: half of those it was drawn with
    copies = repeated_from(values)
    for _ in range(rounds):
        target = free.numpy() & (outside > 0) & (notes > 0) & (copies < 0)
        if not target.any():
            break
        rows = np.flatnonzero(target.any(1))
        k = candidates
        start = values[rows].repeat_interleave(k, 0)
        mask = torch.from_numpy(~target[rows]).repeat_interleave(k, 0)
        drawn = composer.sample(length, len(rows) * k, generator, start, mask, start=start, strength=strength,
                                temperature=temperature).view(len(rows), k, length, -1)
        where = [(r, b, j) for r, b in enumerate(rows) for j in np.flatnonzero(target[b])]
        options = torch.stack([drawn[r, :, j] for r, _, j in where])  # (targets, k, C)
        tokens = _decoded(composer, model, options)
        for (_, b, j), window_options, window_tokens in zip(where, options, tokens):
            got_notes, got_outside = out_of_key(window_tokens, keys[b])
            fit = (window_options[:, -1] < 0).numpy() & (got_notes >= least[b, j])
            if not fit.any():
                continue
            # the fewest notes out of key; of those, the nearest to as many notes as the window was drawn with
            order = np.lexsort((np.abs(got_notes[fit] - at_first[b, j]), got_outside[fit]))
            best = np.flatnonzero(fit)[order[0]]
            if got_outside[best] < outside[b, j]:
                followers = np.flatnonzero(copies[b] == j)
                for w in (j, *followers):
                    values[b, w] = window_options[best]
                    notes[b, w], outside[b, w] = got_notes[best], got_outside[best]
    return values


def repeated_from(values: torch.Tensor) -> np.ndarray:
    """For each window ``(n, L)``, the earlier window whose values it repeats exactly, or -1."""
    n, length, _ = values.shape
    out = np.full((n, length), -1)
    for b in range(n):
        for j in range(length):
            same = (values[b, :j] == values[b, j]).all(-1).nonzero().flatten()
            if len(same):
                out[b, j] = int(same[0])
    return out
