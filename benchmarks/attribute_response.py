"""Attribute vectors' response curves and side effects on held-out windows (not a test).

For each model (a shipped name or a run directory) and each of its stored attribute vectors, every window
of the second half of the held-out split of ``--data`` (``vaekit attributes`` calibrates on the first
half) is encoded to its posterior mean z and decoded greedily from z (the reconstruction) and from
z + amount * vector for amounts -3..3. A cell is the mean change of an attribute over the
reconstructions, in standard deviations of that attribute in the training windows (those the
calibration used where the file is calibrated). Also: the share of steps that still equal the
reconstruction's (how recognisable the tune stays) and the share of windows left with at most one note.

    python benchmarks/attribute_response.py mel_2bar mel_16bar --data pop
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

import torch
from vaekit_midi import attributes as attrs

from vaekit.pipeline import Pipeline

HERE = Path(__file__).parent
RESULTS = HERE / "results"
PICTURE = HERE.parent / "docs" / "img" / "attribute_response.png"
AMOUNTS = [-3, -2, -1, 0, 1, 2, 3]
SHORT = {"density": "density", "interval": "interval", "syncopation_16th": "sync 16th", "syncopation_8th": "sync 8th",
         "in_scale": "in scale", "range": "range"}


def cpu() -> str:
    info = Path("/proc/cpuinfo").read_text()
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    amx = "amx_tile" in info
    return f"{name}, {torch.get_num_threads()} thread(s), AMX {'yes' if amx else 'no'}"


def measure(model_name: str, data: str, max_items: int) -> dict:
    p = Pipeline.open(model_name)
    spb = int(p.config["data"]["steps_per_bar"])
    vectors, info = attrs.load(p.run_dir)
    if info.get("units") == "sd":
        sd = {name: c["sd"] for name, c in info["calibration"].items()}
    else:
        sd = attrs.spread(attrs.training_windows(p.handler, data, p.config, info.get("windows", 0)), spb)
    held = attrs.heldout_windows(p.handler, data, p.config, 1, max_items)
    mu = attrs.encode_means(p.model, held)
    base_tokens = attrs.decode_greedy(p.model, mu)
    base = attrs.attributes(base_tokens, spb)
    curves: dict[str, dict] = {}
    for name in (n for n in base if n in vectors):
        v = vectors[name]
        change = {other: [] for other in base}
        kept, sparse = [], []
        for amount in AMOUNTS:
            tokens = attrs.decode_greedy(p.model, mu + amount * v.to(mu))
            moved = attrs.attributes(tokens, spb)
            for other in base:
                change[other].append(float((moved[other] - base[other]).mean()) / sd[other])
            kept.append(float((tokens == base_tokens).float().mean()))
            sparse.append(float(((tokens >= 2).sum(1) <= 1).float().mean()))
        curves[name] = {"change_sd": change, "steps_kept": kept, "at_most_one_note": sparse}
    return {"model": model_name, "preset": p.config["preset"], "method": info.get("method"),
            "calibrated": info.get("units") == "sd", "windows": len(held), "sd": sd,
            "inputs": {k: float(v.mean()) for k, v in attrs.attributes(held, spb).items()},
            "reconstructions": {k: float(v.mean()) for k, v in base.items()}, "curves": curves}


def worst_side(curve: dict, name: str, at: list[int]) -> tuple[str, float]:
    """The other attribute that moves most at the amounts ``at``, and its change with sign."""
    index = [AMOUNTS.index(a) for a in at]
    pairs = [(other, c[i]) for other, c in curve["change_sd"].items() if other != name for i in index]
    return max(pairs, key=lambda pair: abs(pair[1]))


def markdown(results: list[dict], data: str, machine: str, seconds: float, command: str) -> str:
    lines = ["# Attribute vectors: response curves and side effects", "",
             f"Held-out `{data}` windows (the second half of the validation split; the calibration used the "
             "first), each encoded to its posterior mean z and decoded greedily from z and from z + amount x "
             "vector. Changes are means over the windows against the reconstructions, in standard deviations "
             "of the attribute in the training windows. 'Worst side effect': the other attribute that moves most "
             "at amounts -2..2. 'Steps kept': share of the 16th-note steps equal to the reconstruction's at "
             "-1 / +1. 'One note': share of windows left with at most one note at -2 / +2.", ""]
    for r in results:
        cal = "calibrated: amount 1 = 1 s.d." if r["calibrated"] else "uncalibrated: raw multiples"
        lines += [f"## {r['model']} ({r['preset']}, {r['method']} vectors, {cal}; {r['windows']} windows)", "",
                  "| attribute | s.d. | -3 | -2 | -1 | +1 | +2 | +3 | worst side effect | steps kept | one note |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"]
        for name, curve in r["curves"].items():
            own = curve["change_sd"][name]
            cells = [f"{own[AMOUNTS.index(a)]:+.2f}" for a in (-3, -2, -1, 1, 2, 3)]
            other, value = worst_side(curve, name, [-2, -1, 1, 2])
            kept = [curve["steps_kept"][AMOUNTS.index(a)] for a in (-1, 1)]
            sparse = [curve["at_most_one_note"][AMOUNTS.index(a)] for a in (-2, 2)]
            lines.append(f"| {SHORT[name]} | {r['sd'][name]:.3f} | " + " | ".join(cells)
                         + f" | {SHORT[other]} {value:+.2f} | {kept[0]:.0%} / {kept[1]:.0%}"
                         f" | {sparse[0]:.0%} / {sparse[1]:.0%} |")
        lines.append("")
    lines += [f"Measured in {seconds:.0f} s on {machine} with `{command}`.", ""]
    return "\n".join(lines)


def picture(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results[0]["curves"])
    fig, axes = plt.subplots(len(results), len(names), figsize=(2.3 * len(names), 2.5 * len(results)),
                             sharex=True, squeeze=False)
    colours = dict(zip(names, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for row, r in zip(axes, results):
        for ax, name in zip(row, names):
            curve = r["curves"][name]["change_sd"]
            ax.plot(AMOUNTS, AMOUNTS, ":", color="grey", lw=1)
            for other in names:
                if other != name:
                    ax.plot(AMOUNTS, curve[other], color=colours[other], lw=0.8, alpha=0.7)
            ax.plot(AMOUNTS, curve[name], "o-", color=colours[name], lw=2.2, ms=3.5)
            ax.set_ylim(-4, 4)
            ax.set_xticks(AMOUNTS)
            ax.grid(alpha=0.3)
            ax.set_title(f"{r['model']}: {SHORT[name]}", fontsize=9)
            if ax is row[0]:
                ax.set_ylabel("achieved change (s.d.)", fontsize=8)
            if r is results[-1]:
                ax.set_xlabel("requested amount (s.d.)", fontsize=8)
            ax.tick_params(labelsize=7)
    handles = [plt.Line2D([], [], color=colours[n], lw=1.5, label=SHORT[n]) for n in names]
    handles.append(plt.Line2D([], [], color="grey", ls=":", label="requested"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.suptitle("Attribute vectors: thick = the panel's attribute, thin = the others' drift", fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="Shipped model names or melody run directories.")
    parser.add_argument("--data", default="pop", help="Built-in data whose held-out windows are transformed.")
    parser.add_argument("--max-items", default="700,150",
                        help="Windows per model, comma-separated in the models' order (the last repeats).")
    parser.add_argument("--out", type=Path, default=RESULTS / "attribute_response.md")
    parser.add_argument("--png", type=Path, default=PICTURE)
    args = parser.parse_args()
    torch.set_num_threads(1)
    counts = [int(c) for c in args.max_items.split(",")]
    started = time.perf_counter()
    results = [measure(m, args.data, counts[min(i, len(counts) - 1)]) for i, m in enumerate(args.models)]
    seconds = time.perf_counter() - started
    machine = cpu()
    command = subprocess.list2cmdline(["python", "benchmarks/attribute_response.py", *args.models,
                                       "--data", args.data, "--max-items", args.max_items])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(results, args.data, machine, seconds, command))
    args.out.with_suffix(".json").write_text(json.dumps(
        {"data": args.data, "amounts": AMOUNTS, "cpu": machine, "seconds": seconds, "command": command,
         "results": results}, indent=2))
    picture(results, args.png)
    print(args.out.read_text())


if __name__ == "__main__":
    main()
