"""Chords recognised from POP909's piano accompaniment against its chord annotation, and the folk
tunes that carry chord symbols:

    /work/cpuslot python benchmarks/chord_recognition.py ../shared/data/pop909

- Songs 001-800, split as the built-in ``pop`` dataset splits them (names ``pop909/NNN``,
  ``dataset.split_items``, 10% held out). Each song's PIANO track is read on its annotated beats
  (``midi_file.grid_of``) and its chords recognised (``chord_recognition.recognise``), one a beat
  at most; the truth is ``chord_midi.txt`` on the same grid (``chords.chords_on_grid``).
- Scored per 16th-note step over each song's annotated span, N a symbol like any chord (as MIREX
  scores, weighted by duration): root; root and quality collapsed to maj / min / other (maj, 7,
  maj7, 6 are maj; min, m7, mM7, m6 are min; dim, aug, sus, dim7, m7b5, 7sus4 are other); root and
  exact quality; and the whole chord with its bass. Also on the steps under a chord only.
- The weights are tuned on training songs only: ``--tune N`` runs N rounds of a coordinate search
  from the module's weights on 150 of them. The module's weights are what ``--tune 2`` found from
  hand-set ones (the run recorded in the results); without ``--tune`` the script scores them as they
  are. Every figure is on the held-out songs.
- Folk: every tune of the built-in ``folk`` collections whose ABC holds a quoted string (the only
  way ABC writes a chord) is parsed by music21 and its ChordSymbols counted.

Writes ``benchmarks/results/chord_recognition.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np
from vaekit_midi.chord_recognition import TEMPLATES, Templates, beat_profiles, recognise_profiles, symbol_index
from vaekit_midi.chords import (
    N_CHORDS,
    QUALITY_NAMES,
    chord_changes,
    chord_name,
    chord_of,
    chords_on_grid,
    read_chord_annotation,
)
from vaekit_midi.dataset import split_items
from vaekit_midi.midi_file import grid_of, on_grid, read_midi

RESULTS = Path(__file__).parent / "results"
CPU = "AMD EPYC, 2 cores, AVX-512 + AVX512-BF16, no AMX (shared with other jobs)"
MAJ = {"maj", "7", "maj7", "maj6"}
MIN = {"min", "min7", "minmaj7", "min6"}
STEPS_PER_BEAT = 4


def song(folder: Path, track: str = "PIANO") -> tuple[np.ndarray, np.ndarray, int]:
    """A song's ``track`` notes, its annotated chords (one index a step) on its annotated beats, and
    the step of its first downbeat."""
    path = folder / f"{folder.name}.mid"
    pm, reason = read_midi(path)
    assert reason is None, (path, reason)
    grid = grid_of(pm, path)
    (notes,), _ = on_grid(grid, [next(i for i in pm.instruments if i.name.strip().upper() == track)])
    rows = read_chord_annotation(path)
    truth = chords_on_grid(rows, grid.step, max(grid.step(end) for _, end, _ in rows))
    return notes, truth, next(start for start, bar in grid.meters if bar)


def load_songs(root: Path, cache: Path) -> dict[str, Song]:
    """Songs 001-800 by name ``pop909/NNN``, read once (kept in ``cache``, an npz)."""
    if not cache.is_file():
        read = {f"pop909/{folder.name}": song(folder) for folder in sorted(root.iterdir())
                if folder.is_dir() and folder.name.isdigit() and int(folder.name) <= 800}
        arrays = {f"{key}{i}": value for i, one in enumerate(read.values())
                  for key, value in zip(("notes", "truth", "downbeat"), one)}
        np.savez(cache, names=np.array(list(read)), **arrays)
    with np.load(cache, allow_pickle=False) as f:
        return {name: Song(f[f"notes{i}"], f[f"truth{i}"], int(f[f"downbeat{i}"]))
                for i, name in enumerate(f["names"].tolist())}


@dataclass
class Song:
    notes: np.ndarray
    truth: np.ndarray
    downbeat: int
    chroma: np.ndarray = field(init=False)
    bass: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.chroma, self.bass = beat_profiles(self.notes, len(self.truth), STEPS_PER_BEAT)

    def recognised(self, templates: Templates) -> np.ndarray:
        return np.repeat(recognise_profiles(self.chroma, self.bass, templates), STEPS_PER_BEAT)[: len(self.truth)]


def collapsed(quality: str) -> str:
    return "maj" if quality in MAJ else "min" if quality in MIN else "other"


@cache
def chord_columns() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every chord index: its root (-1 for N), quality class and quality ("N" for N)."""
    chords = [chord_of(i) for i in range(N_CHORDS)]
    return (np.array([-1 if c is None else c.root for c in chords]),
            np.array(["N" if c is None else collapsed(c.quality) for c in chords]),
            np.array(["N" if c is None else c.quality for c in chords]))


