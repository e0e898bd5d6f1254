"""The chord model's encoder in its chords' frame (model.chord_relative): a melody and its chords read the same
in every key, so z cannot hold the key; and a share of each batch transposed apart (data.transpose_apart)."""

from __future__ import annotations

import numpy as np
import torch
from vaekit_midi.chord_model import ChordEncoder
from vaekit_midi.chords import chord_index, progression, relative_feature_table, root_offsets, transpose_chords
from vaekit_midi.dataset import ChordWindowDataset


def item(shift: int = 0) -> torch.Tensor:
    """Eighth notes up from C4 over C Am Dm G (roots C, A, D, G: none crosses F-F# a semitone down), ``shift``
    semitones higher."""
    melody = torch.zeros(32, dtype=torch.long)
    melody[::2] = torch.arange(16) + 60 - 21 + 2 + shift
    chords = transpose_chords(torch.from_numpy(progression("C Am Dm G", 32)).long(), shift)
    return torch.stack([melody, chords])[None]


def test_a_chord_and_its_transpositions_share_a_row_and_roots_move_least():
    table = relative_feature_table()
    assert (table[chord_index("C:maj")] == table[chord_index("F#:maj")]).all()
    assert (table[chord_index("C:maj")] != table[chord_index("C:min")]).any()
    assert [int(root_offsets()[chord_index(name)]) for name in ("C", "F", "F#", "B", "N")] == [0, 5, -6, -1, 0]


def test_the_relative_encoder_codes_a_melody_alike_in_another_key():
    torch.manual_seed(0)
    relative, absolute = ChordEncoder(8, 16, relative=True).eval(), ChordEncoder(8, 16).eval()
    absolute.load_state_dict(relative.state_dict())
    with torch.no_grad():
        assert torch.allclose(relative(item())[0], relative(item(-1))[0])
        assert not torch.allclose(absolute(item())[0], absolute(item(-1))[0])
        changed = item()
        changed[0, 0, 4] += 1
        assert not torch.allclose(relative(item())[0], relative(changed)[0])  # it still reads the notes


def test_a_share_of_each_batch_is_transposed_apart():
    windows = np.repeat(item().numpy().astype(np.int16), 2000, axis=0)
    torch.manual_seed(0)
    inputs, targets = ChordWindowDataset(windows, 5, apart=0.5).get_batch(torch.arange(2000))
    same = (inputs == targets).flatten(1).all(1).float().mean()
    assert 0.5 < same < 0.65  # half kept together, and an eleventh of the rest drew the same shift
    inputs, targets = ChordWindowDataset(windows, 5, apart=0.0).get_batch(torch.arange(2000))
    assert (inputs == targets).all()
