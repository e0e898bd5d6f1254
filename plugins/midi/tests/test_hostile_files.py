"""Hostile data folders and files, for the MIDI loader: ``--data FOLDER`` with every entry of
``vaekit.testing.hostile`` loads the good files (a newline or non-UTF-8 bytes in a name included) and
counts the rest on one line, never opening the FIFO, the 2 GB sparse file or a link's target out of
the folder, never walking a link loop; one named file over the cap, or a FIFO, is refused unread."""

from __future__ import annotations

import numpy as np
import torch

from vaekit import plugins
from vaekit.config import build
from vaekit.testing import NEWLINE_NAME, NON_UTF8_NAME, hostile, one_summary, refused_unread


def test_midi_folder(tmp_path, monkeypatch, capsys, watched_open, within):
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))
    midi = plugins.get_modality("midi")
    config = build(midi, "mel_2bar", overrides=["data.transpose=0", "data.val_fraction=0.3"])
    melodies = midi.handler(config)
    root, secret = tmp_path / "songs", tmp_path / "secret"
    root.mkdir()
    secret.mkdir()
    for i, stem in enumerate(["good0", "good1", NEWLINE_NAME, NON_UTF8_NAME]):
        melody = np.zeros(64, np.int8)
        melody[::4] = 30 + i * 5 + np.arange(16) % 5  # a different tune in each file
        melodies.write(torch.from_numpy(melody), root / f"{stem}.mid", config)
    outside_tune = np.zeros(64, np.int8)
    outside_tune[::2] = 80  # one high note repeated: in no file inside the folder
    melodies.write(torch.from_numpy(outside_tune), secret / "private.mid", config)
    hostile(root, ".mid", secret / "private.mid")

    with within(60, "a FIFO opened, or a link loop walked?"):
        train, val = melodies.load_dataset(str(root), config)
    windows = np.concatenate([train.windows.numpy(), val.windows.numpy()])
    assert len(windows) > 0 and len(train) > 0 and len(val) > 0
    assert not (windows == 80 - 19).any(), "read the file behind a link out of the folder"
    line = one_summary(capsys.readouterr().err)
    assert "skipped 9 of 13 files" in line, line
    for count, text in [(3, "broken or looping link"), (1, "link to a folder"), (1, "link out of the folder"),
                        (1, "not a regular file"), (1, "empty file"),
                        (1, "over the size cap (16 MiB a MIDI file, 64 MiB a score)"), (1, "cannot be read")]:
        assert f"{count} {text}" in line, (text, line)
    assert not [p for p in watched_open if "huge" in p or "pipe" in p or "private" in p]
    assert any(NON_UTF8_NAME in p for p in watched_open) and any(NEWLINE_NAME in p for p in watched_open)


def test_a_single_oversized_or_special_file_is_refused_unread(tmp_path, watched_open):
    midi = plugins.get_modality("midi")
    refused_unread(midi, build(midi, "mel_2bar"), tmp_path, (".mid",),
                   "over the size cap (16 MiB a MIDI file, 64 MiB a score)", watched_open)
