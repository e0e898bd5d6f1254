"""``--data PATH``: folders of MIDI and score files, bad files skipped and counted, the same cache."""

from __future__ import annotations

import os

import numpy as np
import pytest
from vaekit_midi import corpus as corpus_module
from vaekit_midi.kinds import KINDS

from vaekit import VaekitError

CONFIG = {"data": {"steps": 32, "steps_per_bar": 16, "hop_bars": 1, "transpose": 0, "val_fraction": 0.3}}


def tune(offset: int, bars: int = 4):
    return [(i * 480, i * 480 + 400, 50 + (i * 7 + offset) % 23) for i in range(bars * 4)]


ABC = "X:1\nT:t\nM:4/4\nL:1/8\nK:G\nG2AB c2BA | G2g2 f2e2 | d2B2 c2A2 | G8 | B2cd e2dc | B8 |]\n"


@pytest.fixture
def folder(tmp_path, midi_file):
    root = tmp_path / "songs"
    (root / "sub").mkdir(parents=True)
    for i in range(4):
        midi_file(f"songs/good{i}.mid", [tune(i)])
    midi_file("songs/sub/deep.midi", [tune(7, bars=3)])
    (root / "sub" / "tune.abc").write_text(ABC)
    (root / "empty.mid").write_bytes(b"")
    (root / "noise.mid").write_bytes(np.random.default_rng(0).bytes(256))
    good = (root / "good0.mid").read_bytes()
    (root / "cut.mid").write_bytes(good[: len(good) - 20])
    midi_file("songs/drums.mid", [tune(0)], drums=(0,))
    midi_file("songs/high.mid", [[(0, 480, 118), (480, 960, 120)]])
    midi_file("songs/short.mid", [tune(0, bars=1)])
    (root / "notes.txt").write_text("not music")
    return root


def test_folder_skips_and_counts_bad_files(folder, private_cache, capsys):
    train, val = KINDS["melody"].load_dataset(str(folder), CONFIG)
    assert len(train) > 0 and len(val) > 0
    err = capsys.readouterr().err
    summary = [line for line in err.splitlines() if "skipped" in line]
    assert len(summary) == 1
    line = summary[0]
    assert "skipped 6 of 12 files" in line
    for text in (
        "empty file",
        "not a MIDI file",
        "truncated or corrupt",
        "only drum tracks",
        "no note in the melody range",
        "too short for one window",
    ):
        assert f"1 {text}" in line, text


def test_folder_is_cached_by_path_size_and_mtime(folder, private_cache, monkeypatch):
    first, _ = KINDS["melody"].load_dataset(str(folder), CONFIG)
    calls = []
    real = corpus_module.parallel_map
    monkeypatch.setattr(corpus_module, "parallel_map", lambda *a: calls.append(1) or real(*a))
    KINDS["melody"].load_dataset(str(folder), CONFIG)
    assert calls == []
    path = folder / "good1.mid"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    again, _ = KINDS["melody"].load_dataset(str(folder), CONFIG)
    assert calls == [1]
    assert len(again) == len(first)


def test_single_file_as_data(midi_file, private_cache):
    path = midi_file("one.mid", [tune(0, bars=8)])
    train, val = KINDS["melody"].load_dataset(str(path), CONFIG)
    assert len(train) + len(val) == 7  # one file: every window on one side


def test_no_window_says_why(tmp_path, midi_file, private_cache):
    root = tmp_path / "bad"
    root.mkdir()
    (root / "a.mid").write_bytes(b"")
    midi_file("bad/b.mid", [tune(0, bars=1)])
    midi_file("bad/c.mid", [tune(0, bars=1)])
    with pytest.raises(VaekitError) as e:
        KINDS["melody"].load_dataset(str(root), CONFIG)
    message = str(e.value)
    assert "no 32-step melody window in 3 files" in message
    assert "2 too short for one window" in message and "1 empty file" in message


def test_folder_without_music_and_missing_path(tmp_path, private_cache):
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(VaekitError, match="no MIDI or score files"):
        KINDS["melody"].load_dataset(str(tmp_path), CONFIG)
    with pytest.raises(VaekitError, match="not a built-in dataset"):
        KINDS["melody"].load_dataset(str(tmp_path / "nowhere"), CONFIG)
