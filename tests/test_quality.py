"""The comparisons behind `vaekit evaluate --quality`: distance densities, their overlap and KL; the
Fréchet distance; a modality's own sample_quality in the result and the printed table."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import vaekit
from vaekit import quality
from vaekit.cli import cli


def test_distances_within_and_between_sets():
    a = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    assert sorted(quality.distances(a).tolist()) == [5.0, 5.0, 10.0]  # each pair once
    assert quality.distances(a, a[:1]).tolist() == [0.0, 5.0, 10.0]


def test_identical_sets_overlap_fully_and_disjoint_ones_not_at_all():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(200, 3))
    same = quality.compare({"f": real}, {"f": real.copy()})["f"]
    assert same["overlap"] > 0.95 and same["kl"] < 0.05
    far = quality.compare({"f": real}, {"f": real + 100.0})["f"]
    assert far["overlap"] < 0.01 and far["kl"] > 5
    near = quality.compare({"f": real}, {"f": rng.normal(size=(200, 3))})["f"]
    assert near["overlap"] > 0.85  # another draw of the same distribution


def test_means_side_by_side():
    out = quality.compare({"n": np.array([1.0, 2.0, 3.0]), "h": np.eye(3)},
                          {"n": np.array([5.0, 5.0, 5.0]), "h": np.ones((3, 3)) / 3})
    assert out["n"]["real_mean"] == 2.0 and out["n"]["generated_mean"] == 5.0
    assert out["h"]["real_mean"] == [0.3333] * 3


def test_density_integrates_to_one_even_for_equal_values():
    grid = np.linspace(-1, 3, 512)
    for samples in (np.array([1.0, 1.0, 1.0]), np.array([0.0, 1.0, 2.0])):
        assert abs(quality.integral(quality.density(samples, grid), grid) - 1.0) < 1e-3


def test_frechet_distance_is_zero_for_a_set_against_itself_and_grows_with_noise():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(500, 16)) @ rng.normal(size=(16, 16))  # correlated features
    assert quality.frechet_distance(real, real) < 1e-6
    noisy = [quality.frechet_distance(real, real + rng.normal(scale=s, size=real.shape)) for s in (0.1, 0.5, 1, 2)]
    assert noisy == sorted(noisy) and noisy[0] > 0
    assert quality.frechet_distance(real, real + 3.0) > quality.frechet_distance(real, real + 1.0) > 0


def test_frechet_distance_matches_the_closed_form_for_diagonal_gaussians():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(20000, 3)) * [1.0, 2.0, 0.5]
    b = rng.normal(size=(20000, 3)) * [3.0, 1.0, 0.5] + [1.0, 0.0, 0.0]
    # sum of squared mean differences plus sum of (sd_a - sd_b)^2: 1 + 4 + 1 + 0
    assert abs(quality.frechet_distance(a, b) - 6.0) < 0.15
    assert abs(quality.frechet_distance(a, b) - quality.frechet_distance(b, a)) < 1e-6


def test_quality_needs_features_or_sample_quality_and_prints_the_latter(vectors, tmp_path, monkeypatch):
    run = vaekit.train("vectors", overrides=["data.items=200"], steps=5, out=tmp_path / "run", progress=False)
    with pytest.raises(vaekit.VaekitError, match="measures no generation quality"):
        vaekit.load(run).quality(n=20)

    def sample_quality(self, generated, held_out, train, config):
        real = np.stack([held_out[i][1].numpy() for i in range(len(generated))])
        floor = np.stack([train[i][1].numpy() for i in range(len(generated))])
        return vaekit.Figures("raw values", {
            "frechet_distance": {"samples": quality.frechet_distance(generated.numpy(), real),
                                 "held_out": quality.frechet_distance(real, floor)},
            "shares": {"samples": [0.5, 0.5], "held_out": [0.25, 0.75]}})

    monkeypatch.setattr(type(vectors), "sample_quality", sample_quality, raising=False)
    out = vaekit.load(run).quality(n=20).to_dict()
    assert "features" not in out and out["samples"] == 20
    figure = out["samples_vs_real"]["figures"]["frechet_distance"]
    assert figure["samples"] > 0 and figure["held_out"] > 0
    printed = CliRunner().invoke(cli, ["evaluate", str(run), "--quality", "--samples", "20"])
    assert printed.exit_code == 0, printed.output
    assert "samples against real items, in raw values" in printed.output
    assert f"{figure['samples']:10.4g}" in printed.output and "shares (held-out): 0.25 0.75" in printed.output
    printed = CliRunner().invoke(cli, ["evaluate", str(run), "--quality", "--samples", "20", "--json"])
    assert json.loads(printed.output)["samples_vs_real"]["space"] == "raw values"
