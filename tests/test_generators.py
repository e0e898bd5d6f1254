"""Sampling draws from the generator it is given, never from torch's global RNG; a plugin decoder
written before ``generator`` existed still gives the same outputs for the same generator."""

from __future__ import annotations

import torch
from torch import nn

from vaekit.model import VAE, Decoder, Encoder


class Mean(Encoder):
    def forward(self, x):
        return x, torch.zeros_like(x)


class Noisy(Decoder):
    """Adds noise from the generator."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def sample(self, z, temperature=1.0, generator=None):
        return z + temperature * torch.randn(z.shape, generator=generator)


class OldNoisy(Noisy):
    """A decoder from before ``generator``: it draws from torch's global RNG."""

    def sample(self, z, temperature=1.0):
        return z + temperature * torch.randn_like(z)


def draws(decoder: Decoder, seed: int) -> torch.Tensor:
    return VAE(Mean(), decoder, 3).sample(4, 1.0, generator=torch.Generator().manual_seed(seed))


def test_sampling_leaves_the_global_rng_alone():
    torch.manual_seed(5)
    state = torch.get_rng_state()
    first = draws(Noisy(), 1)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(draws(Noisy(), 1), first) and not torch.equal(draws(Noisy(), 2), first)


def test_a_decoder_without_a_generator_is_seeded_from_it_and_the_global_rng_restored():
    torch.manual_seed(5)
    state = torch.get_rng_state()
    first = draws(OldNoisy(), 1)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(draws(OldNoisy(), 1), first) and not torch.equal(draws(OldNoisy(), 2), first)


def test_the_decoder_draws_what_it_drew_from_the_global_rng_seeded_alike():
    """So that a saved run's samples for a seed are those it gave when the decoder used the global RNG."""
    model = VAE(Mean(), Noisy(), 3)
    z = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(1)
    before = z + torch.randn_like(z)
    assert torch.equal(model.sample(4, 1.0, generator=torch.Generator().manual_seed(1)), before)
