"""A small digit classifier, shipped trained, whose features measure generation quality: ``vaekit
evaluate --quality`` on an image run reports the Fréchet distance between samples and held-out images
in its feature space (FID's recipe with this network in place of Inception, whose weights cannot be
downloaded here), the same distance between held-out and training images as the floor, the
classifier's mean confidence on the samples and how evenly they spread over the ten digits.

The network: two 3x3 convolutions (32, 64 channels, each with ReLU and 2x2 max pooling), a 128-unit
dense layer (ReLU; its output is the feature vector) and a 10-way linear head. Trained on MNIST by
``benchmarks/shipping/digit_classifier.py`` (the 8,000 training images of the image benchmarks' split; its
accuracy on the 2,000 held out is in the weights' metadata) and shipped as float16 safetensors.
Images of any size and channels are made 28x28 grey before it sees them.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vaekit import Config, Figures, VaekitError
from vaekit.quality import frechet_distance

WEIGHTS = Path(__file__).parent / "weights" / "digit_classifier.safetensors"
SIZE = 28
FEATURES = 128
CLASSES = 10


class DigitClassifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 5 * 5, FEATURES)
        self.fc2 = nn.Linear(FEATURES, CLASSES)
        self.dropout = nn.Dropout(0.3)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The 128-d feature vectors of 28x28 grey images ``(N, 1, 28, 28)`` in [0, 1]."""
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        return F.relu(self.fc1(h.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.dropout(self.features(x)))


def prepare(x: torch.Tensor) -> torch.Tensor:
    """Images ``(N, C, H, W)`` in [0, 1] as the classifier reads them: grey (luminance), centre-cropped
    square, resized to 28x28 (antialiased bilinear)."""
    x = x.detach().float().cpu()
    if x.shape[1] == 3:
        x = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    h, w = x.shape[-2:]
    side = min(h, w)
    x = x[..., (h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
    if side != SIZE:
        x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", antialias=True, align_corners=False)
    return x.clamp(0.0, 1.0)


@lru_cache(maxsize=1)
def load(path: Path = WEIGHTS) -> tuple[DigitClassifier, dict[str, str]]:
    """The shipped classifier (eval mode, float32) and its metadata; safetensors only, no pickle."""
    from safetensors import safe_open

    if not path.is_file():
        raise VaekitError(f"{path}: the digit classifier's weights are missing "
                          "(benchmarks/shipping/digit_classifier.py trains them)")
    with safe_open(str(path), framework="pt") as f:
        metadata = dict(f.metadata() or {})
        state = {k: f.get_tensor(k).float() for k in f.keys()}
    model = DigitClassifier()
    model.load_state_dict(state)
    return model.eval(), metadata


@torch.no_grad()
def embed(x: torch.Tensor, model: DigitClassifier | None = None, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Feature vectors ``(N, 128)`` and class probabilities ``(N, 10)`` of images ``(N, C, H, W)``."""
    model = model or load()[0]
    features, probs = [], []
    for i in range(0, len(x), batch):
        h = model.features(prepare(x[i:i + batch]))
        features.append(h.double().numpy())
        probs.append(torch.softmax(model.fc2(h), -1).double().numpy())
    return np.concatenate(features), np.concatenate(probs)


def class_spread(probs: np.ndarray) -> tuple[list[float], float]:
    """The share of images predicted as each class, and the entropy of those shares over that of the
    uniform ten (1: every digit equally often, 0: one digit only)."""
    shares = np.bincount(probs.argmax(1), minlength=CLASSES) / len(probs)
    entropy = -sum(p * math.log(p) for p in shares if p > 0) / math.log(CLASSES)
    return [round(float(s), 4) for s in shares], float(entropy)


def images_of(dataset: Any, n: int, spread: bool = False) -> torch.Tensor:
    """``n`` clean images of a split (before any binarization or corruption): the first ``n``, or with
    ``spread`` ``n`` evenly spaced over the whole split (a split in file order may drift along it)."""
    if not spread or n >= len(dataset):
        return dataset.images[:n]
    return dataset.images[torch.linspace(0, len(dataset) - 1, n).round().long()]


def sample_quality(generated: torch.Tensor, held_out: Any, train: Any | None, config: Config) -> Figures:
    """``Modality.sample_quality`` for images (see the module's docstring)."""
    model, metadata = load()
    n = len(generated)
    real = images_of(held_out, n)
    g_features, g_probs = embed(generated, model)
    r_features, r_probs = embed(real, model)
    floor = None
    if train is not None and len(train) >= 2:
        t_features, _ = embed(images_of(train, len(real), spread=True), model)
        floor = frechet_distance(r_features, t_features)
    floor_note = ("held-out against as many training images spread over the training split (the floor)"
                  if floor is not None else "the floor is not measured: the run's training data cannot be loaded")
    g_shares, g_entropy = class_spread(g_probs)
    r_shares, r_entropy = class_spread(r_probs)
    return Figures(
        space=f"the features of vaekit_image's digit classifier ({FEATURES}-d, images as 28x28 grey)",
        about=(f"frechet_distance: samples against held-out images; in the held-out column, {floor_note}. The "
               "classifier knows MNIST digits: for other images its classes mean little."),
        figures={
            "frechet_distance": {"samples": round(frechet_distance(g_features, r_features), 4),
                                 "held_out": None if floor is None else round(floor, 4)},
            "mean_confidence": {"samples": round(float(g_probs.max(1).mean()), 4),
                                "held_out": round(float(r_probs.max(1).mean()), 4)},
            "class_entropy": {"samples": round(g_entropy, 4), "held_out": round(r_entropy, 4)},
            "class_shares": {"samples": g_shares, "held_out": r_shares},
        },
        more={"items": {"samples": n, "held_out": len(real),
                        "train": None if floor is None else min(len(real), len(train))},
              "classifier": {k: metadata[k] for k in ("held_out_accuracy", "trained_on") if k in metadata}},
    )
