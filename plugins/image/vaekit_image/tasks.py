"""Training tasks: what the encoder sees and what the decoder must give back.

- ``reconstruct``: input == target.
- ``denoise``: input corrupted by ``noise.kind`` at ``noise.amount``, target clean. ``gaussian`` adds
  noise of std ``amount`` (clipped to [0, 1]); ``salt_pepper`` sets a fraction ``amount`` of pixels to
  0 or 1; ``mask`` sets a fraction ``amount`` of pixels to 0.
- ``superres``: input downsampled by ``superres.factor`` (area average) and upsampled back to full
  size with bicubic interpolation, so the same network reads it; the input is then exactly the
  bicubic baseline, and the model has to beat it.

Corruption runs batched in ``ImageDataset.get_batch`` with torch's global RNG, fresh at every batch.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vaekit import Config, VaekitError

TASKS = ("reconstruct", "denoise", "superres")
NOISE_KINDS = ("gaussian", "salt_pepper", "mask")


def check(config: Config) -> None:
    """Refuse a task, noise or factor that cannot run, with the key to fix."""
    task, noise, factor = config["task"], config["noise"], config["superres"]["factor"]
    if task not in TASKS:
        raise VaekitError(f"task={task!r}: use one of {', '.join(TASKS)}")
    if noise["kind"] not in NOISE_KINDS:
        raise VaekitError(f"noise.kind={noise['kind']!r}: use one of {', '.join(NOISE_KINDS)}")
    amount = noise["amount"]
    if not isinstance(amount, (int, float)) or amount < 0 or (noise["kind"] != "gaussian" and amount > 1):
        raise VaekitError(f"noise.amount={amount!r}: a std >= 0 for gaussian, a fraction 0..1 otherwise")
    if not isinstance(factor, int) or factor < 2:
        raise VaekitError(f"superres.factor={factor!r}: an integer >= 2")


def add_noise(x: torch.Tensor, kind: str, amount: float) -> torch.Tensor:
    if kind == "gaussian":
        return (x + amount * torch.randn_like(x)).clamp(0.0, 1.0)
    hit = torch.rand_like(x[:, :1]) < amount  # one draw per pixel, shared by its channels
    if kind == "mask":
        return x.masked_fill(hit, 0.0)
    salt = (torch.rand_like(x[:, :1]) < 0.5).to(x.dtype)
    return torch.where(hit, salt.expand_as(x), x)


def low_res(x: torch.Tensor, factor: int) -> torch.Tensor:
    """Downsample by ``factor`` (area average)."""
    side = max(1, x.shape[-1] // factor)
    return F.interpolate(x, size=(side, side), mode="area")


def upscale(x: torch.Tensor, size: int) -> torch.Tensor:
    """Bicubic upscaling to ``size``, clipped to [0, 1]: the super-resolution baseline."""
    return F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(0.0, 1.0)


def corrupt(x: torch.Tensor, config: Config) -> torch.Tensor:
    """The encoder input for clean images ``x`` ``(B, C, H, W)`` under the config's task."""
    task = config["task"]
    if task == "denoise":
        return add_noise(x, config["noise"]["kind"], float(config["noise"]["amount"]))
    if task == "superres":
        return upscale(low_res(x, config["superres"]["factor"]), x.shape[-1])
    return x


class ImageDataset(torch.utils.data.Dataset):
    """Tensor-resident images; items ``(input, target[, label])``.

    With ``binarize`` each batch draws a binary target from the grey levels (dynamic binarization).
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor | None, config: Config):
        self.images = images
        self.labels = labels
        self.task = {"task": config["task"], "noise": dict(config["noise"]), "superres": dict(config["superres"])}
        self.binarize = bool(config["data"]["binarize"])

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, ...]:
        return tuple(t[0] for t in self.get_batch(torch.tensor([i])))

    def get_batch(self, indices: torch.Tensor) -> tuple[torch.Tensor, ...]:
        target = self.images[indices]
        if self.binarize:
            target = torch.bernoulli(target)
        inputs = corrupt(target, self.task)
        return (inputs, target) if self.labels is None else (inputs, target, self.labels[indices])
