"""``model.bf16 = "auto"`` speeds up training on AMX CPUs and bf16 GPUs, but inference stays in fp32 on
every machine: a saved run gives the same codes whether or not the CPU it runs on has AMX. Faking AMX
here makes that checkable on any CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from vaekit_midi import networks

import vaekit

SAVED = Path(__file__).parent / "data" / "saved_runs"


@pytest.fixture
def fake_amx(monkeypatch):
    monkeypatch.setattr(networks, "bf16_is_fast", lambda device: True)


@pytest.mark.parametrize("kind", ["melody", "drums", "trio"])
def test_inference_ignores_fast_bf16(kind, fake_amx):
    expected = np.load(SAVED / f"{kind}_expected.npz")
    a, b = sorted((SAVED / "inputs" / ("melody" if kind == "melody" else "songs")).glob("*.mid"))[:2]
    p = vaekit.load(SAVED / kind)
    np.testing.assert_allclose(p.encode([a, b])["z"], expected["z"], rtol=1e-5, atol=1e-6)


def test_training_uses_fast_bf16(fake_amx):
    cpu = torch.device("cpu")
    assert networks.autocast(cpu, "auto", training=True)._enabled
    assert not networks.autocast(cpu, "auto", training=False)._enabled
    assert networks.autocast(cpu, True, training=False)._enabled  # forced on is on everywhere
    assert not networks.autocast(cpu, False, training=True)._enabled
