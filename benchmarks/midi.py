"""MIDI benchmark (not a test): train a preset on the built-in ``folk`` corpus for a time limit, then
measure on held-out tunes what issue 4 asks for: acc_tf, acc_sampled, note_on_acc, note_f1,
training windows/s, and interpolation smoothness; write JSON and Markdown into benchmarks/results/.

    nice -n 5 python benchmarks/midi.py --preset mel_2bar --time-limit 15m
    python benchmarks/midi.py --preset mel_2bar --eval-only RUN_DIR     # measure an existing run

Smoothness (MusicVAE paper, section 5.3): for each of 100 random held-out pairs, decode 8 slerp steps
between the encoded means (greedy); the Hamming distance of each step to the first input must rise
from step to step, a drop of at most 2 tokens allowed. Reported: the share of pairs where it does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch
from vaekit_midi.kinds import KINDS

import vaekit
from vaekit import checkpoint, latent, plugins, runs
from vaekit.config import build
from vaekit.training import train

RESULTS = Path(__file__).parent / "results"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@torch.no_grad()
def heldout_metrics(model: vaekit.model.VAE, val, batch_size: int, limit: int) -> dict[str, float]:
    """The four metrics over the first ``limit`` held-out windows, weighted by batch size."""
    n = min(len(val), limit)
    sums: dict[str, float] = {}
    for start in range(0, n, batch_size):
        idx = torch.arange(start, min(start + batch_size, n))
        batch = val.get_batch(idx)
        for key, value in KINDS["melody"].metrics(model, batch).items():
            sums[key] = sums.get(key, 0.0) + value * len(idx)
    return {key: value / n for key, value in sums.items()} | {"windows": n}


@torch.no_grad()
def smoothness(model: vaekit.model.VAE, val, pairs: int = 100, steps: int = 8, slack: int = 2) -> dict:
    g = torch.Generator().manual_seed(0)
    pairs = min(pairs, len(val) // 2)
    idx = torch.randperm(len(val), generator=g)[: 2 * pairs].view(pairs, 2)
    a, b = val.get_batch(idx[:, 0])[0], val.get_batch(idx[:, 1])[0]
    mu_a, mu_b = model.encode(a)[0], model.encode(b)[0]
    z = torch.cat([latent.path(mu_a[i], mu_b[i], steps, "slerp") for i in range(pairs)])
    out = model.decode(z).view(pairs, steps, -1)
    dist = (out != a[:, None]).sum(-1)  # (pairs, steps): Hamming distance of each step to the first input
    rises = (dist[:, 1:] >= dist[:, :-1] - slack).all(1)
    return {
        "pairs": pairs,
        "steps": steps,
        "smooth_share": rises.float().mean().item(),
        "mean_distance_by_step": dist.float().mean(0).tolist(),
        "mean_input_distance": (a != b).sum(-1).float().mean().item(),
    }


@torch.no_grad()
def sample_stats(model: vaekit.model.VAE, val, n: int = 512, temperature: float = 0.5) -> dict:
    """Prior samples beside held-out data: note-ons per bar, distinct pitches, share of silent windows."""
    torch.manual_seed(0)
    samples = model.sample(n, temperature)
    data = val.get_batch(torch.arange(min(n, len(val))))[0]

    def stats(x: torch.Tensor) -> dict:
        on = x >= 2
        bars = x.shape[1] / 16
        pitches = [len(torch.unique(row[row >= 2])) for row in x]
        return {"notes_per_bar": (on.sum(1).float() / bars).mean().item(),
                "distinct_pitches": statistics.mean(pitches),
                "silent_windows": (on.sum(1) == 0).float().mean().item()}

    return {"temperature": temperature, "samples": stats(samples), "heldout": stats(data)}


def training_stats(run_dir: Path) -> dict:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    train_rows = [r for r in rows if r["split"] == "train"]
    val_rows = [r for r in rows if r["split"] == "val"]
    return {
        "steps": train_rows[-1]["step"] if train_rows else 0,
        "train_seconds": train_rows[-1]["seconds"] if train_rows else 0.0,
        "windows_per_s_median": statistics.median(r["examples_per_s"] for r in train_rows) if train_rows else 0.0,
        "final_train": {k: train_rows[-1][k] for k in ("loss", "recon", "kl", "beta", "lr")} if train_rows else {},
        "val_curve": [{k: r.get(k) for k in ("step", "seconds", "elbo", "kl", "acc_tf", "acc_sampled", "note_f1")}
                      for r in val_rows],
    }


def markdown(result: dict) -> str:
    h, s, tr, smp = result["heldout"], result["interpolation"], result["training"], result["samples"]
    lines = [
        f"# MIDI benchmark: {result['preset']} on folk ({result['tag']})",
        "",
        f"{result['machine']['cpu']}, {result['machine']['threads']} threads, torch {result['machine']['torch']}; "
        f"load average {result['machine']['load_before']} before, {result['machine']['load_after']} after "
        f"(OMP_WAIT_POLICY {result['machine'].get('omp_wait_policy') or 'unset'}).",
        "",
        f"Overrides: `{' '.join(result['overrides']) or 'none'}`; time limit {result['time_limit']}; "
        f"measured with the {result['weights']} weights.",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| training steps | {tr['steps']} |",
        f"| training seconds (steps only) | {tr['train_seconds']:.0f} |",
        f"| training windows/s (median) | {tr['windows_per_s_median']:.0f} |",
        f"| held-out windows | {h['windows']} |",
        f"| acc_tf | {h['acc_tf']:.3f} |",
        f"| acc_sampled | {h['acc_sampled']:.3f} |",
        f"| note_on_acc | {h['note_on_acc']:.3f} |",
        f"| note_f1 | {h['note_f1']:.3f} |",
        f"| interpolation smooth pairs | {100 * s['smooth_share']:.0f}% of {s['pairs']} |",
        f"| prior samples (T={smp['temperature']}) notes/bar | {smp['samples']['notes_per_bar']:.2f} "
        f"(held-out {smp['heldout']['notes_per_bar']:.2f}) |",
        f"| prior samples distinct pitches | {smp['samples']['distinct_pitches']:.1f} "
        f"(held-out {smp['heldout']['distinct_pitches']:.1f}) |",
        f"| prior samples silent | {100 * smp['samples']['silent_windows']:.1f}% |",
        "",
        "Mean Hamming distance to the first input by interpolation step: "
        + ", ".join(f"{d:.1f}" for d in s["mean_distance_by_step"])
        + f" (the two inputs differ in {s['mean_input_distance']:.1f} steps).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="mel_2bar")
    parser.add_argument("--time-limit", default=None, help="e.g. 15m (default: the preset's)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--run-dir", type=Path, default=None)
    parser.add_argument("--eval-only", action="store_true", help="measure the run in --run-dir without training")
    parser.add_argument("--eval-windows", type=int, default=20000)
    parser.add_argument("--weights", choices=["last", "best"], default="last",
                        help="measure the model at the end of training (last) or the best validation ELBO (best)")
    parser.add_argument("--tag", default=None, help="results file name (default: the preset)")
    args = parser.parse_args()

    modality = plugins.get_modality("midi")
    run_dir = args.run_dir or Path(f"/tmp/vaekit-bench-{args.preset}")
    tag = args.tag or args.preset
    load_before = os.getloadavg()
    if not args.eval_only:
        overrides = list(args.overrides) + ([f"train.time_limit={args.time_limit}"] if args.time_limit else [])
        config = build(modality, args.preset, None, None, overrides)
        started = time.perf_counter()
        train(modality, config, run_dir, force=True, progress=False)
        print(f"trained {run_dir} in {time.perf_counter() - started:.0f} s", flush=True)
    pipe = vaekit.load(str(run_dir))
    config, model = pipe.config, pipe.model
    if args.weights == "last":
        checkpoint.load_model_weights(run_dir / runs.LAST, model)
    _, val = pipe.handler.load_dataset(config["data"]["source"], config)
    result = {
        "preset": config["preset"],
        "tag": tag,
        "overrides": args.overrides,
        "time_limit": config["train"]["time_limit"],
        "weights": args.weights,
        "config": {k: config[k] for k in ("data", "model", "loss", "train")},
        "machine": {"cpu": cpu_name(), "threads": torch.get_num_threads(), "torch": torch.__version__,
                    "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
                    "load_before": [round(v, 1) for v in load_before]},
        "training": training_stats(run_dir),
        "heldout": heldout_metrics(model, val, 512, args.eval_windows),
        "interpolation": smoothness(model, val),
        "samples": sample_stats(model, val),
    }
    result["machine"]["load_after"] = [round(v, 1) for v in os.getloadavg()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"midi_{tag}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"midi_{tag}.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
