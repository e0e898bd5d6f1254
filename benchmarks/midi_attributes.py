"""Attribute vectors on held-out folk windows (MusicVAE paper, section 5.4 / Figure 5 style; not a test).

Vectors come from the run's training windows, as ``vaekit attributes --method M`` makes them
(``difference``: top quarter minus bottom quarter of the posterior means; ``regression``: each
attribute's direction with the others held fixed); then for each held-out window, z = its posterior mean is
decoded greedily as is (the reconstruction) and with each vector added (z + amount * v). The table
gives, for each vector added (row), the mean change of every attribute (column) relative to the
reconstructions, in percent: a good vector raises its own attribute (the diagonal) and leaves the
others nearly unchanged. Nothing is written into the run.

    python benchmarks/midi_attributes.py RUN_DIR [--method regression] [--heldout 1000] [--train-windows 30000]
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path

import torch
from vaekit_midi import attributes as attrs

from vaekit.pipeline import Pipeline

RESULTS = Path(__file__).parent / "results"
SHORT = {"density": "density", "interval": "interval", "syncopation_16th": "sync 16th", "syncopation_8th": "sync 8th",
         "in_scale": "in scale", "range": "range"}


@torch.no_grad()
def decode(model, z: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    return torch.cat([model.decode(z[i:i + batch_size], 0.0).cpu() for i in range(0, len(z), batch_size)])


def table(changes: dict[str, dict[str, float]], names: list[str], unit: str, digits: int) -> list[str]:
    lines = ["| vector added | " + " | ".join(SHORT[n] for n in names) + " |",
             "| --- |" + " ---: |" * len(names)]
    for row in names:
        cells = [f"{changes[row][c]:+.{digits}f}{unit}" for c in names]
        cells = [f"**{cell}**" if c == row else cell for c, cell in zip(names, cells)]
        lines.append(f"| {SHORT[row]} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="A trained mel_2bar run directory.")
    parser.add_argument("--heldout", type=int, default=1000, help="Held-out windows to transform.")
    parser.add_argument("--train-windows", type=int, default=30000, help="Training windows for the vectors.")
    parser.add_argument("--amounts", default="1,-1", help="Multiples of each vector to add, comma-separated.")
    parser.add_argument("--method", choices=attrs.METHODS, default="difference")
    parser.add_argument("--weights", choices=["best", "last"], default="last")
    parser.add_argument("--out", type=Path, default=None, help="default: results/midi_attributes_METHOD.md")
    args = parser.parse_args()
    torch.set_num_threads(1)

    started = time.perf_counter()
    p = Pipeline.open(args.run, weights=args.weights)
    spb = int(p.config["data"]["steps_per_bar"])
    source = p.config["data"]["source"]
    train = attrs.training_windows(p.handler, source, p.config, args.train_windows)
    vectors, stats = attrs.attribute_vectors(attrs.encode_means(p.model, train), train, spb, method=args.method)
    out_path = args.out or RESULTS / f"midi_attributes_{args.method}.md"
    _, val = p.handler.load_dataset(source, copy.deepcopy(p.config))
    held = val.windows[: args.heldout].long()
    mu = attrs.encode_means(p.model, held)
    names = list(vectors)
    base_tokens = decode(p.model, mu)
    base = attrs.attributes(base_tokens, spb)
    inputs = attrs.attributes(held, spb)
    spread = {n: inputs[n].std().clamp_min(1e-9) for n in inputs}

    results: dict[str, dict] = {}
    lines = [
        "# Attribute vectors on held-out folk windows",
        "",
        f"Run `{args.run}` ({p.config['preset']}, z {p.config['model']['latent_dim']}, {args.weights} weights); "
        "vectors from "
        f"{len(train)} training windows of `{source}` by the `{args.method}` method; "
        f"{len(held)} held-out windows (tunes never seen in training), each encoded to its posterior mean and "
        "decoded greedily, as is and with a vector added. Cells: the mean change of each attribute (column) "
        "over the reconstructions, in percent, when the row's vector is added. MusicVAE's paper (Figure 5) "
        "shows the same kind of matrix for its 2-bar melody model, trained on other data.",
        "",
        "| attribute | held-out inputs (sd) | reconstructions | bottom quarter (train) | top quarter (train) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for n in names:
        lines.append(f"| {SHORT[n]} | {inputs[n].mean():.3f} ({spread[n]:.3f}) | {base[n].mean():.3f} | "
                     f"{stats[n]['low']:.3f} | {stats[n]['high']:.3f} |")
    flat = [SHORT[n] for n in names if stats[n]["high"] - stats[n]["low"] < spread[n]]
    if flat:
        lines += ["", f"Barely varying in this data (top and bottom quarters less than one standard deviation "
                  f"apart), so its vector has little to move: {', '.join(flat)}."]
    for amount in [float(a) for a in args.amounts.split(",")]:
        changes, in_sd, rose = {}, {}, {}
        for row in names:
            out = attrs.attributes(decode(p.model, mu + amount * vectors[row]), spb)
            delta = {c: out[c].mean() - base[c].mean() for c in names}
            changes[row] = {c: float(delta[c] / base[c].mean().clamp_min(1e-9) * 100) for c in names}
            in_sd[row] = {c: float(delta[c] / spread[c]) for c in names}
            moved = out[row] - base[row]
            rose[row] = float(((moved > 0) if amount > 0 else (moved < 0)).float().mean())
        results[f"{amount:+g}"] = {"percent": changes, "sd": in_sd, "share_moved": rose}
        word = "rose" if amount > 0 else "fell"
        lines += ["", f"## z {'+' if amount > 0 else '-'} {abs(amount):g} x vector", "",
                  "Mean change over the reconstructions, in percent:", ""]
        lines += table(changes, names, "%", 1)
        lines += ["", "The same in standard deviations of each attribute over the held-out inputs:", ""]
        lines += table(in_sd, names, "", 2)
        lines += ["", f"Share of windows whose own attribute {word}: "
                  + ", ".join(f"{SHORT[n]} {rose[n]:.0%}" for n in names) + "."]
    seconds = time.perf_counter() - started
    lines += ["", f"Measured in {seconds:.0f} s on CPU with `python benchmarks/midi_attributes.py {args.run} "
              f"--method {args.method} --weights {args.weights}`.", ""]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text("\n".join(lines))
    out_path.with_suffix(".json").write_text(json.dumps(
        {"run": str(args.run), "method": args.method, "train_windows": len(train), "heldout": len(held), "stats": stats,
         "inputs": {n: float(inputs[n].mean()) for n in names},
         "reconstructions": {n: float(base[n].mean()) for n in names}, "results": results,
         "seconds": seconds}, indent=2))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