def per_step(rows: np.ndarray) -> dict[str, np.ndarray]:
    """Root, quality class and quality of each step's chord index."""
    root, klass, quality = chord_columns()
    return {"root": root[rows], "majmin": klass[rows], "quality": quality[rows]}


def scores(truth: np.ndarray, guess: np.ndarray) -> dict[str, float]:
    """Step-weighted agreement over all steps, and over those under an annotated chord."""
    t, g = per_step(truth), per_step(guess)
    same_root = t["root"] == g["root"]
    checks = {"root": same_root, "majmin": same_root & (t["majmin"] == g["majmin"]),
              "exact": same_root & (t["quality"] == g["quality"]), "with_bass": truth == guess}
    under = truth > 0
    out = {name: float(ok.mean()) for name, ok in checks.items()}
    out.update({f"{name}_under_chords": float(ok[under].mean()) for name, ok in checks.items()})
    out.update(steps=int(len(truth)), under_chords=float(under.mean()), guessed_n=float((guess == 0).mean()),
               n_right=float(((guess == 0) & ~under).sum() / max((~under).sum(), 1)))
    return out


def evaluate(songs: dict[str, Song], names: list[str], templates: Templates) -> dict[str, float]:
    return scores(np.concatenate([songs[n].truth for n in names]),
                  np.concatenate([songs[n].recognised(templates) for n in names]))


def tune(songs: dict, names: list[str], start: Templates, rounds: int, target: str) -> tuple[Templates, list]:
    """A coordinate search over the weights and the per-quality biases, on ``names`` only."""
    best, best_score = start, evaluate(songs, names, start)[target]
    history = [(asdict(best), best_score)]
    for _ in range(rounds):
        improved = False
        keys = ("off_tones", "bass_root", "bass_tone", "change", "no_chord", "silence",
                *(f"bias:{q}" for q in QUALITY_NAMES if q not in ("maj", "min")))
        for key in keys:
            for delta in (-0.1, -0.04, 0.04, 0.1):
                if key.startswith("bias:"):
                    quality = key[5:]
                    trial = replace(best, bias={**best.bias, quality: best.bias[quality] + delta})
                else:
                    trial = replace(best, **{key: getattr(best, key) + delta})
                score = evaluate(songs, names, trial)[target]
                if score > best_score + 1e-5:
                    best, best_score, improved = trial, score, True
                    history.append((asdict(best), best_score))
                    print(f"  {key} {delta:+g}: {target} {score:.4f}", flush=True)
                    break
        if not improved:
            break
    return best, history


def folk_symbols() -> dict:
    """How many tunes of the built-in folk collections carry music21 ChordSymbols, by collection."""
    from music21 import converter, harmony
    from vaekit_midi.folk import COLLECTIONS, tunes

    names, texts = tunes(COLLECTIONS)
    quoted, with_symbols, read_as_chords, examples = Counter(), Counter(), Counter(), {}
    for name, text in zip(names, texts):
        body = text[text.rfind("\nX:") + 1:] if "\nX:" in text else text
        if '"' not in "\n".join(line for line in body.splitlines() if not re.match(r"^[A-Za-z%]:?", line[:2])):
            continue
        collection = name.split("/", 1)[0]
        quoted[collection] += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                score = converter.parseData(text, format="abc")
            except Exception:  # music21 raises many types on bad input
                continue
        symbols = list(score.recurse().getElementsByClass(harmony.ChordSymbol))
        if symbols:
            with_symbols[collection] += 1
            examples.setdefault(name, [el.figure for el in symbols[:12]])
        read_as_chords[collection] += any(symbol_index(el) for el in symbols)
    return {"tunes": len(names), "with_quotes": dict(quoted), "with_chord_symbols": dict(with_symbols),
            "read_as_chords": {k: v for k, v in read_as_chords.items() if v}, "examples": examples}


