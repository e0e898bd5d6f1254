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


def test_the_mixture_draws_where_the_codes_are_not_between_them():
    torch.manual_seed(1)  # not 0: the posterior draws use a generator seeded 0
    centres = torch.tensor([[4.0, 0.0], [-4.0, 0.0]])
    clusters = centres[torch.arange(4000) % 2] + 0.5 * torch.randn(4000, 2)
    fitted = prior.fit(Codes(), clusters, components=2)  # each code: the point plus posterior noise 0.5
    assert torch.allclose(fitted["weights"], torch.tensor([0.5, 0.5]), atol=0.03)
    assert torch.allclose(fitted["means"][fitted["means"][:, 0].argsort()], centres.flip(0), atol=0.1)
    drawn = prior.draw(fitted, 20000, 2, torch.Generator().manual_seed(1))
    assert (drawn[:, 0].abs() < 1.5).float().mean() < 0.01  # not in the gap between the clusters
    assert torch.allclose(drawn.std(0), torch.tensor([4.06, 0.71]), atol=0.1)  # sqrt(16 + 0.5) and sqrt(0.5)
    standard = prior.draw(None, 20000, 2, torch.Generator().manual_seed(1))
    assert (standard[:, 0].abs() < 1.5).float().mean() > 0.8  # N(0, I) puts most draws in the gap


def test_a_saved_prior_loads_as_fitted(tmp_path):
    torch.manual_seed(0)
    fitted = prior.fit(Codes(), torch.randn(3000, 5) @ torch.randn(5, 5), components=3)
    prior.save_prior(tmp_path, fitted)
    loaded = prior.load_prior(tmp_path)
    assert loaded["scale_tril"].shape == (3, 5, 5) and torch.equal(loaded["scale_tril"].triu(1), torch.zeros(3, 5, 5))
    assert torch.allclose(loaded["scale_tril"], fitted["scale_tril"], rtol=2e-3, atol=2e-3)  # float16 triangles
    assert torch.equal(loaded["means"], fitted["means"]) and torch.equal(loaded["weights"], fitted["weights"])


@pytest.fixture
def run(vectors, tmp_path):
    return vaekit.train("vectors", overrides=["data.items=300"], steps=30, out=tmp_path / "run", progress=False)


def test_training_fits_the_prior_and_generate_draws_from_it(run):
    assert (run / prior.FILE).exists()
    p = vaekit.load(run)
    assert p.model.prior is not None and p.model.prior["means"].shape[1] == p.model.latent_dim
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
