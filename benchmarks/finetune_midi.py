"""Fine-tuning the shipped ``mel_2bar`` on a few of a user's melodies, measured: a style it never trained
on (the voices of J. S. Bach's chorales, music21's corpus), 5 chorales to fine-tune on and 50 others
held out, scored before and after, and the held-out folk and pop melodies scored after (did it forget?).

    python benchmarks/finetune_midi.py --time-limit 2m

Each recipe is one ``vaekit train --init-from mel_2bar --data FIVE_CHORALES ...`` run:
- ``plain``: the shipped config as it is (its learning rate, scheduled sampling from the start again);
- ``replay``: ``data.replay=folk+pop`` (half of every batch from the data the model was trained on),
  ``train.lr=5e-4`` and ``model.sampling_rate=30`` (it already decodes well: hand over at once).
Writes benchmarks/results/finetune_mel_2bar.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from shipped import FIGURES, RESULTS, ROOT, chorales, cpu, melody_figures

import vaekit

RECIPES = {
    "plain": [],
    "replay": ["--set", "data.replay=folk+pop", "--set", "train.lr=5e-4", "--set", "model.sampling_rate=30"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", default="2m")
    parser.add_argument("--max-items", type=int, default=4000, help="held-out folk and pop windows scored")
    args = parser.parse_args()
    print(f"CPU: {cpu()}", flush=True)
    result = {"cpu": cpu(), "time_limit": args.time_limit, "recipes": {k: " ".join(v) for k, v in RECIPES.items()}}
    with tempfile.TemporaryDirectory() as tmp:
        mine, held = chorales(Path(tmp) / "mine", 0, 5), chorales(Path(tmp) / "held", 100, 50)
        result["before"] = melody_figures(vaekit.load("mel_2bar"), held, args.max_items)
        for name, sets in RECIPES.items():
            run = ROOT / "runs" / f"finetune-{name}"
            subprocess.run([sys.executable, "-m", "vaekit", "train", "--init-from", "mel_2bar", "--data", str(mine),
                            "--time-limit", args.time_limit, "--out", str(run), "--force", "--no-progress", *sets],
                           check=True)
            result[name] = melody_figures(vaekit.load(run), held, args.max_items)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "finetune_mel_2bar.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'':8} " + " ".join(f"{s:>26}" for s in ("chorales (held out)", "folk", "pop")))
    for row in ("before", *RECIPES):
        print(f"{row:8} " + " ".join(f"{' / '.join(f'{result[row][s][f]:.3f}' for f in FIGURES):>26}"
                                     for s in ("bach_chorales", "folk", "pop")))


if __name__ == "__main__":
    main()
