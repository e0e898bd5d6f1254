"""Held-out figures of the drum models, on the validation performances of the built-in ``groove`` data
(the Groove MIDI Dataset's own validation split, by performance; 2-bar windows at every bar line):

    python benchmarks/drums_quality.py [--drums drums_2bar] [--groove groove_2bar]

- drums_2bar: acc_tf and acc_sampled (z = mu, greedy) over 512-class steps, hit F1, and hit F1 per
  instrument; and the two accuracies on 2,000 training windows beside them (a gap: beats learned by
  heart);
- Groove (humanise), given each window's quantised score: mean absolute timing error in milliseconds (at
  the performance's tempo) and velocity error (MIDI units) on the real hits, against two baselines: the
  score at the training data's mean velocity with no offsets, and a template of the mean offset and
  velocity of each instrument at each of the 32 steps, from the training windows; and the overlap of
  the humanised and the real histograms of offsets and velocities, per instrument;
- Drumify (Tap2Drum), given only each window's onsets on one voice (its hits kept to those onsets, as
  ``vaekit drumify`` keeps them): hit F1 per instrument against the real beat, and the same for a
  baseline of a kick on every onset and a closed hi-hat on every eighth;
- Samples (``--samples N``, at temperatures 0.5 and 1): MGEval-style overlaps (``vaekit.quality.compare``)
  of drum features against as many held-out windows: hits a bar, hits a bar of each instrument,
  syncopation, where in the bar the onsets fall, how alike a window's two halves are (the hit F1 of
  its second bar against its first: a beat goes on as it began), and for groove_2bar the histograms of
  offsets and velocities. Beside them, the same for training windows (real beats against real beats: the ceiling)
  and for beats of independent hits at each instrument's held-out rate at each step, with velocities
  and offsets drawn from the held-out ones (right rates, no beat: what a feature that cannot tell a beat
  from noise would rate as well as the real thing).

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
from vaekit_midi.groove_memory import alike_playing
from vaekit_midi.groove_midi import CLASSES, to_features
from vaekit_midi.groove_model import HUMANIZE, TAP, task_input
from vaekit_midi.grooving import treat
from vaekit_midi.tokens import DRUM_CLASSES

import vaekit
from vaekit import quality

BATCH = 256
KICK, CLOSED = 0, 2


def groove_windows(steps: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every window ``(N, 27, steps)`` of the built-in data, whether it is held out, its tempo and the
    performance it is from."""
    corpus, validation = load_groove()
    w, owner, _ = corpus.windows(steps)
    with np.load(FILE) as data:
        bpm = data["bpm"]
    return to_features(w), validation[owner], bpm[owner], owner


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


def paired_difference(a: np.ndarray, b: np.ndarray, true: np.ndarray, bpm: np.ndarray, owner: np.ndarray,
                      draws: int = 2000) -> dict[str, list[float]]:
    """How much lower ``a``'s timing (ms) and velocity errors are than ``b``'s on the true hits (``b``'s
    minus ``a``'s), with a 95% interval from resampling the held-out performances (the windows of one
    performance overlap and share a drummer, so they are drawn together)."""
    hit = true[:, :CLASSES] > 0
    _, who = np.unique(owner, return_inverse=True)
    count = np.bincount(who, hit.sum((1, 2)))
    step_ms = 60000.0 / bpm[:, None, None] / 4
    rng = np.random.default_rng(0)
    out = {}
    parts = (("timing_ms", slice(2 * CLASSES, None), step_ms), ("velocity", slice(CLASSES, 2 * CLASSES), 127.0))
    for name, rows, scale in parts:
        gain = (np.abs(b[:, rows] - true[:, rows]) - np.abs(a[:, rows] - true[:, rows])) * scale * hit
        total = np.bincount(who, gain.sum((1, 2)))
        pick = rng.integers(0, len(total), (draws, len(total)))
        drawn = total[pick].sum(1) / count[pick].sum(1)
        interval = np.round(np.percentile(drawn, [2.5, 97.5]), 2).tolist()
        out[name] = [round(float(total.sum() / count.sum()), 2), *interval]
    return out


def with_own_lag(templated: np.ndarray, val: np.ndarray) -> np.ndarray:
    """The template shifted by each window's own mean offset from it: what knowing how far the drummer
    sat ahead of or behind the beat in that passage would add (a humaniser of a score never knows it)."""
    hit = val[:, :CLASSES] > 0
    off = slice(2 * CLASSES, None)
    lag = ((val[:, off] - templated[:, off]) * hit).sum((1, 2)) / np.maximum(hit.sum((1, 2)), 1)
    shifted = templated.copy()
    shifted[:, off] = (templated[:, off] + lag[:, None, None]) * hit
    return shifted


