"""Generation quality of melody models (``vaekit evaluate NAME --quality``), at temperatures 0.5 and 1.0,
with samples drawn from the fitted prior at the model's ``generate.spread`` (what ``generate`` does) and,
to show what each fixed, at spread 1 and from N(0, I), and against the held-out windows transposed as
training windows are (what ``--quality`` compares with) and as they are:

    python benchmarks/melody_quality.py mel_2bar mel_16bar

For each model (a shipped name or a run directory): per MGEval feature, the overlapping area and KL
of the sample-to-real distances against the real-to-real ones, and the means side by side; the
interpolation study (monotone share, naturalness under a token trigram model, beside data-space
interpolation and real windows). Held-out windows: the model's own validation split (folk+pop for
the shipped models), the first ``--samples``. Writes ``benchmarks/results/quality_NAME.json`` and
``.md``.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path
from typing import Any

import torch
from shipped import RESULTS, cpu

import vaekit
from vaekit import quality
from vaekit.batches import fetch

TEMPERATURES = (0.5, 1.0)


def diversity(windows: torch.Tensor, n: int = 200) -> float:
    """Mean share of steps at which two of the first ``n`` windows differ, over every pair: what a
    spread under 1 could cost (samples all alike would score well on some features)."""
    x = windows[:n]
    return round(float((x[:, None] != x[None]).float().mean(-1).sum() / (len(x) * (len(x) - 1))), 3)


def feature_overlaps(p: Any, n: int, temperature: float, standard: bool, transposed: bool,
                     spread: float | None = None) -> dict[str, Any]:
    """``Pipeline.quality``'s feature comparison (the same samples for a seed), with samples drawn from
    N(0, I) where ``standard``, at ``spread`` (the model's own where None), against the held-out windows
    transposed as in training (what ``--quality`` compares with) or, without ``transposed``, as they are;
    and the samples' diversity under ``"diversity"``."""
    fitted = p.model.prior
    if standard:
        p.model.prior = None
    try:
        samples = p.generate(n, temperature, spread=1.0 if standard else spread)
    finally:
        p.model.prior = fitted
    config = copy.deepcopy(p.config)
    _, val = p.handler.load_dataset(config["data"]["source"], config)
    real = fetch(val, torch.arange(min(n, len(val))))[1]
    if transposed:
        real, _ = p.handler.quality_reference(real, p.config)
    features = quality.compare(p.handler.features(real, p.config),
                               p.handler.features(samples[: len(real)], p.config))
    return {**features, "diversity": {"real": diversity(real), "generated": diversity(samples)}}


def markdown(name: str, result: dict[str, Any]) -> str:
    fitted, wide, standard, plain = (result[k] for k in ("fitted_prior", "fitted_prior_spread_1", "standard_prior",
                                                         "untransposed_reference"))
    t = [str(x) for x in TEMPERATURES]
    s = result["spread"]
    lines = [f"# Generation quality: {name}", "", f"{result['cpu']}; {result['samples']} samples against as many "
             f"held-out windows ({result['data']}); {result['seconds']} s.", "",
             "Overlapping area of each feature's sample-to-real distances with the real-to-real ones (1 is best), "
             f"samples from the fitted prior at the model's spread {s:g} (what `generate` draws), at spread 1 (the "
             "fitted prior as it is) and from N(0, I), against "
             f"{fitted[t[0]]['reference']} (what `--quality` compares with); the untransposed column is against the "
             f"held-out windows as they are. Means of the real windows and of the samples at T={t[0]}, spread {s:g}. "
             "Diversity: the mean share of steps at which two of the first 200 windows differ.", "",
             f"| feature | spread {s:g} T={t[0]} | spread {s:g} T={t[1]} | spread 1 T={t[0]} | spread 1 T={t[1]} | "
             f"N(0, I) T={t[0]} | N(0, I) T={t[1]} | spread {s:g} T={t[0]}, untransposed | real mean | "
             f"sample mean T={t[0]} |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for feature, row in fitted[t[0]]["features"].items():
        means = [f"{row[k]:.2f}" if isinstance(row[k], float) else "(histogram)"
                 for k in ("real_mean", "generated_mean")]
        lines.append(f"| {feature} | {row['overlap']:.3f} | {fitted[t[1]]['features'][feature]['overlap']:.3f} | "
                     f"{wide[t[0]][feature]['overlap']:.3f} | {wide[t[1]][feature]['overlap']:.3f} | "
                     f"{standard[t[0]][feature]['overlap']:.3f} | {standard[t[1]][feature]['overlap']:.3f} | "
                     f"{plain[t[0]][feature]['overlap']:.3f} | {means[0]} | {means[1]} |")
    # the untransposed comparison drew the same samples as --quality (same seed and spread)
    cells = [f"{rows[x]['diversity']['generated']:.3f}" for rows in (plain, wide, standard) for x in t]
    lines.append(f"| diversity | {' | '.join(cells)} | | {plain[t[0]]['diversity']['real']:.3f} | |")
    interpolation = fitted[t[0]].get("interpolation", {})
    if "latent" in interpolation:
        lines += ["", f"Interpolation over {interpolation['pairs']} pairs of held-out windows, "
                  f"{interpolation['steps']} steps; naturalness: mean log-likelihood a token under "
                  f"{interpolation['language_model']}.", "",
                  "| path | monotone pairs | naturalness (mean) |", "| --- | ---: | ---: |"]
        for kind in ("latent", "data"):
            row = interpolation[kind]
            lines.append(f"| {kind} space | {row['monotone']:.0%} | {row['naturalness_mean']:.3f} |")
        lines.append(f"| real held-out windows | | {interpolation['real']['naturalness_mean']:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="shipped model names or run directories")
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    for name in args.models:
        started = time.time()
        p = vaekit.load(name)
        if p.model.prior is None:
            raise SystemExit(f"{name}: has no fitted prior; run `vaekit prior {name}` first")
        result: dict[str, Any] = {"model": name, "cpu": cpu(), "samples": args.samples, "spread": p.spread(),
                                  "data": p.config["data"]["source"], "fitted_prior": {}, "fitted_prior_spread_1": {},
                                  "standard_prior": {}, "untransposed_reference": {}}
        for temperature in TEMPERATURES:
            result["fitted_prior"][str(temperature)] = p.quality(args.samples, temperature).to_dict()
            result["fitted_prior_spread_1"][str(temperature)] = feature_overlaps(p, args.samples, temperature, False,
                                                                                 True, spread=1.0)
            result["standard_prior"][str(temperature)] = feature_overlaps(p, args.samples, temperature, True, True)
            result["untransposed_reference"][str(temperature)] = feature_overlaps(p, args.samples, temperature, False,
                                                                                  False)
        result["seconds"] = round(time.time() - started)
        label = Path(name).name
        (RESULTS / f"quality_{label}.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / f"quality_{label}.md").write_text(markdown(label, result))
        print(markdown(label, result))


if __name__ == "__main__":
    main()
