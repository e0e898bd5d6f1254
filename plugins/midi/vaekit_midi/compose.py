"""``vaekit compose``: whole melodies of 2 to 64 bars from the composer, a diffusion prior over
sequences of the shipped ``mel_2bar``'s codes (``composer_model.py``), decoded window by window by
``mel_2bar``.

- From nothing: every window is generated.
- ``--continue A.mid``: A's windows are held (the composer is given their codes) and the bars after
  them generated; A's own bars are written as read.
- ``--infill A.mid B.mid``: A opens the song and B closes it, both held and written as read; the bars
  between them are generated.
- ``--between A.mid B.mid``: songs from A to B, window by window (``song_morph.py``).
- ``--form AABA``: a section of 8 bars (4 windows) a letter, written in order, each given the song so
  far. A letter's first section is generated; a later one is its first section's codes varied
  (``Composer.sample``'s ``start``) by ``--variation``: 0 repeats it exactly, 1 writes it anew.

Each song holds one key (``key_hold.py``): that of the given bars, of its first section, or of the song
as first drawn; ``--free-key`` leaves the composer's windows as drawn. Every eighth bar (a section's
last) closes on a held note (``cadence.py``), and a window that repeats an earlier one is decoded as that
one is, so that repeats stay exact; ``--open`` decodes every window as drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit import VaekitError
from vaekit_midi.composer_model import Composer
from vaekit_midi.key_hold import hold_key as holding
from vaekit_midi.key_hold import repeated_from, song_key
from vaekit_midi.song_codes import WINDOW, closed_windows, decode_song, encode_windows, song_windows

#: The shipped composer's folder.
SHIPPED = Path(__file__).parent / "models" / "composer"
MAX_BARS = 64
ROW_BARS = 16  # bars a row of a song's piano roll
#: The composer's noise scale, and the share of generated windows that repeat an earlier one, by default
#: (benchmarks/results/compose_quality.md measures them).
SPREAD = 1.0
REPEAT = 0.3
SECTION = 4  # windows (8 bars) a letter of a form
#: How far a repeated section strays from its first statement by default (the MIDI guide says why).
VARIATION = 0.1


def check_bars(bars: int) -> int:
    """The number of 2-bar windows of ``bars`` bars; one line where it is not even and 2..64."""
    if bars % 2 or not 2 <= bars <= MAX_BARS:
        raise VaekitError(f"--bars {bars}: give an even number of bars from 2 to {MAX_BARS}")
    return bars // 2


def check_form(form: str, bars: int | None) -> int:
    """The bars of ``form`` (8 a letter); one line where it is not letters A-Z, is too long, or
    disagrees with ``bars``."""
    if not form or not all("A" <= letter <= "Z" for letter in form) or 8 * len(form) > MAX_BARS:
        raise VaekitError(f"--form {form!r}: give one capital letter A-Z per 8 bars, at most "
                          f"{MAX_BARS // 8} letters, such as AABA")
    if bars is not None and bars != 8 * len(form):
        raise VaekitError(f"--bars {bars} disagrees with --form {form}: {len(form)} sections of 8 bars "
                          f"are {8 * len(form)} bars")
    return 8 * len(form)


def song_bars(bars: int | None, form: str | None, variation: float | None, default: int) -> int:
    """The bars of a song asked for by ``bars`` and ``form`` (``default`` where neither says); one line
    where they disagree, where a variation comes without a form, or where the bars are not even and 2..64."""
    if form is not None:
        bars = check_form(form, bars)
    elif variation is not None:
        raise VaekitError("--variation varies the repeated sections of --form: give --form too")
    bars = default if bars is None else bars
    check_bars(bars)
    return bars


@dataclass
class Given:
    """A user's melody: its token row (whole 2-bar windows), its windows' codes and rest flags, and the
    ``Music`` it was read with (tempo, key) to write the song in."""

    tokens: np.ndarray
    codes: np.ndarray
    rest: np.ndarray
    music: Any

    @property
    def windows(self) -> int:
        return len(self.rest)


def read_given(path: Path, mel: Any) -> Given:
    """A melody file read as the other verbs read one (its melody track, from its first bar line; a
    pickup is a bar of its own), in whole 2-bar windows; one line where it is not 4/4 throughout."""
    from vaekit_midi.reading import read_user_midi
    from vaekit_midi.song import song_of

    bar = WINDOW // 2
    reading = read_user_midi(Path(path), bar)
    if reading.music.bar_steps(bar) != bar or any(steps != bar for _, steps in reading.parsed.segments):
        raise VaekitError(f"{path}: the composer writes 4/4, and this melody is not in 4/4 throughout")
    reading.say()
    windows, rest = song_windows(song_of(reading, bar).tokens)
    codes = encode_windows(mel.model, windows, rest)
    return Given(windows.reshape(-1), codes, rest, reading.music)


def compose(composer: Composer, mel: Any, bars: int, n: int, seed: int = 0, before: Given | None = None,
            after: Given | None = None, temperature: float = 0.0, spread: float = SPREAD,
            repeat: float = REPEAT, form: str | None = None, variation: float = VARIATION, hold_key: bool = True,
            close: bool = True, generator: torch.Generator | None = None) -> np.ndarray:
    """``n`` melodies ``(n, bars * 16)`` of tokens: ``before``'s windows first and ``after``'s last
    where given (written as read), the others generated; the composer's draws and ``mel``'s decoding
    (greedy at temperature 0) both come from ``generator``, by default one seeded with ``seed``.
    ``spread``: the composer's noise scale; ``repeat``: the share of generated windows tied to an
    earlier one (``Composer.sample``); ``form``: section letters, 8 bars each (``compose_form``);
    ``hold_key``: windows out of the song's key drawn again (``key_hold``); ``close``: every eighth bar
    closes its section (``closing_windows``)."""
    if not 0 <= repeat < 1 or not spread > 0:
        raise VaekitError(f"--repeat {repeat} must lie in [0, 1) and --spread {spread} be above 0")
    from vaekit.pipeline import seeded

    length = check_bars(bars)
    if form is not None:
        check_form(form, bars)
        if before or after:
            raise VaekitError("give --form or --continue/--infill, not both")
        generator = generator or seeded(seed)
        values = compose_form(composer, form, n, generator, variation, mel.model if hold_key else None,
                              repeat=repeat, temperature=spread)
        return decode_songs(composer, mel, values, temperature, generator, close)
    held = (before.windows if before else 0) + (after.windows if after else 0)
    if held >= length:
        given = " and ".join(f"{g.windows * 2}" for g in (before, after) if g)
        raise VaekitError(f"--bars {bars}: the given melody takes {given} bars (whole 2-bar windows); "
                          f"ask for more bars than that, so that some are left to write")
    known = torch.zeros(n, length, composer.config.channels)
    mask = torch.zeros(n, length, dtype=torch.bool)
    spans = []
    for given, start in ((before, 0), (after, length - (after.windows if after else 0))):
        if given is not None:
            values = composer.to_values(torch.from_numpy(given.codes), torch.from_numpy(given.rest))
            known[:, start:start + given.windows] = values
            mask[:, start:start + given.windows] = True
            spans.append((start * WINDOW, given.tokens))
    generator = generator or seeded(seed)
    values = composer.sample(length, n, generator, known, mask, repeat=repeat, temperature=spread)
    if hold_key:
        given = [g.tokens for g in (before, after) if g is not None]
        key = song_key(np.concatenate(given)) if given else None
        values = holding(composer, mel.model, values, mask, generator, keys=[key] * n if key else None,
                         temperature=spread)
    songs = decode_songs(composer, mel, values, temperature, generator, close)
    for start, tokens in spans:
        songs[:, start:start + len(tokens)] = tokens
    return songs


def decode_songs(composer: Composer, mel: Any, values: torch.Tensor, temperature: float,
                 generator: torch.Generator, close: bool) -> np.ndarray:
    """Songs' values ``(n, L, C)`` decoded by ``mel``, ``(n, L * 32)``; with ``close``, their sections closed
    and each song's last window ended on its tonic (where its last window plays)."""
    codes, rest = composer.from_values(values)
    songs = np.stack([decode_song(mel.model, codes[i], rest[i], temperature, generator,
                                  closing_windows(codes[i]) if close else None) for i in range(len(values))])
    if close:
        for song, song_codes, song_rest in zip(songs, codes, rest):
            key = song_key(song)
            if key is not None and not song_rest[-1]:
                song[-WINDOW:] = closed_windows(mel.model, song_codes[-1:], temperature, generator, key[0])[0]
    return songs


