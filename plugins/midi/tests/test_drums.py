"""Drum patterns: the 9-class mapping and 512-token steps, reading and writing drum tracks of MIDI files
the tests write, the drums_2bar model learning, and the verbs through the ``vaekit`` command."""

from __future__ import annotations

import os

import numpy as np
import pretty_midi
import pytest
import torch
from click.testing import CliRunner
from vaekit_midi import midi_file as midi_file_module
from vaekit_midi.kinds import KINDS
from vaekit_midi.metrics import hit_f1
from vaekit_midi.modality import MidiModality
from vaekit_midi.presets import PRESETS
from vaekit_midi.tokens import DRUM_CLASS_OF, DRUM_CLASSES, DRUM_PITCHES, DRUM_VOCAB, decode_hits, encode_hits

from vaekit import VaekitError
from vaekit.cli import cli
from vaekit.config import CORE_DEFAULTS, merge

CONFIG = merge(CORE_DEFAULTS, PRESETS["drums_2bar"])
Q = 120  # ticks of a 16th at 480 per quarter
KICK, SNARE, CLOSED, OPEN, CRASH = 0, 1, 2, 3, 7

DRUMS = KINDS["drums"]

pytestmark = pytest.mark.usefixtures("one_thread")


def beat(bars: int, variant: int = 0) -> list[tuple[int, int, int]]:
    """A rock beat as (start tick, end tick, GM pitch): hats on 8ths (pedal hat 44 on the off-beats),
    kick on 1 and 3 (the acoustic bass drum 35 on 3), snare on 2 and 4, a crash at the start, and a
    kick on the last 16th of every ``variant``-th bar."""
    notes = [(0, 60, 49)]
    for b in range(bars):
        for s in range(0, 16, 2):
            notes.append(((b * 16 + s) * Q, (b * 16 + s) * Q + 60, 42 if s % 4 == 0 else 44))
        notes += [((b * 16) * Q, (b * 16) * Q + 60, 36), ((b * 16 + 8) * Q, (b * 16 + 8) * Q + 60, 35)]
        notes += [((b * 16 + 4) * Q, (b * 16 + 4) * Q + 60, 38), ((b * 16 + 12) * Q, (b * 16 + 12) * Q + 60, 38)]
        if variant and b % variant == 0:
            notes.append(((b * 16 + 15) * Q, (b * 16 + 15) * Q + 60, 36))
    return notes


