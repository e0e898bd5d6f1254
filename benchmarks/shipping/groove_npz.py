"""Builds the MIDI plugin's built-in ``groove`` dataset from the Groove MIDI Dataset (train and validation):

    python benchmarks/shipping/groove_npz.py ../shared/data/groove

Each performance of ``info.csv`` is read by the plugin's reader (``groove_midi.parse_performance``: the
9 classes, velocity and offset of every hit on the file's own 16th-note grid) and stored, named
``groove/ID`` and flagged by the release's split, in ``plugins/midi/vaekit_midi/data/groove.npz``;
performances that ``info.csv`` marks as not in 4/4 are left out with their reason, and counted.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

import numpy as np
from vaekit_midi.corpus import Corpus
from vaekit_midi.groove import FILE
from vaekit_midi.groove_midi import ROWS, parse_performance
from vaekit_midi.parsed import Parsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the release's folder (info.csv, drummerN/sessionN/*.mid)")
    args = parser.parse_args()
    rows = list(csv.DictReader((args.root / "info.csv").open()))
    parsed = [parse_performance(args.root / r["midi_filename"]) if r["time_signature"] == "4-4"
              else Parsed(reason="not_4_4") for r in rows]
    corpus = Corpus.from_parsed([f"groove/{r['id']}" for r in rows], parsed, np.zeros((ROWS, 0), np.int16))
    validation = np.array([r["split"] == "validation" for r in rows])
    FILE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(FILE, validation=validation, bpm=np.array([float(r["bpm"]) for r in rows]),
                        style=np.array([r["style"] for r in rows]),
                        beat_type=np.array([r["beat_type"] for r in rows]),
                        **{k: getattr(corpus, k) for k in Corpus.__dataclass_fields__})
    w, owner, skipped = corpus.windows(32)
    held = validation[owner]
    print(f"{len(rows)} performances ({int(validation.sum())} validation); skipped {dict(Counter(skipped))}; "
          f"{corpus.offsets[-1]:,} steps in {len(corpus.bars):,} segments; 2-bar windows: {int((~held).sum()):,} "
          f"train, {int(held.sum()):,} validation; wrote {FILE} ({FILE.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
