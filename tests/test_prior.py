"""The fitted prior: a Gaussian where the codes lie, that samples are drawn from instead of N(0, I)."""

import pytest
import torch
from click.testing import CliRunner

import vaekit
from vaekit import prior
from vaekit.cli import cli
from vaekit.errors import VaekitError


class Codes(torch.nn.Module):
    """A stand-in model whose posterior means are its inputs, each with variance 0.25."""

    def encode(self, x):
        return x, torch.full_like(x, 0.25).log()


def test_the_mixture_draws_where_the_codes_are_not_between_them():
    torch.manual_seed(1)
    centres = torch.tensor([[4.0, 0.0], [-4.0, 0.0]])
    clusters = centres[torch.arange(4000) % 2] + 0.5 * torch.randn(4000, 2)
    fitted = prior.fit(Codes(), clusters, components=2)  # fitted to the means: the posterior noise plays no part
    assert torch.allclose(fitted["weights"], torch.tensor([0.5, 0.5]), atol=0.03)
    assert torch.allclose(fitted["means"][fitted["means"][:, 0].argsort()], centres.flip(0), atol=0.1)
    drawn = prior.draw(fitted, 20000, 2, torch.Generator().manual_seed(1))
    assert (drawn[:, 0].abs() < 1.5).float().mean() < 0.01  # not in the gap between the clusters
    assert torch.allclose(drawn.std(0), torch.tensor([4.03, 0.5]), atol=0.05)  # sqrt(16 + 0.25) and sqrt(0.25)
    standard = prior.draw(None, 20000, 2, torch.Generator().manual_seed(1))
    assert (standard[:, 0].abs() < 1.5).float().mean() > 0.8  # N(0, I) puts most draws in the gap


def test_spread_scales_each_draw_about_its_components_mean():
    torch.manual_seed(1)
    fitted = prior.fit(Codes(), torch.tensor([[4.0, 0.0], [-4.0, 0.0]])[torch.arange(2000) % 2] + torch.randn(2000, 2),
                       components=2)
    full, half, centres = (prior.draw(fitted, 500, 2, torch.Generator().manual_seed(2), spread)
                           for spread in (1.0, 0.5, 0.0))
    assert torch.cdist(centres, fitted["means"]).min(1).values.max() < 1e-5  # spread 0: the components' means
    assert torch.allclose(half - centres, 0.5 * (full - centres), atol=1e-5)  # the same draws, half as far out
    assert (half - centres).std() < 0.6 * (full - centres).std()
    standard = prior.draw(None, 500, 2, torch.Generator().manual_seed(2))
    assert torch.allclose(prior.draw(None, 500, 2, torch.Generator().manual_seed(2), 0.5), 0.5 * standard)


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


def test_generate_draws_at_the_runs_spread_unless_told(run):
    p = vaekit.load(run)
    assert p.config["generate"]["spread"] == 1.0  # the core default: the prior as fitted
    at_one = p.generate(6, seed=3)
    p.config["generate"]["spread"] = 0.0
    at_centres = p.generate(6, seed=3)
    assert torch.equal(at_centres, p.generate(6, seed=3, spread=0.0))
    assert torch.equal(at_one, p.generate(6, seed=3, spread=1.0)) and not torch.allclose(at_one, at_centres)
    with pytest.raises(VaekitError, match="spread -1 is negative"):
        p.generate(2, spread=-1)


def test_the_spread_option(run, tmp_path):
    def generate(spread, out):
        return CliRunner().invoke(cli, ["generate", str(run), "-n", "2", "--spread", spread, "--out", str(out)])

    result = generate("-0.5", tmp_path / "a")
    assert result.exit_code == 2 and "--spread" in result.output and not (tmp_path / "a").exists()
    result = generate("0.5", tmp_path / "b")
    assert result.exit_code == 0 and any((tmp_path / "b").iterdir()), result.output
