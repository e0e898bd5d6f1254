"""The image models the plugin ships load from the installed package and round-trip digits."""

import numpy as np
import pytest
import torch

import vaekit

SHIPPED = {name: m for name, m in vaekit.shipped_models().items() if m.plugin == "image"}


def test_the_plugin_ships_conv2d():
    assert "conv2d" in SHIPPED
    for model in SHIPPED.values():
        card = model.describe()
        assert card["data"].startswith("MNIST") and card["size_mb"] < 8 and "nll_iw" in card["heldout"]["mnist"]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_shipped_model_round_trips_a_digit(name, tmp_path):
    from PIL import Image

    p = vaekit.load(name)
    assert p.config["data"]["size"] == 28
    digit = np.zeros((28, 28), np.uint8)
    digit[4:24, 12:16] = 255  # a one
    Image.fromarray(digit).save(tmp_path / "one.png")
    inputs, outputs = p.reconstruct([tmp_path / "one.png"])
    assert outputs.shape == (1, 1, 28, 28)
    error = (outputs - inputs).abs().mean().item()
    blank = inputs.abs().mean().item()  # what an all-black answer would miss by
    assert error < 0.7 * blank  # random weights miss by about 0.5 a pixel, a black answer by all of it
    samples = p.generate(8, seed=0)
    assert samples.shape == (8, 1, 28, 28) and samples.std(0).mean() > 0.01  # samples differ
    assert torch.isfinite(samples).all()
