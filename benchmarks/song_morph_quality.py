"""Whole-song interpolation (``vaekit compose --between A B``, issue 28) measured on held-out POP909 songs:
pairs of 32-bar windows of different songs (``compose_quality.py``'s real pop, never trained on), 5 steps
from A to B. For the three steps between the ends, against the ends and against real pop:

- how far along the path a step sounds: the F1 of its note onsets and pitches against A's and against B's
  (a path should leave A and reach B steadily);
- whether it is still a song: notes in one key, bars and 2-bar units repeating, empty bars, notes a bar;

for the path's codes decoded as they are (strength 0: plain interpolation on the sequence of codes, as
``interpolate --bars`` does) and re-noised and denoised by the composer at strengths 0.15, 0.3
and 0.5 (0.15 the default), each then held in a key and closed every eighth bar as ``compose`` does.

    python benchmarks/song_morph_quality.py [--pairs 32]

Writes benchmarks/results/song_morph_quality.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from compose_quality import density, real, song_codes
from shipped import RESULTS, cpu
from vaekit_midi.compose import SHIPPED, Given
from vaekit_midi.composer_model import load
from vaekit_midi.form import form_figures
from vaekit_midi.song_morph import STRENGTH, morph
from vaekit_midi.tokens import decode

import vaekit
from vaekit.pipeline import seeded

BARS, STEPS = 32, 5
STRENGTHS = (0.0, STRENGTH, 0.3, 0.5)
FIGURES = ("in_key_share", "repeated_bars", "repeated_2bar_units", "empty_bars", "notes_per_bar")


def onset_f1(tokens: np.ndarray, reference: np.ndarray) -> float:
    """F1 of (onset step, pitch) pairs of a token row against another's."""
    a = {(int(s), int(p)) for s, _, p in decode(tokens)}
    b = {(int(s), int(p)) for s, _, p in decode(reference)}
    return 2 * len(a & b) / max(len(a) + len(b), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = song_codes()
    composer, card = load(SHIPPED)
    mel = vaekit.load(card["config"]["codes_of"])
    tokens, codes, rest = real(data, BARS, pop=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(tokens))[: 2 * args.pairs]
    pairs = [(Given(tokens[i], codes[i], rest[i], None), Given(tokens[j], codes[j], rest[j], None))
             for i, j in zip(order[::2], order[1::2])]
    report = {"cpu": cpu(), "pairs": len(pairs), "bars": BARS, "steps": STEPS, "rows": {},
              "real_pop": {k: round(v, 4) for k, v in {**form_figures(tokens), **density(tokens)}.items()
                           if k in FIGURES}}
    for strength in STRENGTHS:
        started = time.perf_counter()
        paths = np.stack([morph(composer, mel, a, b, BARS // 2, STEPS, seeded(k), strength=strength)
                          for k, (a, b) in enumerate(pairs)])  # (pairs, steps, T)
        seconds = (time.perf_counter() - started) / len(pairs)
        inner = paths[:, 1:-1]
        row = {"seconds_per_path": round(seconds, 2)}
        for s in range(1, STEPS - 1):
            row[f"step {s}: F1 with A"] = round(float(np.mean([onset_f1(p[s], p[0]) for p in paths])), 4)
            row[f"step {s}: F1 with B"] = round(float(np.mean([onset_f1(p[s], p[-1]) for p in paths])), 4)
        flat = inner.reshape(-1, inner.shape[-1])
        row.update({k: round(v, 4) for k, v in {**form_figures(flat), **density(flat)}.items() if k in FIGURES})
        report["rows"][f"strength {strength:g}"] = row
        print(strength, row, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "song_morph_quality.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "song_morph_quality.md").write_text(markdown(report))
    print(markdown(report))


def markdown(r: dict) -> str:
    steps = [f"step {s}: F1 with {end}" for s in range(1, r["steps"] - 1) for end in ("A", "B")]
    head = ["", *[name.replace(": F1 with", " F1 vs") for name in steps], *FIGURES]
    lines = [
        "# Whole-song interpolation (`vaekit compose --between A B`)", "",
        f"CPU: {r['cpu']}; `benchmarks/song_morph_quality.py`; {r['pairs']} pairs of {r['bars']}-bar windows of "
        f"held-out POP909 songs, {r['steps']} steps from A to B (ends included), seed = the pair's index. F1: note "
        "onsets and pitches of a step against A's and against B's. The other figures are over the steps between "
        "the ends; strength 0 decodes the path's codes as they are, above it the composer re-noises each step to "
        f"that share of its schedule and denoises it (default {STRENGTH}). Every step is then held in one key and "
        "closed every eighth bar, as `compose` does.", "",
        "| " + " | ".join(head) + " |", "|" + "---|" * len(head),
    ]
    for name, row in r["rows"].items():
        label = f"**{name} (default)**" if name == f"strength {STRENGTH:g}" else name
        lines.append("| " + " | ".join([label, *(f"{row[k]:.3f}" for k in steps), *(f"{row[k]:.3f}" for k in FIGURES)])
                     + " |")
    cells = ["" for _ in steps] + [f"{r['real_pop'][k]:.3f}" for k in FIGURES]
    lines.append("| real pop (every held-out 32-bar window) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
