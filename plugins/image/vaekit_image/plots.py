"""The lesson's pictures: the decoded latent manifold, the latent scatter coloured by label, and the
training curves. Each takes a model (or a metrics file) and writes one PNG."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch

from vaekit import VAE, atomic_file
from vaekit_image.outputs import grid


@torch.no_grad()
def encode_means(model: VAE, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    model.eval()
    return torch.cat([model.encode(images[i:i + batch_size])[0].cpu() for i in range(0, len(images), batch_size)])


def principal_axes(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean, the two main directions (rows, unit length) and the spread along each (std)."""
    mean = z.mean(0)
    _, s, v = torch.linalg.svd(z - mean, full_matrices=False)
    return mean, v[:2], s[:2] / math.sqrt(max(len(z) - 1, 1))


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _save(fig, out: Path) -> Path:
    """Write a figure as a 256-colour PNG (a third of the size of matplotlib's RGBA, same look)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    buffer.seek(0)
    with atomic_file(out) as f:
        Image.open(buffer).convert("RGB").quantize(256).save(f, format="PNG", optimize=True)
    return out


@torch.no_grad()
def manifold(model: VAE, out: Path, n: int = 20, images: torch.Tensor | None = None) -> Path:
    """Decode an ``n`` x ``n`` grid of latents. A 2-D latent is covered at Gaussian quantiles
    5%..95% of the prior; a larger one along its two main PCA directions of the encoded ``images``
    (mean +- 2 std)."""
    model.eval()
    if model.latent_dim == 2:
        ticks = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.05, 0.95, n))
        mean, axes, spread = torch.zeros(2), torch.eye(2), torch.ones(2)
        labels = ("z[0]", "z[1]")
    else:
        if images is None or len(images) < 3:
            raise ValueError("a latent of more than 2 dimensions needs images to find its main directions")
        mean, axes, spread = principal_axes(encode_means(model, images))
        ticks = torch.linspace(-2.0, 2.0, n)
        labels = ("PC 1 (std)", "PC 2 (std)")
    a, b = torch.meshgrid(ticks, ticks.flip(0), indexing="xy")  # rows from high to low, as a plot's y axis
    coords = torch.stack([a.reshape(-1), b.reshape(-1)], 1)
    z = mean + (coords * spread) @ axes
    x = torch.cat([model.decode(chunk).cpu() for chunk in z.split(256)])
    picture = grid(x, columns=n)
    fig = _figure(8, 8)
    ax = fig.add_subplot()
    ax.imshow(np.asarray(picture), cmap="gray" if x.shape[1] == 1 else None, vmin=0, vmax=255,
              extent=(float(ticks[0]), float(ticks[-1]), float(ticks[0]), float(ticks[-1])))
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title("decoded latent grid")
    fig.tight_layout()
    return _save(fig, out)


@torch.no_grad()
def latent_scatter(model: VAE, images: torch.Tensor, out: Path, labels: torch.Tensor | None = None,
                   label_names: list[str] | None = None) -> Path:
    """Posterior means of ``images``, coloured by label; a latent above 2-D is shown along its two
    main PCA directions."""
    z = encode_means(model, images)
    if z.shape[1] > 2:
        mean, axes, _ = principal_axes(z)
        z, names = (z - mean) @ axes.T, ("PC 1", "PC 2")
    else:
        names = ("z[0]", "z[1]")
    fig = _figure(7, 6)
    ax = fig.add_subplot()
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=4, alpha=0.6)
    else:
        points = ax.scatter(z[:, 0], z[:, 1], c=labels.numpy(), cmap="tab10" if labels.max() < 10 else "viridis",
                            s=4, alpha=0.8)
        bar = fig.colorbar(points, ax=ax)
        classes = sorted(set(labels.tolist()))
        if label_names and len(classes) <= 20:
            bar.set_ticks(classes)
            bar.set_ticklabels([label_names[c] if c < len(label_names) else str(c) for c in classes])
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title(f"posterior means of {len(z)} held-out images")
    fig.tight_layout()
    return _save(fig, out)


def curves(metrics: Path, out: Path) -> Path:
    """Training loss and validation -ELBO, KL, and PSNR (beside its baseline) against steps, from a
    run's ``metrics.jsonl``."""
    rows = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    series: dict[str, list[tuple[int, float]]] = {}
    for row in rows:
        split = row.get("split", "train")
        for key, value in row.items():
            if key in ("step", "split") or not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            value = -value if key == "elbo" else value
            name = f"{split} -elbo" if key == "elbo" else f"{split} {key}"
            series.setdefault(name, []).append((row["step"], float(value)))
    panels = [("loss (nats per image)", ["train loss", "val -elbo", "val recon"]),
              ("KL (nats)", ["train kl", "val kl"]),
              ("PSNR (dB)", ["val psnr", "val psnr_baseline"])]
    panels = [(title, [k for k in keys if k in series]) for title, keys in panels]
    panels = [(title, keys) for title, keys in panels if keys]
    if not panels:
        raise ValueError(f"{metrics}: no loss, KL or PSNR rows to plot")
    fig = _figure(5 * len(panels), 4)
    for i, (title, keys) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for key in keys:
            steps, values = zip(*series[key])
            ax.plot(steps, values, label=key, marker="." if len(steps) < 30 else None)
        ax.set_xlabel("step")
        ax.set_title(title)
        ax.legend()
    fig.tight_layout()
    return _save(fig, out)
