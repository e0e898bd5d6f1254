"""GrooVAE's networks (Gillick et al., ICML 2019): a bidirectional LSTM encoder over each step's vector
of 9 hits, 9 velocities and 9 offsets, and an LSTM decoder that predicts the same vector a step at a
time from z and the step before: hits with a sigmoid (cross-entropy), velocities with a sigmoid and
offsets with a tanh (squared error, on the steps that are hit).

What the decoder reads of the step before is ``feedback`` (``model.feedback``): the whole vector, as
MusicVAE's autoregressive decoders read theirs, or its hits only. The encoder never sees a performance
(it reads a score or a tapped rhythm), so a performance's own lag and loudness reach the decoder only
through the velocities and offsets fed back. Teacher-forced, those are the real ones; when it
humanises, they are its own predictions, which know nothing of them. Fed back hits only, the decoder
learns what it is asked at test time: the velocities and offsets that a score implies.

One model serves Groove (humanise) and Drumify (Tap2Drum): the encoder's input carries a 28th row,
the task, and what it reads is the task's view of a beat (see :func:`task_input`). A performance of
27 rows given to the encoder is read as a score to humanise.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from vaekit import Decoder, Encoder, VaekitError
from vaekit.model import rand, randn
from vaekit_midi.groove_midi import CLASSES, FEATURES
from vaekit_midi.networks import autocast

HUMANIZE, TAP = 0, 1
TASKS = {"humanize": HUMANIZE, "tap": TAP}
SCORE_VELOCITY = 0.5  # the one velocity of a score to humanise
TAP_ROW = 2  # Tap2Drum's one voice: every onset as a closed hi-hat
FEEDBACK = ("all", "hits")  # what the decoder reads of the step before (model.feedback)


def task_input(x: torch.Tensor, task: torch.Tensor) -> torch.Tensor:
    """The encoder's view ``(B, 28, T)`` of performances ``x`` ``(B, 27, T)`` for each item's task: a
    quantised score (the hits at one velocity, no offsets) to humanise, or a tapped rhythm (every
    onset on one voice, at the step's loudest velocity and its earliest offset) to drumify."""
    hits, vel, off = x[:, :CLASSES], x[:, CLASSES: 2 * CLASSES], x[:, 2 * CLASSES:]
    score = torch.cat([hits, hits * SCORE_VELOCITY, torch.zeros_like(off)], 1)
    any_hit = hits.amax(1, keepdim=True)
    earliest = torch.where(hits > 0, off, torch.ones_like(off)).amin(1, keepdim=True) * any_hit
    tap = torch.zeros_like(x)
    tap[:, TAP_ROW] = any_hit[:, 0]
    tap[:, CLASSES + TAP_ROW] = vel.amax(1)
    tap[:, 2 * CLASSES + TAP_ROW] = earliest[:, 0]
    is_tap = (task == TAP).view(-1, 1, 1)
    flag = is_tap.to(x.dtype).expand(-1, 1, x.shape[-1])
    return torch.cat([torch.where(is_tap, tap, score), flag], 1)


class GrooveEncoder(Encoder):
    """Bidirectional LSTM over the 28-row step vectors; final states of both directions -> (mu, logvar)."""

    def __init__(self, latent_dim: int, hidden: int, bf16: bool | str = "auto"):
        super().__init__()
        self.bf16 = bf16
        self.rnn = nn.LSTM(FEATURES + 1, hidden, bidirectional=True)
        self.head = nn.Linear(2 * hidden, 2 * latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.shape[1] == FEATURES:
            x = task_input(x, torch.full((x.shape[0],), HUMANIZE, device=x.device))
        with autocast(x.device, self.bf16, self.training):
            _, (h, _) = self.rnn(x.float().permute(2, 0, 1))
        mu, logvar = self.head(torch.cat([h[-2], h[-1]], -1).float()).chunk(2, -1)
        return mu, logvar


class GrooveDecoder(Decoder):
    """An LSTM conditioned on z (initial state ``tanh(linear(z))``, z beside the previous step's vector at
    each step). ``forward`` gives ``(B, 27, T)``: hit logits, velocities (0..1) and offsets (-0.5..0.5)."""

    def __init__(self, latent_dim: int, steps: int, hidden: int, layers: int = 1, bf16: bool | str = "auto",
                 sigma: float = 0.1, feedback: str = "all"):
        super().__init__()
        if feedback not in FEEDBACK:
            raise VaekitError(f"model.feedback is one of {', '.join(FEEDBACK)}, not {feedback!r}")
        self.steps, self.hidden, self.layers, self.bf16 = steps, hidden, layers, bf16
        self.hits_only = feedback == "hits"
        #: velocities and offsets are Gaussians of this spread around the prediction: 1 / (2 sigma^2) weighs
        #: their squared errors against the hits' cross-entropy
        self.sigma, self.weight = sigma, 1.0 / (2 * sigma**2)
        self.init = nn.Linear(latent_dim, 2 * layers * hidden)
        self.rnn = nn.LSTM(FEATURES + latent_dim, hidden, layers)
        self.out = nn.Linear(hidden, FEATURES)

    def initial_state(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hc = torch.tanh(self.init(z)).view(-1, 2, self.layers, self.hidden).permute(1, 2, 0, 3)
        return hc[0].contiguous(), hc[1].contiguous()

    def heads(self, out: torch.Tensor) -> torch.Tensor:
        """Raw outputs ``(..., 27)`` as hit logits, velocities and offsets."""
        logits, vel, off = self.out(out.float()).split(CLASSES, -1)  # out is bf16 under autocast
        return torch.cat([logits, torch.sigmoid(vel), 0.5 * torch.tanh(off)], -1)

    def step(self, z: torch.Tensor, prev: torch.Tensor, state):
        """Outputs ``(T, B, 27)`` for previous step vectors ``prev`` ``(T, B, 27)``, and the LSTM state."""
        if self.hits_only:
            prev = torch.cat([prev[..., :CLASSES], torch.zeros_like(prev[..., CLASSES:])], -1)
        with autocast(z.device, self.bf16, self.training):
            inp = torch.cat([prev, z.unsqueeze(0).expand(prev.shape[0], -1, -1)], -1)
            out, state = self.rnn(inp, state)
        return self.heads(out), state

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ValueError("GrooveDecoder.forward needs the target x (teacher forcing); use sample()")
        seq = x.float().permute(2, 0, 1)  # (T, B, 27)
        prev = torch.cat([torch.zeros_like(seq[:1]), seq[:-1]])
        out, _ = self.step(z, prev, self.initial_state(z))
        return out.permute(1, 2, 0)

    def log_prob(self, outputs: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Bernoulli log-likelihood of the hits plus Gaussian (up to a constant) of the velocities and
        offsets of the hit steps, summed over steps: ``(B,)``."""
        logits, pred = outputs[:, :CLASSES], outputs[:, CLASSES:]
        hits = x[:, :CLASSES].float()
        bce = F.binary_cross_entropy_with_logits(logits, hits, reduction="none").sum((1, 2))
        mask = hits.repeat(1, 2, 1)
        sq = ((pred - x[:, CLASSES:].float()) ** 2 * mask).sum((1, 2))
        return -(bce + self.weight * sq)

    def sample(self, z: torch.Tensor, temperature: float = 1.0, generator: torch.Generator | None = None,
               hits: torch.Tensor | None = None, onsets: torch.Tensor | None = None) -> torch.Tensor:
        """Performances ``(B, 27, T)`` decoded a step at a time: a hit where its probability (at
        ``temperature``) beats a uniform draw from ``generator``, or 0.5 at temperature 0; ``hits``
        ``(B, 9, T)`` fixes them instead (humanise: the score's own hits). With ``onsets`` ``(B, T)``
        (Tap2Drum: a beat's onsets are its taps) hits fall only on onsets, and each onset has at least
        its most likely instrument. Velocities and offsets are the predicted means at temperature 0,
        else drawn from their Gaussians with the spread scaled by ``temperature``. Unhit steps have
        velocity and offset 0."""
        prev = z.new_zeros(1, z.shape[0], FEATURES)
        state, out = self.initial_state(z), []
        for t in range(self.steps):
            y, state = self.step(z, prev, state)
            logits, vel, off = y[0].split(CLASSES, -1)
            if hits is not None:
                hit = hits[:, :, t].float()
            elif temperature <= 0:
                hit = (logits > 0).float()
            else:
                hit = (rand(logits.shape, generator, z.device) < torch.sigmoid(logits / temperature)).float()
            if hits is None and onsets is not None:
                likeliest = F.one_hot(logits.argmax(-1), CLASSES).float()
                on = onsets[:, t: t + 1].float()
                hit = on * torch.where(hit.amax(-1, keepdim=True) > 0, hit, likeliest)
            if temperature > 0:
                noise = randn((2, *vel.shape), generator, z.device) * temperature * self.sigma
                vel, off = (vel + noise[0]).clamp(0, 1), (off + noise[1]).clamp(-0.5, 0.5)
            prev = torch.cat([hit, vel * hit, off * hit], -1).unsqueeze(0)
            out.append(prev[0])
        return torch.stack(out, -1)
