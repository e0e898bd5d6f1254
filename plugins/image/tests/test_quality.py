"""Generation quality of image runs: the shipped digit classifier, the Fréchet distance in its features,
and `vaekit evaluate --quality` end to end on a tiny run."""

import json

import numpy as np
import pytest
import torch
from vaekit_image import classifier
from vaekit_image.data import digits

from vaekit.quality import frechet_distance


@pytest.fixture(scope="module")
def images():
    return torch.from_numpy(digits().x)  # 1,797 grey 8x8 digits


def test_the_shipped_classifier_loads_from_safetensors_and_knows_digits(images):
    assert classifier.WEIGHTS.suffix == ".safetensors" and classifier.WEIGHTS.stat().st_size < 2**20
    model, metadata = classifier.load()
    assert float(metadata["held_out_accuracy"]) > 0.97  # on 2,000 MNIST images it never saw
    _, probs = classifier.embed(images, model)
    labels = digits().labels
    assert (probs.argmax(1) == labels).mean() > 0.55  # other digits, 8x8 blown up to 28x28: still mostly right
    assert np.allclose(probs.sum(1), 1.0)


def test_any_image_is_made_28x28_grey():
    colour = torch.rand(3, 3, 64, 48)
    x = classifier.prepare(colour)
    assert x.shape == (3, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    features, probs = classifier.embed(colour)
    assert features.shape == (3, classifier.FEATURES) and probs.shape == (3, 10)


def test_frechet_distance_in_classifier_features_is_zero_against_itself_and_grows_with_noise(images):
    real, _ = classifier.embed(images)
    assert frechet_distance(real, real) < 1e-6
    generator = torch.Generator().manual_seed(0)
    noisy = []
    for amount in (0.05, 0.1, 0.2, 0.4):
        x = (images + amount * torch.randn(images.shape, generator=generator)).clamp(0, 1)
        noisy.append(frechet_distance(classifier.embed(x)[0], real))
    assert noisy == sorted(noisy) and noisy[0] > 0.1


def test_class_spread_of_even_and_single_class_predictions():
    shares, entropy = classifier.class_spread(np.eye(10)[np.arange(100) % 10])
    assert shares == [0.1] * 10 and abs(entropy - 1.0) < 1e-9
    shares, entropy = classifier.class_spread(np.eye(10)[[3] * 20])
    assert shares[3] == 1.0 and entropy == 0.0


def test_evaluate_quality_end_to_end_on_a_tiny_run(vaekit, tmp_path):
    vaekit("train", "-m", "image", "--data", "digits", "--steps", 5, "--out", "run", "--no-progress",
           "--set", "model.widths=[8]", "--set", "model.hidden=16", "--set", "model.latent_dim=4",
           "--set", "model.blocks=0", "--set", "train.batch_size=32", "--set", "data.binarize=true")
    out = json.loads(vaekit("evaluate", "run", "--quality", "--samples", 60, "--json"))
    assert out["samples"] == 60 and "features" not in out
    whole = out["samples_vs_real"]
    figures = whole["figures"]
    assert figures["frechet_distance"]["samples"] > 0 and figures["frechet_distance"]["held_out"] > 0
    assert 0.1 <= figures["mean_confidence"]["samples"] <= 1 and 0 <= figures["class_entropy"]["samples"] <= 1
    assert len(figures["class_shares"]["samples"]) == 10 and abs(sum(figures["class_shares"]["held_out"]) - 1) < 1e-3
    assert whole["items"] == {"samples": 60, "held_out": 60, "train": 60}
    # five steps in, samples are far from digits: farther than held-out digits from training ones
    assert figures["frechet_distance"]["samples"] > figures["frechet_distance"]["held_out"]
    table = vaekit("evaluate", "run", "--quality", "--samples", 60, "--png", "samples.png")
    assert "samples against real items, in the features of vaekit_image's digit classifier" in table
    assert "frechet_distance" in table and "class_shares (held-out):" in table and "wrote samples.png" in table
    assert (tmp_path / "samples.png").stat().st_size > 0
