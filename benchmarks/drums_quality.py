"""Held-out figures of the drum models, on the validation performances of the built-in ``groove`` data
(the Groove MIDI Dataset's own validation split, by performance; 2-bar windows at every bar line):

    python benchmarks/drums_quality.py [--drums drums_2bar] [--groove groove_2bar]

- drums_2bar: acc_tf and acc_sampled (z = mu, greedy) over 512-class steps, hit F1, and hit F1 per
  instrument;
- Groove (humanise), given each window's quantised score: mean absolute timing error in milliseconds (at
  the performance's tempo) and velocity error (MIDI units) on the real hits, against two baselines: the
  score at the training data's mean velocity with no offsets, and a template of the mean offset and
  velocity of each instrument at each of the 32 steps, from the training windows; and the overlap of
  the humanised and the real histograms of offsets and velocities, per instrument;
- Drumify (Tap2Drum), given only each window's onsets on one voice (its hits kept to those onsets, as
  ``vaekit drumify`` keeps them): hit F1 per instrument against the real beat, and the same for a
  baseline of a kick on every onset and a closed hi-hat on every eighth.

Writes ``benchmarks/results/drums_quality.json`` and ``.md``; prints the CPU.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import torch
from shipped import RESULTS, cpu
from vaekit_midi.groove import FILE, load_groove
from vaekit_midi.groove_midi import CLASSES, to_features
from vaekit_midi.groove_model import HUMANIZE, TAP, task_input
from vaekit_midi.tokens import DRUM_CLASSES

import vaekit

BATCH = 256
KICK, CLOSED = 0, 2


def groove_windows(steps: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every window ``(N, 27, steps)`` of the built-in data, whether it is held out, and its tempo."""
    corpus, validation = load_groove()
    w, owner, _ = corpus.windows(steps)
    with np.load(FILE) as data:
        bpm = data["bpm"]
    return to_features(w), validation[owner], bpm[owner]


