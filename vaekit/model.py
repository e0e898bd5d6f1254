"""Encoder and Decoder interfaces and the VAE that joins them (after Magenta's base_model.py:
the encoder gives q(z|x), the decoder gives p(x|z), and the loss lives in ``objective.py``).
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass

import torch
from torch import nn

from vaekit import latent, objective
from vaekit.prior import draw

_LEGACY_RNG = threading.Lock()  # decoders whose sample() takes no generator draw from the global RNG, one at a time


def rand(shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device | str = "cpu") -> torch.Tensor:
    """Uniform draws in [0, 1) from ``generator`` (torch's global RNG where None), made on the
    generator's device and moved to ``device``."""
    if generator is None:
        return torch.rand(shape, device=device)
    return torch.rand(shape, generator=generator, device=generator.device).to(device)


def randn(shape: tuple[int, ...], generator: torch.Generator | None,
          device: torch.device | str = "cpu") -> torch.Tensor:
    """Standard normal draws, as :func:`rand` makes uniform ones."""
    if generator is None:
        return torch.randn(shape, device=device)
    return torch.randn(shape, generator=generator, device=generator.device).to(device)


def takes_generator(decoder: nn.Module) -> bool:
    return "generator" in inspect.signature(decoder.sample).parameters


class Encoder(nn.Module):
    """``forward(x) -> (mu, logvar)``, each ``(B, latent_dim)``."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise TypeError(f"{type(self).__name__} must define forward(x) -> (mu, logvar)")


class Decoder(nn.Module):
    """p(x|z). ``forward(z, x)`` gives logits, teacher-forced on ``x`` where the decoder is
    autoregressive; ``log_prob`` scores a target; ``sample`` draws outputs (greedy or the mean at
    temperature 0) from ``generator`` (torch's global RNG where None: :func:`rand`, :func:`randn`)."""

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} must define forward(z, x=None) -> logits")

    def log_prob(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """log p(x|z) summed over everything but the batch: ``(B,)``."""
        raise TypeError(f"{type(self).__name__} must define log_prob(logits, x)")

    def sample(self, z: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        raise TypeError(f"{type(self).__name__} must define sample(z, temperature, generator=None)")

    def set_step(self, step: int) -> None:
        """Called by the trainer before each step, for schedules such as scheduled sampling."""


@dataclass
class VAEOutput:
    log_px: torch.Tensor  # (B,) log p(x_target | z)
    kl: torch.Tensor  # (B, D) KL(q(z|x_in) || N(0, I)) per dimension
    z: torch.Tensor
    mu: torch.Tensor
    logvar: torch.Tensor


class VAE(nn.Module):
    """A VAE; with ``variational=False`` the same machinery is a plain autoencoder (z = mu, no KL)."""

    def __init__(self, encoder: Encoder, decoder: Decoder, latent_dim: int, variational: bool = True):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = latent_dim
        self.variational = variational
        #: The Gaussian mixture that ``sample`` draws z from (see ``vaekit.prior``); None: N(0, I).
        self.prior: dict[str, torch.Tensor] | None = None

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def forward(self, x_in: torch.Tensor, x_target: torch.Tensor) -> VAEOutput:
        mu, logvar = self.encoder(x_in)
        if self.variational:
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            kl = objective.kl_normal(mu, logvar)
        else:
            z, kl = mu, torch.zeros_like(mu)
        logits = self.decoder(z, x_target)
        return VAEOutput(self.decoder.log_prob(logits, x_target), kl, z, mu, logvar)

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The posterior ``(mu, logvar)`` of a batch of inputs."""
        return self.encoder(x.to(self.device))

    @torch.no_grad()
    def decode(self, z: torch.Tensor, temperature: float = 0.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Outputs for latents ``z``; temperature 0 is greedy (sequences) or the mean (pixels); the
        draws come from ``generator``.

        A plugin's decoder whose ``sample`` takes no generator (written before it existed) draws from
        torch's global RNG, seeded from ``generator`` for the call and restored after, one such call
        at a time."""
        z = z.to(self.device)
        if generator is None or takes_generator(self.decoder):
            return self.decoder.sample(z, temperature, generator=generator)
        seed = int(torch.randint(2**62, (), generator=generator))
        with _LEGACY_RNG, torch.random.fork_rng(devices=[z.device] if z.device.type == "cuda" else []):
            torch.manual_seed(seed)
            return self.decoder.sample(z, temperature)

    @torch.no_grad()
    def sample(self, n: int, temperature: float = 1.0, generator: torch.Generator | None = None,
               spread: float = 1.0) -> torch.Tensor:
        """Decode ``n`` draws of z from the prior: the fitted one where the run has it, else N(0, I);
        ``spread`` scales each draw's distance from its component's mean (``vaekit.prior.draw``).

        The decoder draws from a copy of ``generator`` as it was on entry: the stream it drew from
        when it used torch's global RNG seeded as the generator was, so that a seed gives the samples
        it gave then (the saved-run tests hold runs to them)."""
        decoding = None if generator is None else torch.Generator(generator.device).set_state(generator.get_state())
        z = draw(self.prior, n, self.latent_dim, generator, spread)
        return self.decode(z, temperature, decoding)

    @torch.no_grad()
    def interpolate(
        self, a: torch.Tensor, b: torch.Tensor, steps: int = 8, method: str = "slerp", temperature: float = 0.0
    ) -> torch.Tensor:
        """Decode ``steps`` points from the latent mean of input ``a`` to that of ``b`` (both
        without a batch dimension), endpoints included."""
        mu, _ = self.encode(torch.stack([a, b]))
        return self.decode(latent.path(mu[0], mu[1], steps, method), temperature)
