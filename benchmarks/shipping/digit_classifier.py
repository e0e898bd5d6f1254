"""Train the digit classifier that ``vaekit evaluate --quality`` measures image samples with
(``vaekit_image.classifier``), and ship it: float16 safetensors inside the image plugin.

Data: the image benchmarks' split of the MNIST test set (../shared/data/mnist, IDX): it trains on the
first 8,000 images alone (with random shifts of up to 2 pixels) and reports accuracy on the last 2,000,
which it never sees, measured with the shipped float16 weights. Seeded; one thread; under a minute in
all (8 epochs).

    OMP_NUM_THREADS=1 nice -n 19 python benchmarks/shipping/digit_classifier.py

Writes plugins/image/vaekit_image/weights/digit_classifier.safetensors and
benchmarks/results/digit_classifier.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: shared helpers, measurements
from image_mnist import N_TRAIN, ROOT, mnist
from vaekit_image.classifier import WEIGHTS, DigitClassifier


def shifted(x: torch.Tensor, generator: torch.Generator, most: int = 2) -> torch.Tensor:
    """Each image moved by a random whole number of pixels (up to ``most``) in x and y, zero-filled."""
    padded = F.pad(x, (most,) * 4)
    dx, dy = (torch.randint(0, 2 * most + 1, (len(x),), generator=generator) for _ in range(2))
    side = x.shape[-1]
    return torch.stack([padded[i, :, dy[i]:dy[i] + side, dx[i]:dx[i] + side] for i in range(len(x))])


@torch.no_grad()
def accuracy(model: DigitClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    return (model(x).argmax(1) == y).float().mean().item()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "mnist")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--out", type=Path, default=WEIGHTS)
    p.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results" / "digit_classifier.json")
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    images, labels = mnist(args.data)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    x_train, y_train, x_held, y_held = x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]
    model = DigitClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs * -(-N_TRAIN // args.batch))
    started = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(N_TRAIN, generator=generator)
        for i in range(0, N_TRAIN, args.batch):
            idx = order[i:i + args.batch]
            loss = F.cross_entropy(model(shifted(x_train[idx], generator)), y_train[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"epoch {epoch + 1}: held-out accuracy {accuracy(model, x_held, y_held):.4f}", flush=True)
    seconds = time.perf_counter() - started
    from safetensors.torch import save_file

    # ship float16, and report what the shipped weights do
    state = {k: v.detach().half().contiguous() for k, v in model.state_dict().items()}
    model.load_state_dict({k: v.float() for k, v in state.items()})
    report = {"held_out_accuracy": round(accuracy(model, x_held, y_held), 4),
              "train_accuracy": round(accuracy(model, x_train, y_train), 4),
              "trained_on": f"MNIST t10k images 0-{N_TRAIN - 1} (held out: {N_TRAIN}-9999)",
              "epochs": args.epochs, "batch": args.batch, "train_seconds": round(seconds, 1),
              "params": sum(v.numel() for v in state.values()),
              "machine": f"{platform.machine()}, 1 thread, torch {torch.__version__}"}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(args.out), metadata={k: str(report[k]) for k in ("held_out_accuracy", "trained_on",
                                                                             "epochs")})
    report["file_bytes"] = args.out.stat().st_size
    args.results.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
