"""A whole song's melody on one token row, and a span of its bars replaced in place
(``vaekit transform --bars A:B``, ``vaekit interpolate --bars A:B``).

Bars are numbered as a score numbers them: bar 1 is the first full bar, a pickup is bar 0, and
``A:B`` includes both ends. A span longer than the model's window is moved window by window, each
window starting on the span's bar lines; a last window that runs past the span sees the song's
next bars (or rests after its end) and only its part inside the span is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaekit import VaekitError
from vaekit_midi.melody_choice import skyline
from vaekit_midi.melody_lines import monophonic
from vaekit_midi.tokens import NO_EVENT, NOTE_OFF, encode


def parse_bars(text: str) -> tuple[int, int]:
    """``"A:B"`` as ``(A, B)``, with 0 <= A <= B."""
    first, _, last = text.partition(":")
    try:
        a, b = int(first), int(last or first)
    except ValueError:
        raise VaekitError(f"--bars {text!r}: give the first and last bar as A:B, e.g. 5:6") from None
    if not 0 <= a <= b:
        raise VaekitError(f"--bars {text!r}: bars count from 1 (a pickup is bar 0), the first at most the last")
    return a, b


@dataclass
class Song:
    """One melody as tokens ``(T,)`` from a bar line, ``bar_steps`` a bar; ``pickup``: whether the first
    bar is a pickup (bar 0)."""

    path: Path
    tokens: np.ndarray
    bar_steps: int
    pickup: bool

    @property
    def bars(self) -> int:
        """The number of the song's last bar."""
        return len(self.tokens) // self.bar_steps - int(self.pickup)

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Steps ``[start, stop)`` of bars ``first`` to ``last``."""
        if first == 0 and not self.pickup:
            raise VaekitError(f"{self.path}: has no pickup, so no bar 0; its bars are 1 to {self.bars}")
        if last > self.bars:
            raise VaekitError(f"{self.path}: has {self.bars} bars; --bars {first}:{last} runs past its end")
        offset = int(self.pickup) - 1
        return (first + offset) * self.bar_steps, (last + 1 + offset) * self.bar_steps

    def windows(self, start: int, stop: int, steps: int) -> np.ndarray:
        """Windows ``(K, steps)`` from ``start`` every ``steps`` steps until ``stop``; past the song's end
        the melody stops and rests."""
        padded = np.concatenate([self.tokens, [NOTE_OFF], np.full(steps, NO_EVENT)]).astype(np.int64)
        return np.stack([padded[s:s + steps] for s in range(start, stop, steps)])

    def replaced(self, start: int, stop: int, windows: np.ndarray) -> np.ndarray:
        """The song's tokens with ``[start, stop)`` taken from consecutive ``windows``; a note held into
        or out of the span is cut at its edge."""
        return self.chained(start, stop, [np.concatenate(list(windows))])

    def chained(self, start: int, stop: int, spans: list[np.ndarray]) -> np.ndarray:
        """The song's tokens with ``[start, stop)`` played once for each of ``spans`` (rows of at least
        ``stop - start`` tokens, the rest cut), one after another, the song's later bars after the last;
        a note held across a seam is cut there."""
        length = stop - start
        out = np.concatenate([self.tokens[:start], *(np.asarray(s, np.int64)[:length] for s in spans),
                              self.tokens[stop:]]).astype(np.int64)
        for edge in range(start, start + length * len(spans) + 1, max(length, 1)):
            if edge < len(out) and out[edge] == NO_EVENT:
                out[edge] = NOTE_OFF
        return out


def read_song(path: Path, config: dict[str, Any]) -> tuple[Song, Any]:
    """The melody of a MIDI file as one ``Song`` (read as the verbs read a file: ``data.track``,
    ``data.pickup``), and its ``Music`` to write it back with."""
    from vaekit_midi.reading import read_user_midi

    data = config.get("data", {})
    spb = int(data.get("steps_per_bar", 16))
    reading = read_user_midi(Path(path), spb, data.get("track"), data.get("pickup"))
    reading.say()
    return song_of(reading, spb), reading.music


def song_of(reading: Any, steps_per_bar: int = 16) -> Song:
    """The ``Song`` of a ``reading.Reading``; refused where the meter changes."""
    bar = reading.music.bar_steps(steps_per_bar)
    if any(bar_steps != bar for _, bar_steps in reading.parsed.segments):
        meters = [change for change in reading.changes if change.startswith("meter")]
        raise VaekitError(f"{reading.path}: --bars needs one meter throughout (this file changes: {', '.join(meters)})")
    notes = skyline(reading.notes)
    length = -(-int(notes[:, 1].max()) // bar) * bar
    tokens = encode(monophonic(notes, length), length).astype(np.int64)
    return Song(reading.path, tokens, bar, reading.music.pickup % bar != 0)


def span_windows(reading: Any, bars: str, steps: int, steps_per_bar: int = 16) -> tuple[np.ndarray, Song, int, int]:
    """The windows ``(K, steps)`` that cover bars ``"A:B"`` of a reading's song, as ``--bars`` reads an
    input; the song and the span's steps ``[start, stop)``."""
    song = song_of(reading, steps_per_bar)
    start, stop = song.span(*parse_bars(bars))
    return song.windows(start, stop, steps), song, start, stop
