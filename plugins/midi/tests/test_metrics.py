"""The melody metrics on hand-made cases, with a stub model whose outputs are fixed."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from vaekit_midi.kinds import KINDS
from vaekit_midi.metrics import note_f1
from vaekit_midi.networks import VOCAB

from vaekit import VAE, Decoder, Encoder


class StubEncoder(Encoder):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(()))  # so that the VAE has a device

    def forward(self, x):
        mu = torch.zeros(x.shape[0], 2)
        return mu, mu


class StubDecoder(Decoder):
    """Teacher-forced predictions ``tf`` and greedy reconstruction ``recon``, whatever z is."""

    def __init__(self, tf: torch.Tensor, recon: torch.Tensor):
        super().__init__()
        self.tf, self.recon, self.modes = tf, recon, []

    def forward(self, z, x=None):
        self.modes.append(self.training)
        return F.one_hot(self.tf, VOCAB).float()

    def sample(self, z, temperature=1.0):
        assert temperature == 0.0
        self.modes.append(self.training)
        return self.recon


def stub(tf: torch.Tensor, recon: torch.Tensor) -> VAE:
    return VAE(StubEncoder(), StubDecoder(tf, recon), 2)


# Two windows of 8 steps: 4 note-ons in all (tokens >= 2), 12 no-events.
X = torch.tensor([[40, 0, 0, 1, 42, 0, 0, 0], [50, 0, 52, 0, 0, 0, 0, 0]])


def test_perfect_reconstruction_scores_one():
    m = KINDS["melody"].metrics(stub(X, X), (X, X))
    assert m == {"acc_tf": 1.0, "acc_sampled": 1.0, "note_on_acc": 1.0, "note_f1": 1.0}


def test_known_values():
    tf = X.clone()
    tf[0, 4] = 43  # one of four note-ons wrong
    tf[1, 7] = 1  # one no-event wrong
    recon = X.clone()
    recon[0, 4] = 0  # a missed note
    recon[1, 2] = 53  # a wrong pitch: a miss and a false onset
    recon[1, 6] = 60  # an extra note
    m = KINDS["melody"].metrics(stub(tf, recon), (X, X))
    assert m["acc_tf"] == pytest.approx(14 / 16)
    assert m["note_on_acc"] == pytest.approx(3 / 4)
    assert m["acc_sampled"] == pytest.approx(13 / 16)
    # 4 true onsets, 4 reconstructed (40, 50, 53, 60), 2 matching: F1 = 2 * 2 / (4 + 4)
    assert m["note_f1"] == pytest.approx(0.5)


def test_silence_against_silence_is_perfect_and_against_notes_is_zero():
    silent = torch.zeros_like(X)
    assert note_f1(silent, silent).item() == 1.0
    assert note_f1(X, silent).item() == 0.0
    assert KINDS["melody"].metrics(stub(silent, silent), (silent, silent))["note_on_acc"] == 1.0


def test_metrics_run_in_eval_mode_and_restore_training():
    model = stub(X, X).train()
    KINDS["melody"].metrics(model, (X, X))
    assert model.decoder.modes == [False, False] and model.training
