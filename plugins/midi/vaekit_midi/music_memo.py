"""What writing puts back: the music (tempo, meter, key, swing) of the files a verb read.

The core's verbs read files and later write outputs through the same run config without handing
anything from one to the other, so the melody kind remembers here, per context (a thread, or a server
request), the ``Music`` of the last files it read with that config object and the windows each gave.
A write with the same config takes the music of the input it was given where it matches one (a
reconstruction's input), else of the last file read: a verb reads its inputs just before it writes
(an interpolation is written in B's meter). A read of a span of a song (``--bars``) remembers the song
and the span too: an interpolation between two spans is written into song A, the one read first.
Samples and exported built-in items are written in the run's own 4/4 (``plain``), and so is anything
written with another config.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from vaekit_midi.reading import Music
    from vaekit_midi.song import Song

#: Reads kept to match inputs against (a reconstruct of this many files keeps each one's music).
KEPT = 64
# (the config the reads were made with, reads as (music, the bytes of each window, the song and span
# read or None), the music forced, whether writes are plain)
_state: ContextVar[tuple[Any, tuple, Music | None, bool]] = ContextVar("vaekit_midi_music",
                                                                       default=(None, (), None, False))


def _key(window: object) -> bytes:
    return np.asarray(window.detach().cpu().numpy() if hasattr(window, "detach") else window, np.int64).tobytes()


def remember(music: Music, windows: object, config: Any, span: tuple[Song, int, int] | None = None) -> None:
    """The music of a file that gave ``windows`` ``(K, T)`` when read with ``config``; ``span``: the song
    and the steps ``[start, stop)`` they cover, where they are a span of it."""
    held, reads, forced, plain = _state.get()
    entry = (music, frozenset(_key(w) for w in windows), span)
    _state.set((config, ((*reads, entry) if held is config else (entry,))[-KEPT:], forced, plain))


def _reads(config: Any) -> tuple:
    held, reads, _, _ = _state.get()
    return reads if held is config else ()


def _own(item: object, reads: tuple) -> Music | None:
    key = _key(item)
    return next((music for music, keys, _ in reversed(reads) if key in keys), None)


def recall(config: Any, item: object | None = None) -> Music | None:
    """The music to write with ``config``: forced, else the one read with ``item`` (a window), else the
    last read; None for plain writes or where nothing was read with ``config``."""
    _, _, forced, plain = _state.get()
    if plain:
        return None
    if forced is not None:
        return forced
    reads = _reads(config)
    own = _own(item, reads) if item is not None else None
    return own or (reads[-1][0] if reads else None)


def recall_rows(items: object, config: Any) -> list[Music | None]:
    """The music of each item of a picture ``(N, T)``: its own where it is a window read; else that of
    the row above where that one alone was read (a reconstruction under its input); else the last
    read's (an interpolation's steps under its inputs A and B)."""
    _, _, forced, plain = _state.get()
    reads = _reads(config)
    if plain or forced is not None or not reads:
        return [None if plain else forced] * len(items)
    own = [_own(item, reads) for item in items]
    under = [i and own[i - 1] and not (i > 1 and own[i - 2]) for i in range(len(own))]
    return [mine or (own[i - 1] if under[i] else reads[-1][0]) for i, mine in enumerate(own)]


def recall_span(config: Any, back: int = 1) -> tuple[Song, int, int, Music] | None:
    """The song, the span's steps and the music of the read ``back`` reads ago with ``config`` (1: the
    last; 2: an interpolation's A, a verb reading A, then B, just before it writes); None where that
    read was not of a span."""
    reads = _reads(config)
    if len(reads) < back or reads[-back][2] is None:
        return None
    music, _, (song, start, stop) = reads[-back]
    return song, start, stop, music


@contextmanager
def writing(music: Music | None = None, plain: bool = False) -> Iterator[None]:
    """Writes inside use ``music`` (with ``plain``: none, the run's own 4/4 and tempo)."""
    token = _state.set((*_state.get()[:2], music, plain))
    try:
        yield
    finally:
        _state.reset(token)
