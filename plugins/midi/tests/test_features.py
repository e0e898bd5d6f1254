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
    assert drums.exit_code == 2 and "measures no generation quality of this run's data" in drums.output


def test_trigram_model_and_data_space_paths():
    from vaekit_midi.interpolation_quality import TrigramModel, data_space, monotone

    rng = np.random.default_rng(0)
    scale = melody([(4 * i, 4 * i + 3, 60 + 2 * i) for i in range(8)])
    lm = TrigramModel(np.stack([scale] * 50))
    noise = rng.integers(0, 90, (1, 32))
    assert lm.log_likelihood(scale[None])[0] > lm.log_likelihood(noise)[0] + 2  # what it saw is likelier
    a, b = scale, melody([(4 * i, 4 * i + 2, 72 - i) for i in range(8)])
    steps = data_space(a, b, np.linspace(0, 1, 5), rng)
    assert (steps[0] == a).all() and (steps[-1] == b).all() and monotone(steps, a, b)
    assert not monotone(steps[::-1], a, b)


def test_evaluate_quality_reports_interpolations(tmp_path, private_cache, write_midi):
    from vaekit_midi.modality import MidiModality

    from vaekit.capabilities import MeasuresInterpolations

    songs = tmp_path / "songs"
    songs.mkdir()
    for i in range(6):
        write_midi(songs / f"s{i}.mid", [[(j * 480, j * 480 + 360, 55 + (j * 7 + i) % 19) for j in range(24)]])
    import vaekit

    run = vaekit.train("midi", "mel_2bar", str(songs), steps=3, out=tmp_path / "run", progress=False,
                       overrides=["model.encoder_hidden=16", "model.decoder_hidden=32", "model.latent_dim=8",
                                  "model.embed=8", "train.batch_size=8", "data.val_fraction=0.4"])
    out = vaekit.load(run).quality(n=16, data=str(songs)).to_dict()
    interpolation = out["interpolation"]
    assert interpolation["pairs"] >= 4 and len(interpolation["alphas"]) == 9
    for kind in ("latent", "data"):
        assert 0 <= interpolation[kind]["monotone"] <= 1 and len(interpolation[kind]["naturalness"]) == 9
    assert interpolation["data"]["monotone"] == 1.0  # data-space paths are monotone by construction
    assert interpolation["real"]["naturalness_mean"] < 0
    assert not isinstance(MidiModality().handler({"data": {"kind": "drums"}}), MeasuresInterpolations)


def test_samples_are_compared_with_held_out_melodies_transposed_as_in_training():
    import torch
    from vaekit_midi.modality import MidiModality

    windows = torch.from_numpy(np.stack([melody([(0, 4, 60 + i % 3), (4, 8, 64), (8, 16, 67)]) for i in range(200)]))
    config = {"data": {"kind": "melody", "transpose": 5}}
    melodies = MidiModality().handler(config)
    shifted, how = melodies.quality_reference(windows, config)
    assert "transposed by a random -5..+5 semitones" in how
    moved = (shifted - windows)[windows >= 2].reshape(200, -1)
    assert (moved == moved[:, :1]).all()  # each window moves as a whole: its rhythm and intervals stay
    assert set(moved[:, 0].tolist()) == set(range(-5, 6))  # into every key of the range
    assert torch.equal(shifted[windows < 2], windows[windows < 2])  # rests and holds stay
    again, _ = melodies.quality_reference(windows, config)
    assert torch.equal(again, shifted)  # the same transpositions each time
    plain, how = melodies.quality_reference(windows, {"data": {"kind": "melody", "transpose": 0}})
    assert plain is windows and how == "the held-out windows as they are"
