"""Hostile data folders and files, for the image loader: ``--data FOLDER`` with every entry of
``vaekit.testing.hostile`` loads the good files (a newline or non-UTF-8 bytes in a name included) and
counts the rest on one line, never opening the FIFO, the 2 GB sparse file or a link's target out of
the folder, never walking a link loop; one named file over the cap, or a FIFO, is refused unread."""

from __future__ import annotations

import numpy as np
from vaekit_image.data import load_path

from vaekit.config import build
from vaekit.testing import NEWLINE_NAME, NON_UTF8_NAME, hostile, one_summary, refused_unread


def test_image_folder(tmp_path, capsys, watched_open, within):
    from PIL import Image

    root, secret = tmp_path / "pictures", tmp_path / "secret"
    root.mkdir()
    secret.mkdir()
    for i, stem in enumerate(["good0", "good1", NEWLINE_NAME, NON_UTF8_NAME]):
        Image.fromarray(np.full((8, 8), 40 * i, np.uint8)).save(root / f"{stem}.png")
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(secret / "private.png")
    hostile(root, ".png", secret / "private.png")

    with within(60, "a FIFO opened, or a link loop walked?"):
        images = load_path(root, 0, 0)
    assert images.x.shape == (4, 1, 8, 8)
    assert sorted(round(float(v) * 255) for v in images.x[:, 0, 0, 0]) == [0, 40, 80, 120]  # never the white one
    line = one_summary(capsys.readouterr().err)
    assert "skipped 9 of 13 files" in line, line
    for count, text in [(3, "broken or looping link"), (1, "link to a folder"), (1, "link out of the folder"),
                        (1, "not a regular file"), (1, "empty file"), (1, "over the 1024 MiB size cap"),
                        (1, "unreadable")]:
        assert f"{count} {text}" in line, (text, line)
    assert not [p for p in watched_open if "huge" in p or "pipe" in p or "private" in p]


def test_a_single_oversized_or_special_file_is_refused_unread(tmp_path, modality, watched_open):
    config = build(modality, "conv", overrides=["data.size=8", "data.channels=1"])
    refused_unread(modality, config, tmp_path, (".png", ".npz"), "over the 1024 MiB cap on one file", watched_open)