@torch.no_grad()
def groove_figures(p: Any, train: np.ndarray, val: np.ndarray, bpm: np.ndarray,
                   owner: np.ndarray | None = None) -> dict[str, Any]:
    """Humanise and drumify on the held-out windows, with their baselines; given each window's
    performance (``owner``), how far below the template the model's errors are, with an interval."""
    model, x = p.model, torch.from_numpy(val)

    def humanise(xb: torch.Tensor, temperature: float = 0.0) -> torch.Tensor:
        return treat(model, xb, HUMANIZE, temperature, generator)  # as vaekit groove does

    def model_alone(xb: torch.Tensor) -> torch.Tensor:
        mu, _ = model.encoder(task_input(xb, torch.full((len(xb),), HUMANIZE)))
        return model.decoder.sample(mu, 0.0, hits=xb[:, :CLASSES])

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
    alone = batched(model_alone, x).numpy()
    nearest = alike_playing(val)
    below = {} if owner is None else {
        "below_template": paired_difference(played, templated, val, bpm, owner),
        "model_alone_below_template": paired_difference(alone, templated, val, bpm, owner),
        "nearest_beats_below_template": paired_difference(nearest, templated, val, bpm, owner)}
    return {
        "windows": len(val),
        "humanise": {"groove_2bar": errors(played, val, bpm), "groove_2bar_temperature_1": errors(drawn, val, bpm),
                     "quantised_mean_velocity": errors(quantised, val, bpm),
                     "template_per_instrument_and_step": errors(templated, val, bpm),
                     "groove_2bar_model_alone": errors(alone, val, bpm),
                     "nearest_50_training_beats": errors(nearest, val, bpm),
                     "template_with_the_passage_own_lag": errors(with_own_lag(templated, val), val, bpm),
                     "per_instrument": per_class},
        **below,
        "drumify_hit_f1": {"groove_2bar": f1_per_class(hit, beat),
                           "kick_on_onsets_hat_on_eighths": f1_per_class(hit, baseline)},
    }


OFFSET_BINS, VELOCITY_BINS = np.linspace(-0.5, 0.5, 11), np.linspace(0, 1, 11)
TEMPERATURES = (0.5, 1.0)


