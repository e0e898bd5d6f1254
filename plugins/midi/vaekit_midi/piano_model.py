"""A PianoTree-like VAE (Wang et al., ISMIR 2020) over the tokens of ``piano_tokens.py``, smaller for a CPU.

Encoder: a GRU reads each step's notes (pitch and duration embeddings, low to high) into one vector a
step (a learned vector for a step where no note starts); a bidirectional GRU over the steps -> (mu,
logvar). Decoder: a time GRU (initial state from z; input z and the sum of the previous step's note
embeddings) gives one state a step; from it a note GRU emits the step's pitches low to high,
then an end token, and each note's duration from the note GRU's output beside its pitch. Durations
are categorical over 1..32 steps (PianoTree writes them as 5 bits). Sampling keeps each step's
pitches rising, each duration within the window, and each note ending where its pitch is
struck again.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from vaekit import Decoder, Encoder
from vaekit_midi.networks import pick
from vaekit_midi.piano_tokens import MAX_DURATION, MAX_NOTES, decode, encode
from vaekit_midi.tokens import MAX_PITCH, MIN_PITCH

PITCHES = MAX_PITCH - MIN_PITCH + 1  # 88
END = PITCHES  # the pitch class that ends a step's notes
PITCH_CLASSES = PITCHES + 1
START = PITCH_CLASSES  # the note GRU's first input, before any note of the step


def split_tokens(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pitch classes (0..87, or END where no note) and durations (0..31 for 1..32 steps, 0 where no
    note), each ``(B, T, MAX_NOTES)``, of tokens ``(B, 2 * MAX_NOTES, T)``."""
    pitch, duration = x.long().transpose(1, 2).split(MAX_NOTES, -1)
    sounding = pitch > 0
    classes = torch.where(sounding, pitch - MIN_PITCH, END)
    return classes, torch.where(sounding, duration - 1, 0).clamp(0, MAX_DURATION - 1)


class NoteEmbedding(nn.Module):
    """A note's pitch class (or END, or START) and duration as one vector."""

    def __init__(self, pitch_dim: int, duration_dim: int):
        super().__init__()
        self.pitch = nn.Embedding(PITCH_CLASSES + 1, pitch_dim)
        self.duration = nn.Embedding(MAX_DURATION, duration_dim)
        self.dim = pitch_dim + duration_dim

    def forward(self, pitch: torch.Tensor, duration: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.pitch(pitch), self.duration(duration)], -1)


class StepReader(nn.Module):
    """One vector ``(B, T, hidden)`` per step of pitch classes and durations ``(B, T, MAX_NOTES)``: a GRU's
    state after the step's last note (the GRU reads only the steps where notes start, only their
    notes), or a learned vector where no note starts."""

    def __init__(self, hidden: int, pitch_dim: int = 64, duration_dim: int = 16):
        super().__init__()
        self.embed = NoteEmbedding(pitch_dim, duration_dim)
        self.rnn = nn.GRU(self.embed.dim, hidden, batch_first=True)
        self.silent = nn.Parameter(torch.zeros(hidden))

    def forward(self, pitch: torch.Tensor, duration: torch.Tensor) -> torch.Tensor:
        b, t, m = pitch.shape
        count = (pitch != END).sum(-1).reshape(-1)
        out = self.silent.expand(b * t, -1).clone()
        busy = count > 0
        if busy.any():
            notes = self.embed(pitch.reshape(b * t, m)[busy], duration.reshape(b * t, m)[busy])
            _, h = self.rnn(pack_padded_sequence(notes, count[busy].cpu(), batch_first=True, enforce_sorted=False))
            out[busy] = h[0]
        return out.reshape(b, t, -1)


