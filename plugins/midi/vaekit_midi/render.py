"""Pictures and audio: piano rolls and drum grids as PNG (matplotlib), and WAV through FluidSynth."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import numpy as np

from vaekit import Config, VaekitError, atomic_file, atomic_write
from vaekit_midi.tokens import DRUM_CLASSES, decode


def piano_roll(melodies: np.ndarray, path: Path, config: Config | None = None, labels: list | None = None) -> None:
    """A PNG with one piano roll per melody ``(N, T)`` (or one ``(T,)``), all on one pitch axis so that
    what moves between them shows, bar lines dotted, each labelled (by its number where no label)."""
    plt = _pyplot()
    melodies = np.atleast_2d(np.asarray(melodies))
    steps_per_bar = int((config or {}).get("data", {}).get("steps_per_bar", 16))
    n, steps = melodies.shape
    notes = [decode(tokens) for tokens in melodies]
    pitches = np.concatenate([m[:, 2] for m in notes] + [np.zeros(0, np.int64)])
    low, high = (pitches.min(), pitches.max()) if len(pitches) else (60, 72)
    fig, axes = plt.subplots(n, 1, figsize=(max(6.0, steps / 12), 0.9 * n + 0.2 * (high - low) * n / 12 + 0.6),
                             squeeze=False, sharex=True, sharey=True)
    for i, (ax, melody) in enumerate(zip(axes[:, 0], notes)):
        for onset, end, pitch in melody.tolist():
            ax.add_patch(plt.Rectangle((onset, pitch - 0.4), end - onset, 0.8, color="tab:blue"))
        for bar in range(0, steps + 1, steps_per_bar):
            ax.axvline(bar, color="0.6", linewidth=0.8, linestyle=":")
        ax.set_ylabel(str(labels[i]) if labels else f"{i}", fontsize=7, rotation=0, ha="right", va="center")
        ax.tick_params(labelsize=7)
    axes[0, 0].set_ylim(low - 1.5, high + 1.5)
    axes[0, 0].set_xlim(0, steps)
    axes[-1, 0].set_xlabel(f"16th-note step (MIDI pitch {low}..{high} on every row)")
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


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
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
