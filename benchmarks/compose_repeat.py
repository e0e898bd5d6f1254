"""How ``vaekit compose --repeat`` trades form for variety (issue 28): 64 composed songs of 64 bars at each
share of tied windows, with every other default (key held, sections closed), against the 32 64-bar windows
of held-out POP909 songs, on ``compose_quality.py``'s measures. Real pop repeats single bars (0.510) more
than 2-bar units (0.355); the composer ties whole windows, so both rise together.

    python benchmarks/compose_repeat.py [--songs 64]

Writes benchmarks/results/compose_repeat.{json,md}.
"""

from __future__ import annotations

import argparse
import json

import torch
from compose_quality import real, rows_for, song_codes
from shipped import RESULTS, cpu
from vaekit_midi.compose import REPEAT, SHIPPED, compose
from vaekit_midi.composer_model import load

import vaekit

SHARES = (0.3, 0.4, 0.45, 0.55)
FIGURES = ("repeated_bars", "repeated_2bar_units", "in_key_share", "cadence_ratio", "pitch_consistency",
           "pitch_variance", "duration_consistency", "duration_variance")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = song_codes()
    composer, card = load(SHIPPED)
    mel = vaekit.load(card["config"]["codes_of"])
    sets = {"real pop (held out)": real(data, 64, pop=True)[0]}
    for share in SHARES:
        sets[f"--repeat {share:g}" + (" (default)" if share == REPEAT else "")] = compose(
            composer, mel, 64, args.songs, seed=0, repeat=share)
    rows = {name: {k: round(float(v), 4) for k, v in row.items() if k in FIGURES}
            for name, row in rows_for(sets, "real pop (held out)").items()}
    report = {"cpu": cpu(), "songs": args.songs, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "compose_repeat.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = ["# `vaekit compose --repeat`: 64-bar songs", "",
             f"CPU: {report['cpu']}; `benchmarks/compose_repeat.py`; {args.songs} songs a row, seed 0, every other "
             "option at its default; consistency and variance against real pop (1 = the same).", "",
             "| | " + " | ".join(FIGURES) + " |", "|---|" + "---:|" * len(FIGURES)]
    lines += [f"| {name} | " + " | ".join(f"{row[k]:.3f}" for k in FIGURES) + " |" for name, row in rows.items()]
    (RESULTS / "compose_repeat.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
