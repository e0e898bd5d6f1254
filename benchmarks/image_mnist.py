"""Image benchmark: vaekit's default image preset beside pythae's VAE on real MNIST, same data, same
epochs, in one run; plus pythae's own architecture trained through vaekit, the lesson's two pictures
from ``conv2d``, and denoising / super-resolution PSNR on digits.

Data: the MNIST test set (../shared/data/mnist, IDX): the first 8,000 images train, the last 2,000 are
held out. Training binarizes dynamically (a fresh Bernoulli draw of every pixel at every batch). The
held-out NLL uses every ``--nll-every``-th held-out image, binarized once with numpy seed 0, and
``--k`` importance samples, the same estimator (vaekit.evaluation.iw_nll) for every model.

Each model trains in its own process so that its peak memory (max RSS) is its own. Run it in the
separate benchmark venv that has pythae (pip install pythae; never in the main venv):

    nice -n 5 /work/bench-venv/bin/python benchmarks/image_mnist.py --epochs 20

Writes benchmarks/results/image_mnist.json and .md, and docs/img/conv2d_manifold.png / conv2d_latent.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOCS_IMG = ROOT / "docs" / "img"  # the pictures the docs show
N_TRAIN = 8000


# ---- data --------------------------------------------------------------------------------------


def mnist(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 test images as float32 (N, 1, 28, 28) in [0, 1], and their labels."""
    from vaekit_image.data import read_idx

    x = read_idx(folder / "t10k-images-idx3-ubyte.gz").astype(np.float32)[:, None] / 255.0
    return x, read_idx(folder / "t10k-labels-idx1-ubyte.gz").astype(np.int64)


def nll_set(folder: Path, every: int) -> torch.Tensor:
    """Every ``every``-th held-out image, binarized once with numpy seed 0."""
    x, _ = mnist(folder)
    held = x[N_TRAIN:][::every]
    return torch.from_numpy((np.random.RandomState(0).random_sample(held.shape) < held).astype(np.float32))


# ---- pythae's nets as vaekit Encoder / Decoder --------------------------------------------------


def pythae_nets(latent_dim: int = 16):
    from pythae.models import VAEConfig
    from pythae.models.nn.benchmarks.mnist import Decoder_Conv_AE_MNIST, Encoder_Conv_VAE_MNIST

    config = VAEConfig(input_dim=(1, 28, 28), latent_dim=latent_dim, reconstruction_loss="bce")
    return config, Encoder_Conv_VAE_MNIST(config), Decoder_Conv_AE_MNIST(config)


def wrap_pythae(encoder, decoder, logits: bool, bf16: bool = False):
    """A vaekit VAE over pythae's benchmark nets. ``logits``: drop the decoder's final sigmoid and
    score with BCE-with-logits (what vaekit trains); else score pythae's sigmoid output with its own
    clamped BCE (what pythae trains). ``bf16``: run both nets under bf16 autocast, as vaekit's own
    image models do with ``model.bf16=true``; heads and losses stay fp32."""
    import torch.nn.functional as F

    from vaekit.model import VAE, Decoder, Encoder

    if logits:
        last = decoder.layers[-1]
        decoder.layers[-1] = last[:-1]  # ConvTranspose2d without the Sigmoid

    class PythaeEncoder(Encoder):
        def __init__(self):
            super().__init__()
            self.net = encoder

        def forward(self, x):
            with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
                out = self.net(x)
            return out.embedding.float(), out.log_covariance.float()

    class PythaeDecoder(Decoder):
        likelihood = "bernoulli"

        def __init__(self):
            super().__init__()
            self.net = decoder

        def forward(self, z, x=None):
            with torch.autocast(z.device.type, dtype=torch.bfloat16, enabled=bf16):
                return self.net(z).reconstruction.float()

        def log_prob(self, out, x):
            if logits:
                nll = F.binary_cross_entropy_with_logits(out, x, reduction="none")
            else:
                nll = F.binary_cross_entropy(out, x, reduction="none")
            return -nll.flatten(1).sum(-1)

        def mean(self, out):
            return torch.sigmoid(out) if logits else out

        def sample(self, z, temperature=1.0):
            return self.mean(self(z))

    return VAE(PythaeEncoder(), PythaeDecoder(), encoder.latent_dim if hasattr(encoder, "latent_dim") else 16)