def bar_lines(one: Song, templates: Templates, bars: range, per_bar: int = 16) -> list[str]:
    """Bars of a song (from its first downbeat, 4/4) as annotated and as recognised, a table row each."""
    guess = one.recognised(templates)

    def bar(row, b):
        part = row[one.downbeat + b * per_bar:one.downbeat + (b + 1) * per_bar]
        return " ".join(chord_name(index) for _, _, index in chord_changes(part))

    return [f"| {b + 1} | {bar(one.truth, b)} | {bar(guess, b)} |" for b in bars]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the POP909 folder (NNN/NNN.mid, beat_midi.txt, chord_midi.txt)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/pop909_piano_chords.npz"))
    parser.add_argument("--tune", type=int, default=0, help="rounds of the coordinate search on training songs")
    parser.add_argument("--tune-songs", type=int, default=150, help="training songs the search scores on")
    parser.add_argument("--no-folk", action="store_true")
    args = parser.parse_args()
    started = time.time()
    songs = load_songs(args.root, args.cache)
    names = np.array(list(songs))
    held = split_items(names, np.ones(len(names), dtype=bool), 0.1)
    train, test = names[~held].tolist(), names[held].tolist()
    print(f"{len(train)} training songs, {len(test)} held out", flush=True)
    templates, history = TEMPLATES, []
    if args.tune:
        chosen = np.random.default_rng(0).choice(train, min(args.tune_songs, len(train)), replace=False).tolist()
        templates, history = tune(songs, chosen, TEMPLATES, args.tune, "majmin")
        print(f"tuned: {templates}", flush=True)
    report = {"cpu": CPU, "python": platform.python_version(), "templates": asdict(templates),
              "tuned_from": asdict(TEMPLATES) if args.tune else None, "tuning_steps": len(history),
              "train": evaluate(songs, train, templates), "held_out": evaluate(songs, test, templates),
              "held_out_songs": len(test), "train_songs": len(train)}
    baselines = {"triads only": replace(templates, bias={q: (0.0 if q in ("maj", "min") else -9.0)
                                                         for q in QUALITY_NAMES}),
                 "no change cost": replace(templates, change=0.0)}
    report["held_out_ablations"] = {k: evaluate(songs, test, t) for k, t in baselines.items()}
    examples = {}
    for name in test[:3]:
        examples[name] = bar_lines(songs[name], templates, range(8, 16))
    report["examples"] = examples
    if not args.no_folk:
        report["folk"] = folk_symbols()
    report["seconds"] = round(time.time() - started, 1)
    (RESULTS / "chord_recognition.json").write_text(json.dumps(report, indent=2) + "\n")
    write_markdown(report)
    print(json.dumps({k: report[k] for k in ("train", "held_out")}, indent=2))


def write_markdown(report: dict) -> None:
    h = report["held_out"]
    lines = [
        "# Chords recognised from POP909's piano accompaniment",
        "",
        f"`benchmarks/chord_recognition.py` on {report['cpu']}; {report['seconds']:.0f} s in all.",
        f"{report['held_out_songs']} held-out songs (the `pop` dataset's split), {h['steps']:,} 16th-note steps; "
        f"weights tuned on training songs only. Scored per step, N a symbol like any chord.",
        "",
        "| | root | root + maj/min/other | root + exact quality | with bass |",
        "| --- | --- | --- | --- | --- |",
    ]
    for label, s in [("held out, every step", h), ("held out, under a chord", None),
                     ("training songs, every step", report["train"]),
                     *[(f"held out, {k}", v) for k, v in report["held_out_ablations"].items()]]:
        if s is None:
            lines.append(f"| {label} | {h['root_under_chords']:.3f} | {h['majmin_under_chords']:.3f} | "
                         f"{h['exact_under_chords']:.3f} | {h['with_bass_under_chords']:.3f} |")
        else:
            lines.append(f"| {label} | {s['root']:.3f} | {s['majmin']:.3f} | {s['exact']:.3f} | {s['with_bass']:.3f} |")
    lines += ["", f"Held out: {h['under_chords']:.1%} of steps lie under an annotated chord; the recogniser says N on "
              f"{h['guessed_n']:.1%} of steps, and on {h['n_right']:.1%} of the annotation's N steps.", ""]
    lines += ["## Bars 9-16 of three held-out songs (annotation | recognised)", ""]
    for name, rows in report["examples"].items():
        lines += [f"**{name}**", "", "| bar | annotation | recognised |", "| --- | --- | --- |", *rows, ""]
    if "folk" in report:
        f = report["folk"]
        total = sum(f["with_chord_symbols"].values())
        lines += ["## Chord symbols in the built-in folk collections", "",
                  f"Of {f['tunes']:,} tunes, {sum(f['with_quotes'].values())} hold a quoted string in their ABC "
                  f"({', '.join(f'{k} {v}' for k, v in f['with_quotes'].items())}); music21 reads chord symbols in "
                  f"{total}: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in f["examples"].items()) + ". "
                  f"`chord_recognition.symbol_index` reads chords in {sum(f['read_as_chords'].values())} "
                  f"({', '.join(f'{k} {v}' for k, v in f['read_as_chords'].items())}): a lower-case \"f\" or \"e\" "
                  "is a dynamic or a fingering, not a chord; the fife tunes' \"A\" \"B\" \"C\" mark sections, which "
                  "no rule can tell from A, B and C major. No built-in folk tune carries real chord symbols.", ""]
    (RESULTS / "chord_recognition.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
