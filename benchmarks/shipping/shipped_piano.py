"""Puts a trained ``piano_2bar`` run into the plugin as a shipped model, with the figures of the weights
as shipped:

    vaekit train -m midi -p piano_2bar --time-limit 35m --seed 0 -o runs/shipped-piano_2bar
    vaekit train --resume -o runs/shipped-piano_2bar --time-limit 100m     # 66 minutes more
    python benchmarks/shipping/shipped_piano.py                 # package
    python benchmarks/piano_quality.py                 # measure the packaged model
    python benchmarks/shipping/shipped_piano.py                 # package again, the card with those figures

1. the run's config, best weights as float16 (half the size; they load into float32 models), metrics and
   fitted prior into ``plugins/midi/vaekit_midi/models/piano_2bar/``;
2. a card with the held-out reconstruction figures that ``piano_quality.py`` measured of the shipped
   weights (``benchmarks/results/piano_quality.json``, where it exists), also written to
   ``benchmarks/results/shipped_piano_2bar.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: shared helpers, measurements
from shipped import RESULTS, ROOT, cpu, package, write_result

import vaekit
from vaekit import prior, runs

FOLDER = ROOT / "plugins" / "midi" / "vaekit_midi" / "models" / "piano_2bar"
DESCRIPTION = ("2-bar polyphonic piano textures, notes grouped by onset (after PianoTree VAE, sized for a CPU), "
               "from POP909's accompaniment: reconstruct, interpolate, generate, encode")
LICENCE = ("POP909 (Wang et al., ISMIR 2020): MIT, see data/POP909-LICENSE; the piano data and these weights "
           "derive from it")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=ROOT / "runs" / "shipped-piano_2bar")
    args = parser.parse_args()
    print(f"CPU: {cpu()}", flush=True)
    package(args.run, FOLDER, {"name": "piano_2bar"}, extra=(runs.METRICS, prior.FILE), half=True)
    p = vaekit.load(FOLDER)
    measured = RESULTS / "piano_quality.json"
    quality = json.loads(measured.read_text()) if measured.exists() else None
    figures = {"windows": quality["held_out_windows"], **quality["reconstruction"]} if quality else None
    log = runs.RunDir(args.run).read_metrics()
    last = [r for r in log if r.get("split") == "train"][-1]
    metric = p.config["train"]["best_metric"]
    best = max((r for r in log if r.get("split") == "val"), key=lambda r: r[metric])
    speed = sorted(r["examples_per_s"] for r in log if "examples_per_s" in r)
    card = {
        "name": "piano_2bar",
        "description": DESCRIPTION,
        "data": "pop_piano",
        "licences": LICENCE,
        "heldout": {"pop_piano": figures},
        "trained": {"steps": last["step"], "minutes": round(last["seconds"] / 60, 1), "shipped_step": best["step"],
                    "chosen_by": f"validation {metric}", "windows_per_s": round(speed[len(speed) // 2]),
                    "cpu": cpu()},
    }
    (FOLDER / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    write_result("piano_2bar", card)


if __name__ == "__main__":
    main()
