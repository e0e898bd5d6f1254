"""Runs saved by an earlier vaekit (see data/saved_runs/README.md) load and give the same outputs for
the same seed: the same tokens, and byte-identical MIDI files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import torch

import vaekit

SAVED = Path(__file__).parent / "data" / "saved_runs"


@pytest.mark.parametrize("kind", ["melody", "drums", "trio"])
def test_saved_run_gives_the_same_outputs(kind, tmp_path):
    expected = np.load(SAVED / f"{kind}_expected.npz")
    a, b = sorted((SAVED / "inputs" / ("melody" if kind == "melody" else "songs")).glob("*.mid"))[:2]
    p = vaekit.load(SAVED / kind)
    assert np.array_equal(p.generate(4, temperature=1.0, seed=0, out=tmp_path).numpy(), expected["generate"])
    written = {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(tmp_path.iterdir())}
    assert written == json.loads((SAVED / f"{kind}_generate_sha256.json").read_text())
    torch.manual_seed(0)
    assert np.array_equal(p.interpolate(a, b, steps=3).numpy(), expected["interpolate"])
    np.testing.assert_allclose(p.encode([a, b])["z"], expected["z"], rtol=1e-5, atol=1e-6)
