"""The fitted prior: a Gaussian where the codes lie, that samples are drawn from instead of N(0, I)."""

import pytest
import torch
from click.testing import CliRunner

import vaekit
from vaekit import prior
from vaekit.cli import cli
from vaekit.errors import VaekitError


class Codes(torch.nn.Module):
    """A stand-in model whose codes are its inputs, each with posterior variance 0.25."""

    variational = True

    def encode(self, x):
        return x, torch.full_like(x, 0.25).log()


def test_fit_recovers_the_mean_and_covariance_of_the_codes_and_draws_from_them():
    torch.manual_seed(0)
    mean = torch.tensor([3.0, -1.0, 0.5])
    chol = torch.tensor([[1.0, 0.0, 0.0], [0.8, 0.5, 0.0], [0.0, 0.0, 0.2]])
    codes = mean + torch.randn(20000, 3) @ chol.T
    fitted = prior.fit(Codes(), codes)
    expected_cov = chol @ chol.T + 0.25 * torch.eye(3)  # the codes' spread plus the posteriors' own
    cov = fitted["scale_tril"] @ fitted["scale_tril"].T
    assert torch.allclose(fitted["mean"], mean, atol=0.05)
    assert torch.allclose(cov, expected_cov, atol=0.05)
    drawn = prior.draw(fitted, 20000, 3, torch.Generator().manual_seed(1))
    assert torch.allclose(drawn.mean(0), mean, atol=0.05)
    assert torch.allclose(torch.cov(drawn.T), expected_cov, atol=0.08)
    standard = prior.draw(None, 20000, 3, torch.Generator().manual_seed(1))
    assert standard.mean(0).abs().max() < 0.05 and torch.allclose(torch.cov(standard.T), torch.eye(3), atol=0.05)


@pytest.fixture
def run(vectors, tmp_path):
    return vaekit.train("vectors", overrides=["data.items=300"], steps=30, out=tmp_path / "run", progress=False)


def test_training_fits_the_prior_and_generate_draws_from_it(run):
    assert (run / prior.FILE).exists()
    p = vaekit.load(run)
    assert p.model.prior is not None and p.model.prior["mean"].shape == (p.model.latent_dim,)
    fitted = p.generate(4, seed=3)
    p.model.prior = None
    assert not torch.allclose(fitted, p.generate(4, seed=3))  # N(0, I) gives other samples
    assert vaekit.load(run, weights="last").model.prior is None  # fitted to the best weights, not these


def test_vaekit_prior_refits_a_run_without_one(run):
    (run / prior.FILE).unlink()
    assert vaekit.load(run).model.prior is None
    result = CliRunner().invoke(cli, ["prior", str(run)])
    assert result.exit_code == 0, result.output
    assert f"wrote {run / prior.FILE}" in result.output
    assert vaekit.load(run).model.prior is not None


def test_a_corrupt_prior_is_named(run):
    (run / prior.FILE).write_bytes(b"not safetensors")
    with pytest.raises(VaekitError, match=f"{run / prior.FILE}: not a valid safetensors file"):
        vaekit.load(run)
    result = CliRunner().invoke(cli, ["generate", str(run), "--out", str(run / "out")])
    assert result.exit_code == 2 and "prior.safetensors: not a valid safetensors file" in result.output
