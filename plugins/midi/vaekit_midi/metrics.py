"""Melody metrics on one batch, all with z = mu (the posterior mean):

- ``acc_tf``: teacher-forced per-step accuracy (no-event steps included, as in MusicVAE's Table 1);
- ``acc_sampled``: per-step accuracy of the greedy autoregressive reconstruction;
- ``note_on_acc``: teacher-forced accuracy on the steps whose target is a note-on (always answering
  "no event" scores 0.63 on ``acc_tf`` but 0 here);
- ``note_f1``: F1 of the (onset step, pitch) pairs of the input against those of the greedy
  reconstruction, pooled over the batch.
"""

from __future__ import annotations

import torch

from vaekit_midi.tokens import DRUM_CLASSES

NOTE_ON = 2  # tokens >= 2 are note-ons


def note_f1(target: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """F1 of note onsets (step, pitch) between token batches ``(B, T)``; 1 when neither has a note."""
    true_on, out_on = target >= NOTE_ON, output >= NOTE_ON
    hits = (true_on & (output == target)).sum()
    total = true_on.sum() + out_on.sum()
    return torch.where(total > 0, 2 * hits / total.clamp_min(1), 1.0)


def hit_f1(target: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """F1 of drum hits (step, class) between token batches ``(B, T)``; 1 when neither has a hit."""
    bits = 1 << torch.arange(len(DRUM_CLASSES), device=target.device)
    true, out = (target[..., None] & bits) > 0, (output[..., None] & bits) > 0
    hits = (true & out).sum()
    total = true.sum() + out.sum()
    return torch.where(total > 0, 2 * hits / total.clamp_min(1), 1.0)
