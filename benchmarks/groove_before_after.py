"""The picture of a beat before and after Groove, for the MIDI guide: a held-out 2-bar window of the
built-in ``groove`` data (the first funk beat of the Groove MIDI Dataset's validation split, from its
ninth bar), as a quantised score at one velocity, humanised as ``vaekit groove`` does with a GrooVAE
model (temperature 0) and as the drummer played it:

    python benchmarks/groove_before_after.py [--model groove_2bar] [--out docs/img/groove_before_after.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from shipped import ROOT
from vaekit_midi.groove import FILE, load_groove
from vaekit_midi.groove_midi import CLASSES, to_features
from vaekit_midi.groove_model import HUMANIZE, SCORE_VELOCITY
from vaekit_midi.grooving import treat
from vaekit_midi.render import performance_grid

import vaekit

START_BAR = 8


def held_out_funk_beat() -> tuple[np.ndarray, str, float]:
    """The window ``(27, 32)``, its performance's name and its tempo."""
    corpus, validation = load_groove()
    with np.load(FILE, allow_pickle=False) as data:
        style, beat_type, bpm = data["style"], data["beat_type"], data["bpm"]
    item = next(i for i in np.flatnonzero(validation) if str(style[i]).startswith("funk") and beat_type[i] == "beat")
    windows, owner, _ = corpus.windows(32)
    window = windows[np.flatnonzero(owner == item)[START_BAR]]
    return to_features(window), str(corpus.names[item]), float(bpm[item])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="groove_2bar")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "groove_before_after.png")
    args = parser.parse_args()
    real, name, bpm = held_out_funk_beat()
    hits = real[:CLASSES]
    score = np.concatenate([hits, hits * SCORE_VELOCITY, np.zeros_like(hits)])
    model = vaekit.load(args.model).model
    x = torch.from_numpy(real)[None]
    played = treat(model, x, HUMANIZE, 0.0, torch.Generator())[0].numpy()  # as vaekit groove plays it
    step_ms = 60000 / bpm / 4
    hit = hits > 0

    def timing(p: np.ndarray) -> str:
        return f"{np.abs(p[2 * CLASSES:] - real[2 * CLASSES:])[hit].mean() * step_ms:.0f} ms"

    labels = [f"Before: the quantised score (every hit on the grid, one velocity); {timing(score)} from the drummer",
              f"After: humanised by {args.model} (vaekit groove); {timing(played)} from the drummer",
              f"The drummer: {name}, bars {START_BAR + 1}-{START_BAR + 2}, {bpm:g} BPM (held out, never trained on)"]
    performance_grid(np.stack([score, played, real]), args.out, labels)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
