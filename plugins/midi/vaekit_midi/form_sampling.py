"""Sampling a hierarchical melody model (``mel_16bar``) in a form. Drawn as it is, the conductor writes
each bar's embedding from z alone and nothing holds a key, repeats a phrase or closes one, so its
samples wander. In a form (``generate.form``: a letter per phrase, e.g. ``AABA``, the bars split
evenly among the letters):

- each bar of a repeated letter takes the embedding of the same bar of that letter's first phrase, and
  its tokens too, except that with chance ``generate.variation`` it is drawn again from that embedding
  (a varied repeat);
- z itself is the one of a few near the drawn one (itself, and others a little way from it) whose
  greedy decoding in the form keeps most of its notes in one key: a sample's key is mostly its z's, and
  a bar's candidates cannot pull a melody that z sets wandering back into one;
- a phrase's last bar closes it: the model decodes it to the bar's middle, then a note of its choosing
  (no rest, within a fifth of the note before) on the third beat, held to the bar's end (``cadence.py``);
- every bar is the best of a few candidates drawn from its embedding after the bar before: the fewest
  notes outside the song's key (Krumhansl and Schmuckler's, of a greedy decoding of the formed
  embeddings), and at a phrase's end, a held note on the tonic (the last phrase) or in the tonic's
  triad (the others); ties go to the first drawn. A bar with no note is taken only where every
  candidate has none.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

from vaekit import VaekitError
from vaekit.model import rand, randn
from vaekit_midi.cadence import closing
from vaekit_midi.form import SCALES, in_key_share
from vaekit_midi.key_hold import out_of_key, song_key
from vaekit_midi.tokens import decode

#: candidates drawn for each bar; codes z is chosen among, and how far from the drawn one (per dimension)
CANDIDATES = 8
CODES, NEAR = 8, 0.3
#: held while a decoder samples in a form set by ``in_form`` (a server decodes in several threads)
_FORM = threading.RLock()


@contextmanager
def in_form(decoder, form: str, variation: float) -> Iterator[None]:
    """Sample ``decoder`` (a :class:`~vaekit_midi.networks.HierarchicalDecoder`) in ``form`` inside this block."""
    phrase_sources(form, decoder.bars)
    if not 0 <= variation <= 1:
        raise VaekitError(f"variation {variation}: a chance from 0 to 1")
    with _FORM:
        held, decoder.form = decoder.form, (form, variation)
        try:
            yield
        finally:
            decoder.form = held


def phrase_sources(form: str, bars: int) -> list[int]:
    """For each bar, the bar whose embedding it takes: the same bar of its letter's first phrase."""
    if not re.fullmatch(r"[A-Z]+", form or ""):
        raise VaekitError(f"form {form!r}: a capital letter per phrase, e.g. AABA")
    if bars % len(form):
        raise VaekitError(f"form {form!r}: {bars} bars do not split into {len(form)} equal phrases")
    per = bars // len(form)
    return [form.index(letter) * per + k for letter in form for k in range(per)]


def bar_scores(candidates: np.ndarray, key: tuple[int, str] | None, closing: str = "") -> np.ndarray:
    """Badness ``(K,)`` of candidate bars ``(K, steps)``: notes out of ``key``, and where the bar
    ``closing`` a phrase (``"song"``: the last; ``"phrase"``: another) one more for a last note off the
    tonic (the song) or off the tonic's triad (a phrase); a bar with no note is worst unless every
    candidate has none."""
    notes, outside = out_of_key(candidates, key)
    score = outside.astype(float)
    if closing and key is not None:
        landing = (0,) if closing == "song" else (0, SCALES[key[1]][2], 7)
        for i, bar in enumerate(candidates):
            played = decode(bar)
            score[i] += not len(played) or (played[-1, 2] - key[0]) % 12 not in landing
    if notes.any():
        score[notes == 0] = np.inf
    return score


@torch.no_grad()
def sample_in_form(decoder, z: torch.Tensor, form: str, variation: float, temperature: float,
                   generator: torch.Generator | None = None, candidates: int = CANDIDATES) -> torch.Tensor:
    """Tokens ``(B, T)`` of a :class:`~vaekit_midi.networks.HierarchicalDecoder` from ``z`` in ``form``."""
    bars, steps = decoder.bars, decoder.steps_per_bar
    source = phrase_sources(form, bars)
    per = bars // len(form)
    n = z.shape[0]
    near = z.repeat_interleave(CODES, 0)
    noise = randn(near.shape, generator, z.device) * NEAR
    noise[::CODES] = 0
    near = near + noise
    greedy = decoder.sample_bars(decoder.bar, decoder.conduct(near)[:, source], 0.0).cpu().numpy()
    share = np.array([in_key_share(row[None]) for row in greedy]).reshape(n, CODES)
    best = torch.from_numpy(np.arange(n) * CODES + share.argmax(1))
    emb = decoder.conduct(near[best])[:, source]
    keys = [song_key(row) for row in greedy[best.numpy()]]
    chosen, last = [], None
    for i in range(bars):
        close = "" if (i + 1) % per else "song" if i == bars - 1 else "phrase"
        emb_k = emb[:, i].repeat_interleave(candidates, 0)
        first = None if last is None else last.repeat_interleave(candidates)
        drawn = (closing(decoder.bar, emb_k, steps, steps // 2, temperature, first, generator) if close else
                 decoder.bar.generate(emb_k, steps, temperature, first, generator)).view(n, candidates, steps)
        bar = torch.stack([drawn[b, int(np.argmin(bar_scores(drawn[b].cpu().numpy(), keys[b], close)))]
                           for b in range(n)])
        if source[i] != i:
            kept = rand((n,), generator, bar.device) >= variation
            bar = torch.where(kept[:, None], chosen[source[i]], bar)
        chosen.append(bar)
        last = bar[:, -1]
    return torch.cat(chosen, 1)
