"""Hostile data folders, as the core walks them for every modality (``vaekit.files.walk``); each plugin's
tests check its own loader on the same folder (``vaekit.testing.hostile``).

Promises: link loops (a link to itself, two links to each other, a link to the folder itself), links
out of the folder, FIFOs, empty files and a 2 GB sparse file are skipped with their reasons, all on
``stat`` alone (nothing is opened, nothing is walked forever); files with a newline or non-UTF-8 bytes
in their names are ordinary files.
"""

from __future__ import annotations

from collections import Counter

from vaekit.files import walk
from vaekit.testing import NEWLINE_NAME, NON_UTF8_NAME, hostile


def test_walk_skips_every_hostile_entry_unopened(tmp_path, watched_open, within):
    root, secret = tmp_path / "data", tmp_path / "secret"
    root.mkdir()
    secret.mkdir()
    for stem in ["good0", "good1", NEWLINE_NAME, NON_UTF8_NAME]:
        (root / f"{stem}.dat").write_bytes(b"data")
    (secret / "private.dat").write_bytes(b"private")
    hostile(root, ".dat", secret / "private.dat")
    del watched_open[:]  # hostile() read good0.dat to make locked.dat

    with within(30, "a FIFO opened, or a link loop walked?"):
        found, skipped = walk(root, lambda p: p.suffix == ".dat", 2**20)
    assert sorted(p.name for p in found) == sorted(f"{stem}.dat" for stem in
                                                   ["good0", "good1", "locked", NEWLINE_NAME, NON_UTF8_NAME])
    assert Counter(reason for _, reason in skipped) == {"link_broken": 3, "link_folder": 1, "link_outside": 1,
                                                        "not_regular": 1, "empty": 1, "too_large": 1}
    assert not watched_open
