"""Token sequences -> MIDI file (the modality's writer) -> tokens round trip exactly.

The default run draws a hundred examples; ``pytest -m fuzz`` draws thousands.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from vaekit import plugins
from vaekit.config import build
from vaekit.testing import quick


@st.composite
def token_batches(draw):
    """``(S, T)`` canonical melodies of any length: rests anywhere (leading, long), any pitch 21..108."""
    from vaekit_midi.tokens import NUM_CLASSES, canonical

    count, length = draw(st.integers(1, 3)), draw(st.integers(1, 96))
    weights = st.one_of(st.just(0), st.just(1), st.integers(2, NUM_CLASSES - 1))
    rows = [canonical(np.array(draw(st.lists(weights, min_size=length, max_size=length)), np.int8))
            for _ in range(count)]
    return np.stack(rows)


def tokens_from_midi(path, steps_per_bar: int, length: int, count: int) -> np.ndarray:
    """Tokens of each melody in a file written by the modality (a bar of rest between melodies), read
    back through pretty_midi on the file's own ticks."""
    import pretty_midi
    from vaekit_midi.tokens import encode

    pm = pretty_midi.PrettyMIDI(str(path))
    scale = steps_per_bar / 4 / pm.resolution
    notes = sorted((round(pm.time_to_tick(n.start) * scale), round(pm.time_to_tick(n.end) * scale), n.pitch)
                   for i in pm.instruments for n in i.notes)
    stride = length + steps_per_bar
    out = []
    for k in range(count):
        mine = [(s - k * stride, e - k * stride, p) for s, e, p in notes if k * stride <= s < k * stride + length]
        out.append(encode(np.array(mine, np.int64).reshape(-1, 3), length))
    return np.stack(out)


@pytest.fixture(scope="module")
def midi():
    modality = plugins.get_modality("midi")
    return modality, build(modality, "mel_2bar")


def _round_trip(midi, tmp_path, tokens, tempo, steps_per_bar):
    modality, config = midi
    config = {**config, "data": {**config["data"], "tempo": tempo, "steps_per_bar": steps_per_bar}}
    path = tmp_path / "round.mid"
    modality.handler(config).write(torch.from_numpy(tokens), path, config)
    np.testing.assert_array_equal(tokens_from_midi(path, steps_per_bar, tokens.shape[1], len(tokens)), tokens)


@quick(100)
@given(st.data())
def test_token_sequences_round_trip_through_a_midi_file(midi, tmp_path, data):
    """Unlike the plugin's own window test, any canonical sequence: leading and long rests, lengths that
    are not whole bars, several melodies in one file, tempi from 20 to 300 and a 12-step grid."""
    tokens = data.draw(token_batches())
    _round_trip(midi, tmp_path, tokens, data.draw(st.floats(20, 300)), data.draw(st.sampled_from([16, 12])))


@pytest.mark.fuzz
@quick(3000)
@given(st.data())
def test_fuzz_token_round_trip_thousands(midi, tmp_path, data):
    tokens = data.draw(token_batches())
    _round_trip(midi, tmp_path, tokens, data.draw(st.floats(20, 300)), data.draw(st.sampled_from([16, 12])))
