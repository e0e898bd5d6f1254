"""Piano rolls of polyphonic piano items: every note of every chord, each drawn a little short so that
a note struck again shows as two, one roll a row on one pitch axis."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vaekit_midi.render import GAP, _pyplot, _save


def piano_rolls(items: list[np.ndarray], steps: int, path: Path, labels: list | None = None,
                steps_per_bar: int = 16) -> None:
    """A PNG of notes ``(N, 3)`` of (onset, end, pitch) a row, ``steps`` steps wide, bar lines dotted,
    each row labelled (by its number where no label)."""
    import pretty_midi

    plt = _pyplot()
    pitches = np.concatenate([n[:, 2] for n in items] + [np.zeros(0, np.int64)])
    low, high = (int(pitches.min()), int(pitches.max())) if len(pitches) else (48, 72)
    n = len(items)
    fig, axes = plt.subplots(n, 1, figsize=(max(6.0, steps / 5), n * (1.0 + 0.045 * (high - low)) + 0.6),
                             squeeze=False, sharex=True, sharey=True)
    for i, (ax, notes) in enumerate(zip(axes[:, 0], items)):
        for onset, end, pitch in np.asarray(notes).tolist():
            ax.add_patch(plt.Rectangle((onset + 0.05, pitch - 0.45), max(end - onset - GAP, 0.3), 0.9,
                                       facecolor="tab:blue", edgecolor="navy", linewidth=0.5))
        for line in range(0, steps + 1, steps_per_bar):
            ax.axvline(line, color="0.5", linewidth=0.8, linestyle=":")
        ax.set_ylabel(f"{labels[i] if labels else i}", fontsize=7, rotation=0, ha="right", va="center", labelpad=8)
        ax.tick_params(labelsize=7)
    named = [p for p in range(low - 1, high + 2) if p % 12 == 0] or [low]
    axes[0, 0].set_yticks(named, [pretty_midi.note_number_to_name(p) for p in named])
    axes[0, 0].set_ylim(low - 1.5, high + 1.5)
    axes[0, 0].set_xlim(0, steps)
    axes[-1, 0].set_xlabel("16th-note step (bar lines dotted)")
    _save(fig, path)
