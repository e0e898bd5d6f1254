"""Pictures and audio: piano rolls and drum grids as PNG (matplotlib), and WAV through FluidSynth."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import numpy as np

from vaekit import Config, VaekitError, atomic_file, atomic_write
from vaekit_midi.tokens import DRUM_CLASSES, decode


def piano_roll(melodies: np.ndarray, path: Path, config: Config | None = None) -> None:
    """A PNG with one piano roll per melody ``(N, T)`` (or one ``(T,)``), bar lines dotted."""
    plt = _pyplot()
    melodies = np.atleast_2d(np.asarray(melodies))
    steps_per_bar = int((config or {}).get("data", {}).get("steps_per_bar", 16))
    n, steps = melodies.shape
    fig, axes = plt.subplots(n, 1, figsize=(max(6.0, steps / 12), 1.6 * n + 0.4), squeeze=False, sharex=True)
    for i, (ax, tokens) in enumerate(zip(axes[:, 0], melodies)):
        notes = decode(tokens)
        for onset, end, pitch in notes.tolist():
            ax.add_patch(plt.Rectangle((onset, pitch - 0.4), end - onset, 0.8, color="tab:blue"))
        low, high = (notes[:, 2].min(), notes[:, 2].max()) if len(notes) else (60, 72)
        ax.set_ylim(low - 2, high + 2)
        ax.set_xlim(0, steps)
        for bar in range(0, steps + 1, steps_per_bar):
            ax.axvline(bar, color="0.6", linewidth=0.8, linestyle=":")
        ax.set_ylabel(f"{i}\npitch", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[-1, 0].set_xlabel("16th-note step")
    _save(fig, path)


def drum_grid(patterns: np.ndarray, path: Path) -> None:
    """A PNG with one grid of hits (class by step) per pattern ``(N, T)`` (or one ``(T,)``)."""
    plt = _pyplot()
    patterns = np.atleast_2d(np.asarray(patterns))
    n, steps = patterns.shape
    fig, axes = plt.subplots(n, 1, figsize=(max(6.0, steps / 8), 1.6 * n + 0.4), squeeze=False)
    for ax, tokens in zip(axes[:, 0], patterns):
        bits = (tokens[None, :].astype(np.int64) >> np.arange(len(DRUM_CLASSES))[:, None]) & 1
        ax.imshow(bits, aspect="auto", cmap="Greys", interpolation="nearest", origin="lower")
        ax.set_yticks(range(len(DRUM_CLASSES)), DRUM_CLASSES, fontsize=6)
        ax.tick_params(labelsize=6)
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
