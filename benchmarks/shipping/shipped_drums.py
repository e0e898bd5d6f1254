"""Trains a drum model that vaekit-midi ships on the built-in ``groove`` data, measures it, and puts it in
the plugin:

    python benchmarks/shipping/shipped_drums.py --preset drums_2bar --time-limit 85m
    python benchmarks/shipping/shipped_drums.py --preset groove_2bar --time-limit 48m

(the shipped runs: ``vaekit train`` with these settings, then ``--package-only --run RUN``; the card gives
the steps, minutes and the step shipped). drums_2bar trained 84 minutes so (stopped at 42 minutes and
resumed; the preset had 48 free bits and no augmentation then: it learned its training beats by heart),
then from those weights with 256 free bits and augmented training windows (``vaekit train --init-from RUN
--set loss.free_bits=256 --set data.drop_hits=0.1 --set data.swap_hats=0.25 --set data.mix_halves=0.5
--set model.sampling_rate=30 --set loss.beta_schedule=constant`` and the overrides below, stopped at 10
minutes and resumed with ``--time-limit 45m``), then 10 minutes more from those with ``data.drop_hits=0.05
data.swap_hats=0 data.mix_halves=0 train.lr=5e-4`` (mixed halves had taught it beats whose two bars do
not belong together), packaged with ``--started-from``
(``benchmarks/results/drums_2bar_experiments.md``).
groove_2bar trained 47 minutes with ``model.feedback=all``, then 30 more from those weights with
``hits`` (``vaekit train --init-from RUN`` with ``--set model.feedback=hits --set train.lr=1e-3
--set train.time_limit=30m``), packaged with ``--package-only --run RUN --started-from "..."``, which
puts where the run started in its card.

1. ``vaekit train`` of the preset (with ``OVERRIDES``) on ``groove``, seed 0, into ``runs/shipped-PRESET``
   (an existing run there is continued with --resume; ``--package-only`` skips this);
2. its config, best weights as float16 (half the size; they load into float32 models), metrics and
   fitted prior into ``plugins/midi/vaekit_midi/models/PRESET/``;
3. the held-out figures of the weights as shipped (``drums_quality.py``: the Groove MIDI Dataset's
   validation performances) in its card and in ``benchmarks/results/shipped_PRESET.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: shared helpers, measurements
from drums_quality import drums_figures, groove_figures, groove_windows
from shipped import ROOT, cpu, package, write_result
from vaekit_midi.groove_midi import CLASSES

import vaekit
from vaekit import prior, runs

MODELS = ROOT / "plugins" / "midi" / "vaekit_midi" / "models"
DESCRIPTIONS = {
    "drums_2bar": "2-bar drum beats, 9 instruments (MusicVAE's cat-drums_2bar, sized for a CPU): generate, "
                  "interpolate, encode",
    "groove_2bar": "2-bar drum performances with velocity and microtiming (GrooVAE, sized for a CPU): groove "
                   "(humanise) and drumify (Tap2Drum), generate, interpolate, encode",
}
# what the shipped runs changed from their presets: drums_2bar's encoder reads a beat a step and its
# decoder is mel_2bar's 256 wide, to make more updates in the time there was on a shared CPU
OVERRIDES = {"drums_2bar": ["model.encoder_stride=4", "model.decoder_hidden=256"], "groove_2bar": []}
LICENCE = "Groove MIDI Dataset (Gillick et al., ICML 2019; Magenta, Google): CC BY 4.0, see data/GROOVE-LICENSE"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="drums_2bar", choices=sorted(DESCRIPTIONS))
    parser.add_argument("--time-limit", default="40m")
    parser.add_argument("--run", type=Path, help="run directory [runs/shipped-PRESET]")
    parser.add_argument("--package-only", action="store_true", help="measure and package the run as it is")
    parser.add_argument("--started-from", help="for the card: the weights the run started from (vaekit train "
                                               "--init-from), in words")
    args = parser.parse_args()
    run = args.run or ROOT / "runs" / f"shipped-{args.preset}"
    print(f"CPU: {cpu()}", flush=True)
    started = time.time()
    if not args.package_only:
        vaekit.train("midi", args.preset, "groove", overrides=OVERRIDES[args.preset], time_limit=args.time_limit,
                     out=run, seed=0, progress=False, resume=(run / runs.LAST).exists())
    folder = MODELS / args.preset
    extra = tuple(name for name in (runs.METRICS, prior.FILE) if (run / name).exists())
    package(run, folder, {"name": args.preset}, extra=extra, half=True)
    p = vaekit.load(folder)  # measured as it ships
    windows, held, bpm, owner = groove_windows(int(p.config["data"]["steps"]))
    if args.preset == "drums_2bar":
        figures = drums_figures(p, windows[held, :CLASSES])
    else:
        figures = groove_figures(p, windows[~held], windows[held], bpm[held], owner[held])
    log = runs.RunDir(run).read_metrics()
    last = [r for r in log if r.get("split") == "train"][-1]
    metric = p.config["train"]["best_metric"]
    best = max((r for r in log if r.get("split") == "val"), key=lambda r: r[metric])
    speed = sorted(r["examples_per_s"] for r in log if "examples_per_s" in r)
    card = {
        "name": args.preset,
        "description": DESCRIPTIONS[args.preset],
        "data": "groove",
        "licences": LICENCE,
        "heldout": {"groove_validation": figures if args.preset == "drums_2bar" else summary(figures)},
        "trained": {"steps": last["step"], "minutes": round(last["seconds"] / 60, 1),
                    "shipped_step": best["step"], "chosen_by": f"validation {metric}",
                    "overrides": OVERRIDES[args.preset], "windows_per_s": round(speed[len(speed) // 2]),
                    "cpu": cpu(), **({"started_from": args.started_from} if args.started_from else {})},
    }
    (folder / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    write_result(args.preset, {**card, "heldout": {"groove_validation": figures},
                               "seconds_this_call": round(time.time() - started)})


def summary(figures: dict) -> dict:
    """GrooVAE's card: humanise errors and drumify's pooled hit F1, each beside its baselines (the
    result file keeps every instrument's figures)."""
    humanise = {k: v for k, v in figures["humanise"].items() if k != "per_instrument"}
    return {"windows": figures["windows"],
            "humanise_timing_ms": {k: v["timing_ms"] for k, v in humanise.items()},
            "humanise_velocity": {k: v["velocity"] for k, v in humanise.items()},
            "drumify_hit_f1": {k: v["all"] for k, v in figures["drumify_hit_f1"].items()},
            **({"below_template": figures["below_template"]} if "below_template" in figures else {})}


if __name__ == "__main__":
    main()
