"""``compose`` in the studio: the shipped composer's songs, made on the served ``mel_2bar`` (the model
whose codes it writes and decodes) as one item a song, with its sections for the page's piano roll
(``web/compose.html``). The options are ``vaekit compose``'s, in the ranges a page asks for."""

from __future__ import annotations

import functools
import json
from typing import Any

import torch

from vaekit import VaekitError
from vaekit.makers import Maker, Option
from vaekit_midi.compose import MAX_BARS, SECTION, SHIPPED, song_bars

MAX_SONGS = 8  # songs a request (a 64-bar song takes a fraction of a second, holding its key a few more)
PHRASE = 8  # bars a section of a song without a form is labelled by
DEFAULT_BARS = 32  # a page's song where neither bars nor a form is asked for


@functools.cache
def _composer() -> Any:
    from vaekit_midi.composer_model import load

    return load(SHIPPED)[0]


class ComposeMaker(Maker):
    name = "compose"
    model = "mel_2bar"
    page = "compose.html"
    description = ("whole melodies of 2 to 64 bars from the shipped composer, a diffusion prior over sequences "
                   "of mel_2bar's 2-bar codes, in one key; with a form, a letter per 8 bars (AABA)")
    options = (
        Option("bars", None, 2, MAX_BARS, integer=True, help="an even number of bars (default 32, or 8 a letter)"),
        Option("count", 2, 1, MAX_SONGS, integer=True, help="songs"),
        Option("form", None, pattern=r"[A-Z]{1,8}", help="one capital letter A-Z per 8 bars, such as AABA"),
        Option("variation", None, 0.0, 1.0, help="how far a repeated section strays (0: exactly)"),
        Option("free_key", 0, 0, 1, integer=True, help="1: leave windows out of the song's key as drawn"),
        Option("open", 0, 0, 1, integer=True, help="1: decode every window as drawn, no section closed on a held note"),
    )

    def card(self) -> dict[str, Any]:
        """The shipped composer's card (``models/composer/card.json``): what it trained on, its figures."""
        return json.loads((SHIPPED / "card.json").read_text())

    def make(self, pipeline: Any, options: dict[str, Any], generator: torch.Generator) -> tuple[torch.Tensor,
                                                                                            list[dict[str, Any]]]:
        from vaekit_midi.compose import compose

        form = options["form"]
        bars = song_bars(options["bars"], form, options["variation"], DEFAULT_BARS)
        if pipeline.config.get("preset") != "mel_2bar":
            raise VaekitError(f"the composer's codes are mel_2bar's, not {pipeline.config.get('preset')}'s")
        chosen = {} if options["variation"] is None else {"variation": options["variation"]}
        songs = compose(_composer(), pipeline, bars, options["count"], form=form,
                        hold_key=not options["free_key"], close=not options["open"], generator=generator, **chosen)
        return torch.from_numpy(songs), [{"label": f"song {i + 1}", "sections": sections(bars, form)}
                                         for i in range(len(songs))]


def sections(bars: int, form: str | None) -> list[dict[str, Any]]:
    """Each section of a song: its letter (or number, without a form), first bar (from 0) and bars."""
    if form is not None:
        size = 2 * SECTION
        return [{"name": letter, "bar": i * size, "bars": size} for i, letter in enumerate(form)]
    return [{"name": str(i // PHRASE + 1), "bar": i, "bars": min(PHRASE, bars - i)} for i in range(0, bars, PHRASE)]
