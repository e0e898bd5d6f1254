"""Augmented drum training windows: hits dropped, hi-hat and ride swapped and halves mixed on training
windows only, never a window emptied, and validation windows as they are."""

from __future__ import annotations

import numpy as np
import torch
from vaekit_midi.drum_augment import AugmentedDrums, swapped_bits
from vaekit_midi.kinds import KINDS
from vaekit_midi.presets import PRESETS
from vaekit_midi.tokens import DRUM_CLASSES, encode_hits

from vaekit.config import CORE_DEFAULTS, merge

CLOSED, RIDE, KICK = DRUM_CLASSES.index("closed hi-hat"), DRUM_CLASSES.index("ride"), 0


def hits(tokens: torch.Tensor) -> int:
    return int(sum(bin(t).count("1") for t in tokens.flatten().tolist()))


def test_swap_exchanges_closed_hat_and_ride_only():
    x = torch.from_numpy(encode_hits(np.array([[0, CLOSED], [0, KICK], [1, RIDE], [2, CLOSED], [2, RIDE]]), 3))
    back = swapped_bits(x, CLOSED, RIDE)
    expected = encode_hits(np.array([[0, RIDE], [0, KICK], [1, CLOSED], [2, CLOSED], [2, RIDE]]), 3)
    assert back.tolist() == expected.tolist()
    assert torch.equal(swapped_bits(back, CLOSED, RIDE), x)


def test_dropping_loses_about_its_share_of_hits_and_never_empties_a_window():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    windows = rng.integers(0, 512, (200, 32)) * (rng.random((200, 32)) < 0.5)
    windows[0] = 0
    windows[0, 5] = 1  # a lone kick: kept, whatever is drawn
    data = AugmentedDrums(windows, drop_hits=0.2)
    x, y = data.get_batch(torch.arange(200))
    assert torch.equal(x, y) and x[0, 5] == 1 and (x > 0).any(1).all()
    share = 1 - hits(x) / hits(torch.from_numpy(windows))
    assert 0.17 < share < 0.23
    assert ((x & torch.from_numpy(windows)) == x).all()  # only ever removes hits
    assert torch.equal(AugmentedDrums(windows).get_batch(torch.arange(200))[0], torch.from_numpy(windows))


def test_mixed_windows_keep_their_first_half_and_take_a_second_from_the_batch():
    torch.manual_seed(0)
    windows = np.arange(64 * 32).reshape(64, 32) % 511 + 1
    x, _ = AugmentedDrums(windows, mix_halves=1.0).get_batch(torch.arange(64))
    source = torch.from_numpy(windows)
    assert torch.equal(x[:, :16], source[:, :16])
    assert sorted(x[:, 16:].tolist()) == sorted(source[:, 16:].tolist()) and not torch.equal(x, source)


def test_only_training_windows_are_augmented():
    config = merge(CORE_DEFAULTS, PRESETS["drums_2bar"])
    config = merge(config, {"data": {"drop_hits": 0.1, "swap_hats": 0.5, "mix_halves": 0.25}})
    train, val = KINDS["drums"].load_dataset("groove", config)
    assert isinstance(train, AugmentedDrums) and not isinstance(val, AugmentedDrums)
    assert (train.drop_hits, train.swap_hats, train.mix_halves) == (0.1, 0.5, 0.25)
