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
from vaekit import plugins
from vaekit.config import build

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


TINY = {"latent_dim": 8, "encoder_hidden": 16, "decoder_hidden": 16, "conductor_hidden": 16, "embed": 8}


@pytest.mark.parametrize("preset", ["mel_2bar", "mel_16bar", "drums_2bar", "groove_2bar", "trio_16bar", "piano_2bar",
                                    "mel_2bar_chords", "mel_16bar_chords"])
def test_every_kind_takes_a_training_step_under_fast_bf16(preset, fake_amx):
    """Where bf16 is fast, "auto" trains under bf16 autocast: every kind's model must take a step so
    (GrooVAE's output layer once met the LSTM's bf16 output with fp32 weights and raised)."""
    midi = plugins.get_modality("midi")
    sizes = {k: v for k, v in TINY.items() if k in midi.presets()[preset].get("model", {})}
    config = build(midi, preset, overrides=[f"model.{k}={v}" for k, v in sizes.items()])
    torch.manual_seed(0)
    model = midi.handler(config).build_model(config).eval()
    with torch.no_grad():
        x = model.decoder.sample(torch.randn(2, model.latent_dim))
    model.train()
    out = model(x, x)
    (-out.log_px.mean() + out.kl.sum(1).mean()).backward()
    assert torch.isfinite(out.log_px).all()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters() if p.requires_grad)
