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
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from shipped import RESULTS, ROOT, cpu

import vaekit
from vaekit import evaluation

RECIPES = {
    "plain": [],
    "replay": ["--set", "data.replay=folk+pop", "--set", "train.lr=5e-4", "--set", "model.sampling_rate=30"],
}
FIGURES = ("acc_tf", "acc_sampled", "note_f1")


def chorales(first: int, count: int, folder: Path) -> Path:
    import music21

    folder.mkdir(parents=True)
    for path in sorted((Path(music21.__file__).parent / "corpus" / "bach").glob("bwv*.mxl"))[first:first + count]:
        shutil.copy(path, folder / path.name)
    return folder


def scores(run: str | Path, chorale_dir: Path, folk_items: int) -> dict[str, dict[str, float]]:
    p = vaekit.load(run)
    out = {"chorales": p.evaluate(str(chorale_dir), k=0)}
    for name in ("folk", "pop"):
        _, val = p.modality.load_dataset(name, json.loads(json.dumps(p.config)))
        out[name] = evaluation.evaluate(p.model, p.modality, val, k=0, batch_size=256, max_items=folk_items)
    return {name: {f: round(v[f], 4) for f in FIGURES} for name, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", default="2m")
    parser.add_argument("--max-items", type=int, default=4000, help="held-out folk and pop windows scored")
    args = parser.parse_args()
    print(f"CPU: {cpu()}", flush=True)
    result = {"cpu": cpu(), "time_limit": args.time_limit, "recipes": {k: " ".join(v) for k, v in RECIPES.items()}}
    with tempfile.TemporaryDirectory() as tmp:
        mine, held = chorales(0, 5, Path(tmp) / "mine"), chorales(100, 50, Path(tmp) / "held")
        result["before"] = scores("mel_2bar", held, args.max_items)
        for name, sets in RECIPES.items():
            run = ROOT / "runs" / f"finetune-{name}"
            subprocess.run([sys.executable, "-m", "vaekit", "train", "--init-from", "mel_2bar", "--data", str(mine),
                            "--time-limit", args.time_limit, "--out", str(run), "--force", "--no-progress", *sets],
                           check=True)
            result[name] = scores(run, held, args.max_items)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "finetune_mel_2bar.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'':8} " + " ".join(f"{s:>26}" for s in ("chorales (held out)", "folk", "pop")))
    for row in ("before", *RECIPES):
        print(f"{row:8} " + " ".join(f"{' / '.join(f'{result[row][s][f]:.3f}' for f in FIGURES):>26}"
                                     for s in ("chorales", "folk", "pop")))


if __name__ == "__main__":
    main()
