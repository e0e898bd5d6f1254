"""Convolutional encoder and decoder for any image size and 1 or 3 channels.

The number of stride-2 stages comes from the size: halve (rounding up) while the side is above 7,
so 28 -> 14 -> 7 (two stages, as in the Keras example), 8 -> 4, 32 -> 16 -> 8 -> 4, 64 -> ... -> 4.
Stage ``i`` has ``widths[i]`` channels (the last width repeats when there are more stages than
widths). The decoder mirrors the encoder with transposed convolutions whose output padding restores
each size exactly, odd sizes included.

On CUDA the convolutions run channels-last, and under bf16 autocast where ``model.bf16`` is true or
``"auto"`` (the default; "auto" means CUDA with bf16 support only: on CPUs, AMX included, bf16 and
channels-last convolutions measured slower than fp32 here). Heads and likelihoods stay in fp32.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from vaekit import VAE, Config, Decoder, Encoder, randn

LOG_2PI = math.log(2 * math.pi)


def stage_sizes(size: int) -> list[int]:
    """Spatial side after each stage, the input side first: ``stage_sizes(28) == [28, 14, 7]``."""
    sizes = [size]
    while sizes[-1] > 7:
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


class ResBlock(nn.Module):
    """Pre-activation residual block: x + conv(relu(conv(relu(x))))."""

    def __init__(self, width: int):
        super().__init__()
        self.conv1 = nn.Conv2d(width, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1)
        nn.init.zeros_(self.conv2.weight)  # each block starts as the identity
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


def _norm(kind: str, width: int) -> nn.Module:
    """BatchNorm after each strided convolution speeds up the start of training a lot (the decoder
    otherwise sits on the mean image for the first hundred steps); ``model.eval()`` then matters."""
    if kind == "batch":
        return nn.BatchNorm2d(width)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown model.norm {kind!r}; use batch or none")


def conv_context(x: torch.Tensor, bf16: bool | str, training: bool) -> tuple[torch.Tensor, torch.autocast]:
    """``x`` in the memory format, and the autocast, that the convolutions should run in on its device.
    ``"auto"`` uses bf16 only while training, so that inference gives the same answers on every device."""
    cuda = x.device.type == "cuda"
    enabled = bf16 is True or (bf16 == "auto" and training and cuda and torch.cuda.is_bf16_supported())
    if cuda:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=enabled)


def _widths(widths: list[int], stages: int) -> list[int]:
    return [widths[min(i, len(widths) - 1)] for i in range(stages)]


class ConvEncoder(Encoder):
    """Stride-2 3x3 convolutions (each followed by ``blocks`` residual blocks), a dense layer, then
    the mean and log-variance of q(z|x)."""

    def __init__(self, channels: int, size: int, widths: list[int], hidden: int, latent_dim: int, blocks: int = 0,
                 norm: str = "none", bf16: bool | str = "auto"):
        super().__init__()
        self.bf16 = bf16
        sizes = stage_sizes(size)
        layers: list[nn.Module] = []
        c_in = channels
        for width in _widths(widths, len(sizes) - 1):
            layers += [nn.Conv2d(c_in, width, 3, stride=2, padding=1), _norm(norm, width), nn.ReLU()]
            layers += [ResBlock(width) for _ in range(blocks)]
            c_in = width
        self.features = nn.Sequential(*layers)
        flat = c_in * sizes[-1] ** 2
        self.dense = nn.Sequential(nn.Flatten(), nn.Linear(flat, hidden), nn.ReLU()) if hidden else nn.Flatten()
        self.head = nn.Linear(hidden or flat, 2 * latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, autocast = conv_context(x, self.bf16, self.training)
        with autocast:
            h = self.dense(self.features(x))
        mu, logvar = self.head(h.float()).chunk(2, dim=-1)
        return mu, logvar


class ConvDecoder(Decoder):
    """Mirror of ``ConvEncoder``. ``forward`` gives per-pixel logits (Bernoulli) or means (Gaussian),
    ``(B, C, H, W)``.

    Gaussian likelihood: one standard deviation per channel, learned (the sigma-VAE of Rybkin et
    al. 2021, which balances reconstruction against KL without a hand-tuned beta) unless ``sigma``
    fixes it.
    """

    def __init__(self, channels: int, size: int, widths: list[int], hidden: int, latent_dim: int, blocks: int = 0,
                 likelihood: str = "bernoulli", sigma: float | None = None, norm: str = "none",
                 bf16: bool | str = "auto"):
        super().__init__()
        self.bf16 = bf16
        if likelihood not in ("bernoulli", "gaussian"):
            raise ValueError(f"unknown likelihood {likelihood!r}; use bernoulli or gaussian")
        self.likelihood = likelihood
        sizes = stage_sizes(size)
        stage_widths = _widths(widths, len(sizes) - 1)
        self.start = ((stage_widths or widths)[-1], sizes[-1])
        flat = self.start[0] * sizes[-1] ** 2
        dense: list[nn.Module] = [nn.Linear(latent_dim, hidden), nn.ReLU()] if hidden else []
        dense += [nn.Linear(hidden or latent_dim, flat), nn.ReLU()]
        self.dense = nn.Sequential(*dense)
        layers: list[nn.Module] = []
        c_in = self.start[0]
        for i in reversed(range(len(sizes) - 1)):
            width = stage_widths[i]
            layers += [ResBlock(c_in) for _ in range(blocks)]
            pad = 1 if sizes[i] % 2 == 0 else 0  # 2n - 1 + pad == sizes[i]
            layers += [nn.ConvTranspose2d(c_in, width, 3, stride=2, padding=1, output_padding=pad), _norm(norm, width),
                       nn.ReLU()]
            c_in = width
        layers.append(nn.Conv2d(c_in, channels, 3, padding=1))
        self.features = nn.Sequential(*layers)
        if likelihood == "gaussian":
            init = math.log(sigma or 0.1)
            self.log_sigma = nn.Parameter(torch.full((channels, 1, 1), init), requires_grad=sigma is None)

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        c, s = self.start
        h, autocast = conv_context(self.dense(z).view(-1, c, s, s), self.bf16, self.training)
        with autocast:
            return self.features(h).float()

    def log_prob(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.likelihood == "bernoulli":
            nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        else:
            log_sigma = self.log_sigma.clamp_min(-6.0)
            nll = 0.5 * ((x - logits) * torch.exp(-log_sigma)) ** 2 + log_sigma + 0.5 * LOG_2PI
        return -nll.flatten(1).sum(-1)

    def mean(self, logits: torch.Tensor) -> torch.Tensor:
        """The expected image in [0, 1]."""
        return torch.sigmoid(logits) if self.likelihood == "bernoulli" else logits.clamp(0.0, 1.0)

    def sample(self, z: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """The mean image; a Gaussian decoder adds ``temperature`` times its pixel noise, drawn from
        ``generator``. Bernoulli draws are salt noise over the picture, so a Bernoulli decoder always
        shows pixel probabilities (as the Keras example does)."""
        logits = self(z)
        if self.likelihood == "gaussian" and temperature > 0:
            noise = randn(logits.shape, generator, logits.device)
            logits = logits + temperature * torch.exp(self.log_sigma) * noise
        return self.mean(logits)


def build(config: Config) -> VAE:
    """The VAE a config describes; ``data.size`` and ``data.channels`` must be known."""
    data, model = config["data"], config["model"]
    size, channels = data.get("size") or 0, data.get("channels") or 0
    if size < 1 or channels not in (1, 3):
        raise ValueError(f"image size and channels unknown (size={size}, channels={channels}); load the data first")
    widths, hidden, latent, blocks = list(model["widths"]), model["hidden"], model["latent_dim"], model["blocks"]
    norm, bf16 = model["norm"], model["bf16"]
    encoder = ConvEncoder(channels, size, widths, hidden, latent, blocks, norm, bf16)
    decoder = ConvDecoder(channels, size, widths, hidden, latent, blocks, model["likelihood"], model.get("sigma"), norm,
                          bf16)
    return VAE(encoder, decoder, latent, bool(model["variational"]))
