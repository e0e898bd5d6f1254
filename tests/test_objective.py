import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vaekit import objective


def test_kl_matches_closed_form():
    torch.manual_seed(0)
    mu, logvar = torch.randn(5, 7), torch.randn(5, 7)
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(objective.kl_normal(mu, logvar), expected)
    assert objective.kl_normal(torch.zeros(2, 3), torch.zeros(2, 3)).abs().max() == 0


def test_free_bits_over_the_total_kl():
    kl = torch.tensor([[1.0, 1.0], [3.0, 2.0]])  # totals 2 and 5 nats
    free_bits = 3.0 / math.log(2.0)  # 3 nats
    torch.testing.assert_close(objective.kl_penalty(kl, free_bits), torch.tensor([0.0, 2.0]))
    torch.testing.assert_close(objective.kl_penalty(kl, 0.0), torch.tensor([2.0, 5.0]))


def test_free_bits_per_dimension():
    kl = torch.tensor([[1.0, 0.2], [3.0, 0.4]])  # batch means 2.0 and 0.3 nats
    free_bits = 0.5 / math.log(2.0)  # 0.5 nats per dimension
    torch.testing.assert_close(objective.kl_penalty(kl, free_bits, per_dim=True), torch.tensor([1.5, 1.5]))


def test_elbo_parts():
    log_px = torch.tensor([-10.0, -20.0])
    kl = torch.tensor([[1.0, 1.0], [2.0, 2.0]])
    loss = objective.elbo(log_px, kl, beta=0.5)
    assert loss.recon.item() == pytest.approx(15.0)
    assert loss.kl.item() == pytest.approx(3.0)
    assert loss.elbo.item() == pytest.approx(-18.0)
    assert loss.loss.item() == pytest.approx(15.0 + 0.5 * 3.0)


@pytest.mark.parametrize(
    ("kind", "step", "expected"),
    [
        ("constant", 123, 0.7),
        ("linear", 0, 0.0),
        ("linear", 50, 0.35),
        ("linear", 500, 0.7),
        ("musicvae", 0, 0.0),
        ("musicvae", 100_000, (1 - 0.99999**100_000) * 0.7),
        ("cyclical", 0, 0.0),
        ("cyclical", 250, 0.35),
        ("cyclical", 600, 0.7),
        ("cyclical", 1250, 0.35),
    ],
)
def test_beta_schedules(kind, step, expected):
    beta = objective.beta_at(step, kind, beta=0.7, warmup_steps=100, rate=0.99999, cycle_steps=1000)
    assert beta == pytest.approx(expected)


def test_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="unknown beta schedule"):
        objective.beta_at(1, "sawtooth")
