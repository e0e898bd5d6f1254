"""Form of 16-bar melodies (issue 28): the measures of ``vaekit_midi/form.py`` on real folk and pop
windows, on the shipped ``mel_16bar``'s samples, and on two baselines made of the shipped ``mel_2bar``'s
codes: eight independent samples side by side, and plain interpolation between two random codes in
eight steps (Mittal et al.'s baseline); and the shipped ``mel_16bar`` sampled in a form (``vaekit generate
mel_16bar --form AABA``, ``form_sampling.py``).

Real windows are 16 bars of 4/4 from the start of each melody segment, every 16 bars (so bars 4, 8,
12 and 16 fall where the tune puts its phrase ends, as far as its first bar starts a phrase), and
every bar (as the models are trained: any bar line). Writes benchmarks/results/form_quality.{json,md}.

    python benchmarks/form_quality.py [--samples 256] [--temperature 0.5]
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np
import torch
from vaekit_midi.corpus import Corpus
from vaekit_midi.folk import FILE as FOLK
from vaekit_midi.form import form_figures, frame_overlaps, self_similarity
from vaekit_midi.pop import FILE as POP

import vaekit
import vaekit.prior
from vaekit.latent import path as latent_path

RESULTS = Path(__file__).resolve().parent / "results"
FORMS, VARIATION = ("AABA", "ABAC"), 0.45  # vaekit generate's --variation default
BARS, STEPS = 16, 256


def real_windows(file: Path, hop_bars: int, n: int) -> np.ndarray:
    """``n`` windows of 16 bars of 4/4 (16 steps a bar: tunes in other meters are left out), starting
    every ``hop_bars`` bars from each melody segment's first bar."""
    corpus = Corpus.load(file)
    windows = [corpus.tokens[start:start + STEPS]
               for s in np.flatnonzero(corpus.bars == 16)
               for start in range(corpus.offsets[s], corpus.offsets[s + 1] - STEPS + 1, 16 * hop_bars)]
    pick = np.random.default_rng(0).permutation(len(windows))[:n]
    return np.stack([windows[i] for i in np.sort(pick)])


def two_bar_baselines(n: int, temperature: float) -> dict[str, np.ndarray]:
    mel = vaekit.load("mel_2bar")
    g = torch.Generator().manual_seed(0)
    spread = mel.spread()
    side_by_side = mel.model.sample(8 * n, temperature, generator=g, spread=spread).view(n, 8, -1).flatten(1)
    ends = vaekit.prior.draw(mel.model.prior, 2 * n, mel.model.latent_dim, g, spread).view(n, 2, -1)
    z = torch.stack([latent_path(a, b, 8) for a, b in ends])
    interpolated = mel.model.decode(z.flatten(0, 1), temperature, g).view(n, 8, -1).flatten(1)
    return {"mel_2bar: 8 independent samples": side_by_side.numpy(),
            "mel_2bar: interpolation between 2 random codes": interpolated.numpy()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--temperature", type=float, default=0.5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    n = args.samples
    sets = {"real folk, from each tune's start": real_windows(FOLK, 16, n),
            "real pop, from each song's start": real_windows(POP, 16, n),
            "real folk, from any bar": real_windows(FOLK, 1, n),
            "real pop, from any bar": real_windows(POP, 1, n)}
    mel16 = vaekit.load("mel_16bar")
    sets["mel_16bar samples"] = mel16.generate(n, args.temperature, seed=0).numpy()
    for form in FORMS:
        mel16.config["generate"].update(form=form, variation=VARIATION)
        sets[f"mel_16bar samples, --form {form}"] = mel16.generate(n, args.temperature, seed=0).numpy()
    sets.update(two_bar_baselines(n, args.temperature))
    overlaps = {name: frame_overlaps(w) for name, w in sets.items()}
    rows = {}
    for name, windows in sets.items():
        row = form_figures(windows)
        row["cadence_ratio"] = row["long_at_phrase_end"] / max(row["long_elsewhere"], 1e-9)
        for ref, real in (("folk", "real folk, from each tune's start"), ("pop", "real pop, from each song's start")):
            similar = self_similarity(overlaps[name], overlaps[real])
            row.update({f"{k}_vs_{ref}": v for k, v in similar.items()})
        rows[name] = row
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    amx = "amx_tile" in Path("/proc/cpuinfo").read_text()
    report = {"samples": n, "temperature": args.temperature, "cpu": cpu, "amx": amx, "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "form_quality.json").write_text(json.dumps(report, indent=2))
    (RESULTS / "form_quality.md").write_text(markdown(report))
    print(markdown(report))


COLUMNS = [("repeated_bars", "bars repeating an earlier bar"), ("repeated_2bar_units", "2-bar units repeating"),
           ("in_key_share", "notes in key"), ("long_at_phrase_end", "long note, bars 4/8/12/16"),
           ("long_elsewhere", "long note, other bars"), ("cadence_ratio", "ratio"),
           ("pitch_consistency_vs_pop", "pitch consistency vs pop"), ("pitch_variance_vs_pop", "pitch variance vs pop"),
           ("duration_consistency_vs_pop", "duration consistency vs pop"),
           ("duration_variance_vs_pop", "duration variance vs pop"),
           ("pitch_consistency_vs_folk", "pitch consistency vs folk"),
           ("pitch_variance_vs_folk", "pitch variance vs folk"),
           ("duration_consistency_vs_folk", "duration consistency vs folk"),
           ("duration_variance_vs_folk", "duration variance vs folk")]


def markdown(report: dict) -> str:
    lines = [f"# Form of 16-bar melodies ({report['samples']} windows each, samples at T = {report['temperature']})",
             "", f"CPU: {report['cpu']} (AMX: {'yes' if report['amx'] else 'no'}); `benchmarks/form_quality.py`.", "",
             "| | " + " | ".join(label for _, label in COLUMNS) + " |", "| --- |" + " ---: |" * len(COLUMNS)]
    for name, row in report["rows"].items():
        lines.append(f"| {name} | " + " | ".join(f"{row[k]:.3f}" if k in row else "" for k, _ in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