def closing_windows(codes: torch.Tensor) -> np.ndarray:
    """Which of a song's windows ``(K, D)`` close a section ``(K,)``: every fourth (its second bar is bar
    8, 16, ...), except that a window repeating an earlier one closes as that one does. (Closing every
    4-bar phrase too made the songs' durations alike from phrase to phrase: Mittal et al.'s duration
    variance fell further from real pop's, ``benchmarks/results/compose_quality.md``.)"""
    closes = np.arange(len(codes)) % SECTION == SECTION - 1
    for j, source in enumerate(repeated_from(codes[None])[0]):
        if source >= 0:
            closes[j] = closes[source]
    return closes


def compose_form(composer: Composer, form: str, n: int, generator: torch.Generator, variation: float,
                 model: Any = None, **sampling: Any) -> torch.Tensor:
    """``n`` songs' values ``(n, 4 * len(form), C)``, a section a letter, written in order, each sampled
    with the song so far held: a letter's first section drawn anew, a later one started from that
    section's values noised to ``variation`` (0: an exact repeat) and denoised given the song before it.
    ``sampling`` (``repeat``, ``temperature``) goes to ``Composer.sample``. A new letter's windows are
    tied only within its own section (tied to A's, a B would be A again), and a varied section not at
    all, so that ``variation`` alone sets how far it strays. With ``model`` (the 2-bar VAE whose codes
    these are), each section written holds the key of the first (``key_hold``)."""
    if not 0 <= variation <= 1:
        raise VaekitError(f"--variation {variation} must lie in [0, 1]")
    length = SECTION * len(form)
    values = torch.zeros(n, length, composer.config.channels)
    first: dict[str, int] = {}
    for s, letter in enumerate(form):
        here, end = slice(s * SECTION, (s + 1) * SECTION), (s + 1) * SECTION
        mask = torch.zeros(n, end, dtype=torch.bool)
        mask[:, : s * SECTION] = True
        if letter not in first:
            first[letter] = s
            values[:, :end] = composer.sample(end, n, generator, values[:, :end], mask, tie_from=s * SECTION,
                                              **sampling)
            _hold(composer, model, values, mask, generator, sampling)
            continue
        source = values[:, first[letter] * SECTION:(first[letter] + 1) * SECTION]
        if variation == 0:
            values[:, here] = source
            continue
        start = values[:, :end].clone()
        start[:, here] = source
        values[:, :end] = composer.sample(end, n, generator, values[:, :end], mask, start=start,
                                          strength=variation, **{**sampling, "repeat": 0.0})
        _hold(composer, model, values, mask, generator, sampling)
    return values


