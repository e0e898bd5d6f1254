"""Operations in latent space: lerp, slerp and attribute vectors."""

from __future__ import annotations

import torch


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Straight line from ``a`` to ``b`` at fractions ``t`` (shape ``(S,)``): ``(S, D)``."""
    t = t.unsqueeze(-1)
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation, which keeps points at the typical norm of a Gaussian prior
    (a straight line passes through the low-norm middle that the decoder rarely saw)."""
    cos = torch.dot(a, b) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if omega.abs() < 1e-4:  # nearly parallel: slerp degenerates to lerp
        return lerp(a, b, t)
    t = t.unsqueeze(-1)
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def path(a: torch.Tensor, b: torch.Tensor, steps: int, method: str = "slerp") -> torch.Tensor:
    """``steps`` points from ``a`` to ``b``, both endpoints included."""
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps, got {steps}")
    methods = {"slerp": slerp, "lerp": lerp}
    if method not in methods:
        raise ValueError(f"unknown interpolation method {method!r}; use one of {sorted(methods)}")
    t = torch.linspace(0.0, 1.0, steps, dtype=a.dtype, device=a.device)
    points = methods[method](a, b, t)
    points[0], points[-1] = a, b  # exact endpoints, free of rounding
    return points


def attribute_vector(z: torch.Tensor, values: torch.Tensor, quantile: float = 0.25) -> torch.Tensor:
    """Mean latent of the items whose attribute is in the top ``quantile`` minus that of the bottom
    ``quantile`` (MusicVAE's attribute vectors)."""
    order = torch.argsort(values)
    k = max(1, int(len(values) * quantile))
    return z[order[-k:]].mean(0) - z[order[:k]].mean(0)
