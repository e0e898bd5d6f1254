"""A run saved by an earlier vaekit (see data/saved_runs/README.md) loads and gives the same outputs
for the same seed: the same pixels, in the arrays and in the PNG files written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import vaekit

SAVED = Path(__file__).parent / "data" / "saved_runs"


def test_saved_conv_run_gives_the_same_outputs(tmp_path):
    expected = np.load(SAVED / "conv_expected.npz")
    digits = sorted((SAVED / "inputs").glob("*.png"))
    p = vaekit.load(SAVED / "conv")
    np.testing.assert_allclose(p.generate(4, temperature=1.0, seed=0, out=tmp_path).numpy(), expected["generate"],
                               atol=1e-6)
    png = {f.name: hashlib.sha256(np.asarray(Image.open(f)).tobytes()).hexdigest() for f in sorted(tmp_path.iterdir())}
    assert png == json.loads((SAVED / "conv_generate_sha256.json").read_text())
    torch.manual_seed(0)
    np.testing.assert_allclose(p.interpolate(*digits, steps=3).numpy(), expected["interpolate"], atol=1e-6)
    np.testing.assert_allclose(p.encode(digits)["z"], expected["z"], atol=1e-5)
    np.testing.assert_allclose(p.reconstruct(digits)[1].numpy(), expected["reconstruct"], atol=1e-6)


def test_pipeline_writes_the_picture_before_the_outputs_and_lists_them(tmp_path):
    p = vaekit.load(SAVED / "conv")
    x = p.generate(2, out=tmp_path / "gen", png=tmp_path / "all.png")
    gen = tmp_path / "gen"
    assert p.written == [tmp_path / "all.png", gen / "grid.png", gen / "sample_000.png", gen / "sample_001.png"]
    assert Image.open(tmp_path / "all.png").size == Image.open(gen / "grid.png").size and len(x) == 2
