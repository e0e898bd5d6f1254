"""The prior that samples are drawn from: a Gaussian fitted to where a trained model's codes lie.

A VAE trained with free bits or a small beta need not fill N(0, I) with its codes: draws of z from
N(0, I) land between them, where the decoder has seen nothing, and it answers with a blend of what it
knows (mel_2bar's melodies at temperature 0.5 spanned 12.7 semitones in two bars, against 9.7 for real
ones, and 9.6 when decoded from the codes of those real ones). Sampling from a full-covariance
Gaussian fitted to the aggregate posterior of the training items instead (ex-post density estimation:
Ghosh et al., 2020, "From variational to deterministic autoencoders") puts the draws where the
decoder learned. ``fit`` makes it at the end of training, ``vaekit prior RUN`` for an older run; a run
without one samples from N(0, I)."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from vaekit.batches import fetch
from vaekit.errors import VaekitError
from vaekit.files import atomic_write

FILE = "prior.safetensors"
ITEMS = 20000  # training items whose codes make the fit (a random subset of larger sets, seed 0)


@torch.no_grad()
def fit(model: torch.nn.Module, items: torch.Tensor, batch: int = 512) -> dict[str, torch.Tensor]:
    """``mean`` and ``scale_tril`` of the Gaussian that matches the codes of ``items`` (their means'
    covariance plus the posteriors' average variance): float32 tensors on the CPU."""
    mus, variances = [], []
    for chunk in items.split(batch):
        mu, logvar = model.encode(chunk)
        mus.append(mu.float().cpu())
        variances.append(logvar.float().exp().cpu() if model.variational else torch.zeros_like(mu).cpu())
    mu, var = torch.cat(mus), torch.cat(variances)
    cov = (torch.cov(mu.T) if len(mu) > 1 else torch.zeros(mu.shape[1], mu.shape[1])) + torch.diag(var.mean(0))
    cov = (cov + cov.T) / 2 + 1e-6 * torch.eye(len(cov))
    return {"mean": mu.mean(0), "scale_tril": torch.linalg.cholesky(cov)}


def fit_dataset(model: torch.nn.Module, dataset: torch.utils.data.Dataset,
                items: int = ITEMS) -> dict[str, torch.Tensor]:
    """:func:`fit` on at most ``items`` inputs of ``dataset``, the same ones each time."""
    idx = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))[:items]
    return fit(model, fetch(dataset, idx.sort().values)[0])


def draw(prior: dict[str, torch.Tensor] | None, n: int, dim: int,
         generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` codes from ``prior``, or from N(0, I) where it is None."""
    eps = torch.randn(n, dim, generator=generator)
    return eps if prior is None else prior["mean"] + eps @ prior["scale_tril"].T


def save_prior(run_dir: Path, prior: dict[str, torch.Tensor]) -> Path:
    path = Path(run_dir) / FILE
    atomic_write(path, save({k: v.contiguous() for k, v in prior.items()}))
    return path


def load_prior(run_dir: Path) -> dict[str, torch.Tensor] | None:
    """The run's fitted prior, or None where it has none."""
    path = Path(run_dir) / FILE
    if not path.exists():
        return None
    try:
        found = load_file(path)
    except (SafetensorError, OSError) as e:
        raise VaekitError(f"{path}: not a valid safetensors file ({e})") from None
    if set(found) != {"mean", "scale_tril"} or found["scale_tril"].shape != (len(found["mean"]),) * 2:
        raise VaekitError(f"{path}: not a prior (it needs a mean and a square scale_tril of its size)")
    return {k: v.float() for k, v in found.items()}
