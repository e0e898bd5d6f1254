"""The prior that samples are drawn from: a Gaussian mixture fitted to where a trained model's codes lie.

A VAE need not fill N(0, I) with its codes: draws of z from N(0, I) land between them, where the
decoder has seen little, and it answers with a blend of what it knows: melodies so decoded wander
over a wider range than real ones. A single Gaussian fitted to the codes did not put the draws where
the decoder learned; a mixture of full-covariance Gaussians fitted to the posterior means of training
items does (ex-post density estimation: Ghosh et al., 2020, "From
variational to deterministic autoencoders"). Training fits one at its end,
``vaekit prior RUN`` fits one for an older run, and a run without one samples from N(0, I)."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from vaekit.batches import fetch
from vaekit.errors import VaekitError
from vaekit.files import atomic_write

FILE = "prior.safetensors"
ITEMS = 20000  # training items whose codes make the fit (a random subset of larger sets, seed 0)
COMPONENTS = 64  # at most; more came closer to real melodies (mel_2bar: 1, 16, 32, 64 tried)
POINTS_PER_COMPONENT = 50  # fewer components where there are fewer codes
STORED_FLOATS = 2**20  # and fewer where their Cholesky factors would take more (2 MB as float16)


@torch.no_grad()
def codes(model: torch.nn.Module, items: torch.Tensor, batch: int = 512) -> torch.Tensor:
    """The posterior mean of each item. Fitted to the means rather than to one draw from each
    posterior, the mixture's components are tighter and its draws decode nearer real melodies
    (benchmarks/results/quality_mel_2bar.md)."""
    return torch.cat([model.encode(chunk)[0].float().cpu() for chunk in items.split(batch)])


def fit(model: torch.nn.Module, items: torch.Tensor, components: int = COMPONENTS) -> dict[str, torch.Tensor]:
    """A mixture of full-covariance Gaussians (scikit-learn's EM) fitted to the codes of ``items``:
    ``weights`` (K,), ``means`` (K, D) and ``scale_tril`` (K, D, D), float32 on the CPU."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.mixture import GaussianMixture

    z = codes(model, items).double().numpy()
    d = z.shape[1]
    k = max(1, min(components, len(z) // POINTS_PER_COMPONENT, STORED_FLOATS // (d * (d + 1) // 2)))
    mixture = GaussianMixture(k, covariance_type="full", reg_covar=1e-4, max_iter=30, random_state=0)
    with warnings.catch_warnings():  # 30 EM steps may stop short of scikit-learn's tolerance: still a good fit
        warnings.simplefilter("ignore", ConvergenceWarning)
        mixture.fit(z)
    return {"weights": torch.from_numpy(mixture.weights_).float(), "means": torch.from_numpy(mixture.means_).float(),
            "scale_tril": torch.linalg.cholesky(torch.from_numpy(mixture.covariances_)).float()}


def fit_dataset(model: torch.nn.Module, dataset: torch.utils.data.Dataset,
                items: int = ITEMS) -> dict[str, torch.Tensor]:
    """:func:`fit` on at most ``items`` inputs of ``dataset``, the same ones each time."""
    idx = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))[:items]
    return fit(model, fetch(dataset, idx.sort().values)[0])


def draw(prior: dict[str, torch.Tensor] | None, n: int, dim: int,
         generator: torch.Generator | None = None, spread: float = 1.0) -> torch.Tensor:
    """``n`` codes from ``prior``, or from N(0, I) where it is None, each drawn ``spread`` times as far
    from its component's mean as the prior would draw it.

    A spread under 1 is reduced-temperature sampling (Kingma and Dhariwal, 2018, "Glow"; Vahdat and
    Kautz, 2020, "NVAE", which samples at 0.6-0.9): with free bits the codes fill only small
    regions of z, which a mixture of a few dozen Gaussians covers with wide components, and draws
    nearer their centres land nearer the codes (benchmarks/results/quality_*.md measures it)."""
    eps = torch.randn(n, dim, generator=generator) * spread
    if prior is None:
        return eps
    component = torch.multinomial(prior["weights"], n, replacement=True, generator=generator)
    return prior["means"][component] + (prior["scale_tril"][component] @ eps.unsqueeze(-1)).squeeze(-1)


def save_prior(run_dir: Path, prior: dict[str, torch.Tensor]) -> Path:
    """Write ``prior`` into the run, each Cholesky factor as its lower triangle in float16 (a quarter
    of the full float32 matrix)."""
    k, d, _ = prior["scale_tril"].shape
    rows, cols = torch.tril_indices(d, d)
    tensors = {"weights": prior["weights"], "means": prior["means"],
               "scale_tril_lower": prior["scale_tril"][:, rows, cols].half()}
    path = Path(run_dir) / FILE
    atomic_write(path, save({name: t.contiguous() for name, t in tensors.items()}))
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
    if set(found) != {"weights", "means", "scale_tril_lower"} or found["means"].dim() != 2:
        raise VaekitError(f"{path}: not a prior (it needs weights, means and scale_tril_lower)")
    (k, d), lower = found["means"].shape, found["scale_tril_lower"]
    if found["weights"].shape != (k,) or lower.shape != (k, d * (d + 1) // 2):
        raise VaekitError(f"{path}: not a prior (its weights, means and scale_tril_lower disagree in size)")
    scale_tril = torch.zeros(k, d, d)
    rows, cols = torch.tril_indices(d, d)
    scale_tril[:, rows, cols] = lower.float()
    return {"weights": found["weights"].float(), "means": found["means"].float(), "scale_tril": scale_tril}
