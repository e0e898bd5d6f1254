"""MGEval's melody features on melodies whose values are known, and `evaluate --quality` end to end."""

import json

import numpy as np
from click.testing import CliRunner
from vaekit_midi.features import features, melody_features
from vaekit_midi.tokens import PITCH_OFFSET, encode

from vaekit.cli import cli


def melody(notes):
    return encode(np.array(notes, dtype=np.int64).reshape(-1, 3), 32)


def test_each_feature_of_a_known_melody():
    # C4 quarter, E4 quarter, G4 8th, C5 dotted quarter (onsets 0, 4, 8, 10); lengths 4, 4, 2, 6
    f = melody_features(melody([(0, 4, 60), (4, 8, 64), (8, 10, 67), (10, 16, 72)]))
    assert f["pitch_count"] == 4 and f["note_count"] == 4
    assert f["pitch_range"] == 12 and f["avg_pitch_interval"] == (4 + 3 + 5) / 3
    assert f["avg_ioi"] == (4 + 4 + 2) / 3
    assert f["pitch_class_histogram"].tolist() == [0.5, 0, 0, 0, 0.25, 0, 0, 0.25, 0, 0, 0, 0]
    t = f["pitch_class_transition_matrix"]
    assert t.sum() == 1 and t[0, 4] == t[4, 7] == t[7, 0] == 1 / 3
    # classes: quarter is 2, 8th is 3, dotted quarter is 6
    assert f["note_length_histogram"].tolist() == [0, 0, 0.5, 0.25, 0, 0, 0.25, 0, 0]
    n = f["note_length_transition_matrix"]
    assert n[2, 2] == n[2, 3] == n[3, 6] == 1 / 3


def test_a_silent_window_and_other_lengths():
    silent = melody_features(np.zeros(32, np.int8))
    assert all(not v.any() for v in silent.values())
    odd = melody_features(melody([(0, 5, 60), (5, 32, 62)]))  # 5 and 27 steps: no class of their own
    assert odd["note_length_histogram"].tolist() == [0] * 8 + [1.0]
    stacked = features(np.stack([melody([(0, 4, 60)]), np.zeros(32, np.int8)]))
    assert stacked["pitch_count"].tolist() == [1, 0] and stacked["pitch_class_histogram"].shape == (2, 12)
    assert 60 - PITCH_OFFSET == melody([(0, 4, 60)])[0]


def test_evaluate_quality_end_to_end(tmp_path, private_cache):
    from pathlib import Path

    saved = Path(__file__).parent / "data" / "saved_runs"
    result = CliRunner().invoke(cli, ["evaluate", str(saved / "melody"), "--quality", "--data",
                                      str(saved / "inputs" / "melody"), "--samples", "8", "--json",
                                      "--png", str(tmp_path / "q.png")])
    assert result.exit_code == 0, result.output
    out = json.JSONDecoder().raw_decode(result.output[result.output.index("{"):])[0]
    assert set(out["features"]) == set(melody_features(np.zeros(32, np.int8)))
    for v in out["features"].values():
        assert 0 <= v["overlap"] <= 1 and v["kl"] >= 0
    assert (tmp_path / "q.png").stat().st_size > 0
    drums = CliRunner().invoke(cli, ["evaluate", str(saved / "drums"), "--quality", "--data",
                                     str(saved / "inputs" / "songs")])
    assert drums.exit_code == 2 and "quality features are for melodies, not drums" in drums.output
