"""Trains the shipped composer (issue 28) on the codes that ``benchmarks/shipping/composer_codes.py`` wrote, on
one CPU thread for ``--minutes``, and ships it in ``plugins/midi/vaekit_midi/models/composer/``
(``composer.json``: config and card; ``composer.safetensors``: float16 weights; written at each new
best held-out loss, the card at the end), with the run's figures in
``benchmarks/results/shipped_composer.json``.

    /work/cpuslot python benchmarks/shipping/shipped_composer.py --minutes 25
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: shared helpers, measurements
from composer_codes import codes_file
from shipped import RESULTS, ROOT, cpu
from vaekit_midi.composer_model import CONFIG, ComposerConfig
from vaekit_midi.composer_training import new_model, sequences, train

FOLDER = ROOT / "plugins" / "midi" / "vaekit_midi" / "models" / "composer"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=25)
    parser.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: the time limit only)")
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--ema", type=float, default=0.995)
    parser.add_argument("--out", type=Path, default=FOLDER)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)
    with np.load(codes_file(), allow_pickle=False) as data:
        codes, rest, offsets, held = data["codes"], data["rest"], data["offsets"], data["held_out"]
    config = ComposerConfig(width=args.width, layers=args.layers)
    model = new_model(config, codes[~np.repeat(held, np.diff(offsets))], rest[~np.repeat(held, np.diff(offsets))])
    train_data = sequences(model, codes, rest, offsets, np.flatnonzero(~held))
    held_out = sequences(model, codes, rest, offsets, np.flatnonzero(held))
    run = train(model, train_data, held_out, args.out, args.minutes * 60, args.steps, args.batch, args.lr, args.ema)
    card = {"name": "composer",
            "description": "a diffusion prior over sequences of up to 32 mel_2bar codes (64 bars): vaekit compose",
            "data": "folk+pop: whole folk tunes and POP909 songs as mel_2bar codes (composer_codes.py)",
            "licences": "folk: music21's corpora (Essen: non-commercial use); pop: POP909, MIT",
            "melodies": {"train": int((~held).sum()), "held_out": int(held.sum())},
            "trained": {**run, "batch": args.batch, "lr": args.lr, "ema": args.ema, "cpu": cpu()}}
    saved = json.loads((args.out / CONFIG).read_text())
    (args.out / CONFIG).write_text(json.dumps({**saved, **card}, indent=2) + "\n")
    if args.out == FOLDER:
        (RESULTS / "shipped_composer.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
