"""The comparison behind `vaekit evaluate --quality`: distance densities, their overlap and KL."""

import numpy as np

from vaekit import quality


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
