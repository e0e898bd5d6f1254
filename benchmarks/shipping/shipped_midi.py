"""Trains a melody model that vaekit-midi ships, measures it, and puts it in the plugin:

    python benchmarks/shipping/shipped_midi.py --preset mel_2bar --time-limit 75m [--pop-time-limit 90m]

1. ``vaekit train`` of the preset on folk+pop (music21's folk tunes and POP909's songs 001-800), seed
   0, into ``runs/shipped-PRESET`` (an existing run there is continued with --resume);
   with ``--pop-time-limit``, then a second run, ``runs/shipped-PRESET-pop``, from the first one's best
   weights on pop with the folk tunes replayed as half of each epoch (``data.replay``: pop is a sixth
   of folk+pop's windows, and harder), at the learning rate where the first ended and a constant beta;
   that run ships, its prior refitted to folk+pop's training windows;
2. attribute vectors (``vaekit attributes --method regression`` on folk+pop's training windows) of
   the weights as shipped;
3. held-out acc_tf / acc_sampled / note F1 with z = mu and greedy decoding, on the folk tunes and the
   pop songs that training never saw (their validation split, by tune and by song), and on melodies
   of a source it never trained on: the voices of J. S. Bach's chorales in music21's corpus;
4. the run's config, best weights, vectors and a card of these figures into
   ``plugins/midi/vaekit_midi/models/PRESET/``, and the figures into ``benchmarks/results/``. The
   figures are those of the weights as shipped (mel_16bar's compressed to int8 matrices).

Prints the CPU and whether it has AMX (bf16 autocast is on only where it does).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: shared helpers, measurements
from shipped import FIGURES, ROOT, chorales, cpu, melody_figures, package, write_result

import vaekit
from vaekit import prior, runs

MODELS = ROOT / "plugins" / "midi" / "vaekit_midi" / "models"
DESCRIPTIONS = {
    "mel_2bar": "2-bar melodies (MusicVAE's cat-mel_2bar, sized for a CPU): interpolate, sample, transform",
    "mel_16bar": "16-bar melodies with a hierarchical decoder (MusicVAE's hierdec-mel_16bar, sized for a CPU)",
}
# mel_16bar's 4.7M parameters are 18.8 MB as float32: shipped as int8 matrices (a quarter), measured so
COMPRESSED = {"mel_16bar"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="mel_2bar", choices=sorted(DESCRIPTIONS))
    parser.add_argument("--time-limit", default="75m")
    parser.add_argument("--pop-time-limit", help="then continue on pop with folk replayed, for this long (see above)")
    parser.add_argument("--pop-best-metric", default="acc_sampled",
                        help="the validation value that picks the pop run's shipped weights [acc_sampled]")
    parser.add_argument("--run", type=Path, help="run directory [runs/shipped-PRESET]")
    parser.add_argument("--chorales", type=int, default=100, help="Bach chorales to score")
    parser.add_argument("--package-only", action="store_true", help="measure and package the run as it is")
    args = parser.parse_args()
    run = args.run or ROOT / "runs" / f"shipped-{args.preset}"
    print(f"CPU: {cpu()}", flush=True)
    started = time.time()
    if not args.package_only:
        vaekit.train("midi", args.preset, "folk+pop", time_limit=args.time_limit, out=run, seed=0, progress=False,
                     resume=(run / runs.LAST).exists())
    phases = [run]
    if args.pop_time_limit:
        phases.append(run.with_name(run.name + "-pop"))
        if not args.package_only:
            pop_phase(run, phases[-1], args.pop_time_limit, args.pop_best_metric)
        run = phases[-1]
    trained_s = time.time() - started
    folder = MODELS / args.preset
    # as shipped: trained on folk+pop, replaying nothing when a user fine-tunes it
    package(run, folder, {"name": args.preset}, extra=(runs.METRICS, prior.FILE), compress=args.preset in COMPRESSED,
            data={"source": "folk+pop", "replay": ""})
    if len(phases) > 1:  # its prior was fitted to the last run's mix of pop and folk: refit to folk+pop's
        subprocess.run([sys.executable, "-m", "vaekit", "prior", str(folder)], check=True)
    with tempfile.TemporaryDirectory() as tmp:  # vaekit writes nothing into a shipped model's folder: fit on a copy
        copy = shutil.copytree(folder, Path(tmp) / args.preset)
        subprocess.run([sys.executable, "-m", "vaekit", "attributes", str(copy), "--method", "regression"], check=True)
        shutil.copy(copy / "attributes.safetensors", folder)
    p = vaekit.load(folder)  # measured as it ships
    with tempfile.TemporaryDirectory() as tmp:
        figures = melody_figures(p, chorales(Path(tmp), count=args.chorales))
    last = [[r for r in runs.RunDir(phase).read_metrics() if r.get("split") == "train"][-1] for phase in phases]
    speed = sorted(r["examples_per_s"] for phase in phases for r in runs.RunDir(phase).read_metrics()
                   if "examples_per_s" in r)
    card = {
        "name": args.preset,
        "description": DESCRIPTIONS[args.preset],
        "data": "folk+pop",
        "licences": "folk: music21's corpora (Essen: non-commercial use); pop: POP909, MIT",
        "heldout": {name: {f: v[f] for f in FIGURES} for name, v in figures.items()},
        "trained": {"steps": sum(r["step"] for r in last), "minutes": round(sum(r["seconds"] for r in last) / 60, 1),
                    "phases": [{"data": runs.RunDir(phase).read_config()["data"]["source"], "steps": r["step"],
                                "minutes": round(r["seconds"] / 60, 1)} for phase, r in zip(phases, last)],
                    "windows_per_s": round(speed[len(speed) // 2]) if speed else None, "cpu": cpu()},
    }
    (folder / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    write_result(args.preset, {**card, "heldout": figures, "seconds_this_call": round(time.time() - started),
                               "train_s": round(trained_s)})


def pop_phase(base: Path, run: Path, time_limit: str, best_metric: str) -> None:
    """Continue ``base``'s best weights in ``run`` on pop, folk tunes replayed as half of each epoch (or
    resume ``run``), its best weights chosen by ``best_metric``. Its scheduled sampling starts again
    from teacher forcing, which lifts acc_tf first and acc_sampled later."""
    t = runs.RunDir(base).read_config()["train"]
    lr = max(t["lr"] * t["lr_decay"] ** runs.RunDir(base).read_metrics()[-1]["step"], t["lr_min"])
    resume = (run / runs.LAST).exists()
    overrides = ["data.replay=folk", "data.replay_share=0.5", "loss.beta_schedule=constant", f"train.lr={lr:.3g}",
                 f"train.best_metric={best_metric}"]
    vaekit.train(data="pop", overrides=overrides, time_limit=time_limit, out=run, seed=0, progress=False,
                 resume=resume, init_from=None if resume else base)


if __name__ == "__main__":
    main()
