"""How close generated items are to real ones, feature by feature, after MGEval (Yang and Lerch, 2018,
"On the evaluation of generative models in music"): for each feature, the distances between the
real items (intra-set) and between real and generated items (inter-set), each smoothed by a Gaussian
kernel density estimate; their overlapping area (1: the generated items sit among the real ones as
the real ones sit among themselves) and the KL divergence of the inter-set density from the
intra-set one. A handler supplies the features (``vaekit.capabilities.MeasuresFeatures``).

For items with no such features (images), ``frechet_distance``: the Fréchet distance between Gaussians
fitted to two sets of feature vectors, as FID computes it (Heusel et al., 2017) in whatever feature space
a handler supplies (``vaekit.capabilities.MeasuresSamples``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

GRID = 512


def integral(y: np.ndarray, x: np.ndarray) -> float:
    """The trapezoid rule (numpy renamed its own between versions)."""
    return float(((y[1:] + y[:-1]) * np.diff(x)).sum() / 2)


def distances(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Euclidean distances between the rows of ``a`` and of ``b`` (``(N, d)`` each); within ``a``, each
    pair once, where ``b`` is None."""
    a = a.reshape(len(a), -1).astype(np.float64)
    other = a if b is None else b.reshape(len(b), -1).astype(np.float64)
    d = np.sqrt(np.maximum(((a[:, None, :] - other[None, :, :]) ** 2).sum(-1), 0.0))
    return d[np.triu_indices(len(a), 1)] if b is None else d.ravel()


def density(samples: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """A Gaussian kernel density estimate of ``samples`` on ``grid`` (Scott's bandwidth; a floor keeps a
    set of equal values a narrow bump instead of a spike of zero width)."""
    span = grid[-1] - grid[0]
    bandwidth = max(samples.std() * len(samples) ** -0.2, span * 1e-3, 1e-9)
    z = (grid[:, None] - samples[None, :]) / bandwidth
    p = np.exp(-0.5 * z**2).sum(1)
    return p / max(integral(p, grid), 1e-300)


def overlap_and_kl(intra: np.ndarray, inter: np.ndarray) -> tuple[float, float]:
    """The overlapping area of the two distance densities, and KL(intra || inter) in nats."""
    low, high = min(intra.min(), inter.min()), max(intra.max(), inter.max())
    pad = 0.1 * (high - low) or 1.0
    grid = np.linspace(low - pad, high + pad, GRID)
    p, q = density(intra, grid), density(inter, grid)
    overlap = integral(np.minimum(p, q), grid)
    kl = integral(p * (np.log(p + 1e-12) - np.log(q + 1e-12)), grid)
    return min(overlap, 1.0), max(kl, 0.0)


def compare(real: dict[str, np.ndarray], generated: dict[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """Per feature: ``overlap`` and ``kl`` of the inter-set distances against the real set's intra-set
    ones, and the feature's mean over each set (a number, or a list for histograms and matrices)."""
    out = {}
    for name, r in real.items():
        g = generated[name]
        overlap, kl = overlap_and_kl(distances(r), distances(r, g))
        means = [np.round(x.reshape(len(x), -1).mean(0), 4).tolist() for x in (r, g)]
        out[name] = {"overlap": round(overlap, 4), "kl": round(kl, 4),
                     "real_mean": means[0][0] if r.ndim == 1 else means[0],
                     "generated_mean": means[1][0] if g.ndim == 1 else means[1]}
    return out


def psd_sqrt(m: np.ndarray) -> np.ndarray:
    """The square root of a symmetric positive semi-definite matrix (negative rounding errors clipped)."""
    values, vectors = np.linalg.eigh((m + m.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """The Fréchet distance between Gaussians fitted to the rows of ``a`` ``(N, d)`` and ``b`` ``(M, d)``:
    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``. The trace of the matrix square root is taken
    as that of the symmetric ``(S_a^(1/2) S_b S_a^(1/2))^(1/2)``, which has the same eigenvalues, so two
    symmetric eigendecompositions do it (no scipy). 0 for a set against itself."""
    a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
    b = np.asarray(b, dtype=np.float64).reshape(len(b), -1)
    if len(a) < 2 or len(b) < 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"need two sets of at least 2 rows of the same width, got {a.shape} and {b.shape}")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root_a = psd_sqrt(cov_a)
    product = root_a @ cov_b @ root_a
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((product + product.T) / 2), 0.0, None)).sum()
    distance = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross
    return max(float(distance), 0.0)


def plot(real: dict[str, np.ndarray], generated: dict[str, np.ndarray], path: Path) -> None:
    """One panel a feature: the intra-set and inter-set distance densities side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vaekit.files import atomic_file

    names = list(real)
    columns = 3
    rows = -(-len(names) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 2.6 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        intra, inter = distances(real[name]), distances(real[name], generated[name])
        low, high = min(intra.min(), inter.min()), max(intra.max(), inter.max())
        grid = np.linspace(low, high + 1e-9, GRID)
        ax.plot(grid, density(intra, grid), label="real vs real")
        ax.plot(grid, density(inter, grid), label="real vs generated")
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    with atomic_file(path) as f:
        fig.savefig(f, format="png", dpi=90)
    plt.close(fig)


@dataclass
class QualityReport:
    """What ``vaekit evaluate --quality`` found: ``samples`` samples at ``temperature`` and ``spread``
    against as many held-out items, feature by feature (``features``, against ``reference``), as a whole
    (``whole``) and in interpolations (``interpolation``, or why they were ``skipped``), where the handler
    measures each."""

    samples: int
    temperature: float
    spread: float
    features: dict[str, dict[str, Any]] = field(default_factory=dict)
    reference: str = ""
    whole: Any = None  # a vaekit.capabilities.Report
    interpolation: Any = None  # a vaekit.capabilities.Report
    skipped: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"samples": self.samples, "temperature": self.temperature, "spread": self.spread}
        if self.features:
            out.update(reference=self.reference, features=self.features)
        if self.whole is not None:
            out["samples_vs_real"] = self.whole.to_dict()
        if self.interpolation is not None:
            out["interpolation"] = self.interpolation.to_dict()
        elif self.skipped:
            out["interpolation"] = {"skipped": self.skipped}
        return out

    def __str__(self) -> str:
        lines = [f"{self.samples} samples at temperature {self.temperature:g}, spread {self.spread:g}, against as "
                 "many held-out items"]
        if self.features:
            lines += [f"feature by feature, against {self.reference}",
                      f"{'feature':<32} {'overlap':>8} {'kl':>8} {'real':>8} {'samples':>8}"]
        for name, v in self.features.items():
            means = [f"{m:8.3f}" if isinstance(m, float) else f"{'':>8}" for m in (v["real_mean"], v["generated_mean"])]
            lines.append(f"{name:<32} {v['overlap']:8.3f} {v['kl']:8.3f} {means[0]} {means[1]}")
        if self.whole is not None:
            lines.append(str(self.whole))
        if self.interpolation is not None:
            lines.append(str(self.interpolation))
        elif self.skipped:
            lines.append(f"interpolations: skipped: {self.skipped}")
        return "\n".join(lines)
