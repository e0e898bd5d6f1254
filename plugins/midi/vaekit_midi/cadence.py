"""A phrase's close: a melody decoded to a point, then a note of the model's choosing (no rest, no
note-off) drawn there and held to the end. Models trained on windows cut at any bar line cannot know
where a phrase ends, so a sampler that knows (a form's phrases, a song's 4-bar lines) closes them so.
"""

from __future__ import annotations

import torch

from vaekit_midi.networks import LSTMCore, pick
from vaekit_midi.tokens import NOTE_OFF


def closing(core: LSTMCore, c: torch.Tensor, steps: int, held_from: int, temperature: float,
            first: torch.Tensor | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Tokens ``(N, steps)`` of ``core`` conditioned on ``c`` ``(N, C)``: decoded up to ``held_from``, a
    note-on there, held to the end. ``first``: the token before step 0 (the start token when None)."""
    head = core.generate(c, held_from, temperature, first, generator)
    start = c.new_full((len(c), 1), core.start, dtype=torch.long) if first is None else first[:, None]
    logits, _ = core(c, torch.cat([start, head], 1))
    logits = logits[:, -1].float()
    logits[:, : NOTE_OFF + 1] = -torch.inf
    note = pick(logits, temperature, generator)
    return torch.cat([head, note[:, None], head.new_zeros(len(c), steps - held_from - 1)], 1)