def f1_per_class(true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Hit F1 of hits ``(N, 9, T)`` per class, and pooled ("all")."""
    out = {}
    for i, name in enumerate(DRUM_CLASSES):
        t, p = true[:, i] > 0, pred[:, i] > 0
        out[name] = round(float(2 * (t & p).sum() / max(1, t.sum() + p.sum())), 4)
    out["all"] = round(float(2 * ((true > 0) & (pred > 0)).sum() / max(1, (true > 0).sum() + (pred > 0).sum())), 4)
    return out


def batched(fn, x: torch.Tensor) -> torch.Tensor:
    return torch.cat([fn(x[i: i + BATCH]) for i in range(0, len(x), BATCH)])


@torch.no_grad()
def drums_figures(p: Any, hits: np.ndarray) -> dict[str, Any]:
    """drums_2bar on the held-out windows' hits ``(N, 9, T)`` (deduplicated, as its validation set is)."""
    tokens = np.unique((hits.astype(np.int64) << np.arange(CLASSES)[None, :, None]).sum(1), axis=0)
    x = torch.from_numpy(tokens)

    def run(xb: torch.Tensor) -> torch.Tensor:
        mu, _ = p.model.encoder(xb)
        return torch.stack([p.model.decoder(mu, xb).argmax(-1), p.model.decoder.sample(mu, 0.0)])

    tf, recon = batched(lambda xb: run(xb).transpose(0, 1), x).transpose(0, 1)
    bits = np.arange(CLASSES)[None, :, None]
    return {"windows": len(x), "acc_tf": round(float((tf == x).float().mean()), 4),
            "acc_sampled": round(float((recon == x).float().mean()), 4),
            "hit_f1": f1_per_class((tokens[:, None] >> bits) & 1, (recon.numpy()[:, None] >> bits) & 1)}


def overlap(a: np.ndarray, b: np.ndarray, bins: np.ndarray) -> float:
    """The shared area of two histograms, each normalised to 1."""
    ha, hb = np.histogram(a, bins)[0], np.histogram(b, bins)[0]
    return round(float(np.minimum(ha / max(1, ha.sum()), hb / max(1, hb.sum())).sum()), 3)


def errors(pred: np.ndarray, true: np.ndarray, bpm: np.ndarray) -> dict[str, float]:
    """Mean absolute timing error (ms) and velocity error (MIDI units) on the true hits."""
    hit = true[:, :CLASSES] > 0
    step_ms = 60000.0 / bpm[:, None, None] / 4
    timing = np.abs(pred[:, 2 * CLASSES:] - true[:, 2 * CLASSES:]) * step_ms
    velocity = np.abs(pred[:, CLASSES: 2 * CLASSES] - true[:, CLASSES: 2 * CLASSES]) * 127
    return {"timing_ms": round(float(timing[hit].mean()), 2), "velocity": round(float(velocity[hit].mean()), 2)}


@torch.no_grad()
def groove_figures(p: Any, train: np.ndarray, val: np.ndarray, bpm: np.ndarray) -> dict[str, Any]:
    """Humanise and drumify on the held-out windows, with their baselines."""
    model, x = p.model, torch.from_numpy(val)

    def humanise(xb: torch.Tensor, temperature: float = 0.0) -> torch.Tensor:
        mu, _ = model.encoder(task_input(xb, torch.full((len(xb),), HUMANIZE)))
        return model.decoder.sample(mu, temperature, generator, hits=xb[:, :CLASSES])

    def drumify(xb: torch.Tensor) -> torch.Tensor:
        mu, _ = model.encoder(task_input(xb, torch.full((len(xb),), TAP)))
        return model.decoder.sample(mu, 0.0, onsets=xb[:, :CLASSES].amax(1))

    generator = torch.Generator().manual_seed(0)
    played = batched(humanise, x).numpy()
    drawn = batched(lambda xb: humanise(xb, 1.0), x).numpy()
    hit = val[:, :CLASSES]
    train_hit = train[:, :CLASSES] > 0
    mean_vel = train[:, CLASSES: 2 * CLASSES][train_hit].mean()
    quantised = np.concatenate([hit, hit * mean_vel, np.zeros_like(hit)], 1)
    counts = np.maximum(train_hit.sum(0), 1)  # (9, T): the training hits of each instrument at each step
    vel_template = train[:, CLASSES: 2 * CLASSES].sum(0) / counts
    off_template = train[:, 2 * CLASSES:].sum(0) / counts
    templated = np.concatenate([hit, hit * vel_template, hit * off_template], 1)
    per_class = {}
    for i, name in enumerate(DRUM_CLASSES):
        h = hit[:, i] > 0
        real_off, real_vel = val[:, 2 * CLASSES + i][h], val[:, CLASSES + i][h]
        per_class[name] = {"hits": int(h.sum()), "offset_std_real": round(float(real_off.std()), 3),
                           "velocity_std_real": round(float(real_vel.std() * 127), 1)}
        for label, out in (("t0", played), ("t1", drawn)):
            out_off, out_vel = out[:, 2 * CLASSES + i][h], out[:, CLASSES + i][h]
            per_class[name].update({
                f"offset_overlap_{label}": overlap(out_off, real_off, np.linspace(-0.5, 0.5, 21)),
                f"velocity_overlap_{label}": overlap(out_vel, real_vel, np.linspace(0, 1, 21)),
                f"offset_std_{label}": round(float(out_off.std()), 3),
                f"velocity_std_{label}": round(float(out_vel.std() * 127), 1)})
    beat = batched(drumify, x).numpy()[:, :CLASSES]
    onsets = hit.max(1)
    baseline = np.zeros_like(hit)
    baseline[:, KICK] = onsets
    baseline[:, CLOSED, ::2] = 1
    return {
        "windows": len(val),
        "humanise": {"groove_2bar": errors(played, val, bpm), "groove_2bar_temperature_1": errors(drawn, val, bpm),
                     "quantised_mean_velocity": errors(quantised, val, bpm),
                     "template_per_instrument_and_step": errors(templated, val, bpm), "per_instrument": per_class},
        "drumify_hit_f1": {"groove_2bar": f1_per_class(hit, beat),
                           "kick_on_onsets_hat_on_eighths": f1_per_class(hit, baseline)},
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [f"# Drum models on held-out Groove windows\n\nCPU: {result['cpu']}. The Groove MIDI Dataset's "
             "validation performances (by performance), 2-bar windows at every bar line.\n"]
    if "drums_2bar" in result:
        d = result["drums_2bar"]
        lines += [f"## drums_2bar ({d['windows']} distinct windows)\n",
                  f"acc_tf {d['acc_tf']}, acc_sampled {d['acc_sampled']} (MusicVAE's 2-bar drums on Lakh: 0.979 / "
                  "0.917)\n", "| " + " | ".join(d["hit_f1"]) + " |", "|" + "---|" * len(d["hit_f1"]),
                  "| " + " | ".join(str(v) for v in d["hit_f1"].values()) + " |\n"]
    if "groove_2bar" in result:
        g = result["groove_2bar"]
        lines += [f"## groove_2bar: Groove (humanise) ({g['windows']} windows)\n",
                  "| given the quantised score | timing error (ms) | velocity error (MIDI) |", "|---|---|---|"]
        for name, v in g["humanise"].items():
            if name != "per_instrument":
                lines.append(f"| {name} | {v['timing_ms']} | {v['velocity']} |")
        lines += ["", "Overlap of the grooved and the real histograms (20 bins) per instrument, and their spreads, "
                  "at temperature 0 (means) and 1 (drawn):", "",
                  "| instrument | hits | offset overlap T0 / T1 | velocity overlap T0 / T1 | offset std real / T0 / T1 "
                  "(steps) | velocity std real / T0 / T1 |", "|---|---|---|---|---|---|"]
        for name, v in g["humanise"]["per_instrument"].items():
            lines.append(f"| {name} | {v['hits']} | {v['offset_overlap_t0']} / {v['offset_overlap_t1']} | "
                         f"{v['velocity_overlap_t0']} / {v['velocity_overlap_t1']} | {v['offset_std_real']} / "
                         f"{v['offset_std_t0']} / {v['offset_std_t1']} | {v['velocity_std_real']} / "
                         f"{v['velocity_std_t0']} / {v['velocity_std_t1']} |")
        f1 = g["drumify_hit_f1"]
        names = list(f1["groove_2bar"])
        lines += ["", "## groove_2bar: Drumify (Tap2Drum), hit F1 against the real beat\n",
                  "| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for who, v in f1.items():
            lines.append(f"| {who} | " + " | ".join(str(v[n]) for n in names) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drums", default="drums_2bar", help="a drums run or shipped model ('' to skip)")
    parser.add_argument("--groove", default="groove_2bar", help="a GrooVAE run or shipped model ('' to skip)")
    parser.add_argument("--out", default="drums_quality")
    args = parser.parse_args()
    torch.manual_seed(0)
    started = time.time()
    windows, held, bpm = groove_windows()
    result: dict[str, Any] = {"cpu": cpu()}
    print(f"CPU: {result['cpu']}", flush=True)
    if args.drums:
        result["drums_2bar"] = {"model": args.drums, **drums_figures(vaekit.load(args.drums), windows[held, :CLASSES])}
    if args.groove:
        result["groove_2bar"] = {"model": args.groove,
                                 **groove_figures(vaekit.load(args.groove), windows[~held], windows[held], bpm[held])}
    result["seconds"] = round(time.time() - started)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