def expected_tokens(bars: int, variant: int = 0) -> np.ndarray:
    hits = [(s, DRUM_CLASS_OF[p]) for s, _, p in ((t // Q, e, p) for t, e, p in beat(bars, variant))]
    return encode_hits(np.array(hits), bars * 16)


def test_mapping_and_tokens():
    assert len(DRUM_CLASSES) == 9 and DRUM_VOCAB == 512
    assert sum(len(p) for p in DRUM_PITCHES) == len(DRUM_CLASS_OF)  # no pitch in two classes
    assert DRUM_CLASS_OF[35] == KICK and DRUM_CLASS_OF[44] == CLOSED and DRUM_CLASS_OF[26] == OPEN
    tokens = encode_hits(np.array([[0, KICK], [0, SNARE], [0, KICK], [3, CRASH], [40, KICK]]), 4)
    assert tokens.tolist() == [3, 0, 0, 128]  # a repeated hit is one hit; a hit past the end is dropped
    assert decode_hits(tokens).tolist() == [[0, KICK], [0, SNARE], [3, CRASH]]
    every = np.arange(512)
    assert (encode_hits(decode_hits(every), 512) == every).all()


def test_read_drum_tracks_of_any_midi_file(midi_file):
    melody = [(i * 480, i * 480 + 400, 60 + i % 5) for i in range(16)]
    path = midi_file("band.mid", [melody, beat(2), [(16 * Q, 16 * Q + 60, 46), (17 * Q, 17 * Q + 60, 90)]],
                     drums=(1, 2))
    x = DRUMS.read(path, CONFIG)
    want = expected_tokens(2)
    want[16] |= 1 << OPEN  # the second drum track's open hat; pitch 90 is in no class
    assert x.tolist() == [want.tolist()]


def test_write_read_round_trip_is_exact(tmp_path):
    g = np.random.default_rng(0)
    patterns = g.integers(0, 512, (20, 32))
    patterns[:, ::16] |= 1  # a hit in every bar, as every window read from a file has
    for i, tokens in enumerate(patterns):
        DRUMS.write(tokens, tmp_path / f"p{i}.mid", CONFIG)
        back = DRUMS.read(tmp_path / f"p{i}.mid", CONFIG)
        assert back.tolist() == [tokens.tolist()]
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "p0.mid"))
    assert len(pm.instruments) == 1 and pm.instruments[0].is_drum
    assert {n.pitch for n in pm.instruments[0].notes} <= {p[0] for p in DRUM_PITCHES}


def test_meter_tempo_and_silence(midi_file):
    # 3/4 bars of 12 steps, a tempo change that must not move the grid, and two bars of silence
    hits = [(s * Q, s * Q + 60, 36) for s in (0, 6, 12, 18, 24, 30, 60, 66, 72, 78, 84, 90)]
    path = midi_file("waltz.mid", [hits], drums=(0,), meters=((0, 3, 4),), tempos=((0, 90.0), (2000, 150.0)))
    parsed = DRUMS.parse(path)
    segs, reason = parsed.segments, parsed.reason
    assert reason is None
    assert [(len(t), bar) for t, bar in segs] == [(36, 12), (36, 12)]
    cfg = merge(CONFIG, {"data": {"steps": 24}})
    assert len(DRUMS.read(path, cfg)) == 1  # both segments give the same two bars


def test_bad_inputs_name_the_file(midi_file, tmp_path, monkeypatch):
    melody = midi_file("melody.mid", [[(0, 480, 60), (480, 960, 62)]])
    with pytest.raises(VaekitError, match=rf"{melody}: no drum track \(MIDI channel 10\)"):
        DRUMS.read(melody, CONFIG)
    odd = midi_file("odd.mid", [[(0, 60, 90), (480, 540, 100)]], drums=(0,))
    with pytest.raises(VaekitError, match="no note of the 9 drum classes"):
        DRUMS.read(odd, CONFIG)
    short = midi_file("short.mid", [beat(1)], drums=(0,))
    with pytest.raises(VaekitError, match="too short for one 32-step drum window"):
        DRUMS.read(short, CONFIG)
    (tmp_path / "junk.mid").write_bytes(b"MThd\x00\x00")
    with pytest.raises(VaekitError, match="truncated or corrupt"):
        DRUMS.read(tmp_path / "junk.mid", CONFIG)
    monkeypatch.setattr(midi_file_module, "MAX_MIDI_BYTES", 100)
    with pytest.raises(VaekitError, match=f"{short}: over the size cap"):
        DRUMS.read(short, CONFIG)


def test_hit_f1():
    a = torch.tensor([[3, 0, 4]])
    assert hit_f1(a, a).item() == 1.0
    assert hit_f1(a, torch.tensor([[1, 0, 0]])).item() == pytest.approx(2 * 1 / (3 + 1))


def test_drums_model_learns(fit):
    torch.manual_seed(0)
    cfg = merge(CONFIG, {"model": {"latent_dim": 8, "encoder_hidden": 32, "decoder_hidden": 64, "embed": 16,
                                   "sampling_rate": 0.0, "bf16": False}})
    model = DRUMS.build_model(cfg)
    assert MidiModality().handler(cfg) is DRUMS and model.decoder.core.out.out_features == 512
    x = torch.from_numpy(np.stack([expected_tokens(2, v) for v in range(3)]).astype(np.int64))
    x = x.repeat(8, 1)
    losses = fit(model, x, 200)
    assert losses[-1] < 0.2 * losses[0]
    model.eval()
    acc = (model.decoder(model.encode(x)[0], x).argmax(-1) == x).float().mean()
    assert acc > 0.95
    assert DRUMS.build_model(merge(cfg, {"model": {"encoder_stride": 4}})).encoder.rnn.input_size == 4 * 16


SMALL = [
    "--set", "model.encoder_hidden=16", "--set", "model.decoder_hidden=32", "--set", "model.latent_dim=8",
    "--set", "model.embed=8", "--set", "train.batch_size=8", "--set", "train.eval_every=2",
]  # fmt: skip


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_drums_through_the_command(tmp_path, write_midi, monkeypatch):
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("VAEKIT_LOAD_PLUGINS", raising=False)
    songs = tmp_path / "beats"
    songs.mkdir()
    for i in range(4):
        write_midi(songs / f"b{i}.mid", [beat(4, i + 1)], drums=(0,))
    write_midi(songs / "melody.mid", [[(0, 480, 60)] * 1])
    (songs / "link.mid").symlink_to(write_midi(tmp_path / "outside.mid", [beat(4)], drums=(0,)))
    os.mkfifo(songs / "pipe.mid")  # reading it would block forever
    result = invoke("train", "--modality", "midi", "--preset", "drums_2bar", "--data", "folk", "--steps", "2",
                    "--no-progress", "--out", tmp_path / "run", *SMALL)
    assert result.exit_code == 2 and "drums models train on the built-in 'groove' or on your own" in result.output
    result = invoke("train", "--modality", "midi", "--preset", "drums_2bar", "--data", songs, "--steps", "2",
                    "--no-progress", "--out", tmp_path / "run", *SMALL)
    assert result.exit_code == 0, result.output
    assert "3 of 7 files gave no drums window: " in result.output
    for reason in ("1 no drum track", "1 link out of the folder (not followed)", "1 not a regular file (a FIFO"):
        assert reason in result.output
    assert "hit_f1" in (tmp_path / "run" / "metrics.jsonl").read_text()
    run = tmp_path / "run"

    result = invoke("generate", run, "-n", "2", "--out", tmp_path / "gen", "--png", tmp_path / "gen.png")
    assert result.exit_code == 0, result.output
    for path in sorted((tmp_path / "gen").glob("*.mid")):
        pm = pretty_midi.PrettyMIDI(str(path))
        assert all(i.is_drum for i in pm.instruments) and pm.get_end_time() <= 32 * 0.125 + 1e-6
    assert (tmp_path / "gen.png").stat().st_size > 0

    result = invoke("interpolate", run, songs / "b0.mid", songs / "b1.mid", "--steps", "3",
                    "--out", tmp_path / "mix.mid")
    assert result.exit_code == 0, result.output
    assert pretty_midi.PrettyMIDI(str(tmp_path / "mix.mid")).get_end_time() <= (3 * 32 + 2 * 16) * 0.125 + 1e-6

    result = invoke("reconstruct", run, songs / "melody.mid", "--out", tmp_path / "rec")
    assert result.exit_code == 2
    assert f"{songs / 'melody.mid'}: no drum track (MIDI channel 10)" in result.output
    result = invoke("attributes", run)
    assert result.exit_code == 2 and "attribute vectors are for melody runs" in result.output
