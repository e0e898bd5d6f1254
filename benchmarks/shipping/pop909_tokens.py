"""Builds the MIDI plugin's built-in ``pop`` dataset from the POP909 release (songs 001-800):

    python benchmarks/shipping/pop909_tokens.py ../shared/data/pop909

Each song's MELODY track is read on the song's own annotated beats and downbeats (beat_midi.txt) by
the plugin's reader, exactly as ``vaekit train --data ../shared/data/pop909`` reads it, and the
segments are stored with the songs named ``pop909/NNN`` (so the split by song does not depend on
where the release lies) in ``plugins/midi/vaekit_midi/data/pop909.npz``, beside POP909's licence.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from vaekit_midi.kinds import KINDS
from vaekit_midi.pop import FILE
from vaekit_midi.user_files import load_files

from vaekit.cache import cache_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the folder of the POP909 songs (NNN/NNN.mid, NNN/beat_midi.txt)")
    args = parser.parse_args()
    corpus = load_files(args.root, KINDS["melody"])
    corpus.names = np.array([f"pop909/{Path(name).stem}" for name in corpus.names.tolist()])
    corpus.save(FILE)
    w, _, skipped = corpus.windows(32, keep=KINDS["melody"].keep)
    print(f"{len(corpus.names)} songs, {corpus.offsets[-1]:,} steps in {len(corpus.bars):,} segments, {len(w):,} "
          f"2-bar windows ({len(np.unique(w, axis=0)):,} distinct); no window from {sum(skipped.values())}; "
          f"wrote {FILE} ({FILE.stat().st_size / 1e6:.2f} MB); parse cache in {cache_dir()}")


if __name__ == "__main__":
    main()
