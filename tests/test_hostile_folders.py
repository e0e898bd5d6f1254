"""Hostile data folders: loading ``--data FOLDER`` skips and counts what it cannot use, on one line.

Promises, for the MIDI loader:
- symbolic-link loops (a link to itself, two links to each other, a link to the folder itself) are
  skipped and counted, never walked forever;
- a link pointing out of the folder is never followed (there is no option to follow one) and is counted;
- a FIFO is never opened (opening one would block forever) and is counted;
- a file that cannot be opened (simulated: the tests run as root, so ``chmod 000`` would not stop them;
  ``open`` is made to raise ``PermissionError`` for it) is counted;
- a 0-byte file and a 2 GB sparse file are skipped on their size alone; the big one is never opened;
- files with a newline or non-UTF-8 bytes in their names are ordinary files: they load.
"""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path

import numpy as np
import pytest

from vaekit.config import build

SPARSE_BYTES = 2 * 2**30
NEWLINE_NAME = "two\nlines"
NON_UTF8_NAME = os.fsdecode(b"caf\xe9")  # Latin-1 bytes: not valid UTF-8


def hostile(root: Path, suffix: str, outside: Path) -> None:
    """Every hostile entry, next to the good files already in ``root``."""
    (root / f"loop{suffix}").symlink_to(f"loop{suffix}")
    (root / f"ping{suffix}").symlink_to(f"pong{suffix}")
    (root / f"pong{suffix}").symlink_to(f"ping{suffix}")
    (root / "again").symlink_to(".")  # a link to the folder itself
    (root / f"outside{suffix}").symlink_to(outside)
    os.mkfifo(root / f"pipe{suffix}")
    (root / f"folder{suffix}").mkdir()  # a directory named like a file: walked, holds nothing
    (root / f"empty{suffix}").write_bytes(b"")
    with open(root / f"huge{suffix}", "wb") as f:
        f.truncate(SPARSE_BYTES)  # sparse: no disk used, 2 GB by its size
    (root / f"locked{suffix}").write_bytes((root / f"good0{suffix}").read_bytes())


@pytest.fixture
def watched_open(monkeypatch):
    """``open`` records every path opened for reading, and refuses to read any file named ``locked.*``."""
    real_open = builtins.open
    opened: list[str] = []

    def guarded(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)):
            name = os.fsdecode(file)
            if not set(args[0] if args else kwargs.get("mode", "r")) & set("wax+"):
                opened.append(name)
                if Path(name).name.startswith("locked."):
                    raise PermissionError(13, "Permission denied", name)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    monkeypatch.setattr(io, "open", guarded)
    return opened


def one_summary(err: str) -> str:
    lines = [line for line in err.splitlines() if "skipped" in line]
    assert len(lines) == 1, err
    return lines[0]


def test_midi_folder(tmp_path, monkeypatch, capsys, watched_open, within):
    pytest.importorskip("vaekit_midi")
    from vaekit_midi.dataset import load_dataset
    from vaekit_midi.midi_io import write_midi
    from vaekit_midi.modality import MidiModality

    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))
    root, secret = tmp_path / "songs", tmp_path / "secret"
    root.mkdir()
    secret.mkdir()
    for i, stem in enumerate(["good0", "good1", NEWLINE_NAME, NON_UTF8_NAME]):
        melody = np.zeros(64, np.int8)
        melody[::4] = 30 + i * 5 + np.arange(16) % 5  # a different tune in each file
        write_midi(melody, root / f"{stem}.mid")
    outside_tune = np.zeros(64, np.int8)
    outside_tune[::2] = 80  # one high note repeated: in no file inside the folder
    write_midi(outside_tune, secret / "private.mid")
    hostile(root, ".mid", secret / "private.mid")

    config = build(MidiModality(), "mel_2bar", overrides=["data.transpose=0", "data.val_fraction=0.3"])
    with within(60, "a FIFO opened, or a link loop walked?"):
        train, val = load_dataset(str(root), config)
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


def test_a_single_oversized_or_special_file_is_refused_unread(tmp_path, watched_open, within):
    """``vaekit interpolate RUN a.mid b.mid`` and friends: the same caps for one named file, and a
    FIFO is never opened."""
    from vaekit import VaekitError

    pytest.importorskip("vaekit_midi")
    from vaekit_midi.modality import MidiModality

    midi = MidiModality()
    midi_config = build(midi, "mel_2bar")
    for suffix, modality, config, message in [
        (".mid", midi, midi_config, "over the size cap (16 MiB a MIDI file, 64 MiB a score)"),
    ]:
        huge = tmp_path / f"huge{suffix}"
        with open(huge, "wb") as f:
            f.truncate(SPARSE_BYTES)
        with pytest.raises(VaekitError, match=message.replace("(", r"\(").replace(")", r"\)")):
            modality.read(huge, config)
    assert not [p for p in watched_open if "huge" in p]
    os.mkfifo(tmp_path / "pipe.mid")
    with within(30):  # opening a FIFO would block until something writes to it
        with pytest.raises(VaekitError, match="not a regular file"):
            midi.read(tmp_path / "pipe.mid", midi_config)
