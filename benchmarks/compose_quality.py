"""Form of whole composed melodies (issue 28): the measures of ``vaekit_midi/form.py`` on the shipped
composer's songs of 64 and 32 bars against real held-out songs and tunes, and against two baselines
made of the shipped ``mel_2bar``'s codes: plain interpolation between two random codes (Mittal et
al.'s baseline) and independent samples side by side. Every code is decoded greedily (temperature 0,
as ``vaekit compose`` does by default).

Real melodies are the held-out (never trained on) POP909 songs and folk tunes of
``benchmarks/shipping/composer_codes.py``'s file, each from the bar of its first note, every 16 bars while the
song lasts: 64-bar windows of pop (folk tunes are rarely that long), 32-bar windows of pop and folk.
"Real pop through mel_2bar" is the same pop windows encoded and decoded window by window: what the
composer could at best give back from those codes. Self-similarity consistency and variance are
against real pop of the same length.

    python benchmarks/compose_quality.py [--songs 64]

Writes benchmarks/results/compose_quality.{json,md}, a few composed songs' piano rolls and notes
(benchmarks/results/compose_song_*.png, compose_songs.txt) and, for the shipped composer, its figures
into its card (``models/composer/card.json``, which ``vaekit models`` and the studio show).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from shipped import RESULTS, cpu
from shipping.composer_codes import codes_file
from vaekit_midi.compose import REPEAT, SHIPPED, SPREAD, Given, compose, write_songs
from vaekit_midi.composer_model import load
from vaekit_midi.form import SCALES, form_figures, frame_overlaps, key_of, self_similarity
from vaekit_midi.key_hold import CANDIDATES, ROUNDS, STRENGTH
from vaekit_midi.song_codes import decode_song
from vaekit_midi.tokens import decode

import vaekit
import vaekit.prior
from vaekit.latent import path as latent_path


def song_codes() -> dict[str, np.ndarray]:
    """The composer's data (``composer_codes.py``'s file): every song's windows, codes and rest flags, where
    each song starts, which are held out, transposed, pop."""
    with np.load(codes_file(), allow_pickle=False) as f:
        return {k: f[k] for k in ("windows", "codes", "rest", "offsets", "held_out", "transpose", "pop")}


def real(data: dict, bars: int, pop: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Held-out melodies' windows of ``bars`` bars every 16 bars: tokens ``(N, bars * 16)``, and their
    windows' codes ``(N, bars / 2, D)`` and rest flags."""
    length, hop = bars // 2, 8
    chosen = np.flatnonzero(data["held_out"] & (data["transpose"] == 0) & (data["pop"] == pop))
    tokens, codes, rest = [], [], []
    for m in chosen:
        a, b = data["offsets"][m], data["offsets"][m + 1]
        for start in range(a, b - length + 1, hop):
            tokens.append(data["windows"][start:start + length].reshape(-1))
            codes.append(data["codes"][start:start + length])
            rest.append(data["rest"][start:start + length])
    return np.stack(tokens).astype(np.int64), np.stack(codes).astype(np.float32), np.stack(rest)


def through_codes(mel, codes: np.ndarray, rest: np.ndarray) -> np.ndarray:
    return np.stack([decode_song(mel.model, torch.from_numpy(c), torch.from_numpy(r)) for c, r in zip(codes, rest)])