def _hold(composer: Composer, model: Any, values: torch.Tensor, held: torch.Tensor, generator: torch.Generator,
          sampling: dict[str, Any]) -> None:
    """The section just written after the ``held`` windows ``(n, end)``, held in the key of those (of
    itself for the first), in place; nothing without ``model``."""
    if model is not None:
        end = held.shape[1]
        values[:, :end] = holding(composer, model, values[:, :end], held, generator,
                                  temperature=sampling.get("temperature", 1.0))


def write_songs(songs: np.ndarray, out: Path, mel: Any, music: Any = None, png: bool = False,
                name: str = "song") -> list[Path]:
    """Each song as ``out/NAME_NNN.mid`` (in ``music``'s tempo and key where given, else mel_2bar's
    4/4 at its tempo) and, with ``png``, its piano roll ``NAME_NNN.png``, 16 bars a row."""
    from vaekit_midi.music_memo import writing
    from vaekit_midi.render import piano_roll

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, tokens in enumerate(songs):
        path = out / f"{name}_{i:03d}.mid"
        with writing(music, plain=music is None):
            mel.handler.write(torch.from_numpy(tokens), path, mel.config)
        written.append(path)
        if png:
            width = min(ROW_BARS * 16, len(tokens))
            rows = -(-len(tokens) // width)
            padded = np.concatenate([tokens, np.zeros(rows * width - len(tokens), dtype=tokens.dtype)])
            piano_roll(padded.reshape(rows, width), path.with_suffix(".png"), mel.config,
                       labels=[f"bars {r * width // 16 + 1}-{min((r + 1) * width, len(tokens)) // 16}"
                               for r in range(rows)])
            written.append(path.with_suffix(".png"))
    return written
