"""Builds the MIDI plugin's built-in ``pop_piano`` dataset from the POP909 release (songs 001-800):

    python benchmarks/shipping/pop909_piano_tokens.py ../shared/data/pop909

Each song's PIANO track (the accompaniment) is read on the song's own annotated beats and downbeats
(beat_midi.txt) by the plugin's piano reader, exactly as ``vaekit train --preset piano_2bar --data
../shared/data/pop909`` reads it, and the segments are stored with the songs named ``pop909/NNN`` (as
in the ``pop`` melody data, so that both hold out the same songs) in
``plugins/midi/vaekit_midi/data/pop909_piano.npz``, beside POP909's licence.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from vaekit_midi.kinds import KINDS
from vaekit_midi.pop_piano import FILE
from vaekit_midi.user_files import load_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the folder of the POP909 songs (NNN/NNN.mid, NNN/beat_midi.txt)")
    args = parser.parse_args()
    kind = KINDS["piano"]
    corpus = load_files(args.root, kind)
    corpus.names = np.array([f"pop909/{Path(name).stem}" for name in corpus.names.tolist()])
    corpus.save(FILE)
    w, _, skipped = corpus.windows(32, keep=kind.keep)
    notes = int((w[:, 0] > 0).sum()) if len(w) else 0
    print(f"{len(corpus.names)} songs, {corpus.offsets[-1]:,} steps in {len(corpus.bars):,} segments, {len(w):,} "
          f"2-bar windows ({notes:,} note-starting steps); no window from {sum(skipped.values())}; wrote {FILE} "
          f"({FILE.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
