"""Trios (melody, bass, drums): reading multi-track MIDI files the tests write, the exact round trip,
missing parts, the trio model learning, and generate / interpolate writing three-track files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import torch
from click.testing import CliRunner
from vaekit_midi.kinds import KINDS
from vaekit_midi.kinds.trio import BASS_PROGRAM, PARTS
from vaekit_midi.modality import MidiModality
from vaekit_midi.networks import TRIO_VOCABS
from vaekit_midi.presets import PRESETS
from vaekit_midi.tokens import DRUM_VOCAB

from vaekit import VaekitError
from vaekit.cli import cli
from vaekit.config import CORE_DEFAULTS, merge

STEP = 0.125  # seconds a 16th at 120 bpm
TWO_BARS = merge(merge(CORE_DEFAULTS, PRESETS["trio_16bar"]), {"data": {"steps": 32}})

TRIO = KINDS["trio"]

pytestmark = pytest.mark.usefixtures("one_thread")


def song(path: Path, bars: int = 4, offset: int = 0, parts: tuple[str, ...] = ("melody", "bass", "drums"),
         melody_program: int = 73) -> Path:
    """A multi-track file at 120 bpm: a melody of 8th notes, a bass of quarter notes (program 34),
    a piano chord under the melody (program 0, after it: not the melody track), and a kick/snare/hat beat."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    steps = bars * 16
    if "melody" in parts:
        lead = pretty_midi.Instrument(program=melody_program % 32)
        lead.notes = [pretty_midi.Note(90, 64 + (s * 3 + offset) % 12, s * STEP, (s + 2) * STEP)
                      for s in range(0, steps, 2)]
        pad = pretty_midi.Instrument(program=0)
        pad.notes = [pretty_midi.Note(60, 48, 0, steps * STEP)]
        pm.instruments += [lead, pad]
    if "bass" in parts:
        bass = pretty_midi.Instrument(program=34)
        bass.notes = [pretty_midi.Note(90, 36 + (s + offset) % 7, s * STEP, (s + 3) * STEP) for s in range(0, steps, 4)]
        pm.instruments.append(bass)
    if "drums" in parts:
        kit = pretty_midi.Instrument(program=0, is_drum=True)
        kit.notes = [pretty_midi.Note(90, (36, 42, 38, 42)[(s // 4) % 4], s * STEP, (s + 1) * STEP)
                     for s in range(0, steps, 4)]
        pm.instruments.append(kit)
    pm.write(str(path))
    return path


def test_read_aligns_the_three_parts(tmp_path):
    x = TRIO.read(song(tmp_path / "a.mid", bars=2), TWO_BARS)
    assert x.shape == (1, 3, 32)
    melody, bass, beat = x[0].numpy()
    assert [s for s in range(32) if melody[s] >= 2] == list(range(0, 32, 2))
    assert melody[0] == 64 - 19 and melody[2] == 70 - 19  # the flute, not the piano chord under it
    assert [s for s in range(32) if bass[s] >= 2] == list(range(0, 32, 4)) and bass[3] == 1  # note-off after 3 steps
    assert beat[0] == 1 << 0 and beat[4] == 1 << 2 and beat[8] == 1 << 1 and beat[1] == 0


def test_round_trip_is_exact(tmp_path):
    x = TRIO.read(song(tmp_path / "a.mid", bars=4, offset=3), TWO_BARS)
    assert len(x) == 3  # windows at bars 0, 1, 2
    for i, item in enumerate(x):
        TRIO.write(item, tmp_path / f"w{i}.mid", TWO_BARS)
        assert torch.equal(TRIO.read(tmp_path / f"w{i}.mid", TWO_BARS)[0], item)
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "w0.mid"))
    assert [(i.program, i.is_drum) for i in pm.instruments] == [(0, False), (BASS_PROGRAM, False), (0, True)]


def test_one_file_fills_the_training_split(tmp_path, private_cache):
    train, val = TRIO.load_dataset(str(song(tmp_path / "a.mid", bars=8)), TWO_BARS)
    assert train.windows.shape == (7, 3, 32) and len(val) == 0


@pytest.mark.parametrize("missing, words", [
    ("bass", "no bass track (a non-drum instrument of General MIDI program 32-39)"),
    ("melody", "no melody track"),
    ("drums", "no drum track"),
])
def test_a_missing_part_is_a_clear_error(tmp_path, missing, words):
    path = song(tmp_path / "x.mid", parts=tuple(p for p in PARTS if p != missing))
    with pytest.raises(VaekitError, match=re.escape(f"{path}: {words}")):
        TRIO.read(path, TWO_BARS)


def test_trio_model_learns(fit):
    torch.manual_seed(0)
    cfg = merge(TWO_BARS, {"model": {"latent_dim": 8, "encoder_hidden": 32, "conductor_hidden": 32,
                                     "decoder_hidden": 48, "embed": 8, "bf16": False}})
    model = TRIO.build_model(cfg)
    assert MidiModality().handler(cfg) is TRIO
    g = np.random.default_rng(0)
    x = torch.stack([torch.stack([
        torch.tensor(np.where(np.arange(32) % 2 == 0, 40 + k + np.arange(32) % 5, 0)),
        torch.tensor(np.where(np.arange(32) % 4 == 0, 20 + k, 0)),
        torch.tensor(np.where(np.arange(32) % 4 == 0, [1, 4, 2, 4][k % 4], 0)),
    ]) for k in g.integers(0, 4, 16)])
    logits = model.decoder(model.encode(x)[0], x)
    assert logits.shape == (16, 32, sum(TRIO_VOCABS))
    assert model.decoder.sample(torch.zeros(2, 8), 1.0).shape == (2, 3, 32)
    losses = fit(model, x, 80)
    assert losses[-1] < 0.2 * losses[0], (losses[0], losses[-1])  # 0.145-0.167 over seeds 0-5
    with pytest.raises(VaekitError, match="encoder_stride is for melody and drum models; trio models read one token"):
        TRIO.build_model(merge(cfg, {"model": {"encoder_stride": 2}}))


SMALL = [
    "--set", "data.steps=32", "--set", "model.encoder_hidden=16", "--set", "model.decoder_hidden=16",
    "--set", "model.conductor_hidden=16", "--set", "model.latent_dim=8", "--set", "model.embed=8",
    "--set", "train.batch_size=8", "--set", "train.eval_every=2",
]  # fmt: skip


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_trio_through_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("VAEKIT_LOAD_PLUGINS", raising=False)
    songs = tmp_path / "songs"
    songs.mkdir()
    for i in range(4):
        song(songs / f"s{i}.mid", bars=4, offset=i)
    no_bass = song(songs / "nobass.mid", parts=("melody", "drums"))
    result = invoke("train", "--modality", "midi", "--preset", "trio_16bar", "--data", songs, "--steps", "2",
                    "--no-progress", "--out", tmp_path / "run", *SMALL)
    assert result.exit_code == 0, result.output
    assert "1 of 5 files gave no trio window: 1 no bass track" in result.output
    assert "drums_f1" in (tmp_path / "run" / "metrics.jsonl").read_text()
    run = tmp_path / "run"

    result = invoke("generate", run, "-n", "2", "--out", tmp_path / "gen", "--png", tmp_path / "gen.png")
    assert result.exit_code == 0, result.output
    for path in sorted((tmp_path / "gen").glob("*.mid")):
        pm = pretty_midi.PrettyMIDI(str(path))
        assert [(i.name, i.is_drum) for i in pm.instruments] == [("melody", False), ("bass", False), ("drums", True)]
        assert pm.get_end_time() <= 32 * STEP + 1e-6
    result = invoke("interpolate", run, songs / "s0.mid", songs / "s1.mid", "--steps", "3",
                    "--out", tmp_path / "mix.mid")
    assert result.exit_code == 0, result.output
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "mix.mid"))
    assert len(pm.instruments) == 3 and pm.get_end_time() <= (3 * 32 + 2 * 16) * STEP + 1e-6

    result = invoke("reconstruct", run, no_bass, "--out", tmp_path / "rec")
    assert result.exit_code == 2
    assert f"{no_bass}: no bass track" in result.output
    assert DRUM_VOCAB == TRIO_VOCABS[2]
