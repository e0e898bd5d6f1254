"""What writing puts back: the music (tempo, meter, key, swing) of the files a verb read.

The core's verbs read files and later write outputs without handing anything from one to the other,
so the melody kind remembers here, per context (a thread, or a server request), the ``Music`` of each
file it read with the windows it gave. A write takes the music of the input it was given where it
matches one (a reconstruction's input), else of the first file read since the last write began: a
verb's outputs keep the meter of its first input (an interpolation's A). Samples and exported
built-in items are written in the run's own 4/4 (``plain``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from vaekit_midi.reading import Music

# (reads as (music, the bytes of each window), whether a write has begun since, the music forced)
_state: ContextVar[tuple[tuple, bool, Music | None, bool]] = ContextVar("vaekit_midi_music",
                                                                       default=((), True, None, False))


def _key(window: object) -> bytes:
    return np.asarray(window.detach().cpu().numpy() if hasattr(window, "detach") else window, np.int64).tobytes()


def remember(music: Music, windows: object) -> None:
    """The music of a file that gave ``windows`` ``(K, T)``: a read after a write starts a new verb."""
    reads, written, forced, plain = _state.get()
    entry = (music, frozenset(_key(w) for w in windows))
    _state.set(((entry,) if written else (*reads, entry), False, forced, plain))


def recall(item: object | None = None) -> Music | None:
    """The music to write with: forced, else the one read with ``item`` (a window), else the first
    read of this verb; None for plain writes or where nothing was read."""
    reads, _, forced, plain = _state.get()
    _state.set((reads, True, forced, plain))
    if plain:
        return None
    if forced is not None:
        return forced
    if item is not None:
        key = _key(item)
        for music, keys in reads:
            if key in keys:
                return music
    return reads[0][0] if reads else None


def recall_rows(items: object) -> list[Music | None]:
    """The music of each item of a picture ``(N, T)``: its own where it is a window read; else that of
    the row above where that one alone was read (a reconstruction under its input); else the verb's
    (an interpolation's steps under its inputs A and B)."""
    reads, _, forced, plain = _state.get()
    if plain or forced is not None or not reads:
        return [None if plain else forced] * len(items)
    own = [next((music for music, keys in reads if _key(item) in keys), None) for item in items]
    under = [i and own[i - 1] and not (i > 1 and own[i - 2]) for i in range(len(own))]
    return [mine or (own[i - 1] if under[i] else reads[0][0]) for i, mine in enumerate(own)]


@contextmanager
def writing(music: Music | None = None, plain: bool = False) -> Iterator[None]:
    """Writes inside use ``music`` (with ``plain``: none, the run's own 4/4 and tempo)."""
    reads, written, was_forced, was_plain = _state.get()
    _state.set((reads, written, music, plain))
    try:
        yield
    finally:
        _state.set((_state.get()[0], True, was_forced, was_plain))
