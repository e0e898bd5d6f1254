"""Note-level scores of polyphonic piano reconstructions (tokens of ``piano_tokens.py``), pooled over a
batch: precision, recall and F1 of the notes, a note matching where its onset, pitch and duration are
all right (``note_*``, as PianoTree VAE scores), and where its onset and pitch are (``onset_*``)."""

from __future__ import annotations

import torch

from vaekit_midi.piano_tokens import MAX_NOTES


def note_keys(x: torch.Tensor, with_duration: bool) -> torch.Tensor:
    """One integer per note of tokens ``(B, 2 * MAX_NOTES, T)``: item, onset, pitch (and duration)."""
    pitch, duration = x[:, :MAX_NOTES].long(), x[:, MAX_NOTES:].long()
    item, _, onset = torch.nonzero(pitch > 0, as_tuple=True)
    p, d = pitch[pitch > 0], duration[pitch > 0]
    key = (item * x.shape[-1] + onset) * 128 + p
    return key * 64 + d if with_duration else key


def precision_recall_f1(target: torch.Tensor, output: torch.Tensor, with_duration: bool) -> tuple[torch.Tensor, ...]:
    """Each 1 where neither has a note."""
    true, got = note_keys(target, with_duration), note_keys(output, with_duration)
    hits = float(torch.isin(got, true).sum())
    precision = hits / len(got) if len(got) else float(len(true) == 0)
    recall = hits / len(true) if len(true) else float(len(got) == 0)
    f1 = 2 * hits / (len(true) + len(got)) if len(true) + len(got) else 1.0
    return torch.tensor(precision), torch.tensor(recall), torch.tensor(f1)

def note_metrics(target: torch.Tensor, output: torch.Tensor) -> dict[str, torch.Tensor]:
    """``note_precision``, ``note_recall``, ``note_f1`` and the same ``onset_*`` of a batch."""
    out = {}
    for prefix, with_duration in (("note", True), ("onset", False)):
        for name, value in zip(("precision", "recall", "f1"),
                               precision_recall_f1(target.cpu(), output.cpu(), with_duration)):
            out[f"{prefix}_{name}"] = value.float()
    return out
