import pytest
import torch

from vaekit import latent


def test_slerp_endpoints_equal_inputs():
    torch.manual_seed(0)
    a, b = torch.randn(16), torch.randn(16)
    points = latent.path(a, b, 7, "slerp")
    assert points.shape == (7, 16)
    assert torch.equal(points[0], a) and torch.equal(points[-1], b)


def test_slerp_keeps_the_norm_between_equal_norm_points():
    a = torch.tensor([3.0, 0.0])
    b = torch.tensor([0.0, 3.0])
    points = latent.path(a, b, 5, "slerp")
    torch.testing.assert_close(points.norm(dim=1), torch.full((5,), 3.0))
    # lerp cuts through the middle
    assert latent.path(a, b, 3, "lerp")[1].norm() < 2.2


def test_slerp_of_parallel_vectors_falls_back_to_lerp():
    a = torch.tensor([1.0, 1.0])
    points = latent.path(a, 2 * a, 3, "slerp")
    torch.testing.assert_close(points[1], 1.5 * a)


def test_bad_paths_are_refused():
    with pytest.raises(ValueError, match="at least 2 steps"):
        latent.path(torch.zeros(2), torch.ones(2), 1)
    with pytest.raises(ValueError, match="unknown interpolation method"):
        latent.path(torch.zeros(2), torch.ones(2), 3, "cubic")


def test_attribute_vector_points_from_low_to_high():
    z = torch.tensor([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    values = torch.tensor([0.0, 1.0, 10.0, 11.0])
    torch.testing.assert_close(latent.attribute_vector(z, values, quantile=0.5), torch.tensor([4.0, 0.0]))