def histograms(values: np.ndarray, hit: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Each window's histogram ``(N, bins - 1)`` of ``values`` ``(N, 9, T)`` on its hits, summing to 1
    (0 for a window with no hit)."""
    out = np.stack([np.histogram(v[h], bins)[0] for v, h in zip(values, hit)]).astype(np.float64)
    return out / np.maximum(out.sum(1, keepdims=True), 1)


def drum_features(x: np.ndarray, played: bool) -> dict[str, np.ndarray]:
    """MGEval-style features of drum windows ``(N, 27, T)``; the offset and velocity histograms only
    where they are ``played`` (a quantised model's samples have none)."""
    hit = x[:, :CLASSES] > 0
    bars = x.shape[-1] / 16
    onset = hit.any(1)
    step = np.arange(x.shape[-1]) % 16
    onsets = np.maximum(onset.sum(1), 1)
    position = np.stack([onset[:, step == s].sum(1) for s in range(16)], 1) / onsets[:, None]
    first, second = hit[..., : x.shape[-1] // 2], hit[..., x.shape[-1] // 2:]
    out = {"hits_a_bar": hit.sum((1, 2)) / bars, "instrument_hits_a_bar": hit.sum(2) / bars,
           "syncopation_16th": (onset & (step % 2 == 1)).sum(1) / onsets,
           "syncopation_8th": (onset & (step % 4 == 2)).sum(1) / onsets, "onset_position": position,
           "halves_alike": 2 * (first & second).sum((1, 2)) / np.maximum(first.sum((1, 2)) + second.sum((1, 2)), 1)}
    if played:
        out["offset_histogram"] = histograms(x[:, 2 * CLASSES:], hit, OFFSET_BINS)
        out["velocity_histogram"] = histograms(x[:, CLASSES: 2 * CLASSES], hit, VELOCITY_BINS)
    return out


def independent_hits(real: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Beats ``(n, 27, T)`` of independent hits at each instrument's rate at each step in ``real``, each
    with a velocity and an offset drawn from the real hits'."""
    hit = real[:, :CLASSES] > 0
    beats = (rng.random((n, *hit.shape[1:])) < hit.mean(0)).astype(np.float32)
    k = int(beats.sum())
    pick = rng.integers(0, hit.sum(), k)
    vel, off = real[:, CLASSES: 2 * CLASSES][hit][pick], real[:, 2 * CLASSES:][hit][pick]
    out = np.concatenate([beats, np.zeros_like(beats), np.zeros_like(beats)], 1)
    on = beats > 0
    out[:, CLASSES: 2 * CLASSES][on], out[:, 2 * CLASSES:][on] = vel, off
    return out


def as_performances(x: torch.Tensor) -> np.ndarray:
    """Samples as ``(N, 27, T)``: a quantised model's 512-class steps as hits at velocity 0, no offsets."""
    if x.dim() == 3:
        return x.numpy().astype(np.float32)
    bits = (x.numpy()[:, None] >> np.arange(CLASSES)[None, :, None]) & 1
    return np.concatenate([bits, np.zeros_like(bits), np.zeros_like(bits)], 1).astype(np.float32)


def sample_figures(p: Any, train: np.ndarray, val: np.ndarray, n: int, played: bool) -> dict[str, Any]:
    """Overlaps of the model's samples at each temperature, of training windows and of independent hits
    with ``n`` held-out windows, feature by feature."""
    rng = np.random.default_rng(0)
    real = val[rng.choice(len(val), min(n, len(val)), replace=False)]
    reference = drum_features(real, played)
    sets = {f"samples_t{t:g}": as_performances(p.generate(len(real), t, seed=0)) for t in TEMPERATURES}
    sets["training_windows"] = train[rng.choice(len(train), len(real), replace=False)]
    sets["independent_hits"] = independent_hits(val, len(real), rng)
    return {"windows": len(real),
            **{name: quality.compare(reference, drum_features(x, played)) for name, x in sets.items()}}


def samples_markdown(name: str, s: dict[str, Any]) -> list[str]:
    sets = [k for k in s if k != "windows"]
    lines = [f"## {name}: samples against {s['windows']} held-out windows (MGEval-style)\n",
             "Overlapping area of each feature's distances to the held-out windows with the held-out windows' own "
             "distances (1: they sit among the real beats as the real beats sit among themselves), and KL "
             "(nats). Training windows are the ceiling; independent hits at the right rates are the floor.\n",
             "| feature | " + " | ".join(f"{k} overlap / KL" for k in sets) + " | held-out mean | samples T1 mean |",
             "|---|" + "---|" * (len(sets) + 2)]
    for feature, row in s[sets[0]].items():
        cells = [f"{s[k][feature]['overlap']:.3f} / {s[k][feature]['kl']:.3f}" for k in sets]
        means = [row["real_mean"], s["samples_t1"][feature]["generated_mean"]]
        shown = [f"{m:.2f}" if isinstance(m, float) else "(vector)" for m in means]
        lines.append(f"| {feature} | " + " | ".join(cells) + f" | {shown[0]} | {shown[1]} |")
    density = s["samples_t1"]["instrument_hits_a_bar"]
    lines += ["", "Hits a bar per instrument, held-out / samples T1: " + ", ".join(
        f"{n} {a:.2f} / {b:.2f}" for n, a, b in zip(DRUM_CLASSES, density["real_mean"], density["generated_mean"])),
              ""]
    return lines


PAPER = """## The paper's figures beside ours

GrooVAE's paper (Gillick, Roberts, Engel, Eck and Bamman, ICML 2019, arXiv 1905.06118) could not be
read past its abstract and introduction here: the stored copies searched (ar5iv.org/html/1905.06118,
deepai.org, vdocument.in, fdocuments.us, research.google, the online supplement at
storage.googleapis.com/magentadata/papers/groovae/index.html and magenta.tensorflow.org/groovae) hold no
table of timing or velocity errors, and no repository quoting one was found. The supplement describes
Humanization and Tap2Drum by listening tests (a generated beat against a real one, and KNN against
Seq2Seq), which measure something else than these errors. So no published figure stands beside ours;
were one found, it would still not be comparable as it stands: the paper's networks are larger (encoder
512, z 256, decoder 2 x 256, against our 128, 128 and 256), and our figures are on the release's
validation split, as the release's test split is not in our copy of the data.
"""


def markdown(result: dict[str, Any]) -> str:
    lines = [f"# Drum models on held-out Groove windows\n\nCPU: {result['cpu']} (one thread of a 2-core AMD EPYC with "
             "AVX-512 and AVX512-BF16, no AMX, shared with other jobs). The Groove MIDI Dataset's "
             "validation performances (by performance), 2-bar windows at every bar line.\n"]
    if "drums_2bar" in result:
        d = result["drums_2bar"]
        seen = (f"; on {t['windows']} training windows {t['acc_tf']} / {t['acc_sampled']}"
                if (t := d.get("training_windows")) else "")
        lines += [f"## drums_2bar ({d['windows']} distinct windows)\n",
                  f"acc_tf {d['acc_tf']}, acc_sampled {d['acc_sampled']} (MusicVAE's 2-bar drums on Lakh: 0.979 / "
                  f"0.917){seen}\n", "| " + " | ".join(d["hit_f1"]) + " |", "|" + "---|" * len(d["hit_f1"]),
                  "| " + " | ".join(str(v) for v in d["hit_f1"].values()) + " |\n"]
    if "groove_2bar" in result:
        g = result["groove_2bar"]
        lines += [f"## groove_2bar: Groove (humanise) ({g['windows']} windows)\n",
                  "| given the quantised score | timing error (ms) | velocity error (MIDI) |", "|---|---|---|"]
        for name, v in g["humanise"].items():
            if name != "per_instrument":
                lines.append(f"| {name} | {v['timing_ms']} | {v['velocity']} |")
        if "below_template" in g:
            t, v = g["below_template"]["timing_ms"], g["below_template"]["velocity"]
            lines += ["", f"groove_2bar below the template: timing {t[0]} ms (95% interval {t[1]} to {t[2]}), velocity "
                      f"{v[0]} (95% interval {v[1]} to {v[2]}), resampling the held-out performances."]
        if "nearest_beats_below_template" in g:
            t, a = g["nearest_beats_below_template"]["timing_ms"], g["model_alone_below_template"]["timing_ms"]
            lines += ["", "`groove_2bar` is what `vaekit groove` plays: the mean of the model's velocities and "
                      "offsets and those of the 50 training beats most alike to each score (`groove_memory.py`). "
                      f"Alone, the model sits {a[0]} ms below the template in timing (95% interval {a[1]} to "
                      f"{a[2]}); the alike beats alone, with no model, {t[0]} ms ({t[1]} to {t[2]}). Most of a "
                      "drummer's timing is how far the passage sits ahead of or behind the beat, which no score "
                      "holds: the template shifted by each passage's own mean lag (which a humaniser never knows) "
                      "is the row `template_with_the_passage_own_lag`."]
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
        lines.append("")
    for name in ("drums_2bar", "groove_2bar"):
        if "samples" in result.get(name, {}):
            lines += samples_markdown(name, result[name]["samples"])
    lines.append(PAPER)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drums", default="drums_2bar", help="a drums run or shipped model ('' to skip)")
    parser.add_argument("--groove", default="groove_2bar", help="a GrooVAE run or shipped model ('' to skip)")
    parser.add_argument("--samples", type=int, default=500, help="samples a model for the feature overlaps (0: none)")
    parser.add_argument("--out", default="drums_quality")
    args = parser.parse_args()
    torch.manual_seed(0)
    started = time.time()
    windows, held, bpm, owner = groove_windows()
    result: dict[str, Any] = {"cpu": cpu()}
    print(f"CPU: {result['cpu']}", flush=True)
    if args.drums:
        p = vaekit.load(args.drums)
        result["drums_2bar"] = {"model": args.drums, **drums_figures(p, windows[held, :CLASSES])}
        train = windows[~held, :CLASSES][np.random.default_rng(0).choice(int((~held).sum()), 2000, replace=False)]
        seen = drums_figures(p, train)
        result["drums_2bar"]["training_windows"] = {k: seen[k] for k in ("windows", "acc_tf", "acc_sampled")}
        if args.samples:
            quantised = np.concatenate([windows[:, :CLASSES], np.zeros_like(windows[:, CLASSES:])], 1)
            result["drums_2bar"]["samples"] = sample_figures(p, quantised[~held], quantised[held], args.samples, False)
    if args.groove:
        p = vaekit.load(args.groove)
        result["groove_2bar"] = {"model": args.groove,
                                 **groove_figures(p, windows[~held], windows[held], bpm[held], owner[held])}
        if args.samples:
            result["groove_2bar"]["samples"] = sample_figures(p, windows[~held], windows[held], args.samples, True)
    result["seconds"] = round(time.time() - started)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.out}.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
