"""The MIDI plugin through the real ``vaekit`` command (entry point, not an in-process registration)."""

from __future__ import annotations

import sys

import pretty_midi
import pytest
from click.testing import CliRunner

from vaekit.cli import cli

SMALL = [
    "--set", "model.encoder_hidden=16", "--set", "model.decoder_hidden=32", "--set", "model.latent_dim=8",
    "--set", "model.embed=8", "--set", "train.batch_size=8", "--set", "train.eval_every=2",
]  # fmt: skip


def tune(offset: int, bars: int = 6):
    return [(i * 480, i * 480 + 360, 55 + (i * 7 + offset) % 19) for i in range(bars * 4)]


@pytest.fixture(scope="module")
def run(tmp_path_factory, write_midi):
    tmp_path = tmp_path_factory.mktemp("cli")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))
        mp.delenv("VAEKIT_LOAD_PLUGINS", raising=False)
        (tmp_path / "songs").mkdir()
        for i in range(4):
            write_midi(tmp_path / "songs" / f"s{i}.mid", [tune(i)])
        (tmp_path / "songs" / "broken.mid").write_bytes(b"MThd garbage")
        result = CliRunner().invoke(
            cli,
            ["train", "--modality", "midi", "--data", str(tmp_path / "songs"), "--steps", "2", "--no-progress",
             "--out", str(tmp_path / "run"), *SMALL],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "skipped 1 of 5 files: 1 truncated or corrupt MIDI file" in result.output
    return tmp_path / "run"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_generate_and_interpolate_write_midi(run, tmp_path):
    result = invoke("generate", run, "-n", "2", "--out", tmp_path / "gen", "--png", tmp_path / "gen.png")
    assert result.exit_code == 0, result.output
    for path in sorted((tmp_path / "gen").glob("*.mid")):
        assert pretty_midi.PrettyMIDI(str(path)).get_end_time() <= 32 * 0.125  # 2 bars at 120 bpm
    assert (tmp_path / "gen.png").stat().st_size > 0

    a, b = run.parent / "songs" / "s0.mid", run.parent / "songs" / "s1.mid"
    result = invoke("interpolate", run, a, b, "--steps", "4", "--bar", "1", "--out", tmp_path / "mix.mid")
    assert result.exit_code == 0, result.output
    assert "holds 5 items; using number 1" in result.output
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "mix.mid"))
    assert pm.get_end_time() <= (4 * 32 + 3 * 16) * 0.125  # four 2-bar steps, a bar of rest between
    result = invoke("interpolate", run, a, b, "--steps", "3", "--out", tmp_path / "mix")
    assert sorted(p.name for p in (tmp_path / "mix").iterdir()) == ["step_00.mid", "step_01.mid", "step_02.mid"]


def test_bad_input_exits_2_naming_the_file(run, tmp_path):
    bad = run.parent / "songs" / "broken.mid"
    result = invoke("reconstruct", run, bad, "--out", tmp_path / "rec")
    assert result.exit_code == 2
    assert f"{bad}: truncated or corrupt MIDI file" in result.output


def test_wav_without_fluidsynth_exits_2_before_writing(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "fluidsynth", None)  # import fails
    result = invoke("generate", run, "-n", "2", "--out", tmp_path / "gen", "--wav", tmp_path / "gen.wav")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].endswith("or write MIDI instead")
    assert "needs FluidSynth" in result.output and not (tmp_path / "gen").exists()
    assert not (tmp_path / "gen.wav").exists()


def test_evaluate_data_scores_every_window_of_the_folder(run, tmp_path):
    import json

    import numpy as np
    from vaekit_midi.modality import MidiModality

    songs = run.parent / "songs"
    config = json.loads((run / "config.json").read_text())
    melodies = MidiModality().handler(config)
    windows = {w.numpy().tobytes() for f in sorted(songs.glob("s*.mid")) for w in melodies.read(f, config)}
    def scores(*args):
        result = invoke("evaluate", run, *args, "--json", "-k", "0")
        assert result.exit_code == 0, result.output
        return json.JSONDecoder().raw_decode(result.output[result.output.index("{"):])[0]

    assert scores("--data", songs)["items"] == len(windows) > 8
    own = scores()
    assert own["items"] < len(windows)  # without --data: the run's validation split alone
    assert np.isfinite(own["elbo"])
