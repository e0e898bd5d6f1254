"""The plugin contract. A ``Modality`` names one kind of data (its presets and built-in datasets) and, for
each run's config, hands the core one ``Handler``: the object that loads, models, reads and writes that
config's data. The core asks for it once (``Modality.handler``). A plugin with one kind of data is its own
handler; the MIDI plugin hands back its melody, drum, trio... kind.

A handler must do four things. Anything more (pictures, audio, quality measures, attribute vectors,
facts for a web page, a reading report) is a capability that the core detects by its method
(``vaekit.capabilities``). Subclasses must keep module import light (no torch at import time): import
heavy libraries inside methods.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vaekit.config import Config
from vaekit.errors import VaekitError

if TYPE_CHECKING:
    import torch
    from torch.utils.data import Dataset

    from vaekit.model import VAE


@dataclass
class Data:
    """What ``Handler.load_dataset`` found: the train and validation datasets, and ``learned``, the config
    keys that the data fixed (``{"data": {"size": 28}}``), which the core merges into a new run's config so
    that the saved run rebuilds the same model. Unpacks as ``train, val``."""

    train: Dataset
    val: Dataset
    learned: Config = field(default_factory=dict)

    def __iter__(self) -> Iterator[Dataset]:
        return iter((self.train, self.val))


class Handler(ABC):
    """The data of one config. Items are tuples ``(input, target[, label])`` of tensors: ``input ==
    target`` for plain training, a corrupted input for denoising, a low-resolution one for super-resolution."""

    #: Suffix of the files ``write`` produces.
    output_suffix: str = ""

    @abstractmethod
    def load_dataset(self, source: str, config: Config) -> Data:
        """Train and validation datasets from a built-in name or an existing path, without editing ``config``.
        With ``data.val_fraction`` 1, every item is validation (``vaekit evaluate --data`` scores all of it)."""

    @abstractmethod
    def build_model(self, config: Config) -> VAE:
        """A ``vaekit.VAE`` of this data's Encoder and Decoder, sized by ``config``."""

    @abstractmethod
    def read(self, path: Path, config: Config) -> torch.Tensor:
        """One user file as model inputs with a leading item dimension ``(K, ...)`` (K >= 1). Raise
        ``vaekit.VaekitError`` naming the file when it cannot be used."""

    @abstractmethod
    def write(self, x: torch.Tensor, path: Path, config: Config) -> None:
        """One model output (no batch dimension) as a user file."""

    def metrics(self, model: VAE, batch: tuple[torch.Tensor, ...]) -> dict[str, float]:
        """Validation metrics of one batch beside the ELBO (e.g. step accuracy, MSE); none by default."""
        return {}

    # Output layouts of the CLI verbs: one file per item unless a handler overrides them where a single
    # file reads better (an image grid, one MIDI file that plays every step).

    def write_samples(self, x: torch.Tensor, out_dir: Path, config: Config) -> list[Path]:
        """Write generated items ``(N, ...)`` into ``out_dir``; return the paths written."""
        return self._write_each(x, [f"sample_{i:03d}" for i in range(len(x))], out_dir, config)

    def write_interpolation(self, x: torch.Tensor, out: Path, config: Config) -> list[Path]:
        """Write interpolation steps ``(S, ...)`` to ``out`` (a directory, one file a step)."""
        return self._write_each(x, [f"step_{i:02d}" for i in range(len(x))], out, config)

    def write_reconstructions(self, inputs: torch.Tensor, outputs: torch.Tensor, names: list[str], out_dir: Path,
                              config: Config) -> list[Path]:
        """Write reconstructions of the named inputs into ``out_dir``."""
        return self._write_each(outputs, [f"{n}_recon" for n in names], out_dir, config)

    def export_dataset(self, name: str, n: int, out_dir: Path, config: Config) -> list[Path]:
        """Write the first ``n`` validation items of a built-in dataset as ordinary files."""
        import torch

        val = self.load_dataset(name, config).val
        items = [val[i][1] for i in range(min(n, len(val)))]
        return self._write_each(torch.stack(items), [f"{name}_{i:03d}" for i in range(len(items))], out_dir, config)

    def _write_each(self, x: torch.Tensor, stems: list[str], out_dir: Path, config: Config) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for item, stem in zip(x, stems):
            path = out_dir / f"{stem}{self.output_suffix}"
            self.write(item, path, config)
            paths.append(path)
        return paths


class Modality(ABC):
    """One kind of data, as ``vaekit train --modality NAME`` names it."""

    name: str = ""
    description: str = ""
    #: File suffixes its handlers read, lower case with the dot.
    file_types: tuple[str, ...] = ()
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

    def handler(self, config: Config) -> Handler:
        """The handler of ``config``'s data: the modality itself where it is one."""
        if isinstance(self, Handler):
            return self
        raise VaekitError(f"the {self.name} modality hands the core no handler for its configs")

    def migrate(self, config: Config, version: int) -> None:
        """Bring ``config`` of a run saved at config version ``version`` up to date in place (keys added
        since, with the values that the run was trained with); nothing by default."""
        return None


def handler_of(modality: Modality, config: Config) -> Handler:
    """``modality.handler(config)``, checked to be a ``Handler``."""
    found = modality.handler(config)
    if not isinstance(found, Handler):
        raise VaekitError(f"the {modality.name} modality handed the core {type(found).__name__}, not a vaekit.Handler")
    return found

