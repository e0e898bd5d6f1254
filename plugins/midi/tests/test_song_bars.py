"""``vaekit transform --bars A:B``: a span of a whole song moved, the rest of the song written as read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import torch
from click.testing import CliRunner
from vaekit_midi.song import Song, parse_bars, read_song
from vaekit_midi.tokens import decode

from vaekit.cli import cli
from vaekit.errors import VaekitError
from vaekit.pipeline import Pipeline

BEAT = 480
SCALE = [60, 62, 64, 65, 67, 69, 71, 72]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_bars_are_parsed_and_checked():
    assert parse_bars("5:6") == (5, 6) and parse_bars("3") == (3, 3) and parse_bars("0:1") == (0, 1)
    for bad in ("6:5", "a:b", "-1:2", ""):
        with pytest.raises(VaekitError, match="--bars"):
            parse_bars(bad)


def test_a_pickup_is_bar_zero():
    with_pickup = Song(Path("s.mid"), np.zeros(48, np.int64), 16, pickup=True)
    assert with_pickup.bars == 2 and with_pickup.span(0, 0) == (0, 16) and with_pickup.span(1, 2) == (16, 48)
    plain = Song(Path("s.mid"), np.zeros(48, np.int64), 16, pickup=False)
    assert plain.bars == 3 and plain.span(1, 1) == (0, 16)
    with pytest.raises(VaekitError, match="no pickup, so no bar 0"):
        plain.span(0, 1)
    with pytest.raises(VaekitError, match="has 3 bars; --bars 2:4 runs past its end"):
        plain.span(2, 4)


def test_windows_rest_past_the_end_and_edges_are_cut():
    song = Song(Path("s.mid"), np.array([40, 0, 0, 0, 41, 0, 0, 0]), 4, pickup=False)
    assert song.windows(4, 8, 6).tolist() == [[41, 0, 0, 0, 1, 0]]
    replaced = song.replaced(2, 6, np.array([[0, 0, 50, 0, 0, 0]]))
    assert replaced.tolist() == [40, 0, 1, 0, 50, 0, 1, 0]  # the note held into the span and the one out cut


def tune(path: Path, write_midi, seed: int = 3) -> Path:
    """8 bars of quarter notes at 90 bpm after a one-beat pickup."""
    rng = np.random.default_rng(seed)
    notes = [(0, BEAT - 40, 67)] + [(BEAT * (i + 1), BEAT * (i + 2) - 40, int(rng.choice(SCALE))) for i in range(32)]
    return write_midi(path, [notes], tempos=((0, 90.0),), meters=((0, 1, 4), (BEAT, 4, 4)))


@pytest.fixture
def song(tmp_path, write_midi):
    return tune(tmp_path / "song.mid", write_midi)


@pytest.mark.parametrize("bars", ["3:4", "5:7"])
def test_transform_moves_only_the_bars_asked(song, tmp_path, bars):
    out = tmp_path / "out.mid"
    result = CliRunner().invoke(cli, ["transform", "mel_2bar", str(song), "--attribute", "density", "--amount", "2",
                                      "--bars", bars, "--out", str(out)])
    assert result.exit_code == 0, result.output
    first, last = parse_bars(bars)
    assert f"bars {first} to {last} of 8 moved" in result.output
    config = {"data": {"steps_per_bar": 16}}
    before, _ = read_song(song, config)
    after, music = read_song(out, config)
    # the pickup is written at the end of a first bar of rest, so the bars line up with the input's
    assert before.pickup and music.tempo == pytest.approx(90.0) and len(after.tokens) == len(before.tokens)
    start, stop = before.span(first, last)
    assert np.array_equal(after.tokens[:start], before.tokens[:start])
    assert np.array_equal(after.tokens[stop + 1:], before.tokens[stop + 1:])
    inside = after.tokens[start:stop]
    assert (inside >= 2).sum() > (before.tokens[start:stop] >= 2).sum()  # denser, as asked


def test_bars_past_the_end_are_refused(song, tmp_path):
    result = CliRunner().invoke(cli, ["transform", "mel_2bar", str(song), "-a", "density", "--bars", "8:9",
                                      "--out", str(tmp_path / "x.mid")])
    assert result.exit_code == 2 and "has 8 bars; --bars 8:9 runs past its end" in result.output
    assert not (tmp_path / "x.mid").exists()
    assert pretty_midi.PrettyMIDI(str(song)).instruments  # the input is untouched


def test_bars_pick_the_windows_a_verb_reads(song):
    p = Pipeline.open("mel_2bar")
    p.config["data"]["bars"] = "5:7"
    x = p.read_items(song)
    whole, _ = read_song(song, {"data": {"steps_per_bar": 16}})
    start, stop = whole.span(5, 7)
    assert x.shape == (2, 32)  # bars 5-6, then 7-8 of which bar 7 is asked for
    assert torch.equal(x.flatten()[: stop - start], torch.from_numpy(whole.tokens[start:stop]))


def test_interpolate_between_the_same_bars_of_two_songs(song, tmp_path, write_midi):
    other = tune(tmp_path / "other.mid", write_midi, seed=4)
    result = CliRunner().invoke(cli, ["interpolate", "mel_2bar", str(song), str(other), "--bars", "3:4", "--steps", "3",
                                      "--out", str(tmp_path / "mix.mid")])
    assert result.exit_code == 0, result.output
    p = Pipeline.open("mel_2bar")
    p.config["data"]["bars"] = "3:4"
    steps = p.interpolate(song, other, 3)
    _, recon = p.reconstruct([song, other])
    assert torch.equal(steps[0], recon[0]) and torch.equal(steps[-1], recon[1])


def test_interpolate_a_span_of_several_windows_into_song_a(song, tmp_path, write_midi):
    other = tune(tmp_path / "other.mid", write_midi, seed=4)
    p = Pipeline.open("mel_2bar")
    p.config["data"]["bars"] = "3:6"  # 4 bars: two windows
    steps = p.interpolate(song, other, 3, out=tmp_path / "steps")
    assert steps.shape == (3, 64)
    for end, path in ((0, song), (-1, other)):  # the endpoints: each window of the span reconstructed
        windows = p.read_items(path)
        assert torch.equal(steps[end], p.model.decode(p.model.encode(windows)[0]).flatten())
    config = {"data": {"steps_per_bar": 16}}
    a, _ = read_song(song, config)
    start, stop = a.span(3, 6)
    paths = sorted((tmp_path / "steps").iterdir())
    assert [path.name for path in paths] == ["step_00.mid", "step_01.mid", "step_02.mid"]
    for k, path in enumerate(paths):
        written, music = read_song(path, config)
        assert music.tempo == pytest.approx(90.0) and len(written.tokens) == len(a.tokens)  # song A, whole
        assert np.array_equal(written.tokens[:start], a.tokens[:start])
        assert np.array_equal(written.tokens[stop + 1:], a.tokens[stop + 1:])
        assert np.array_equal(written.tokens[start + 1:stop], steps[k, 1:stop - start].numpy())


def test_interpolate_a_span_into_one_file(song, tmp_path, write_midi):
    other = tune(tmp_path / "other.mid", write_midi, seed=4)
    out = tmp_path / "mix.mid"
    result = CliRunner().invoke(cli, ["interpolate", "mel_2bar", str(song), str(other), "--bars", "2:4", "--steps", "3",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    config = {"data": {"steps_per_bar": 16}}
    a, _ = read_song(song, config)
    start, stop = a.span(2, 4)  # 3 bars: two windows, the second half kept
    written, _ = read_song(out, config)
    length = stop - start
    # song A, its span played once a step, then its later bars
    assert len(written.tokens) == len(a.tokens) + 2 * length
    assert np.array_equal(written.tokens[:start], a.tokens[:start])
    assert np.array_equal(written.tokens[start + 3 * length + 1:], a.tokens[stop + 1:])


def test_spans_of_different_lengths_are_refused(song, tmp_path, write_midi):
    rng = np.random.default_rng(5)
    waltz = write_midi(tmp_path / "waltz.mid", [[(BEAT * i, BEAT * (i + 1) - 40, int(rng.choice(SCALE)))
                                                  for i in range(24)]], meters=((0, 3, 4),))
    out = tmp_path / "mix.mid"
    result = CliRunner().invoke(cli, ["interpolate", "mel_2bar", str(waltz), str(song), "--bars", "1:8", "--steps", "3",
                                      "--out", str(out)])
    assert result.exit_code == 2 and "a span of 3 items" in result.output and "one of 4" in result.output
    assert not out.exists()


def test_a_pop909_song_takes_its_meter_and_pickup_from_its_beats(tmp_path, write_midi):
    """POP909's MIDI files declare 2/4 while their annotated downbeats fall every 4 beats, after a pickup."""
    folder = tmp_path / "001"
    folder.mkdir()
    beats = np.arange(38)  # a beat every 0.5 s at 120 bpm; the first downbeat on beat 2
    np.savetxt(folder / "beat_midi.txt", np.stack([beats * 0.5, beats % 2, beats % 4 == 2], 1))
    notes = [(BEAT * i, BEAT * (i + 1) - 40, SCALE[i % 8]) for i in range(34)]
    path = write_midi(folder / "001.mid", [notes], meters=((0, 2, 4),))
    song, music = read_song(path, {"data": {"steps_per_bar": 16}})
    assert music.meter == (4, 4) and music.pickup == 8
    assert song.pickup and song.bar_steps == 16
    start, _ = song.span(1, 1)
    first = decode(song.tokens)
    assert [n[2] for n in first if n[0] == start] == [SCALE[2]]  # bar 1 begins on the first annotated downbeat
