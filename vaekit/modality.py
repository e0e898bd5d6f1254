"""The Modality base class: everything a plugin supplies, and nothing the core has to know about
MIDI or pixels. Subclasses must keep module import light (no torch at import time): import heavy
libraries inside methods.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaekit.config import Config

if TYPE_CHECKING:
    import torch
    from torch.utils.data import Dataset

    from vaekit.model import VAE


class Modality(ABC):
    """One kind of data. The core calls only the members below.

    Data items are tuples ``(input, target[, label])`` of tensors: ``input == target`` for plain
    training, a corrupted input for denoising, a low-resolution input for super-resolution.
    """

    name: str = ""
    description: str = ""
    #: File suffixes ``read`` accepts, lower case with the dot.
    file_types: tuple[str, ...] = ()
    #: Suffix of the files ``write`` produces.
    output_suffix: str = ""
    #: The preset ``vaekit train`` uses when none is named.
    default_preset: str = ""
    #: The built-in dataset ``vaekit train`` uses when ``--data`` is not given.
    default_dataset: str = ""
    #: The ``vaekit.PLUGIN_API`` this modality was written for. Each modality class declares it itself
    #: (no default to inherit), so that one written for another API is caught by ``vaekit plugins``.
    plugin_api: int

    @abstractmethod
    def presets(self) -> dict[str, Config]:
        """Named configs (nested dicts) merged over the core defaults, e.g. ``{"mel_2bar": {...}}``."""

    def datasets(self) -> dict[str, str]:
        """Built-in datasets that work offline: name -> one-line description."""
        return {}

    @abstractmethod
    def load_dataset(self, source: str, config: Config) -> tuple[Dataset, Dataset]:
        """Train and validation datasets from a built-in name or an existing path.

        May update ``config`` in place with what the data fixed (e.g. ``data.size``), so that the
        run's saved config rebuilds the same model. With ``data.val_fraction`` 1, every item is
        validation (the training part may be empty): ``vaekit evaluate --data`` scores all of it.
        """

    @abstractmethod
    def build_model(self, config: Config) -> VAE:
        """A ``vaekit.VAE`` of this modality's Encoder and Decoder, sized by ``config``."""

    @abstractmethod
    def read(self, path: Path, config: Config) -> torch.Tensor:
        """One user file as model inputs with a leading item dimension ``(K, ...)`` (K >= 1).

        Raise ``vaekit.VaekitError`` naming the file when it cannot be used.
        """

    @abstractmethod
    def write(self, x: torch.Tensor, path: Path, config: Config) -> None:
        """One model output (no batch dimension) as a user file."""

    def reads_span(self, config: Config) -> bool:
        """Optional: whether ``read`` gives, under ``config``, the consecutive parts of one span of a file
        (the MIDI modality's ``--bars A:B``) rather than separate items; ``interpolate`` then steps the
        whole span, part by part, and joins each step's parts end to end; ``transform`` moves every part
        and puts them back (``put_back``). No by default."""
        return False

    def put_back(self, parts: torch.Tensor, config: Config) -> torch.Tensor:
        """With ``reads_span``: outputs for the parts of the span read last ``(K, ...)``, put back into the
        whole file it was read from, as one item (the MIDI modality: the song with those bars replaced)."""
        raise NotImplementedError(f"the {self.name} modality reads no spans")

    def metrics(self, model: VAE, batch: tuple[torch.Tensor, ...]) -> dict[str, float]:
        """The modality's own validation metrics on one batch (e.g. step accuracy, MSE)."""
        return {}

    def features(self, x: torch.Tensor, config: Config) -> dict[str, Any]:
        """Optional features of items ``(N, ...)`` for ``vaekit evaluate --quality``: name -> an array of
        ``N`` values or rows (e.g. a melody's pitch count, its pitch-class histogram); none by default."""
        return {}

    def sample_quality(self, generated: torch.Tensor, held_out: Dataset, train: Dataset | None,
                       config: Config) -> dict[str, Any] | None:
        """Optional: how close samples ``(N, ...)`` are to real items as a whole (for ``vaekit evaluate
        --quality``), e.g. a Fréchet distance in some feature space (``vaekit.quality.frechet_distance``).
        ``held_out`` and ``train`` (None where the run's training data cannot be loaded) are the
        datasets to take up to ``N`` real items from.

        Returns None, or ``{"space": one line saying what the figures are measured in, "figures": {name:
        {"samples": value, "held_out": value}}, ...}``: each figure for the samples and, as the reference,
        for held-out real items (a number or a list of numbers); more keys go to the JSON alone."""
        return None

    def quality_reference(self, held_out: torch.Tensor, config: Config) -> tuple[torch.Tensor, str]:
        """Optional: the held-out items that ``vaekit evaluate --quality`` compares samples with, feature
        by feature, and a line that says how they were made. By default the items as they are; a modality
        whose training augments items may augment these the same way, since that is what its models learn
        to generate (a melody model that saw every key through random transposition)."""
        return held_out, "the held-out items as they are"

    def interpolation_quality(self, model: VAE, held_out: torch.Tensor, train: Dataset,
                              config: Config) -> dict[str, Any] | None:
        """Optional: how smooth and natural interpolations between held-out items are (for ``vaekit
        evaluate --quality``), with ``train`` for anything fitted on training data alone."""
        return None

    def describe(self, x: torch.Tensor, config: Config) -> list[dict[str, Any]]:
        """Optional JSON-ready facts about each of the items ``(N, ...)`` for ``vaekit serve``'s pages,
        beside their raw values (e.g. a melody's notes)."""
        return [{} for _ in range(len(x))]

    def attribute_vectors(self, run_dir: Path, config: Config) -> dict[str, torch.Tensor]:
        """Optional named latent directions a run holds (e.g. a melody's note density), for
        ``vaekit serve``'s transform; none by default."""
        return {}

    def file_verbs(self, config: Config) -> dict[str, str]:
        """Optional verbs a model of ``config`` applies to a whole file beyond the core's (the MIDI
        plugin's groove and drumify): name -> one line saying what it does. ``vaekit serve`` answers each
        at ``POST /api/verbs/NAME``; none by default."""
        return {}

    def apply(self, verb: str, model: VAE, path: Path, config: Config, temperature: float,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """File verb ``verb`` (one of ``file_verbs``) on ``path``: the file as the verb read it and what it
        made, each ``(1, ...)`` items that ``describe`` and ``write`` take."""
        from vaekit.errors import VaekitError

        raise VaekitError(f"the {self.name} modality has no verb {verb!r}")

    def conditioned(self, model: VAE, config: Config, inputs: torch.Tensor | None = None, count: int = 1,
                    seed: int = 0) -> AbstractContextManager:
        """Optional: the context in which a verb decodes ``count`` outputs, for a model whose decoder needs
        more than z (a MIDI melody model over chords: what to decode over). ``inputs``: the items read that
        the outputs come from, one each (a reconstruction), or one ``(1, ...)`` for all of them (an
        interpolation keeps A's); None for samples, ``seed`` then drawing whatever is drawn. By default
        nothing, and a refusal of ``data.chords`` (``--chords``), which only chord-conditioned models take."""
        from vaekit.errors import VaekitError

        if config.get("data", {}).get("chords") is not None:
            raise VaekitError(f"--chords: the {self.name} modality's {config.get('preset')} models are not "
                              "conditioned on chords")
        return nullcontext()

    def reading_report(self, source: str, config: Config) -> Any | None:
        """Optional: what reading a user's files (``source``, a path) changed of them, for ``vaekit evaluate
        --data`` to show beside its scores (e.g. how far quantisation moved a MIDI file's notes): an object
        with ``to_dict()`` and a ``str()`` of a few lines, or None."""
        return None

    def render(self, x: torch.Tensor, path: Path, config: Config, labels: list[str] | None = None) -> None:
        """Optional picture of items ``(N, ...)`` (an image grid, piano rolls on one pitch axis), with a
        label for each where given (``input A``, ``step 3``)."""
        from vaekit.errors import VaekitError

        raise VaekitError(f"the {self.name} modality draws no pictures")

    def write_audio(self, x: torch.Tensor, path: Path, config: Config) -> None:
        """Optional audio of outputs ``(N, ...)`` played in order (a WAV of melodies)."""
        from vaekit.errors import VaekitError

        raise VaekitError(f"the {self.name} modality writes no audio")

    # Output layouts of the CLI verbs. The defaults write one file per item; modalities override
    # them where a single file reads better (an image grid, one MIDI file that plays every step).

    def write_samples(self, x: torch.Tensor, out_dir: Path, config: Config) -> list[Path]:
        """Write generated items ``(N, ...)`` into ``out_dir``; return the paths written."""
        return self._write_each(x, [f"sample_{i:03d}" for i in range(len(x))], out_dir, config)

    def write_interpolation(self, x: torch.Tensor, out: Path, config: Config) -> list[Path]:
        """Write interpolation steps ``(S, ...)`` to ``out`` (a directory, one file a step)."""
        return self._write_each(x, [f"step_{i:02d}" for i in range(len(x))], out, config)

    def write_reconstructions(
        self, inputs: torch.Tensor, outputs: torch.Tensor, names: list[str], out_dir: Path, config: Config
    ) -> list[Path]:
        """Write reconstructions of the named inputs into ``out_dir``."""
        return self._write_each(outputs, [f"{n}_recon" for n in names], out_dir, config)

    def export_dataset(self, name: str, n: int, out_dir: Path, config: Config) -> list[Path]:
        """Write the first ``n`` validation items of a built-in dataset as ordinary files."""
        _, val = self.load_dataset(name, config)
        items = [val[i][1] for i in range(min(n, len(val)))]
        import torch

        return self._write_each(torch.stack(items), [f"{name}_{i:03d}" for i in range(len(items))], out_dir, config)

    def _write_each(self, x: torch.Tensor, stems: list[str], out_dir: Path, config: Config) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for item, stem in zip(x, stems):
            path = out_dir / f"{stem}{self.output_suffix}"
            self.write(item, path, config)
            paths.append(path)
        return paths
