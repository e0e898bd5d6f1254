"""The melody models the plugin ships load from the installed package, carry their card and attribute
vectors, and round-trip held-out melodies."""

import pytest
import torch
from vaekit_midi.kinds import KINDS

import vaekit

SHIPPED = {name: m for name, m in vaekit.shipped_models().items() if m.plugin == "midi"}


def test_the_plugin_ships_mel_2bar():
    assert "mel_2bar" in SHIPPED
    card = SHIPPED["mel_2bar"].describe()
    assert card["data"] == "folk+pop" and {"folk", "pop"} <= set(card["heldout"])
    assert card["size_mb"] < 8


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_shipped_model_round_trips_held_out_pop_melodies(name, tmp_path, private_cache):
    p = vaekit.load(name)
    _, val = KINDS["melody"].load_dataset("pop", p.config)
    x = val.get_batch(torch.arange(64))[0]
    with torch.no_grad():
        back = p.model.decode(p.model.encode(x)[0])
    assert (back == x).float().mean() > 0.9  # greedy reconstruction of melodies it never trained on
    assert set(p.modality.attribute_vectors(p.run_dir, p.config)) >= {"density", "interval"}
    for i in range(2):
        p.modality.write(x[i], tmp_path / f"{i}.mid", p.config)
    steps = p.interpolate(tmp_path / "0.mid", tmp_path / "1.mid", steps=3)
    assert (steps[0] == back[0]).all() and (steps[-1] == back[1]).all()  # the ends are the reconstructions
