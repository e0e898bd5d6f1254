"""Makers: what a plugin makes from a few options alone, with no file in (the MIDI plugin's composer
writes whole songs of ``mel_2bar``'s melodies). A maker runs on a model's pipeline and makes that
model's items, so the server answers it as any verb (JSON that its modality's page draws, or the
modality's file); its options are declared, so the core checks them without knowing what they mean.
Plugins register makers through the ``register_makers`` hook."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from vaekit import plugins
from vaekit.errors import VaekitError

if TYPE_CHECKING:
    import torch

MAX_TEXT = 64  # characters of a text option


@dataclass(frozen=True)
class Option:
    """One option of a maker: an integer or a number within ``low..high``, or (``pattern`` given) a
    text that the regular expression ``pattern`` matches whole; ``None`` as ``default``: optional."""

    name: str
    default: int | float | str | None
    low: float | None = None
    high: float | None = None
    pattern: str | None = None
    integer: bool = False
    help: str = ""

    def parse(self, raw: str | None) -> int | float | str | None:
        """The value of ``raw`` (as a form sends it; None or "": the default), or one line saying why not."""
        if raw is None or raw == "":
            return self.default
        if self.pattern is not None:
            if len(raw) > MAX_TEXT or not re.fullmatch(self.pattern, raw):
                raise VaekitError(f"{self.name}: {raw[:MAX_TEXT]!r} is not {self.help or 'a valid value'}")
            return raw
        what = "an integer" if self.integer else "a finite number"
        try:
            value: int | float = int(raw) if self.integer else float(raw)
        except ValueError:
            raise VaekitError(f"{self.name}: must be {what} in {self.low:g}..{self.high:g}, got {raw[:40]!r}") from None
        if not (self.low <= value <= self.high):  # NaN fails too
            raise VaekitError(f"{self.name}: must be {what} in {self.low:g}..{self.high:g}, got {raw[:40]!r}")
        return value

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class Maker(ABC):
    #: The route (``POST /api/make/NAME``) and what the page calls it: ``compose``.
    name: str = ""
    #: The model (a shipped model's name) whose pipeline it runs on and whose items it makes.
    model: str = ""
    #: The file of the model's modality's web folder that shows what it makes.
    page: str = ""
    description: str = ""
    options: tuple[Option, ...] = ()

    def card(self) -> dict[str, Any]:
        """What the studio shows of it beside its options (the shipped model it draws from, its figures)."""
        return {}

    @abstractmethod
    def make(self, pipeline: Any, options: dict[str, Any], generator: torch.Generator) -> tuple[torch.Tensor,
                                                                                            list[dict[str, Any]]]:
        """Items ``(N, ...)`` of ``pipeline``'s model (what its handler writes and describes), made from
        the checked ``options`` with draws from ``generator``, and facts about each for the page (a song's
        sections). Bad options: a ``VaekitError`` of one line."""

    def parse(self, form: dict[str, str]) -> dict[str, Any]:
        """Each option's value from a form's fields; a field that names no option is refused."""
        names = {o.name for o in self.options}
        unknown = sorted(set(form) - names)
        if unknown:
            raise VaekitError(f"{unknown[0]}: {self.name} takes {', '.join(sorted(names)) or 'no options'}")
        return {o.name: o.parse(form.get(o.name)) for o in self.options}


def makers() -> dict[str, Maker]:
    """Every registered maker by name (the first plugin to register a name wins), from the plugin registry."""
    return plugins.registry().makers