class BagOfNotes(nn.Module):
    """One vector ``(B, T, hidden)`` per step: the sum of its notes' embeddings, through a linear layer
    (what the decoder's time GRU reads of the step before; cheaper than a GRU)."""

    def __init__(self, hidden: int, pitch_dim: int = 64, duration_dim: int = 16):
        super().__init__()
        self.embed = NoteEmbedding(pitch_dim, duration_dim)
        self.out = nn.Linear(self.embed.dim, hidden)

    def forward(self, pitch: torch.Tensor, duration: torch.Tensor) -> torch.Tensor:
        notes = self.embed(pitch, duration) * (pitch != END)[..., None]
        return torch.tanh(self.out(notes.sum(-2)))


class PianoEncoder(Encoder):
    """Step vectors (:class:`StepReader`) -> bidirectional GRU over steps -> (mu, logvar)."""

    def __init__(self, latent_dim: int, note_hidden: int, time_hidden: int):
        super().__init__()
        self.steps = StepReader(note_hidden)
        self.rnn = nn.GRU(note_hidden, time_hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * time_hidden, 2 * latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _, h = self.rnn(self.steps(*split_tokens(x)))
        mu, logvar = self.head(torch.cat([h[-2], h[-1]], -1)).chunk(2, -1)
        return mu, logvar


class PianoDecoder(Decoder):
    """``forward`` gives ``(B, T, MAX_NOTES + 1, 89 + 32)``: at each step and note slot the logits of the
    pitch class (END last) and of the duration, teacher-forced."""

    def __init__(self, latent_dim: int, steps: int, note_hidden: int, time_hidden: int, step_hidden: int):
        super().__init__()
        self.steps, self.time_hidden, self.note_hidden = steps, time_hidden, note_hidden
        self.previous = BagOfNotes(step_hidden)
        self.time_init = nn.Linear(latent_dim, time_hidden)
        self.time = nn.GRU(latent_dim + step_hidden, time_hidden, batch_first=True)
        self.note_init = nn.Linear(time_hidden, note_hidden)
        self.embed = NoteEmbedding(64, 16)
        self.notes = nn.GRU(self.embed.dim, note_hidden, batch_first=True)
        self.pitch_out = nn.Linear(note_hidden, PITCH_CLASSES)
        self.duration_out = nn.Sequential(nn.Linear(note_hidden + 64, note_hidden), nn.ReLU(),
                                          nn.Linear(note_hidden, MAX_DURATION))

    def step_states(self, z: torch.Tensor, pitch: torch.Tensor, duration: torch.Tensor, state=None):
        """Time GRU outputs ``(B, T', time_hidden)`` for the steps after those given ``(B, T', MAX_NOTES)``."""
        inp = torch.cat([z[:, None].expand(-1, pitch.shape[1], -1), self.previous(pitch, duration)], -1)
        if state is None:
            state = torch.tanh(self.time_init(z))[None].contiguous()
        return self.time(inp, state)

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ValueError("PianoDecoder.forward needs the target x (teacher forcing); use sample()")
        pitch, duration = split_tokens(x)
        b, t, m = pitch.shape
        silent = torch.full_like(pitch[:, :1], END)
        prev_pitch, prev_duration = torch.cat([silent, pitch[:, :-1]], 1), torch.cat([0 * silent, duration[:, :-1]], 1)
        g, _ = self.step_states(z, prev_pitch, prev_duration)
        start = torch.full_like(pitch[..., :1], START)
        note_in = self.embed(torch.cat([start, pitch], -1), torch.cat([0 * start, duration], -1))
        note_in = note_in.reshape(b * t, m + 1, -1)
        h0 = torch.tanh(self.note_init(g)).reshape(1, b * t, -1)
        count = (pitch != END).sum(-1)
        packed = pack_padded_sequence(note_in, (count + 1).reshape(-1).cpu(), batch_first=True, enforce_sorted=False)
        out, _ = pad_packed_sequence(self.notes(packed, h0)[0], batch_first=True, total_length=m + 1)
        out = out.reshape(b, t, m + 1, -1)
        target = torch.cat([pitch, torch.full_like(pitch[..., :1], END)], -1)
        scored = torch.arange(m + 1, device=x.device) <= count[..., None]
        logits = out.new_zeros(b, t, m + 1, PITCH_CLASSES + MAX_DURATION)
        used = out[scored]
        duration_in = torch.cat([used, self.embed.pitch(target[scored])], -1)
        logits[scored] = torch.cat([self.pitch_out(used), self.duration_out(duration_in)], -1)
        return logits

    def log_prob(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Log-likelihood of each step's pitches up to its END (none after MAX_NOTES notes) and of each
        note's duration, summed over the window: ``(B,)``."""
        pitch, duration = split_tokens(x)
        target = torch.cat([pitch, torch.full_like(pitch[..., :1], END)], -1)
        count = (pitch != END).sum(-1, keepdim=True)
        slot = torch.arange(MAX_NOTES + 1, device=x.device)
        scored = slot <= count
        pitch_nll = F.cross_entropy(logits[..., :PITCH_CLASSES].flatten(0, -2), target.flatten(), reduction="none")
        duration_nll = F.cross_entropy(logits[..., :MAX_NOTES, PITCH_CLASSES:].flatten(0, -2), duration.flatten(),
                                       reduction="none")
        nll = (pitch_nll.view(target.shape) * scored).sum((1, 2))
        nll = nll + (duration_nll.view(pitch.shape) * (pitch != END)).sum((1, 2))
        return -nll

    def sample(self, z: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Tokens ``(B, 2 * MAX_NOTES, T)``, a step at a time and a note at a time: greedy at temperature 0."""
        b, device = z.shape[0], z.device
        pitch = torch.full((b, 1, MAX_NOTES), END, dtype=torch.long, device=device)
        duration = torch.zeros_like(pitch)
        state, pitches, durations = None, [], []
        classes = torch.arange(PITCH_CLASSES, device=device)
        lengths = torch.arange(1, MAX_DURATION + 1, device=device)
        for t in range(self.steps):
            g, state = self.step_states(z, pitch, duration, state)
            h = torch.tanh(self.note_init(g[:, 0]))[None].contiguous()
            prev_pitch = torch.full((b,), START, dtype=torch.long, device=device)
            prev_duration = torch.zeros_like(prev_pitch)
            lowest = torch.zeros_like(prev_pitch)  # the next pitch class must be at least this
            alive = torch.ones(b, dtype=torch.bool, device=device)
            step_pitch, step_duration = [], []
            for _ in range(MAX_NOTES):
                out, h = self.notes(self.embed(prev_pitch, prev_duration)[:, None], h)
                logits = self.pitch_out(out[:, 0]).masked_fill((classes < lowest[:, None]) & (classes != END), -1e9)
                p = torch.where(alive, pick(logits, temperature, generator), END)
                d_logits = self.duration_out(torch.cat([out[:, 0], self.embed.pitch(p)], -1))
                d = pick(d_logits.masked_fill(lengths > self.steps - t, -1e9), temperature, generator)
                alive = alive & (p != END)
                d = torch.where(alive, d, 0)
                step_pitch.append(torch.where(alive, p, END))
                step_duration.append(d)
                prev_pitch, prev_duration, lowest = p, d, p + 1
            pitch, duration = torch.stack(step_pitch, -1)[:, None], torch.stack(step_duration, -1)[:, None]
            pitches.append(pitch[:, 0])
            durations.append(duration[:, 0])
        pitch, duration = torch.stack(pitches, -1), torch.stack(durations, -1)  # (B, MAX_NOTES, T)
        sounding = pitch != END
        out = torch.cat([torch.where(sounding, pitch + MIN_PITCH, 0), torch.where(sounding, duration + 1, 0)], 1)
        return playable_tokens(out)


def playable_tokens(x: torch.Tensor) -> torch.Tensor:
    """Tokens ``(B, 2 * MAX_NOTES, T)`` with each note cut where its pitch is struck again, as a piano
    plays it (and as reading its MIDI file gives it back)."""
    steps = x.shape[-1]
    items = [encode(decode(item), steps) for item in x.cpu().numpy()]
    return torch.from_numpy(np.stack(items).astype(np.int64)).to(x.device)
