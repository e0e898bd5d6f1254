"""An interpolation between the same bars of two songs (``vaekit interpolate --bars A:B``), written into
song A: its bars before and after the span stay as read, in its tempo, meter and key.

``--out mix.mid``: one file, song A with its span played once a step, from A's span (step 0, its
reconstruction) to B's, the bars after the span following the last step. ``--out DIR``: one whole song
A a step (``step_00.mid``, ...), its span replaced by that step, every other bar in place.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

    from vaekit_midi.reading import Music
    from vaekit_midi.song import Song


def write_into_song(handler: Any, x: torch.Tensor, out: Path, config: dict, song: Song, start: int, stop: int,
                    music: Music) -> list[Path]:
    """Steps ``x`` ``(S, L)`` (each the span's windows joined, ``L >= stop - start``) written into ``song``
    at ``[start, stop)``, as one file (``out`` ending in .mid/.midi) or one file a step in folder ``out``."""
    import torch

    from vaekit_midi.music_memo import writing

    steps = [np.asarray(row, np.int64) for row in x.detach().cpu().numpy()]
    if out.suffix.lower() in (".mid", ".midi"):
        files = {out: song.chained(start, stop, steps)}
    else:
        files = {out / f"step_{i:02d}{handler.output_suffix}": song.chained(start, stop, [row])
                 for i, row in enumerate(steps)}
    next(iter(files)).parent.mkdir(parents=True, exist_ok=True)
    with writing(music):
        for path, tokens in files.items():
            handler.write(torch.from_numpy(tokens), path, config)
    return list(files)
