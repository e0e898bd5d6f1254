"""Builds the MIDI plugin's built-in ``folk`` tokens from the ABC that music21 ships:

    python benchmarks/shipping/folk_tokens.py

Every tune of ``folk.COLLECTIONS`` is parsed on the 16th-note grid by the plugin's parser, exactly as
``vaekit train --set data.steps_per_bar=16`` parsed it before the tokens shipped (the parse is cached
in vaekit's cache folder, so a rerun reads it back), and stored under the same tune names (so the
split by tune is unchanged) in ``plugins/midi/vaekit_midi/data/folk.npz``, beside FOLK-LICENSE. Rerun
it whenever the ABC parser or ``corpus.FORMAT_VERSION`` changes.
"""

from __future__ import annotations

import numpy as np
from vaekit_midi.folk import COLLECTIONS, FILE, SHIPPED_STEPS_PER_BAR, parse_folk
from vaekit_midi.melody_lines import usable


def main() -> None:
    corpus = parse_folk(COLLECTIONS, 0, SHIPPED_STEPS_PER_BAR)
    corpus.save(FILE)
    w, _, skipped = corpus.windows(32, keep=usable)
    print(f"{len(corpus.names):,} tunes, {corpus.offsets[-1]:,} steps in {len(corpus.bars):,} segments, {len(w):,} "
          f"2-bar windows ({len(np.unique(w, axis=0)):,} distinct); no window from {sum(skipped.values()):,}; "
          f"wrote {FILE} ({FILE.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
