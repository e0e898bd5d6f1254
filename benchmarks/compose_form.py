"""``vaekit compose --form AABA`` (issue 28): are a song's A sections closer to each other than to B?

For AABA songs of the shipped composer at several ``--variation``s: the mean code distance (the
composer's standardised units, window by window) between the A sections, between A and B, and between
the first A of one song and of the next (unrelated music, for scale); and the share of the playing bars
of the second and fourth A that repeat a bar of the first A exactly (anywhere in it); and of the first
A's notes, the share that the second and fourth A play again at the same step (at the same pitch, and at
any pitch: its rhythm). Every code is decoded greedily, as ``vaekit compose`` does by default.

    python benchmarks/compose_form.py [--songs 16]

Writes benchmarks/results/compose_form.json, its table into compose_quality.md (replacing the section
it wrote before; run it after compose_quality.py, which rewrites that file) and the note lists of two
songs (compose_form_song.txt).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from compose_quality import note_list
from shipped import RESULTS, cpu
from vaekit_midi.compose import REPEAT, SHIPPED, SPREAD, VARIATION, compose_form
from vaekit_midi.composer_model import load
from vaekit_midi.song_codes import decode_song
from vaekit_midi.tokens import decode

import vaekit
from vaekit.pipeline import seeded

FORM = "AABA"
VARIATIONS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
HEADING = "## The form option: `--form AABA`"


def figures(values: torch.Tensor, songs: np.ndarray) -> dict[str, float]:
    """The distances and bar repeats of AABA songs: ``values`` ``(n, 16, C)``, ``songs`` ``(n, 512)``."""
    sections = values.reshape(len(values), 4, 4, -1)

    def distance(a: torch.Tensor, b: torch.Tensor) -> float:
        return (a - b).norm(dim=-1).mean().item()

    a1, a2, b, a4 = sections.unbind(1)
    bars = songs.reshape(len(songs), 4, 8, 16)
    anywhere = playing = 0
    for song in bars:
        first = {tuple(bar) for bar in song[0] if (bar >= 2).any()}
        for later in (song[1], song[3]):
            for bar in later:
                if (bar >= 2).any():
                    playing += 1
                    anywhere += tuple(bar) in first
    kept = onsets = 0
    for song in songs.reshape(len(songs), 4, 128):
        first = set(map(tuple, decode(song[0])[:, [0, 2]].tolist()))
        for later in (song[1], song[3]):
            notes = decode(later)
            kept += len(first & set(map(tuple, notes[:, [0, 2]].tolist())))
            onsets += len({a for a, _ in first} & set(notes[:, 0].tolist()))
    total = 2 * sum(len(decode(song)) for song in songs.reshape(len(songs), 4, 128)[:, 0])
    return {"notes_kept": kept / max(total, 1), "onsets_kept": onsets / max(total, 1),
            "a_a": float(np.mean([distance(a1, a2), distance(a1, a4), distance(a2, a4)])),
            "a_b": float(np.mean([distance(a, b) for a in (a1, a2, a4)])),
            "a_other_song": distance(a1, a1.roll(1, 0)),
            "bars_repeating_first_a": anywhere / max(playing, 1)}


def markdown(report: dict) -> str:
    lines = [HEADING, "",
             f"CPU: {report['cpu']} (AMD EPYC, 2 cores, no AMX, shared with other jobs); "
             f"`benchmarks/compose_form.py`; {report['songs']} songs of `--form {FORM}` (32 bars) a row, seed 0, "
             f"spread {SPREAD}, repeat {REPEAT} in the A and B sections drawn anew, each section held in the key of "
             f"the song so far (the defaults), every code decoded greedily; "
             f"{report['seconds_per_song']:.2f} s a song. Code distance: the mean distance of a section's "
             "windows to the other's windows in the same place, in the composer's standardised units. Bars: "
             "of the playing bars of the second and fourth A, the share equal to a bar of the first A. Notes and "
             "onsets: of the first A's notes, the share that the second and fourth A start at the same step, "
             "at the same pitch, and at any pitch.", "",
             "| variation | A-A distance | A-B distance | first A of another song | bars repeating a bar of the "
             "first A | first A's notes played again | first A's onsets played again |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for v, row in report["rows"].items():
        mark = "**" if float(v) == VARIATION else ""
        lines.append(f"| {mark}{float(v):g}{' (default)' if mark else ''}{mark} | {row['a_a']:.2f} | {row['a_b']:.2f} "
                     f"| {row['a_other_song']:.2f} | {row['bars_repeating_first_a']:.3f} "
                     f"| {row['notes_kept']:.3f} | {row['onsets_kept']:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=16)
    args = parser.parse_args()
    torch.set_num_threads(1)
    composer, card = load(SHIPPED)
    mel = vaekit.load(card["config"]["codes_of"])
    report = {"cpu": cpu(), "songs": args.songs, "rows": {}}
    for variation in VARIATIONS:
        started = time.perf_counter()
        generator = seeded(0)  # as `vaekit compose --seed 0` draws
        values = compose_form(composer, FORM, args.songs, generator, variation, mel.model, repeat=REPEAT,
                              temperature=SPREAD)
        codes, rest = composer.from_values(values)
        songs = np.stack([decode_song(mel.model, c, r, 0.0, generator) for c, r in zip(codes, rest)])
        if variation == VARIATION:
            report["seconds_per_song"] = (time.perf_counter() - started) / args.songs
            (RESULTS / "compose_form_song.txt").write_text("\n\n".join(
                f"`vaekit compose --form {FORM} --seed 0`, song {i}, section {s + 1} ({FORM[s]}):\n"
                + note_list(songs[i, s * 128:(s + 1) * 128], 8) for i in range(2) for s in range(4)) + "\n")
        report["rows"][str(variation)] = figures(values, songs)
    (RESULTS / "compose_form.json").write_text(json.dumps(report, indent=2) + "\n")
    quality = RESULTS / "compose_quality.md"
    kept = quality.read_text().split(HEADING)[0].rstrip()
    quality.write_text(kept + "\n\n" + markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
