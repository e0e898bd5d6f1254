"""Measures a chord-conditioned melody model that vaekit-midi ships and puts it in the plugin:

    python benchmarks/shipping/shipped_chords.py [--preset mel_2bar_chords | mel_16bar_chords] [--run RUN]

``mel_2bar_chords`` was trained on the built-in ``pop_chords`` data in three runs, each from the one before:

    python benchmarks/shipping/chords_from_melody.py runs/mel_2bar_chords-start
    vaekit train -p mel_2bar_chords --init-from runs/mel_2bar_chords-start -o runs/mel_2bar_chords \
        --set model.chord_relative=false --set data.transpose_apart=0 --set train.lr=1e-3 \
        --set train.eval_every=250 --time-limit 35m
    vaekit train -p mel_2bar_chords --init-from runs/mel_2bar_chords -o runs/mel_2bar_chords_apart \
        --set data.transpose_apart=1 --set train.lr=1e-3 --set train.eval_every=250 --time-limit 14m
    python benchmarks/shipping/chords_from_melody.py runs/mel_2bar_chords-frame --weights runs/mel_2bar_chords
    vaekit train -p mel_2bar_chords --init-from runs/mel_2bar_chords-frame -o runs/mel_2bar_chords_frame \
        --set train.lr=1e-3 --set train.eval_every=250 --time-limit 50m
    vaekit train --resume -o runs/mel_2bar_chords_frame --time-limit 155m
    python benchmarks/shipping/shipped_chords.py --run runs/mel_2bar_chords_frame

The first starts from the shipped mel_2bar's weights (zeros for the chord features) and learns to read the
chords, but kept the key in z: its samples over held-out progressions hit chord tones at chance. The
second transposed inputs and targets apart (``data.transpose_apart``): it followed the chords, at a cost
in accuracy (the decoder cannot tell the octave of a transposition from the chords). The third, which
ships, starts from the first's weights with the encoder reading notes and chords in each chord's frame
(``model.chord_relative``, the preset's default now): z cannot hold the key or the roots, and reconstruction
loses nothing. (A trial of the third from the second's weights reached higher accuracy in 10 minutes, but
its samples from the prior hit chord tones at 0.58, against 0.74 from the first's.) This script puts the
last run's config, best weights as float16 (they load into float32 models), metrics and fitted prior into
``plugins/midi/vaekit_midi/models/mel_2bar_chords/``, and the held-out figures of the weights as shipped
(``chord_melody_quality.py``) in its card and in ``benchmarks/results/chord_melody_quality.{json,md}``.

``mel_16bar_chords`` was trained in one run from the shipped mel_16bar's weights, the encoder in the chords'
frame from the start, and ships as int8 matrices as mel_16bar does (figures in ``..._16bar.{json,md}``):

    python benchmarks/shipping/chords_from_melody.py runs/mel_16bar_chords-start --preset mel_16bar_chords
    vaekit train -p mel_16bar_chords --init-from runs/mel_16bar_chords-start -o runs/mel_16bar_chords \
        --set train.lr=1e-3 --time-limit 105m
    python benchmarks/shipping/shipped_chords.py --preset mel_16bar_chords
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: shared helpers, measurements
from shipped import RESULTS, ROOT, cpu, package

from vaekit import prior, runs

MODELS = ROOT / "plugins" / "midi" / "vaekit_midi" / "models"
RUNS = ROOT / "runs"
#: Each shipped chord model: its description, how its weights are stored, and its runs in order, each with
#: the run it started from and whether the shipped weights descend from it (the second 2-bar run did not).
RECIPES = {
    "mel_2bar_chords": {
        "description": "2-bar melodies over chords (MusicVAE's cat-mel_2bar_med_chords, sized for a CPU; every "
                       "chord quality POP909 uses): generate --chords, re-harmonise with reconstruct --chords, "
                       "interpolate",
        "store": {"half": True},
        "phases": [
            {"run": "mel_2bar_chords", "from": "mel_2bar", "transpose_apart": False, "chord_relative": False,
             "in_shipped_weights": True},
            {"run": "mel_2bar_chords_apart", "from": "mel_2bar_chords", "transpose_apart": True,
             "chord_relative": False, "in_shipped_weights": False},
            {"run": "mel_2bar_chords_frame", "from": "mel_2bar_chords", "transpose_apart": False,
             "chord_relative": True, "in_shipped_weights": True},
        ],
    },
    "mel_16bar_chords": {
        "description": "16-bar melodies over chords (mel_16bar's hierarchical model, each bar decoded over its "
                       "chords; every chord quality POP909 uses): generate --chords, re-harmonise with reconstruct "
                       "--chords, interpolate",
        "store": {"compress": True},
        "phases": [
            {"run": "mel_16bar_chords", "from": "mel_16bar", "transpose_apart": False, "chord_relative": True,
             "in_shipped_weights": True},
        ],
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="mel_2bar_chords", choices=sorted(RECIPES))
    parser.add_argument("--run", type=Path, help="the run to ship [the recipe's last]")
    args = parser.parse_args()
    recipe = RECIPES[args.preset]
    first, last = recipe["phases"][0], recipe["phases"][-1]
    run = args.run or RUNS / last["run"]
    folder = MODELS / args.preset
    print(f"CPU: {cpu()}", flush=True)
    package(run, folder, {"name": args.preset}, extra=(runs.METRICS, prior.FILE), **recipe["store"])
    quality_script = ROOT / "benchmarks" / "chord_melody_quality.py"
    subprocess.run([sys.executable, str(quality_script), args.preset], check=True)
    suffix = "" if args.preset == "mel_2bar_chords" else "_16bar"
    quality = json.loads((RESULTS / f"chord_melody_quality{suffix}.json").read_text())
    metric = json.loads((folder / runs.CONFIG).read_text())["train"]["best_metric"]
    phases = []
    for phase in recipe["phases"]:
        log = runs.RunDir(run if phase is last else RUNS / phase["run"]).read_metrics()
        trained = [r for r in log if r.get("split") == "train"][-1]
        best = max((r for r in log if r.get("split") == "val"), key=lambda r: r[metric])
        phases.append({**phase, "steps": trained["step"], "minutes": round(trained["seconds"] / 60, 1),
                       "shipped_step": best["step"]})
    speed = sorted(r["examples_per_s"] for r in log if "examples_per_s" in r)
    kept = [p for p in phases if p["in_shipped_weights"]]
    card = {
        "name": args.preset,
        "description": recipe["description"],
        "data": "pop_chords",
        "licences": "POP909 (melodies and chord annotations): MIT, see data/POP909-LICENSE",
        "heldout": {"pop_chords": {**{k: v for k, v in quality["accuracy"].items() if k != "windows"},
                                   "chord_tone_share_real": quality["chord_tone_share"]["real"],
                                   "chord_tone_share_samples_T1": quality["chord_tone_share"]["samples"]["T=1"],
                                   "chord_tone_share_samples_T0.5": quality["chord_tone_share"]["samples"]["T=0.5"],
                                   "reharmonised_share": quality["reharmonise"]["share_new_chords"]}},
        "trained": {"steps": sum(p["steps"] for p in kept), "minutes": round(sum(p["minutes"] for p in kept), 1),
                    "phases": phases, "chosen_by": f"validation {metric}",
                    "from": f"{first['from']}'s weights (chords_from_melody.py)", "lr": 1e-3,
                    "windows_per_s": round(speed[len(speed) // 2]), "cpu": cpu()},
    }
    (folder / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
