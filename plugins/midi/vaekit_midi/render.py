"""Pictures and audio: piano rolls and drum grids as PNG (matplotlib), and WAV through FluidSynth."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vaekit import Config, VaekitError, atomic_file, atomic_write
from vaekit_midi.tokens import DRUM_CLASSES, decode

if TYPE_CHECKING:
    from vaekit_midi.reading import Music

#: How much shorter than its length (in steps) a note is drawn, so that repeated notes show apart.
GAP = 0.25


def piano_roll(melodies: np.ndarray, path: Path, config: Config | None = None, labels: list | None = None,
               music: list[Music | None] | None = None, above: list[list[tuple[int, str]]] | None = None) -> None:
    """A PNG with one piano roll per melody ``(N, T)`` (or one ``(T,)``), all on one pitch axis named
    by note (C4 is MIDI 60) so that what moves between them shows, each note drawn a little short so
    that repeated notes read as several, bar lines dotted in each row's meter (``music``, one a row;
    4/4 where none), each row labelled (by its number where no label) with its meter; ``above``, one
    list a row, texts written above the roll from a step on, ``(step, text)`` (chord symbols)."""
    import pretty_midi

    plt = _pyplot()
    melodies = np.atleast_2d(np.asarray(melodies))
    steps_per_bar = int((config or {}).get("data", {}).get("steps_per_bar", 16))
    n, steps = melodies.shape
    music = list(music or [None] * n)
    notes = [decode(tokens) for tokens in melodies]
    pitches = np.concatenate([m[:, 2] for m in notes] + [np.zeros(0, np.int64)])
    low, high = (int(pitches.min()), int(pitches.max())) if len(pitches) else (60, 72)
    fig, axes = plt.subplots(n, 1, figsize=(max(6.0, steps / 12), 0.9 * n + 0.2 * (high - low) * n / 12 + 0.6),
                             squeeze=False, sharex=True, sharey=True)
    for i, (ax, melody) in enumerate(zip(axes[:, 0], notes)):
        for onset, end, pitch in melody.tolist():
            ax.add_patch(plt.Rectangle((onset + 0.05, pitch - 0.4), max(end - onset - GAP, 0.3), 0.8,
                                       facecolor="tab:blue", edgecolor="navy", linewidth=0.6))
        bar = music[i].bar_steps(steps_per_bar) if music[i] else steps_per_bar
        for line in range(0, steps + 1, bar):
            ax.axvline(line, color="0.6", linewidth=0.8, linestyle=":")
        for step, text in above[i] if above else ():
            ax.text(step + 0.2, high + 1.2, text, fontsize=7, color="darkred", va="bottom", clip_on=True)
        meter = f"{music[i].meter[0]}/{music[i].meter[1]}" if music[i] else "4/4"
        ax.set_ylabel(f"{labels[i] if labels else i}\n({meter})", fontsize=7, rotation=0, ha="right", va="center",
                      labelpad=10)
        ax.tick_params(labelsize=7)
    named = [p for p in range(low - 1, high + 2) if p % 12 in (0, 4, 7)] or [low]
    axes[0, 0].set_yticks(named, [pretty_midi.note_number_to_name(p) for p in named])
    axes[0, 0].set_ylim(low - 1.5, high + (4.0 if above else 1.5))
    axes[0, 0].set_xlim(0, steps)
    axes[-1, 0].set_xlabel("16th-note step (bar lines dotted)")
    _save(fig, path)


def drum_grid(patterns: np.ndarray, path: Path, labels: list | None = None) -> None:
    """A PNG with one grid of hits (class by step) per pattern ``(N, T)`` (or one ``(T,)``), each titled
    by its label where given."""
    plt = _pyplot()
    patterns = np.atleast_2d(np.asarray(patterns))
    n, steps = patterns.shape
    fig, axes = plt.subplots(n, 1, figsize=(max(6.0, steps / 8), 1.6 * n + 0.4), squeeze=False)
    for i, (ax, tokens) in enumerate(zip(axes[:, 0], patterns)):
        bits = (tokens[None, :].astype(np.int64) >> np.arange(len(DRUM_CLASSES))[:, None]) & 1
        ax.imshow(bits, aspect="auto", cmap="Greys", interpolation="nearest", origin="lower")
        ax.set_yticks(range(len(DRUM_CLASSES)), DRUM_CLASSES, fontsize=6)
        ax.tick_params(labelsize=6)
        if labels:
            ax.set_title(str(labels[i]), fontsize=7, loc="left")
    axes[-1, 0].set_xlabel("16th-note step")
    _save(fig, path)


COUNT = ("{beat}", "e", "&", "a")  # how a drummer counts the four 16ths of a beat


def performance_grid(performances: np.ndarray, path: Path, labels: list | None = None) -> None:
    """A PNG with one grid per drum performance ``(N, 27, T)`` (``groove_midi`` features: hits,
    velocities 0..1, offsets in steps), ruled like a drum machine's: a line through each 16th, darker
    on each beat and darkest on each bar line, counted "1 e & a". Each hit is a narrow bar where it was
    played, on its 16th's line when in time and off it by its offset, as tall and as dark as it is
    loud. Rows are the nine instruments, kick at the bottom."""
    from matplotlib import cm, colors

    from vaekit_midi.groove_midi import CLASSES

    plt = _pyplot()
    performances = np.asarray(performances)
    if performances.ndim == 2:
        performances = performances[None]
    n, _, steps = performances.shape
    cmap, norm = plt.get_cmap("plasma_r"), colors.Normalize(0, 127)
    fig, axes = plt.subplots(n, 1, figsize=(max(8.0, steps / 2.2), 2.4 * n + 0.7), squeeze=False, sharex=True,
                             layout="constrained")
    for i, (ax, x) in enumerate(zip(axes[:, 0], performances)):
        for line in range(steps):
            ax.axvline(line, color="0.25" if line % 16 == 0 else "0.6" if line % 4 == 0 else "0.85",
                       linewidth=1.4 if line % 16 == 0 else 0.8, zorder=0)
        cls, step = np.nonzero(x[:CLASSES] > 0.5)
        velocity, at = x[CLASSES + cls, step] * 127, step + x[2 * CLASSES + cls, step]
        height = 0.25 + 0.6 * velocity / 127
        ax.bar(at, height, width=0.16, bottom=cls - height / 2, color=cmap(norm(velocity)), edgecolor="black",
               linewidth=0.3, zorder=2)
        ax.set_yticks(range(CLASSES), DRUM_CLASSES, fontsize=7)
        ax.set_ylim(-0.6, CLASSES - 0.4)
        if labels:
            ax.set_title(str(labels[i]), fontsize=8, loc="left")
    count = [COUNT[s % 4].format(beat=s % 16 // 4 + 1) for s in range(steps)]
    axes[-1, 0].set_xticks(range(steps), count, fontsize=7)
    axes[-1, 0].set_xlim(-0.6, steps - 0.4)
    axes[-1, 0].set_xlabel("16th notes, counted; a hit left of its line was played early, right of it late",
                           fontsize=8)
    bar = fig.colorbar(cm.ScalarMappable(norm, cmap), ax=axes[:, 0].tolist(), fraction=0.02, pad=0.01)
    bar.set_label("velocity", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    _save(fig, path, tight=False)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path, tight: bool = True) -> None:
    if tight:
        fig.tight_layout()
    with atomic_file(path) as f:
        fig.savefig(f, format="png", dpi=100)
    _pyplot().close(fig)


def write_wav(pm: Any, path: Path, sample_rate: int = 44100) -> None:
    """Audio of a ``pretty_midi.PrettyMIDI``, synthesized by FluidSynth with the General MIDI SoundFont
    that pretty_midi ships, written as 16-bit mono WAV through a temporary file and a rename."""
    try:
        import fluidsynth  # noqa: F401  (pyfluidsynth; fails where the FluidSynth library is missing)
    except (ImportError, OSError):
        raise VaekitError(
            f"{path}: WAV output needs FluidSynth: install the FluidSynth library (apt install fluidsynth, "
            "brew install fluid-synth) and `pip install pyfluidsynth`, or write MIDI instead"
        ) from None
    audio = np.asarray(pm.fluidsynth(fs=sample_rate), dtype=np.float64)
    peak = np.abs(audio).max() if audio.size else 0.0
    pcm = (audio / peak * 0.9 * 32767).astype(np.int16) if peak > 0 else np.zeros(len(audio), np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(pcm.tobytes())
    atomic_write(Path(path), buffer.getvalue())
