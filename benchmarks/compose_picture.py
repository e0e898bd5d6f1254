"""The README's picture of a whole song (issue 28): one 64-bar melody of the shipped composer with the
form AABACABA (8 bars a letter: a 32-bar AABA, a new section C, and A, B, A again), drawn as one piano
roll of 16 bars a row with each section shaded and labelled, and its MIDI file. Seed 0, every default of
``vaekit compose`` (key held, variation 0.1, repeat 0.3), so that

    vaekit compose --form AABACABA -n 1 --seed 0 --out songs/

writes the same song. Prints its notes, a bar a line, to read it as music.

    python benchmarks/compose_picture.py

Writes docs/img/compose_form_song.png and docs/img/compose_form_song.mid.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from compose_quality import note_list
from shipped import ROOT
from vaekit_midi.compose import SHIPPED, compose, write_songs
from vaekit_midi.composer_model import load
from vaekit_midi.form import key_of
from vaekit_midi.render import _pyplot
from vaekit_midi.tokens import decode

import vaekit

FORM = "AABACABA"
SEED = 0
ROW_BARS = 16
COLOURS = {"A": "#ccfbf1", "B": "#ede9fe", "C": "#fef3c7"}
OUT = ROOT / "docs" / "img" / "compose_form_song"


def draw(tokens: np.ndarray, form: str, path: Path) -> None:
    """One piano roll, ``ROW_BARS`` bars a row, each 8-bar section shaded and labelled by its letter."""
    plt = _pyplot()
    import pretty_midi

    notes = decode(tokens)
    low, high = int(notes[:, 2].min()) - 1, int(notes[:, 2].max()) + 1
    rows = len(tokens) // (16 * ROW_BARS)
    fig, axes = plt.subplots(rows, 1, figsize=(15, 1.2 + 0.06 * (high - low) * rows), sharey=True, squeeze=False)
    for r, ax in enumerate(axes[:, 0]):
        first = r * ROW_BARS * 16
        for s, letter in enumerate(form):
            start = s * 128 - first
            if 0 <= start < ROW_BARS * 16:
                ax.axvspan(start, start + 128, color=COLOURS.get(letter, "#e5e7eb"), zorder=0)
                ax.text(start + 1.5, high - 0.3, f"{letter}  (bars {s * 8 + 1}-{s * 8 + 8})", fontsize=9,
                        fontweight="bold", va="top", zorder=3)
        for onset, end, pitch in notes[(notes[:, 0] >= first) & (notes[:, 0] < first + ROW_BARS * 16)].tolist():
            ax.add_patch(plt.Rectangle((onset - first + 0.05, pitch - 0.4), max(end - onset - 0.35, 0.3), 0.8,
                                       facecolor="tab:blue", edgecolor="navy", linewidth=0.5, zorder=2))
        for bar in range(ROW_BARS + 1):
            ax.axvline(bar * 16, color="0.55" if bar % 8 else "0.2", linewidth=0.6 if bar % 8 else 1.2,
                       linestyle=":" if bar % 8 else "-", zorder=1)
        ax.set_xlim(0, ROW_BARS * 16)
        ax.set_ylim(low - 0.5, high + 0.5)
        ax.set_xticks([b * 16 + 8 for b in range(ROW_BARS)], [str(r * ROW_BARS + b + 1) for b in range(ROW_BARS)],
                      fontsize=7)
        ticks = [p for p in range(low, high + 1) if p % 12 in (0, 7)]
        ax.set_yticks(ticks, [pretty_midi.note_number_to_name(p) for p in ticks], fontsize=7)
    axes[-1, 0].set_xlabel("bar", fontsize=8)
    tonic, mode, held = key_of(notes)
    fig.suptitle(f"vaekit compose --form {form} --seed {SEED}: 64 bars, {len(notes)} notes, "
                 f"{held / len(notes):.0%} in {pretty_midi.note_number_to_name(60 + tonic)[:-1]} {mode}", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    torch.set_num_threads(1)
    composer, card = load(SHIPPED)
    mel = vaekit.load(card["config"]["codes_of"])
    (song,) = compose(composer, mel, 8 * len(FORM), 1, SEED, form=FORM)
    written = write_songs(song[None], OUT.parent / "compose_form_tmp", mel)
    OUT.with_suffix(".mid").write_bytes(written[0].read_bytes())
    written[0].unlink()
    written[0].parent.rmdir()
    draw(song, FORM, OUT.with_suffix(".png"))
    for s, letter in enumerate(FORM):
        print(f"section {s + 1} ({letter}):\n{note_list(song[s * 128:(s + 1) * 128], 8)}")
    print(f"wrote {OUT}.png and .mid", file=sys.stderr)


if __name__ == "__main__":
    main()
