"""Builds the MIDI plugin's built-in ``pop_chords`` dataset from the POP909 release (songs 001-800):

    python benchmarks/shipping/pop909_chord_tokens.py ../shared/data/pop909

Each song's MELODY track and its chord annotation (chord_midi.txt, in seconds) are read on the song's
own annotated beats and downbeats (beat_midi.txt) by the plugin's reader, exactly as ``vaekit train
--preset mel_2bar_chords --data ../shared/data/pop909`` reads them, and the ``(2, L)`` segments (melody
tokens over a chord index a step) are stored with the songs named ``pop909/NNN``, as the ``pop``
dataset names them (so both split by song alike), in ``plugins/midi/vaekit_midi/data/pop909_chords.npz``,
beside POP909's licence.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np
from vaekit_midi.chords import chord_of
from vaekit_midi.kinds import KINDS
from vaekit_midi.pop_chords import FILE
from vaekit_midi.user_files import load_files

from vaekit.cache import cache_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the folder of the POP909 songs (NNN/NNN.mid, beat_midi.txt, "
                        "chord_midi.txt)")
    args = parser.parse_args()
    kind = KINDS["chord_melody"]
    corpus = load_files(args.root, kind)
    corpus.names = np.array([f"pop909/{Path(name).stem}" for name in corpus.names.tolist()])
    corpus.save(FILE)
    w, _, skipped = corpus.windows(32, keep=kind.keep)
    chords = corpus.tokens[1]
    qualities = Counter(chord_of(int(i)).quality for i in chords[chords > 0].tolist())
    print(f"{len(corpus.names)} songs, {corpus.offsets[-1]:,} steps in {len(corpus.bars):,} segments "
          f"({(chords == 0).mean():.1%} of steps under no chord), {len(w):,} 2-bar windows "
          f"({len(np.unique(w, axis=0)):,} distinct); no window from {sum(skipped.values())}; wrote {FILE} "
          f"({FILE.stat().st_size / 1e6:.2f} MB); parse cache in {cache_dir()}")
    print("steps by chord quality: " + ", ".join(f"{q} {n / sum(qualities.values()):.1%}"
                                                  for q, n in qualities.most_common()))


if __name__ == "__main__":
    main()