# ---- evaluation ----------------------------------------------------------------------------------


@torch.no_grad()
def held_out_scores(model, x: torch.Tensor, k: int, batch: int, chunk: int) -> dict[str, float]:
    """Importance-weighted NLL with ``k`` samples and the single-sample ELBO, nats per image."""
    from vaekit import objective
    from vaekit.evaluation import iw_nll

    model.eval()
    torch.manual_seed(0)
    nll, elbo = [], []
    for i in range(0, len(x), batch):
        xb = x[i:i + batch]
        out = model(xb, xb)
        elbo.append(objective.elbo(out.log_px, out.kl).elbo * len(xb))
        nll.append(iw_nll(model, xb, xb, k=k, chunk=chunk))
    nll_t = torch.cat(nll)
    return {"nll": nll_t.mean().item(), "nll_sem": (nll_t.std() / len(nll_t) ** 0.5).item(),
            "elbo": (sum(elbo) / len(x)).item(), "nll_images": len(x), "k": k, "nll_per_image": nll_t.tolist()}


def paired_difference(a: list[float], b: list[float]) -> tuple[float, float]:
    """Mean and standard error of a - b over the same held-out images: far tighter than comparing the
    two means, since an image that is hard for one model is hard for the other."""
    d = torch.tensor(a) - torch.tensor(b)
    return d.mean().item(), (d.std() / len(d) ** 0.5).item()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- the parts, each in its own process ----------------------------------------------------------


def vaekit_config(modality, preset: str, folder: Path, epochs: int, batch: int, extra: list[str]):
    from vaekit.config import build

    sets = ["data.split=\"tail\"", "data.val_fraction=0.2", "data.binarize=true", f"train.batch_size={batch}",
            f"train.epochs={epochs}", "train.time_limit=null", "train.steps=null", "train.eval_every=1000000000",
            "train.lr=0.001", *extra]
    return build(modality, preset, str(folder), None, sets)


