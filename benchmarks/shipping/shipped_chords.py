"""Measures the chord-conditioned melody model that vaekit-midi ships and puts it in the plugin. It was
trained on the built-in ``pop_chords`` data in two runs, each from the one before:

    python benchmarks/shipping/chords_from_mel_2bar.py runs/mel_2bar_chords-start
    vaekit train -p mel_2bar_chords --init-from runs/mel_2bar_chords-start -o runs/mel_2bar_chords \
        --set data.transpose_apart=false --set train.lr=1e-3 --set train.eval_every=250 --time-limit 35m
    vaekit train -p mel_2bar_chords --init-from runs/mel_2bar_chords -o runs/mel_2bar_chords_apart \
        --set data.transpose_apart=true --set train.lr=1e-3 --set train.eval_every=250 --time-limit 14m
    python benchmarks/shipping/shipped_chords.py --run runs/mel_2bar_chords_apart

The first starts from the shipped mel_2bar's weights (zeros for the chord features) and learns to read the
chords, but kept the key in z: its samples over held-out progressions hit chord tones at chance. The second
transposes inputs and targets apart (``data.transpose_apart``), so the decoder must take the key from the
chords. This script puts the last run's config, best weights as float16 (they load into float32 models),
metrics and fitted prior into ``plugins/midi/vaekit_midi/models/mel_2bar_chords/``, and the held-out
figures of the weights as shipped (``chord_melody_quality.py``) in its card and in
``benchmarks/results/chord_melody_quality.{json,md}``.
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

FOLDER = ROOT / "plugins" / "midi" / "vaekit_midi" / "models" / "mel_2bar_chords"
PHASES = (ROOT / "runs" / "mel_2bar_chords", ROOT / "runs" / "mel_2bar_chords_apart")
DESCRIPTION = ("2-bar melodies over chords (MusicVAE's cat-mel_2bar_med_chords, sized for a CPU; every chord "
               "quality POP909 uses): generate --chords, re-harmonise with reconstruct --chords, interpolate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=PHASES[-1], help="the run to ship [runs/mel_2bar_chords_apart]")
    args = parser.parse_args()
    print(f"CPU: {cpu()}", flush=True)
    package(args.run, FOLDER, {"name": "mel_2bar_chords"}, extra=(runs.METRICS, prior.FILE), half=True)
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "chord_melody_quality.py"), str(FOLDER)], check=True)
    quality = json.loads((RESULTS / "chord_melody_quality.json").read_text())
    metric = json.loads((FOLDER / runs.CONFIG).read_text())["train"]["best_metric"]
    phases = []
    for run in (*PHASES[:-1], args.run):
        log = runs.RunDir(run).read_metrics()
        last = [r for r in log if r.get("split") == "train"][-1]
        best = max((r for r in log if r.get("split") == "val"), key=lambda r: r[metric])
        phases.append({"run": run.name, "steps": last["step"], "minutes": round(last["seconds"] / 60, 1),
                       "shipped_step": best["step"], "transpose_apart": run != PHASES[0]})
    speed = sorted(r["examples_per_s"] for r in log if "examples_per_s" in r)
    card = {
        "name": "mel_2bar_chords",
        "description": DESCRIPTION,
        "data": "pop_chords",
        "licences": "POP909 (melodies and chord annotations): MIT, see data/POP909-LICENSE",
        "heldout": {"pop_chords": {**{k: v for k, v in quality["accuracy"].items() if k != "windows"},
                                   "chord_tone_share_real": quality["chord_tone_share"]["real"],
                                   "chord_tone_share_samples_T1": quality["chord_tone_share"]["samples"]["T=1"],
                                   "reharmonised_share": quality["reharmonise"]["share_new_chords"]}},
        "trained": {"steps": sum(p["steps"] for p in phases), "minutes": sum(p["minutes"] for p in phases),
                    "phases": phases, "chosen_by": f"validation {metric}",
                    "from": "mel_2bar's weights (chords_from_mel_2bar.py)", "lr": 1e-3,
                    "windows_per_s": round(speed[len(speed) // 2]), "cpu": cpu()},
    }
    (FOLDER / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
