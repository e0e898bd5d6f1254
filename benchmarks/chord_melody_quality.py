"""How well a chord-conditioned melody model (mel_2bar_chords, mel_16bar_chords) does on POP909 songs held
out by song:

    python benchmarks/chord_melody_quality.py mel_2bar_chords   # or mel_16bar_chords, or a run directory

1. held-out acc_tf, acc_sampled and note F1 (z = mu, greedy), every validation window of ``pop_chords``,
   against the unconditioned model of the same length on pop (the same songs held out; its card's
   figures), and against mel_2bar's (the issue's goal for every chord model);
2. the chord-tone share of notes on strong beats (beats 1 and 3 of each bar): of samples drawn over
   held-out progressions (z from the run's prior, temperature 1 and 0.5, the run's spread), against the
   real melodies over the same progressions (goal: within 0.03);
3. re-harmonising: each held-out melody encoded over its own chords and decoded (greedy) over another
   held-out window's progression; its chord-tone share against the new chords and the old, and the
   share of its onsets kept (goal: the new chords' share at least 90% of the real melodies' share);
4. the figures into ``benchmarks/results/chord_melody_quality.{json,md}``, note lists of a few examples
   into ``chord_melody_examples.txt``, and the picture ``docs/img/reharmonise.png`` (one held-out melody
   over its own chords and over two other progressions); a 16-bar model's with ``_16bar`` after each name.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from shipped import RESULTS, ROOT
from vaekit_midi.chords import chroma_table, describe_progression, progression
from vaekit_midi.tokens import PITCH_OFFSET, decode

import vaekit
from vaekit import evaluation
from vaekit.pipeline import seeded

MACHINE = "AMD EPYC, 2 cores, AVX-512 + AVX512-BF16, no AMX (shared with other jobs), 1 thread"
GOAL = {"model": "mel_2bar (unconditioned), its card: held-out pop", "acc_tf": 0.9849, "acc_sampled": 0.9834,
        "note_f1": 0.9616}
#: The unconditioned model of each length, by steps: what the chords add.
BASELINES = {32: GOAL, 256: {"model": "mel_16bar (unconditioned), its card: held-out pop", "acc_tf": 0.9295,
                             "acc_sampled": 0.8957, "note_f1": 0.8185}}
STRONG = (0, 8)  # steps of beats 1 and 3 in a bar of 16
PICTURE = ROOT / "docs" / "img" / "reharmonise.png"
OTHER_PROGRESSIONS = ("C G Am F", "Am Dm G C")


def strong_beat_hits(melodies: np.ndarray, chords: np.ndarray, steps_per_bar: int = 16) -> tuple[int, int]:
    """Of the notes that start on strong beats over a chord (not N), how many are its chord tones, and how many
    there are."""
    strong = np.isin(np.arange(melodies.shape[1]) % steps_per_bar, STRONG)
    on = (melodies >= 2) & strong & (chords > 0)
    tones = chroma_table()[chords, (melodies.astype(np.int64) + PITCH_OFFSET) % 12]
    return int((tones & on).sum()), int(on.sum())


def share(melodies: np.ndarray, chords: np.ndarray) -> float:
    hits, notes = strong_beat_hits(melodies, chords)
    return hits / max(notes, 1)


def onsets_kept(new: np.ndarray, old: np.ndarray) -> float:
    """The F1 of note onset steps (pitch aside) of ``new`` against ``old``."""
    a, b = new >= 2, old >= 2
    both = (a & b).sum()
    return float(2 * both / max(a.sum() + b.sum(), 1))


def note_list(melody: np.ndarray, chords: np.ndarray) -> str:
    import pretty_midi

    notes = decode(melody)
    names = " ".join(f"{pretty_midi.note_number_to_name(int(p))}@{int(a)}" for a, _, p in notes)
    return f"  chords: {describe_progression(chords)}\n  notes (name@step): {names}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default="mel_2bar_chords", help="a shipped name or a run directory")
    parser.add_argument("--windows", type=int, default=1000, help="held-out windows for the shares")
    parser.add_argument("--max-items", type=int, help="windows for the accuracies (default: all held-out)")
    parser.add_argument("--no-files", action="store_true", help="print the figures only (a trial run)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    started = time.time()
    p = vaekit.load(args.model)
    model, kind_config = p.model, json.loads(json.dumps(p.config))
    steps = int(kind_config["data"]["steps"])
    suffix = "" if steps == 32 else f"_{steps // 16}bar"
    _, val = p.handler.load_dataset("pop_chords", kind_config)
    scores = evaluation.evaluate(model, p.handler, val, k=0, batch_size=256, max_items=args.max_items)
    accuracy = {name: round(scores[name], 4) for name in ("acc_tf", "acc_sampled", "note_f1")}
    accuracy["windows"] = scores["items"]

    rng = np.random.default_rng(0)
    windows = val.windows.numpy().astype(np.int64)
    picked = windows[rng.choice(len(windows), min(args.windows, len(windows)), replace=False)]
    melodies, chords = picked[:, 0], picked[:, 1]
    real = share(melodies, chords)
    samples = {}
    spread = p.spread()
    for temperature in (1.0, 0.5):
        with model.decoder.over(torch.from_numpy(chords)):
            drawn = model.sample(len(picked), temperature, generator=seeded(0), spread=spread).numpy()
        samples[f"T={temperature:g}"] = round(share(drawn[:, 0], chords), 4)

    others = chords[rng.permutation(len(chords))]
    differ = (others != chords).any(1)
    x = torch.from_numpy(picked[differ])
    with torch.no_grad():
        mu, _ = model.encode(x)
        with model.decoder.over(torch.from_numpy(others[differ])):
            moved = model.decode(mu, 0.0).numpy()[:, 0]
        with model.decoder.over(x[:, 1]):
            own = model.decode(mu, 0.0).numpy()[:, 0]
    reharmonised = {
        "melodies": int(differ.sum()),
        "share_new_chords": round(share(moved, others[differ]), 4),
        "share_old_chords": round(share(moved, chords[differ]), 4),
        "reconstructed_share_own_chords": round(share(own, chords[differ]), 4),
        "real_share_old_chords": round(share(melodies[differ], chords[differ]), 4),
        "real_share_new_chords": round(share(melodies[differ], others[differ]), 4),
        "onsets_kept_f1": round(onsets_kept(moved, melodies[differ]), 4),
    }
    reharmonised["ratio_to_real"] = round(reharmonised["share_new_chords"] / real, 4)
    result = {
        "model": args.model, "machine": MACHINE, "data": "pop_chords validation split (POP909 songs held out by song)",
        "accuracy": accuracy, "baseline": BASELINES[steps], "goal": GOAL,
        "chord_tone_share": {"strong_beats": "beats 1 and 3 of each 4/4 bar, notes over a chord (not N)",
                             "windows": len(picked), "real": round(real, 4), "samples": samples,
                             "spread": spread},
        "reharmonise": reharmonised,
        "goals": {
            "accuracy_at_least_mel_2bar": all(accuracy[k] >= GOAL[k] for k in ("acc_tf", "acc_sampled", "note_f1")),
            "accuracy_above_unconditioned": all(accuracy[k] > BASELINES[steps][k]
                                                for k in ("acc_tf", "acc_sampled", "note_f1")),
            "sample_share_within_0.03": {k: abs(v - real) <= 0.03 for k, v in samples.items()},
            "reharmonised_share_at_least_90%_of_real": reharmonised["ratio_to_real"] >= 0.9,
        },
        "seconds": round(time.time() - started),
    }
    print(json.dumps(result, indent=2))
    if args.no_files:
        return
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"chord_melody_quality{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
    write_markdown(result, suffix)
    write_examples(p, picked, others, moved, differ, suffix)


def write_markdown(r: dict, suffix: str) -> None:
    a, b, g, c, h = r["accuracy"], r["baseline"], r["goal"], r["chord_tone_share"], r["reharmonise"]
    yes = {True: "met", False: "not met"}
    lines = [
        f"# {r['model']}: melodies over chords, on POP909 songs held out by song", "",
        f"Machine: {r['machine']}. Command: `python benchmarks/chord_melody_quality.py {r['model']}` "
        f"({r['seconds']} s).", "",
        f"## Held-out accuracy ({a['windows']:,} windows, z = mu, greedy)", "",
        "| model | acc_tf | acc_sampled | note F1 |", "|---|---|---|---|",
        f"| {r['model']} | {a['acc_tf']:.4f} | {a['acc_sampled']:.4f} | {a['note_f1']:.4f} |",
        *([f"| {b['model']} | {b['acc_tf']:.4f} | {b['acc_sampled']:.4f} | {b['note_f1']:.4f} |"] if b != g else []),
        f"| {g['model']} | {g['acc_tf']:.4f} | {g['acc_sampled']:.4f} | {g['note_f1']:.4f} |", "",
        f"Goal (at least mel_2bar's): {yes[r['goals']['accuracy_at_least_mel_2bar']]}. Above the unconditioned "
        f"model of its length: {'yes' if r['goals']['accuracy_above_unconditioned'] else 'no'}.", "",
        f"## Chord-tone share of notes on strong beats ({c['strong_beats']}; {c['windows']} held-out windows)", "",
        "| melodies over the held-out progressions | share |", "|---|---|",
        f"| the real melodies | {c['real']:.4f} |",
        *(f"| samples, {t}, spread {c['spread']:g} | {v:.4f} |" for t, v in c["samples"].items()), "",
        "Goal (samples within 0.03 of the real melodies): "
        + ", ".join(f"{t} {yes[ok]}" for t, ok in r["goals"]["sample_share_within_0.03"].items()) + ".", "",
        f"## Re-harmonising ({h['melodies']} held-out melodies, each decoded over another window's progression)", "",
        "| | share |", "|---|---|",
        f"| re-harmonised melody, against the new chords | {h['share_new_chords']:.4f} |",
        f"| re-harmonised melody, against its old chords | {h['share_old_chords']:.4f} |",
        f"| the real melody, against its own chords | {h['real_share_old_chords']:.4f} |",
        f"| the real melody, against the new chords (chance) | {h['real_share_new_chords']:.4f} |",
        f"| reconstruction over its own chords | {h['reconstructed_share_own_chords']:.4f} |", "",
        f"New chords' share / real share: {h['ratio_to_real']:.3f}; goal (at least 0.9): "
        f"{yes[r['goals']['reharmonised_share_at_least_90%_of_real']]}. Onsets kept (F1 of onset steps against "
        f"the original melody): {h['onsets_kept_f1']:.3f}.", "",
    ]
    (RESULTS / f"chord_melody_quality{suffix}.md").write_text("\n".join(lines))


def write_examples(p, picked: np.ndarray, others: np.ndarray, moved: np.ndarray, differ: np.ndarray,
                   suffix: str) -> None:
    """Note lists to read, and the picture of one melody over its chords and two others (each progression
    repeated to the window's length)."""
    model, steps = p.model, picked.shape[-1]
    lines = []
    for j, i in enumerate(np.flatnonzero(differ)[:4].tolist()):
        lines += [f"held-out window {i}: the real melody", note_list(picked[i, 0], picked[i, 1]),
                  "re-harmonised over another progression", note_list(moved[j], others[i]), ""]
    for text in ("C G Am F", "Am F C G"):
        row = torch.from_numpy(progression(text, steps)).long()
        with model.decoder.over(row):
            drawn = model.sample(3, 1.0, generator=seeded(1), spread=p.spread()).numpy()
        lines += [f"samples over {text} (T=1)"] + [note_list(d[0], d[1]) for d in drawn] + [""]
    (RESULTS / f"chord_melody_examples{suffix}.txt").write_text("\n".join(lines))

    melody = torch.from_numpy(picked[int(np.flatnonzero(differ)[0])])
    mu, _ = model.encode(melody[None])
    rows = [melody]
    labels = ["held-out melody", "decoded over its chords"]
    for text in (None, *OTHER_PROGRESSIONS):
        chords = melody[1] if text is None else torch.from_numpy(progression(text, steps)).long()
        with model.decoder.over(chords):
            rows.append(model.decode(mu, 0.0)[0])
        if text:
            labels.append(f"over {text}")
    p.handler.render(torch.stack(rows), PICTURE.with_name(f"{PICTURE.stem}{suffix}.png"), p.config, labels)


if __name__ == "__main__":
    main()
