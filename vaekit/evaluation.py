"""Held-out evaluation for any modality: ELBO, importance-weighted NLL, and the handler's metrics."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.utils.data import Dataset

from vaekit import objective
from vaekit.batches import fetch
from vaekit.modality import Handler
from vaekit.model import VAE


@torch.no_grad()
def iw_nll(model: VAE, x_in: torch.Tensor, x_target: torch.Tensor, k: int = 100, chunk: int = 50) -> torch.Tensor:
    """-log p(x) per example in nats, estimated with ``k`` importance samples from q(z|x)
    (Burda et al. 2016): ``-logmeanexp_k [log p(x|z) + log p(z) - log q(z|x)]``. Samples are
    decoded ``chunk`` at a time for the whole batch at once."""
    mu, logvar = model.encoder(x_in)
    std = torch.exp(0.5 * logvar)
    b = x_in.shape[0]
    log_w = []
    for start in range(0, k, chunk):
        n = min(chunk, k - start)
        eps = torch.randn(n, *mu.shape, device=mu.device)
        z = mu + std * eps  # (n, B, D)
        target = x_target.unsqueeze(0).expand(n, *x_target.shape).reshape(n * b, *x_target.shape[1:])
        log_px = model.decoder.log_prob(model.decoder(z.reshape(n * b, -1), target), target).view(n, b)
        log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + math.log(2 * math.pi) + logvar).sum(-1)
        log_w.append(log_px + log_pz - log_qz)
    return -(torch.logsumexp(torch.cat(log_w), 0) - math.log(k))


@torch.no_grad()
def evaluate(model: VAE, handler: Handler, dataset: Dataset, k: int = 100, batch_size: int = 64,
             max_items: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Mean ELBO parts, NLL (variational models only) and the handler's metrics over ``dataset``."""
    model.eval()
    torch.manual_seed(seed)
    n = len(dataset) if max_items is None else min(max_items, len(dataset))
    sums: dict[str, float] = {}
    for start in range(0, n, batch_size):
        idx = torch.arange(start, min(start + batch_size, n))
        parts = tuple(p.to(model.device) for p in fetch(dataset, idx))
        out = model(parts[0], parts[1])
        loss = objective.elbo(out.log_px, out.kl)
        values = {"elbo": loss.elbo.item(), "recon": loss.recon.item(), "kl": loss.kl.item()}
        if model.variational and k > 0:
            values["nll_iw"] = iw_nll(model, parts[0], parts[1], k).mean().item()
        values.update(handler.metrics(model, parts))
        for key, value in values.items():
            sums[key] = sums.get(key, 0.0) + value * len(idx)
    result: dict[str, Any] = {key: value / n for key, value in sums.items()}
    result.update(items=n, k=k if model.variational else 0)
    return result