def interpolations(mel, bars: int, n: int, generator: torch.Generator) -> np.ndarray:
    ends = vaekit.prior.draw(mel.model.prior, 2 * n, mel.model.latent_dim, generator, mel.spread()).view(n, 2, -1)
    z = torch.stack([latent_path(a, b, bars // 2) for a, b in ends])
    return mel.model.decode(z.flatten(0, 1)).view(n, -1).numpy()


def independent(mel, bars: int, n: int, generator: torch.Generator) -> np.ndarray:
    return mel.model.sample(n * bars // 2, 0.0, generator, mel.spread()).view(n, -1).numpy()


def density(windows: np.ndarray) -> dict[str, float]:
    """Notes a bar and the share of bars without a note-on: what a drone or a silent song shows."""
    bars = windows.reshape(len(windows), -1, 16)
    return {"notes_per_bar": float((bars >= 2).sum(-1).mean()), "empty_bars": float(((bars >= 2).sum(-1) == 0).mean())}


def rows_for(sets: dict[str, np.ndarray], reference: str) -> dict[str, dict[str, float]]:
    overlaps = {name: frame_overlaps(w) for name, w in sets.items()}
    rows = {}
    for name, windows in sets.items():
        row = {**form_figures(windows), **density(windows), "melodies": len(windows)}
        row["cadence_ratio"] = row["long_at_phrase_end"] / max(row["long_elsewhere"], 1e-9)
        row.update(self_similarity(overlaps[name], overlaps[reference]))
        rows[name] = row
    return rows


def share_in_key_of(given: np.ndarray, written: np.ndarray) -> float:
    """The share of the notes of token rows ``written`` in the key (Krumhansl and Schmuckler) of the
    matching rows of ``given``."""
    held = total = 0
    for a, b in zip(given, written):
        notes, later = decode(a), decode(b)
        if len(notes) and len(later):
            tonic, mode, _ = key_of(notes)
            held += int(np.isin((later[:, 2] - tonic) % 12, SCALES[mode]).sum())
            total += len(later)
    return held / max(total, 1)


def continuations(composer, mel, pop: np.ndarray, codes: np.ndarray, rest: np.ndarray, n: int) -> dict[str, float]:
    """Of ``n`` held-out 32-bar pop windows, bars 1-8 given: the share of the notes of bars 9-32 in
    the key of bars 1-8, for the composer's continuation (key held, and ``--free-key``), the song's own
    bars, and unconditional songs; with bars 25-32 given too (infill), of bars 9-24."""
    pick = np.linspace(0, len(pop) - 1, n).round().astype(int)
    songs: dict[str, list] = {}
    for i in pick:
        before = Given(pop[i, :128], codes[i, :4], rest[i, :4], None)
        after = Given(pop[i, -128:], codes[i, -4:], rest[i, -4:], None)
        for hold, label in ((True, ""), (False, ", --free-key")):
            songs.setdefault(f"continued{label}", []).append(compose(composer, mel, 32, 1, int(i), before,
                                                                      hold_key=hold)[0])
            songs.setdefault(f"infilled{label}", []).append(compose(composer, mel, 32, 1, int(i), before, after,
                                                                     hold_key=hold)[0])
    free = compose(composer, mel, 32, n, seed=1)
    given = pop[pick, :128]
    out = {}
    for label in ("", ", --free-key"):
        cont, fill = np.stack(songs[f"continued{label}"]), np.stack(songs[f"infilled{label}"])
        out[f"continued{label}: bars 9-32 in the key of given bars 1-8"] = share_in_key_of(given, cont[:, 128:])
        out[f"infilled{label}: bars 9-24 in the key of given bars 1-8"] = share_in_key_of(given, fill[:, 128:-128])
    return {**out, "real songs: bars 9-32 in the key of bars 1-8": share_in_key_of(given, pop[pick, 128:]),
            "real songs: bars 9-24 in the key of bars 1-8": share_in_key_of(given, pop[pick, 128:-128]),
            "unconditional songs: bars 9-32 in the key of their bars 1-8": share_in_key_of(free[:, :128],
                                                                                           free[:, 128:])}


def note_list(tokens: np.ndarray, bars: int = 16) -> str:
    """The first ``bars`` bars as note names with onset (bar.beat) and length in 16ths, a bar a line."""
    import pretty_midi

    lines = []
    for bar in range(bars):
        notes = [f"{pretty_midi.note_number_to_name(p)}@{(a % 16) / 4 + 1:g}/{b - a}"
                 for a, b, p in decode(tokens).tolist() if a // 16 == bar]
        lines.append(f"  bar {bar + 1:2d}: " + (" ".join(notes) or "(rest)"))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=64, help="composed songs and baseline melodies of each length")
    parser.add_argument("--composer", type=Path, default=SHIPPED)
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = song_codes()
    composer, card = load(args.composer)
    mel = vaekit.load(card["config"]["codes_of"])
    report = {"cpu": cpu(), "songs": args.songs, "composer": card.get("trained", {}), "tables": {}}
    for bars in (64, 32):
        pop, pop_codes, pop_rest = real(data, bars, pop=True)
        sets = {"real pop (held out)": pop}
        if bars == 32:
            sets["real folk (held out)"] = real(data, bars, pop=False)[0]
        sets["real pop through mel_2bar codes"] = through_codes(mel, pop_codes, pop_rest)
        started = time.perf_counter()
        songs = compose(composer, mel, bars, args.songs, seed=0)
        seconds = time.perf_counter() - started
        sets[DEFAULTS] = songs
        started = time.perf_counter()
        sets[f"composer (spread {SPREAD}, repeat {REPEAT}, --free-key)"] = compose(composer, mel, bars, args.songs,
                                                                                   0, hold_key=False)
        free_seconds = time.perf_counter() - started
        sets["composer (spread 1, repeat 0, --free-key: as drawn)"] = compose(composer, mel, bars, args.songs, 0,
                                                                             spread=1.0, repeat=0.0, hold_key=False)
        sets[f"composer (spread 0.8, repeat {REPEAT}, --free-key)"] = compose(composer, mel, bars, args.songs, 0,
                                                                               spread=0.8, hold_key=False)
        g = torch.Generator().manual_seed(0)
        sets["mel_2bar: interpolation between 2 random codes"] = interpolations(mel, bars, args.songs, g)
        sets["mel_2bar: independent samples"] = independent(mel, bars, args.songs, g)
        report["tables"][bars] = {"rows": rows_for(sets, "real pop (held out)"),
                                  "compose_seconds_per_song": seconds / args.songs,
                                  "free_key_seconds_per_song": free_seconds / args.songs}
        if bars == 32:
            report["keys"] = continuations(composer, mel, pop, pop_codes, pop_rest, min(args.songs, 32))
        if bars == 64:
            shown = write_songs(songs[:4], Path("/tmp/compose_quality_songs"), mel, png=True)
            for i, png in enumerate(p for p in shown if p.suffix == ".png"):
                (RESULTS / f"compose_song_{i}.png").write_bytes(png.read_bytes())
            (RESULTS / "compose_songs.txt").write_text("\n\n".join(
                f"composed song {i} (64 bars, seed 0), its first 16 bars:\n{note_list(s)}"
                for i, s in enumerate(songs[:4])) + "\n")
    (RESULTS / "compose_quality.json").write_text(json.dumps(report, indent=2) + "\n")
    if args.composer == SHIPPED:
        write_card(report)
    (RESULTS / "compose_quality.md").write_text(markdown(report))
    print(markdown(report))


DEFAULTS = f"composer (spread {SPREAD}, repeat {REPEAT}, key held: the defaults)"
CARD_FIGURES = ("in_key_share", "repeated_bars", "repeated_2bar_units", "cadence_ratio", "pitch_consistency",
                "pitch_variance", "duration_consistency", "duration_variance")


def write_card(report: dict) -> None:
    """The shipped composer's card: what ``composer.json`` says of its training, what it is (a model
    over mel_2bar's codes, used by ``vaekit compose``) and its 64-bar songs' figures beside real pop's."""
    saved = json.loads((SHIPPED / "composer.json").read_text())
    rows = report["tables"][64]["rows"]
    figures = {name: {k: round(rows[row][k], 3) for k in CARD_FIGURES}
               for name, row in (("64-bar songs", DEFAULTS), ("real pop, 64 bars", "real pop (held out)"))}
    card = {**{k: v for k, v in saved.items() if k != "config"}, "modality": "midi", "preset": "composer",
            "weights": "composer.safetensors", "use": "vaekit compose, or the studio's compose page (vaekit serve)",
            "heldout": figures}
    (SHIPPED / "card.json").write_text(json.dumps(card, indent=2) + "\n")


COLUMNS = [("melodies", "melodies", "{:.0f}"), ("notes_per_bar", "notes a bar", "{:.2f}"),
           ("empty_bars", "empty bars", "{:.3f}"), ("repeated_bars", "bars repeating an earlier bar", "{:.3f}"),
           ("repeated_2bar_units", "2-bar units repeating", "{:.3f}"), ("in_key_share", "notes in key", "{:.3f}"),
           ("long_at_phrase_end", "long note, bars 4/8/12/...", "{:.3f}"),
           ("long_elsewhere", "long note, other bars", "{:.3f}"), ("cadence_ratio", "ratio", "{:.2f}"),
           ("pitch_consistency", "pitch consistency", "{:.3f}"), ("pitch_variance", "pitch variance", "{:.3f}"),
           ("duration_consistency", "duration consistency", "{:.3f}"),
           ("duration_variance", "duration variance", "{:.3f}")]


def markdown(report: dict) -> str:
    trained = report["composer"]
    lines = ["# Form of composed songs (`vaekit compose`)", "",
             f"CPU: {report['cpu']} (shared with other jobs); `benchmarks/compose_quality.py`; {report['songs']} "
             f"composed songs and baseline melodies of each length, seed 0, every code decoded greedily. Composer: "
             f"{trained.get('steps', '?')} steps, {trained.get('minutes', '?')} min (best held-out loss at step "
             f"{trained.get('best_step', '?')}). Consistency and variance: against real held-out pop of the same "
             f"length (1 = the same). Key held (`key_hold.py`): each window with notes out of the song's key "
             f"drawn again {ROUNDS} times at most, {CANDIDATES} candidates re-noised to {STRENGTH} of the schedule, "
             f"the one with the fewest notes out of key kept.", ""]
    for bars, table in report["tables"].items():
        lines += [f"## {bars} bars ({table['compose_seconds_per_song']:.2f} s a composed song on 1 thread, "
                  f"{table['free_key_seconds_per_song']:.2f} s with --free-key)", "",
                  "| | " + " | ".join(label for _, label, _ in COLUMNS) + " |", "| --- |" + " ---: |" * len(COLUMNS)]
        for name, row in table["rows"].items():
            lines.append(f"| {name} | " + " | ".join(fmt.format(row[k]) if k in row else "" for k, _, fmt in COLUMNS)
                         + " |")
        lines.append("")
    lines += ["## Continuing and infilling 32-bar held-out pop (seeds from each window's index)", "",
              "| notes | share in key |", "| --- | ---: |"]
    lines += [f"| {name} | {value:.3f} |" for name, value in report.get("keys", {}).items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
