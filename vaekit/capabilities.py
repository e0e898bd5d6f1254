"""What a handler may do beyond the four things every handler does. The core detects each capability
by its method (``isinstance(handler, Renders)``); a plugin declares one by writing the method. Results
that the core shows are ``Report`` objects: they print and serialise themselves, so the core knows no
modality's keys."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from vaekit.config import Config
from vaekit.errors import VaekitError

if TYPE_CHECKING:
    import torch
    from torch.utils.data import Dataset

    from vaekit.model import VAE


@runtime_checkable
class Report(Protocol):
    """A result that the CLI prints (``str``) and ``--json`` writes (``to_dict``)."""

    def to_dict(self) -> dict[str, Any]: ...


@runtime_checkable
class Renders(Protocol):
    def render(self, x: torch.Tensor, path: Path, config: Config, labels: list[str] | None = None) -> None:
        """A picture of items ``(N, ...)`` (an image grid, piano rolls on one pitch axis), with a label for
        each where given (``input A``, ``step 3``)."""


@runtime_checkable
class PlaysAudio(Protocol):
    def write_audio(self, x: torch.Tensor, path: Path, config: Config) -> None:
        """Audio of outputs ``(N, ...)`` played in order (a WAV of melodies)."""


@runtime_checkable
class MeasuresFeatures(Protocol):
    def features(self, x: torch.Tensor, config: Config) -> dict[str, Any]:
        """Features of items ``(N, ...)`` for ``vaekit evaluate --quality``: name -> an array of ``N`` values
        or rows (a melody's pitch count, its pitch-class histogram), compared after MGEval (``vaekit.quality``)."""

    def quality_reference(self, held_out: torch.Tensor, config: Config) -> tuple[torch.Tensor, str]:
        """The held-out items that samples are compared with, and a line saying how they were made (the
        items as they are, or augmented as training augments them, since that is what models learn)."""


@runtime_checkable
class MeasuresSamples(Protocol):
    def sample_quality(self, generated: torch.Tensor, held_out: Dataset, train: Dataset | None,
                       config: Config) -> Report | None:
        """How close samples ``(N, ...)`` are to real items as a whole, usually ``Figures`` (e.g. a Fréchet
        distance, ``vaekit.quality.frechet_distance``). ``train`` is None where the run's training data
        cannot be loaded."""


@runtime_checkable
class MeasuresInterpolations(Protocol):
    def interpolation_quality(self, model: VAE, held_out: torch.Tensor, train: Dataset,
                              config: Config) -> Report | None:
        """How smooth and natural interpolations between held-out items are, with ``train`` for anything
        fitted on training data alone."""


@runtime_checkable
class HasAttributes(Protocol):
    def attribute_vectors(self, run_dir: Path, config: Config) -> dict[str, torch.Tensor]:
        """Named latent directions the run holds (a melody's note density), for ``transform``."""


@runtime_checkable
class DescribesItems(Protocol):
    def describe(self, x: torch.Tensor, config: Config) -> list[dict[str, Any]]:
        """JSON-ready facts about each item ``(N, ...)`` for a web page, beside its raw values (a melody's
        notes)."""


@runtime_checkable
class ReportsReading(Protocol):
    def reading_report(self, source: str, config: Config) -> Report | None:
        """What reading a user's files (``source``, a path) changed of them, shown beside ``vaekit evaluate
        --data``'s scores (how far quantisation moved a MIDI file's notes)."""


@runtime_checkable
class ReadsSpans(Protocol):
    def reads_span(self, config: Config) -> bool:
        """Whether ``read`` gives, under ``config``, the consecutive parts of one span of a file (the MIDI
        modality's ``--bars A:B``) rather than separate items: ``interpolate`` then steps the whole span,
        part by part, and joins each step's parts end to end; ``transform`` moves every part and puts
        them back (``put_back``)."""

    def put_back(self, parts: torch.Tensor, config: Config) -> torch.Tensor:
        """Outputs for the parts of the span read last ``(K, ...)``, put back into the whole file it was
        read from, as one item (the MIDI modality: the song with those bars replaced)."""


@runtime_checkable
class HasFileVerbs(Protocol):
    def file_verbs(self, config: Config) -> dict[str, str]:
        """Verbs a model of ``config`` applies to a whole file beyond the core's (the MIDI plugin's groove
        and drumify): name -> one line saying what it does. ``vaekit serve`` answers each at
        ``POST /api/verbs/NAME``."""

    def apply(self, verb: str, model: VAE, path: Path, config: Config, temperature: float,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """File verb ``verb`` on ``path``: the file as the verb read it and what it made, each ``(1, ...)``
        items that ``describe`` and ``write`` take."""


@runtime_checkable
class HasPages(Protocol):
    def web_page(self, config: Config) -> str:
        """The file of the modality's web folder (``register_web``) that shows a model of ``config`` best
        (the MIDI plugin's drums page for drum models); "" for its index."""


@runtime_checkable
class Conditions(Protocol):
    def conditioned(self, model: VAE, config: Config, inputs: torch.Tensor | None = None, count: int = 1,
                    seed: int = 0) -> AbstractContextManager:
        """The context in which a verb decodes ``count`` outputs, for a model whose decoder needs more than
        z (a MIDI melody model over chords: what to decode over). ``inputs``: the items read that the
        outputs come from, one each (a reconstruction), or one ``(1, ...)`` for all of them (an
        interpolation keeps A's); None for samples, ``seed`` then drawing whatever is drawn."""


@runtime_checkable
class TakesChords(Protocol):
    def takes_chords(self, config: Config) -> bool:
        """Whether a model of ``config`` decodes over chords that a verb may name (``data.chords``,
        ``--chords``, the studio's chords field)."""


def takes_chords(handler: Any, config: Config) -> bool:
    return isinstance(handler, TakesChords) and handler.takes_chords(config)


def conditioned(handler: Any, model: VAE, config: Config, inputs: torch.Tensor | None = None, count: int = 1,
                seed: int = 0) -> AbstractContextManager:
    """The handler's decoding context where it ``Conditions``; else none, and a refusal of ``data.chords``
    (``--chords``) and ``generate.form`` (``--form``), which only conditioned models take."""
    if isinstance(handler, Conditions):
        return handler.conditioned(model, config, inputs, count, seed)
    if config.get("data", {}).get("chords") is not None:
        raise VaekitError(f"--chords: {config.get('preset')} models are not conditioned on chords")
    if config.get("generate", {}).get("form"):
        raise VaekitError(f"--form: {config.get('preset')} models do not sample in a form")
    return nullcontext()


def reads_span(handler: Any, config: Config) -> bool:
    """Whether the handler reads ``config``'s inputs as the parts of one span (``ReadsSpans``)."""
    return isinstance(handler, ReadsSpans) and handler.reads_span(config)


def file_verbs(handler: Any, config: Config) -> dict[str, str]:
    """The handler's verbs on whole files (``HasFileVerbs``), none where it has none."""
    return handler.file_verbs(config) if isinstance(handler, HasFileVerbs) else {}


def web_page(handler: Any, config: Config) -> str:
    """The page of the modality's web folder for a model of ``config`` (``HasPages``), else its index."""
    return handler.web_page(config) if isinstance(handler, HasPages) else ""


def need(handler: Any, capability: type, modality: str, lacking: str) -> Any:
    """``handler`` where it has ``capability``; else a VaekitError: "the MODALITY modality LACKING"."""
    if not isinstance(handler, capability):
        raise VaekitError(f"the {modality} modality {lacking}")
    return handler


def describe(handler: Any, x: torch.Tensor, config: Config) -> list[dict[str, Any]]:
    """The handler's facts about each item where it ``DescribesItems``, else none."""
    return handler.describe(x, config) if isinstance(handler, DescribesItems) else [{} for _ in range(len(x))]


@dataclass
class Figures:
    """Samples against real items as a whole: each figure for the samples and, as the reference, for
    held-out real items (a number, a list of numbers, or None); ``space`` says what they are measured in,
    ``about`` adds a line, ``more`` goes to the JSON alone."""

    space: str
    figures: dict[str, dict[str, Any]]
    about: str = ""
    more: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"space": self.space, "figures": self.figures, **({"about": self.about} if self.about else {}),
                **self.more}

    def __str__(self) -> str:
        lines = [f"samples against real items, in {self.space}", *([self.about] if self.about else []),
                 f"{'figure':<32} {'samples':>10} {'held-out':>10}"]
        for name, v in self.figures.items():
            if any(isinstance(v[k], list) for k in ("samples", "held_out")):
                for k, label in (("samples", "samples"), ("held_out", "held-out")):
                    values = v[k] if isinstance(v[k], list) else [v[k]]
                    lines.append(f"{name} ({label}): " + " ".join("-" if x is None else f"{x:.3g}" for x in values))
                continue
            cells = [f"{'-':>10}" if v[k] is None else f"{v[k]:10.4g}" for k in ("samples", "held_out")]
            lines.append(f"{name:<32} {cells[0]} {cells[1]}")
        return "\n".join(lines)
