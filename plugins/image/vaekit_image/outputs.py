"""Images out: single PNGs at the model's size, and grids, side-by-side pairs, strips and GIFs whose
tiles are scaled up (nearest neighbour) to at least ``MIN_TILE`` pixels so 8x8 digits stay visible."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from vaekit import atomic_file

MIN_TILE = 32
PAD = 2


def to_pil(x: torch.Tensor):
    """One image ``(C, H, W)`` in [0, 1] as a greyscale or RGB PIL image."""
    from PIL import Image

    a = (x.detach().float().cpu().clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    return Image.fromarray(a[0], "L") if a.shape[0] == 1 else Image.fromarray(a.transpose(1, 2, 0), "RGB")


def tile_scale(size: int) -> int:
    return max(1, math.ceil(MIN_TILE / size))


def grid(x: torch.Tensor, columns: int | None = None):
    """Images ``(N, C, H, W)`` tiled row by row with a ``PAD``-pixel white border, scaled up."""
    from PIL import Image

    n, c, h, w = x.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    s = tile_scale(max(h, w))
    a = np.full((rows * (h * s + PAD) + PAD, columns * (w * s + PAD) + PAD, c), 255, np.uint8)
    pixels = (x.detach().float().cpu().clamp(0, 1) * 255).round().to(torch.uint8).numpy().transpose(0, 2, 3, 1)
    pixels = pixels.repeat(s, 1).repeat(s, 2)
    for i in range(n):
        top, left = PAD + (i // columns) * (h * s + PAD), PAD + (i % columns) * (w * s + PAD)
        a[top:top + h * s, left:left + w * s] = pixels[i]
    return Image.fromarray(a[..., 0], "L") if c == 1 else Image.fromarray(a, "RGB")


def save(image, path: Path) -> Path:
    """Write through a temporary file so nothing half-written is left behind."""
    with atomic_file(path) as f:
        image.save(f, format=path.suffix.lstrip(".").upper().replace("JPG", "JPEG") or "PNG")
    return path


def write_samples(x: torch.Tensor, out_dir: Path) -> list[Path]:
    """``grid.png`` plus ``sample_NNN.png`` at the model's size."""
    paths = [save(grid(x), out_dir / "grid.png")]
    paths += [save(to_pil(item), out_dir / f"sample_{i:03d}.png") for i, item in enumerate(x)]
    return paths


def write_reconstructions(inputs: torch.Tensor, outputs: torch.Tensor, names: list[str], out_dir: Path) -> list[Path]:
    """``NAME_recon.png`` (the output at the model's size) and ``NAME_pair.png`` (input | output)."""
    paths = []
    for x_in, x_out, name in zip(inputs, outputs, names):
        paths.append(save(to_pil(x_out), out_dir / f"{name}_recon.png"))
        paths.append(save(grid(torch.stack([x_in, x_out]), columns=2), out_dir / f"{name}_pair.png"))
    return paths


def write_interpolation(x: torch.Tensor, out: Path) -> list[Path]:
    """A strip when ``out`` ends in .png, an animated GIF for .gif, else one frame a step in a folder."""
    suffix = out.suffix.lower()
    if suffix == ".png":
        return [save(grid(x, columns=len(x)), out)]
    if suffix == ".gif":
        frames = [grid(item[None]) for item in x]
        with atomic_file(out) as f:
            frames[0].save(f, format="GIF", save_all=True, append_images=frames[1:], duration=150, loop=0)
        return [out]
    return [save(to_pil(item), out / f"step_{i:02d}.png") for i, item in enumerate(x)]
