"""Image generation quality: how close samples are to real MNIST digits, for vaekit's default ``conv``
preset and pythae's VAE trained on the same data for the same epochs, beside the held-out floor.

The measure is the one ``vaekit evaluate --quality`` reports for image runs (``vaekit_image.classifier``):
the Fréchet distance between Gaussians fitted to the features of the shipped digit classifier (FID's
recipe with a small MNIST classifier in place of Inception), its mean confidence on the samples, and the
spread of its predicted classes. Lower distance: closer to real digits.

Data: the image benchmarks' split of the MNIST test set (``image_mnist.py``): the first 8,000 images
train, the last 2,000 are held out (the classifier never saw them either). Both models train as in
``image_mnist.py`` (its own trainers, reused: dynamic binarization, Adam 1e-3, batch 100); each then
draws 2,000 samples from the prior (seed 0; the decoder's pixel probabilities, as both libraries show
samples), compared with the 2,000 held-out images. The floor: 2,000 training images in place of
samples (every 4th), what a model that reproduced its training data would score. Also the shipped
``conv2d`` (trained on the same 8,000 by ``shipped_image.py``), which needs no training here.

Run it in the benchmark venv that has pythae, with vaekit and the image plugin installed there:

    /work/bench-venv/bin/pip install -q -c constraints.txt -e . -e plugins/image
    OMP_NUM_THREADS=1 nice -n 19 /work/bench-venv/bin/python benchmarks/image_quality.py --epochs 5

Writes benchmarks/results/image_quality.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import image_mnist
import numpy as np
import torch
from image_mnist import N_TRAIN, ROOT, mnist
from shipped import cpu
from vaekit_image import classifier

from vaekit.quality import frechet_distance

RESULTS = ROOT / "benchmarks" / "results"
SAMPLES = 2000


def trained(part: str, args: argparse.Namespace) -> tuple[Any, dict]:
    """A model trained by ``image_mnist``'s own trainer for ``part`` (``conv``: vaekit's default preset;
    ``pythae``: pythae's VAE and trainer), and that trainer's timing. The trainers score held-out NLL
    and drop the model; their scorer is swapped for one that keeps the model instead."""
    kept = {}

    def keep(model, *_, **__):
        kept["model"] = model
        return {}

    image_mnist.held_out_scores = keep
    image_mnist.nll_set = lambda folder, every: None
    info = image_mnist.train_vaekit(args, "conv") if part == "conv" else image_mnist.train_pythae(args)
    return kept["model"].eval(), {k: info[k] for k in ("trainer", "params", "epochs", "train_seconds")}


def shipped_conv2d() -> tuple[Any, dict]:
    import vaekit
    from vaekit.shipped import models

    card = models()["conv2d"].describe()
    return vaekit.load("conv2d").model.eval(), {"trainer": "vaekit (shipped)", "epochs": card.get("trained", {})
                                                .get("epochs")}


@torch.no_grad()
def samples(model: Any, n: int) -> torch.Tensor:
    """``n`` samples, z from N(0, I) with seed 0 for every model (whatever prior a run may have fitted):
    pixel probabilities ``(n, 1, 28, 28)``."""
    torch.manual_seed(0)
    z = torch.randn(n, model.latent_dim, generator=torch.Generator().manual_seed(0))
    return model.decode(z, 1.0).float().cpu()


def figures(x: torch.Tensor, held: np.ndarray, train: np.ndarray) -> dict:
    """The quality figures of images ``x`` against the held-out and training features."""
    features, probs = classifier.embed(x)
    shares, entropy = classifier.class_spread(probs)
    return {"frechet_held_out": frechet_distance(features, held), "frechet_train": frechet_distance(features, train),
            "mean_confidence": float(probs.max(1).mean()), "class_entropy": entropy, "class_shares": shares}


def markdown(report: dict) -> str:
    a, floor = report["args"], report["floor"]
    rows = [(f"{SAMPLES:,} other training images (the floor: a model that reproduced its training data)", floor),
            ("the held-out images themselves", report["held_out"])]
    names = {"conv": f"vaekit `conv` (default preset), {a['epochs']} epochs",
             "pythae": f"pythae VAE (its benchmark conv nets and trainer), {a['epochs']} epochs",
             "conv2d": "vaekit `conv2d` as shipped (2-D latent, {} epochs)"}
    for key, label in names.items():
        r = report["models"].get(key)
        if r:
            rows.append((label.format(r.get("epochs")), r))
    lines = [
        "# Image generation quality: MNIST samples, vaekit beside pythae",
        "",
        f"{SAMPLES:,} samples of each model (z from N(0, I), seed 0; the decoder's pixel probabilities) against "
        "the 2,000 held-out MNIST images, in the features of vaekit-image's digit classifier "
        f"({classifier.FEATURES}-d, "
        f"{report['classifier_accuracy']:.2%} accurate on those held-out images; see `digit_classifier.py`). FID's "
        "recipe with that classifier in place of Inception: the lower, the closer to real digits. Both trained "
        f"models trained on the same {N_TRAIN:,} images for the same {a['epochs']} epochs with `image_mnist.py`'s "
        "trainers (dynamic binarization, Adam 1e-3, batch 100; `conv`'s own default is 30 epochs or 15 "
        "minutes, and 5 is what `image_mnist.md` compares), one training run each. Machine: "
        f"{report['machine']}; load average {report['load_start']:.1f} at start, {report['load_end']:.1f} at end "
        "(another training shared the 2 cores; this ran at nice 19, which changes times, not figures).",
        "",
        "| items | FID vs held-out | FID vs training | mean confidence | class entropy | train seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, r in rows:
        seconds = f"{r['train_seconds']:.0f}" if r.get("train_seconds") else ""
        held = "-" if r is report["held_out"] else f"{r['frechet_held_out']:.2f}"
        lines.append(f"| {label} | {held} | {r['frechet_train']:.2f} | {r['mean_confidence']:.3f} | "
                     f"{r['class_entropy']:.3f} | {seconds} |")
    lines += ["", "Class shares (digits 0-9, as the classifier reads them):", ""]
    lines += [f"- {label}: " + " ".join(f"{s:.1%}" for s in r["class_shares"]) for label, r in rows]
    lines += ["", f"FID vs training: against {SAMPLES:,} training images (every 4th, from the first); the floor's "
              f"images are {SAMPLES:,} others (every 4th, from the third). A model's FID vs training is its distance "
              "to the data it learned. The floor's two figures differ because of MNIST itself: the test set's "
              "first 5,000 images (cleaner writers, from NIST's training set) are all in the training part, and "
              "the held-out 2,000 are all from its last 5,000 (NIST's test set), so held-out digits lie farther "
              "from training digits than training digits from each other."]
    lines += ["", f"Sampling noise: two sets of {SAMPLES:,} images from one distribution (the floor's training "
              f"images against the other training images) are {floor['frechet_train']:.2f} apart."]
    conv, pythae = report["models"].get("conv"), report["models"].get("pythae")
    if conv and pythae:
        closer = "closer to" if conv["frechet_held_out"] < pythae["frechet_held_out"] else "farther from"
        lines += ["", f"vaekit's `conv` samples are {closer} real digits than pythae's: FID "
                  f"{conv['frechet_held_out']:.2f} against {pythae['frechet_held_out']:.2f} (held-out), "
                  f"{conv['frechet_train']:.2f} against {pythae['frechet_train']:.2f} (training)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "mnist")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--parts", default="conv,pythae,conv2d")
    p.add_argument("--report", action="store_true", help="only rewrite the Markdown from the JSON")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args()
    args.overrides, args.nll_every, args.k, args.nll_batch, args.nll_chunk = [], 1, 0, 1, 1  # for image_mnist
    path = args.out / "image_quality.json"
    if args.report:
        (args.out / "image_quality.md").write_text(markdown(json.loads(path.read_text())))
        return
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    x, _ = mnist(args.data)
    x = torch.from_numpy(x)
    held, _ = classifier.embed(x[N_TRAIN:])
    train, _ = classifier.embed(x[:N_TRAIN][0::4])
    report = {"args": {"epochs": args.epochs, "batch": args.batch, "samples": SAMPLES},
              "machine": f"{cpu()}, torch {torch.__version__}", "load_start": os.getloadavg()[0],
              "classifier_accuracy": float(classifier.load()[1]["held_out_accuracy"]), "models": {}}
    if path.exists():  # keep models measured by an earlier invocation with the same settings
        old = json.loads(path.read_text())
        if old.get("args") == report["args"]:
            report["models"] = old.get("models", {})
    report["floor"] = figures(x[:N_TRAIN][2::4], held, train)
    report["held_out"] = figures(x[N_TRAIN:], held, train)
    for part in args.parts.split(","):
        print(f"== {part}", flush=True)
        torch.manual_seed(0)
        model, info = shipped_conv2d() if part == "conv2d" else trained(part, args)
        report["models"][part] = {**info, **figures(samples(model, SAMPLES), held, train)}
        print(json.dumps(report["models"][part]), flush=True)
        report["load_end"] = os.getloadavg()[0]
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")
        (args.out / "image_quality.md").write_text(markdown(report))


if __name__ == "__main__":
    main()