def subset_folder(tmp: Path, folder: Path) -> Path:
    """A copy of the MNIST test files alone (the shared folder also holds train labels without images;
    the loader does not follow links out of a folder)."""
    out = tmp / "mnist"
    out.mkdir(exist_ok=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        if not (out / name).exists():
            shutil.copyfile(folder / name, out / name)
    return out


def train_vaekit(args, arch: str, bf16: bool = False) -> dict:
    """The default preset (``arch == "conv"``) or pythae's nets (``"pythae"``) through vaekit's trainer.
    pythae's nets get what vaekit offers a user's own nets: their few-pixel convolutions lowered to
    one matmul (``lowering.py`` beside this script), fused Adam, and with ``bf16`` bf16 autocast."""
    from lowering import lower_convolutions
    from vaekit_image.modality import ImageModality

    from vaekit import checkpoint, runs
    from vaekit.training import train

    class PythaeArch(ImageModality):
        def build_model(self, config):
            _, enc, dec = pythae_nets(config["model"]["latent_dim"])
            return wrap_pythae(lower_convolutions(enc), lower_convolutions(dec), logits=True, bf16=bf16)

    modality = PythaeArch() if arch == "pythae" else ImageModality()
    with tempfile.TemporaryDirectory() as tmp:
        folder = subset_folder(Path(tmp), args.data)
        extra = ["model.latent_dim=16"] if arch == "pythae" else list(args.overrides)
        config = vaekit_config(modality, "conv", folder, args.epochs, args.batch, extra)
        started = time.perf_counter()
        run = train(modality, config, Path(tmp) / "run", progress=False)
        wall = time.perf_counter() - started
        rows = runs.RunDir(run).read_metrics()
        train_seconds = max(r["seconds"] for r in rows)
        peak = peak_rss_mb()  # training's peak, before the NLL's large decoding batches
        model = modality.build_model(runs.RunDir(run).read_config())
        checkpoint.load_model_weights(run / runs.LAST, model)
    scores = held_out_scores(model, nll_set(args.data, args.nll_every), args.k, args.nll_batch, args.nll_chunk)
    return {"trainer": "vaekit", "arch": arch, "bf16": bf16, "params": sum(p.numel() for p in model.parameters()),
            "epochs": args.epochs, "train_seconds": train_seconds, "wall_seconds": wall,
            "seconds_per_epoch": train_seconds / args.epochs, "images_per_s": N_TRAIN * args.epochs / train_seconds,
            "peak_rss_mb": peak, "peak_rss_scope": "training", **scores}


def train_pythae(args) -> dict:
    from pythae.data.datasets import BaseDataset, DatasetOutput
    from pythae.models import VAE
    from pythae.trainers import BaseTrainer, BaseTrainerConfig

    class Binarized(BaseDataset):
        """pythae's dataset with dynamic binarization."""

        def __getitem__(self, index):
            return DatasetOutput(data=torch.bernoulli(self.data[index]), labels=self.labels[index])

    x, labels = mnist(args.data)
    dataset = Binarized(torch.from_numpy(x[:N_TRAIN]), torch.from_numpy(labels[:N_TRAIN]))
    config, enc, dec = pythae_nets(16)
    model = VAE(model_config=config, encoder=enc, decoder=dec)
    with tempfile.TemporaryDirectory() as tmp:
        trainer_config = BaseTrainerConfig(output_dir=tmp, num_epochs=args.epochs, learning_rate=1e-3,
                                           per_device_train_batch_size=args.batch, optimizer_cls="Adam", seed=0,
                                           no_cuda=True)
        trainer = BaseTrainer(model=model, train_dataset=dataset, training_config=trainer_config)
        started = time.perf_counter()
        trainer.train()
        wall = time.perf_counter() - started
        peak = peak_rss_mb()
    vae = wrap_pythae(trainer.model.encoder, trainer.model.decoder, logits=False)  # the final model, as for vaekit
    scores = held_out_scores(vae, nll_set(args.data, args.nll_every), args.k, args.nll_batch, args.nll_chunk)
    return {"trainer": "pythae", "arch": "pythae", "params": sum(p.numel() for p in vae.parameters()),
            "epochs": args.epochs, "train_seconds": wall, "wall_seconds": wall,
            "seconds_per_epoch": wall / args.epochs, "images_per_s": N_TRAIN * args.epochs / wall,
            "peak_rss_mb": peak, "peak_rss_scope": "training", **scores}


def conv2d_pictures(args) -> dict:
    """The lesson's two pictures from ``conv2d`` trained on the same 8,000 images."""
    from vaekit_image import plots
    from vaekit_image.modality import ImageModality

    from vaekit import checkpoint, runs
    from vaekit.training import train

    modality = ImageModality()
    with tempfile.TemporaryDirectory() as tmp:
        folder = subset_folder(Path(tmp), args.data)
        epochs = args.conv2d_epochs or args.epochs
        config = vaekit_config(modality, "conv2d", folder, epochs, args.batch, [])
        started = time.perf_counter()
        run = train(modality, config, Path(tmp) / "run", progress=False)
        wall = time.perf_counter() - started
        config = runs.RunDir(run).read_config()
        model = modality.build_model(config)
        checkpoint.load_model_weights(run / runs.LAST, model)
        _, val = modality.load_dataset(config["data"]["source"], config)
        x, _, labels = val.get_batch(torch.arange(len(val)))
    model.eval()
    plots.manifold(model, DOCS_IMG / "conv2d_manifold.png", n=20)
    plots.latent_scatter(model, x, DOCS_IMG / "conv2d_latent.png", labels, config["data"]["label_names"])
    scores = held_out_scores(model, nll_set(args.data, args.nll_every), args.k, args.nll_batch, args.nll_chunk)
    return {"trainer": "vaekit", "arch": "conv2d", "epochs": epochs, "wall_seconds": wall, **scores}


def digits_tasks(args) -> dict:
    """Denoising and super-resolution on digits: held-out PSNR beside the noisy input / bicubic."""
    from vaekit_image.modality import ImageModality

    from vaekit.config import build
    from vaekit.pipeline import Pipeline
    from vaekit.training import train

    modality = ImageModality()
    cases = {
        "denoise gaussian 0.3": ["task=\"denoise\"", "noise.kind=\"gaussian\"", "noise.amount=0.3"],
        "denoise salt_pepper 0.2": ["task=\"denoise\"", "noise.kind=\"salt_pepper\"", "noise.amount=0.2"],
        "denoise mask 0.3": ["task=\"denoise\"", "noise.kind=\"mask\"", "noise.amount=0.3"],
        "superres x2": ["task=\"superres\"", "superres.factor=2"],
    }
    results = {}
    for name, sets in cases.items():
        for variational in (True, False):
            with tempfile.TemporaryDirectory() as tmp:
                sets_here = [*sets, f"model.variational={str(variational).lower()}", f"train.steps={args.digits_steps}",
                             "train.time_limit=null", "train.epochs=null"]
                config = build(modality, "conv", "digits", None, sets_here)
                run = train(modality, config, Path(tmp) / "run", progress=False)
                pipeline = Pipeline(*_open_parts(run, modality))
                values = pipeline.evaluate(k=0)
            results[f"{name} ({'VAE' if variational else 'AE'})"] = {
                "psnr": values["psnr"], "psnr_baseline": values["psnr_baseline"], "items": values["items"]}
    return {"steps": args.digits_steps, "cases": results}


def _open_parts(run: Path, modality):
    from vaekit import checkpoint, runs

    run_dir = runs.RunDir(run)
    config = run_dir.read_config()
    model = modality.build_model(config)
    checkpoint.load_model_weights(run / runs.LAST, model)
    return run_dir, config, modality, model.eval()


PARTS = {"conv": lambda a: train_vaekit(a, "conv"), "pythae": train_pythae,
         "vaekit-pythae-arch": lambda a: train_vaekit(a, "pythae"),
         "vaekit-pythae-arch-bf16": lambda a: train_vaekit(a, "pythae", bf16=True), "conv2d": conv2d_pictures,
         "digits": digits_tasks}


# ---- report --------------------------------------------------------------------------------------


def markdown(report: dict) -> str:
    a = report["args"]
    epochs = report["parts"].get("pythae", {}).get("epochs", a["epochs"])
    lines = [
        "# Image benchmark: MNIST, vaekit beside pythae",
        "",
        f"MNIST test set split {N_TRAIN} train / 2,000 held out, dynamic binarization, Adam 1e-3, batch {a['batch']}, "
        f"{epochs} epochs for every model in the table. Held-out NLL: k={a['k']} importance samples on every "
        f"{a['nll_every']}th held-out image ({report.get('nll_images', '?')} images) binarized once with numpy seed 0, "
        "the same estimator for every model. Times are training time only, measured on the same machine in one "
        f"run ({report['machine']}), load average at start {report['load_start']:.1f}, at end "
        f"{report['load_end']:.1f} (2 or more means other work shared the cores: read the ratios).",
        "",
        *([f"The `conv` row is not the default preset: it ran with `{' '.join(a['overrides'])}`.", ""]
          if a.get("overrides") else []),
        "| model | trainer | params | held-out NLL (nats) | held-out ELBO | s / epoch | images / s | peak RSS (MB) |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {"conv": "vaekit `conv` (default preset)", "pythae": "pythae VAE, benchmark conv nets",
             "vaekit-pythae-arch": "pythae's conv nets, trained by vaekit (fp32)",
             "vaekit-pythae-arch-bf16": "pythae's conv nets, trained by vaekit (bf16 autocast)"}
    for key, label in names.items():
        r = report["parts"].get(key)
        if r and "error" not in r:
            lines.append(f"| {label} | {r['trainer']} | {r['params']:,} | {r['nll']:.2f} ± {r['nll_sem']:.2f} | "
                         f"{r['elbo']:.2f} | {r['seconds_per_epoch']:.1f} | {r['images_per_s']:.0f} | "
                         f"{r['peak_rss_mb']:.0f} |")
        elif r:
            lines.append(f"| {label} | failed: {r['error']} | | | | | | |")
    if any("peak_rss_scope" not in r for r in report["parts"].values() if "peak_rss_mb" in r):
        lines += ["", "Peak RSS is the maximum resident memory of the model's own process; rows measured before "
                  "`peak_rss_scope` was recorded include the NLL evaluation (1,000 decodes at a time), not training "
                  "alone."]
    if report.get("ratios"):
        lines += ["", *[f"- {k}: {v:.2f}" for k, v in report["ratios"].items()]]
    if report.get("nll_differences"):
        lines += ["", "Held-out NLL differences on the same images (mean ± standard error of the per-image "
                  "difference; negative: lower NLL than pythae's):", ""]
        lines += [f"- {k}: {mean:+.2f} ± {sem:.2f} nats" for k, (mean, sem) in report["nll_differences"].items()]
    c2 = report["parts"].get("conv2d")
    if c2 and "error" not in c2:
        lines += ["", f"`conv2d` (2-D latent, the Keras example's shape, {c2['epochs']} epochs on the same data): "
                  f"held-out NLL {c2['nll']:.2f} nats, ELBO {c2['elbo']:.2f}. Pictures: `conv2d_manifold.png`, "
                  "`conv2d_latent.png`."]
    dg = report["parts"].get("digits")
    if dg and "error" not in dg:
        lines += ["", f"## Denoising and super-resolution on digits ({dg['steps']} steps, `conv` preset, 180 held-out "
                  "images)", "", "| task | PSNR of output (dB) | baseline PSNR (dB) |", "| --- | ---: | ---: |"]
        for name, v in dg["cases"].items():
            base = "noisy input" if name.startswith("denoise") else "bicubic"
            lines.append(f"| {name} | {v['psnr']:.2f} | {v['psnr_baseline']:.2f} ({base}) |")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "mnist")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--k", type=int, default=1000)
    p.add_argument("--nll-every", type=int, default=4)
    p.add_argument("--nll-batch", type=int, default=25)
    p.add_argument("--nll-chunk", type=int, default=40)
    p.add_argument("--digits-steps", type=int, default=800)
    p.add_argument("--conv2d-epochs", type=int, default=0, help="epochs of the pictures' model (0: --epochs)")
    p.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="change the conv preset (to try variants; the table then no longer shows the default)")
    p.add_argument("--only", help=argparse.SUPPRESS)  # one part, in a child process
    p.add_argument("--report", action="store_true", help="only rewrite the Markdown from the JSON")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    if args.only:
        torch.manual_seed(0)
        print(json.dumps(PARTS[args.only](args)))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, torch {torch.__version__}",
              "load_start": os.getloadavg()[0], "parts": {}}
    path = args.out / "image_mnist.json"
    if args.report:
        (args.out / "image_mnist.md").write_text(markdown(json.loads(path.read_text())))
        return
    if path.exists():  # keep parts measured by an earlier invocation
        report["parts"] = json.loads(path.read_text()).get("parts", {})
    for part in args.parts.split(","):
        print(f"== {part}", file=sys.stderr, flush=True)
        options = {k: v for k, v in vars(args).items() if k not in ("parts", "only", "report")}
        cmd = [sys.executable, __file__, "--only", part]
        cmd += [item for k, v in options.items() if k != "overrides" for item in (f"--{k.replace('_', '-')}", str(v))]
        cmd += [item for o in args.overrides for item in ("--set", o)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode == 0:
            report["parts"][part] = json.loads(done.stdout.strip().splitlines()[-1])
        else:
            report["parts"][part] = {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "?"}
            print(done.stderr[-3000:], file=sys.stderr)
        print(json.dumps(report["parts"][part]), file=sys.stderr, flush=True)
        report["load_end"] = os.getloadavg()[0]
        parts = report["parts"]
        ratios = {}
        if "images_per_s" in parts.get("pythae", {}):
            for key in ("conv", "vaekit-pythae-arch", "vaekit-pythae-arch-bf16"):
                if "images_per_s" in parts.get(key, {}):
                    ratio = parts[key]["images_per_s"] / parts["pythae"]["images_per_s"]
                    ratios[f"{key} images/s over pythae's"] = ratio
        report["ratios"] = ratios
        report["nll_differences"] = {
            f"{key} minus pythae": paired_difference(parts[key]["nll_per_image"], parts["pythae"]["nll_per_image"])
            for key in ("conv", "vaekit-pythae-arch", "vaekit-pythae-arch-bf16")
            if "nll_per_image" in parts.get(key, {}) and "nll_per_image" in parts.get("pythae", {})
        }
        report["nll_images"] = next((v["nll_images"] for v in parts.values() if "nll_images" in v), None)
        path.write_text(json.dumps(report, indent=2))
        (args.out / "image_mnist.md").write_text(markdown(report))


if __name__ == "__main__":
    main()
