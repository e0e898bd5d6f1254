"""Image metrics: per-pixel BCE or MSE, and PSNR of the output beside the PSNR of the input, which is
the baseline a denoiser (the noisy input) or a super-resolver (bicubic upscaling) has to beat."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vaekit import VAE


def psnr(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB for images in [0, 1], per image: ``(B,)``."""
    mse = (x - target).pow(2).flatten(1).mean(-1)
    return 10 * torch.log10(1.0 / mse.clamp_min(1e-10))


@torch.no_grad()
def image_metrics(model: VAE, x_in: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """Metrics of the reconstruction decoded from the posterior mean."""
    mu, _ = model.encoder(x_in)
    logits = model.decoder(mu)
    out = model.decoder.mean(logits)
    values = {"mse": F.mse_loss(out, target).item(), "psnr": psnr(out, target).mean().item()}
    if model.decoder.likelihood == "bernoulli":
        values["bce"] = F.binary_cross_entropy_with_logits(logits, target).item()
    if not torch.equal(x_in, target):
        values["psnr_baseline"] = psnr(x_in, target).mean().item()
    return values
