"""Trains an image model that vaekit-image ships, measures it, and puts it in the plugin:

    python benchmarks/shipping/shipped_image.py --preset conv --epochs 10 --mnist ../shared/data/mnist

1. ``vaekit train`` of the preset on MNIST at 28x28 (the test set's first 8,000 images; the last 2,000
   held out: ``data.split=tail``), dynamic binarization, seed 0, into ``runs/shipped-PRESET``;
2. held-out figures of the weights as shipped: the importance-weighted NLL (k=100, every 4th held-out
   image), the per-pixel BCE, and how 2,000 samples (from the run's fitted prior) compare with the
   2,000 held-out images in the shipped digit classifier's features (``vaekit evaluate --quality``:
   Fréchet distance, its floor, mean confidence);
3. the run's config, best weights (large matrices int8, the rest float16: a quarter of the size, and
   they load into float32 models) and fitted prior, and a card into
   ``plugins/image/vaekit_image/models/PRESET/``, the figures into ``benchmarks/results/``.

``--package-only`` skips step 1 for a run already trained, refitting its prior as training's end would.

MNIST is not shipped, so the packaged config's data.source is scikit-learn's ``digits`` (resized to
28x28): what ``vaekit evaluate PRESET`` scores without --data.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: shared helpers, measurements
from shipped import ROOT, cpu, package, write_result

import vaekit
from vaekit import evaluation, prior, runs

MODELS = ROOT / "plugins" / "image" / "vaekit_image" / "models"
N_TRAIN = 8000  # MNIST's test set less the 2,000 held out
QUALITY = ("frechet_distance", "mean_confidence")
DESCRIPTIONS = {
    "conv": "handwritten digits, 28x28 (the default preset: 32-D latent, residual stages): generate, "
            "reconstruct, interpolate",
    "conv2d": "handwritten digits, 28x28, with a 2-D latent (the Keras example): the latent map and manifold",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="conv", choices=sorted(DESCRIPTIONS))
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--mnist", type=Path, default=ROOT.parent / "shared" / "data" / "mnist")
    parser.add_argument("--run", type=Path, help="run directory [runs/shipped-PRESET]")
    parser.add_argument("--package-only", action="store_true",
                        help="refit the run's prior, then measure and package the run as it is")
    args = parser.parse_args()
    run = args.run or ROOT / "runs" / f"shipped-{args.preset}"
    print(f"CPU: {cpu()}", flush=True)
    started = time.time()
    if args.package_only:
        vaekit.load(run).fit_prior()
    else:
        vaekit.train("image", args.preset, str(args.mnist.resolve()), epochs=args.epochs, out=run, seed=0,
                     progress=False, force=True, overrides=["data.split=tail", "data.val_fraction=0.2",
                                                            "data.binarize=true", "train.time_limit=null"])
    rows = [r for r in runs.RunDir(run).read_metrics() if r.get("split") == "train"]
    batch = json.loads((run / runs.CONFIG).read_text())["train"]["batch_size"]  # a stopped run has fewer epochs
    card = {"name": args.preset, "description": DESCRIPTIONS[args.preset], "data": "MNIST (28x28)",
            "licences": "MNIST: CC BY-SA 3.0 (Y. LeCun, C. Cortes)",
            "trained": {"epochs": round(rows[-1]["step"] * batch / N_TRAIN, 1), "steps": rows[-1]["step"],
                        "minutes": round(rows[-1]["seconds"] / 60, 1), "cpu": cpu()}}
    shipped = MODELS / args.preset / "card.json"
    if args.package_only and shipped.exists():  # trained earlier, maybe on other threads: keep what its card says
        card["trained"] = json.loads(shipped.read_text())["trained"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / args.preset
        package(run, folder, card, extra=(prior.FILE,), compress=True)
        p = vaekit.load(folder)  # the weights as shipped
        _, val = p.handler.load_dataset(str(args.mnist.resolve()), p.config)
        held = evaluation.evaluate(p.model, p.modality, val, k=0, batch_size=100)
        nll = evaluation.evaluate(p.model, p.modality, [val[i] for i in range(0, len(val), 4)], k=100, batch_size=50)
        figures = p.quality(len(val)).to_dict()["samples_vs_real"]["figures"]  # the run's own held-out split
    card["heldout"] = {"mnist": {"nll_iw": round(nll["nll_iw"], 2), "bce": round(held["bce"], 4),
                                 **{f"samples_{name}": figures[name]["samples"] for name in QUALITY},
                                 "frechet_floor": figures["frechet_distance"]["held_out"]}}
    package(run, MODELS / args.preset, card, extra=(runs.METRICS, prior.FILE), compress=True, data={"source": "digits"})
    write_result(args.preset, {**card, "seconds": round(time.time() - started)})


if __name__ == "__main__":
    main()
