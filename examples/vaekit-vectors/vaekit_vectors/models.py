"""MLP encoder and a Gaussian MLP decoder with one learned noise scale per feature."""

from __future__ import annotations

import math

import torch
from torch import nn

from vaekit import VAE, Decoder, Encoder, randn


def mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.SiLU()]
    return nn.Sequential(*layers[:-1])


class MLPEncoder(Encoder):
    def __init__(self, features: int, hidden: int, latent_dim: int):
        super().__init__()
        self.net = mlp([features, hidden, hidden, 2 * latent_dim])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.net(x).chunk(2, dim=-1)
        return mu, logvar


class GaussianDecoder(Decoder):
    def __init__(self, features: int, hidden: int, latent_dim: int):
        super().__init__()
        self.net = mlp([latent_dim, hidden, hidden, features])
        self.log_scale = nn.Parameter(torch.zeros(features))

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)

    def log_prob(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        var = torch.exp(2 * self.log_scale)
        return (-0.5 * ((x - logits) ** 2 / var + 2 * self.log_scale + math.log(2 * math.pi))).sum(-1)

    def sample(self, z: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        mean = self.net(z)
        return mean + temperature * torch.exp(self.log_scale) * randn(mean.shape, generator, mean.device)


def build_model(config: dict) -> VAE:
    m = config["model"]
    features = config["data"]["features"]
    return VAE(MLPEncoder(features, m["hidden"], m["latent_dim"]),
               GaussianDecoder(features, m["hidden"], m["latent_dim"]), m["latent_dim"], m["variational"])
