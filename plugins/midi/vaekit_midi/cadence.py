"""A phrase's close: a melody decoded to a point, then a note of the model's choosing (no rest, no
note-off, and within a fifth of the note before it, so that the close does not leap out of the tune's
register) drawn there and held to the end. Models trained on windows cut at any bar line cannot know
where a phrase ends, so a sampler that knows (a form's phrases, a song's sections) closes them so.
"""

from __future__ import annotations

import torch

from vaekit_midi.networks import LSTMCore, pick
from vaekit_midi.tokens import NOTE_OFF, PITCH_OFFSET

FIFTH = 7  # semitones: how far the closing note may lie from the note before it


def closing(core: LSTMCore, c: torch.Tensor, steps: int, held_from: int, temperature: float,
            first: torch.Tensor | None = None, generator: torch.Generator | None = None,
            landing: int | None = None) -> torch.Tensor:
    """Tokens ``(N, steps)`` of ``core`` conditioned on ``c`` ``(N, C)``: decoded up to ``held_from``, a
    note-on there, held to the end. ``first``: the token before step 0 (the start token when None);
    ``landing``: the pitch class the held note must have (a song's tonic), where one lies within a fifth."""
    head = core.generate(c, held_from, temperature, first, generator)
    start = c.new_full((len(c), 1), core.start, dtype=torch.long) if first is None else first[:, None]
    before = torch.cat([start, head], 1)
    logits, _ = core(c, before)
    logits = logits[:, -1].float()
    tokens = torch.arange(logits.shape[-1], device=logits.device)
    note = (tokens > NOTE_OFF)[None].expand_as(logits)
    played = (before > NOTE_OFF) & (before != core.start)
    last = torch.where(played, before, 0).gather(1, played.cumsum(1).argmax(1, keepdim=True))  # the last note-on
    allowed = note & (((tokens[None] - last).abs() <= FIFTH) | ~played.any(1, keepdim=True))
    if landing is not None:
        allowed = allowed & ((tokens + PITCH_OFFSET) % 12 == landing)[None]
    allowed = torch.where(allowed.any(1, keepdim=True), allowed, note)
    held = pick(logits.masked_fill(~allowed, -torch.inf), temperature, generator)
    return torch.cat([head, held[:, None], head.new_zeros(len(c), steps - held_from - 1)], 1)
