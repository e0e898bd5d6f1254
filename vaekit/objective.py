"""The ELBO: reconstruction + beta * KL, with free bits and beta schedules."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) per dimension, in nats: ``(B, D)``."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def kl_penalty(kl: torch.Tensor, free_bits: float = 0.0, per_dim: bool = False) -> torch.Tensor:
    """The KL term the loss pays, ``(B,)``, after free bits.

    Over the total (MusicVAE): ``max(KL - free, 0)`` for each example. Per dimension (Kingma et al.
    2016): each dimension's batch-mean KL below ``free_bits`` costs nothing.
    """
    free = free_bits * math.log(2.0)
    if per_dim:
        over = (kl.mean(0) - free).clamp_min(0.0).sum()
        return over.expand(kl.shape[0])
    return (kl.sum(-1) - free).clamp_min(0.0)


@dataclass
class Loss:
    loss: torch.Tensor  # what the optimizer minimises
    recon: torch.Tensor  # mean -log p(x|z), nats per example
    kl: torch.Tensor  # mean total KL, nats per example
    elbo: torch.Tensor  # mean ELBO (beta = 1, no free bits), nats per example


def elbo(log_px: torch.Tensor, kl: torch.Tensor, beta: float = 1.0, free_bits: float = 0.0,
         per_dim: bool = False) -> Loss:
    """Loss = mean(-log p(x|z) + beta * KL after free bits); ``kl`` is ``(B, D)``."""
    penalty = kl_penalty(kl, free_bits, per_dim)
    kl_total = kl.sum(-1)
    return Loss(
        loss=(-log_px + beta * penalty).mean(),
        recon=-log_px.mean(),
        kl=kl_total.mean(),
        elbo=(log_px - kl_total).mean(),
    )


def beta_at(step: int, kind: str = "constant", beta: float = 1.0, warmup_steps: int = 0, rate: float = 0.99999,
            cycle_steps: int = 1000) -> float:
    """The KL weight at a training step.

    - ``constant``: ``beta``.
    - ``linear``: rises from 0 to ``beta`` over ``warmup_steps``.
    - ``musicvae``: ``(1 - rate**step) * beta``.
    - ``cyclical`` (Fu et al. 2019): each cycle of ``cycle_steps`` rises linearly over its first
      half, then holds ``beta``.
    """
    if kind == "constant":
        return beta
    if kind == "linear":
        return beta * min(1.0, step / warmup_steps) if warmup_steps > 0 else beta
    if kind == "musicvae":
        return (1.0 - rate**step) * beta
    if kind == "cyclical":
        phase = (step % cycle_steps) / cycle_steps
        return beta * min(1.0, 2.0 * phase)
    raise ValueError(f"unknown beta schedule {kind!r}; use constant, linear, musicvae or cyclical")
