"""Models that plugins ship trained: each is a run directory inside the plugin's package with a
``card.json``, registered through the ``register_models`` hook. A model's name works wherever a run
directory does; a path that exists wins over a name."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vaekit import plugins, runs
from vaekit.errors import VaekitError

CARD = "card.json"


@dataclass
class ShippedModel:
    name: str
    plugin: str
    path: Path
    card: dict[str, Any]

    @property
    def is_run(self) -> bool:
        """Whether it is a run directory; else a model of the plugin's own (a prior over another model's
        codes, say), whose card names its ``modality``, ``preset`` and ``weights`` file and how to ``use`` it."""
        return self.file(runs.CONFIG).is_file()

    def describe(self) -> dict[str, Any]:
        """The card, with where the model lies and the size of its weights."""
        config = json.loads(self.file(runs.CONFIG).read_text()) if self.is_run else self.card
        weights = self.file(runs.BEST if self.is_run else Path(str(self.card.get("weights", ""))).name)
        size = weights.stat().st_size if weights.is_file() else 0
        return {**self.card, "name": self.name, "plugin": self.plugin, "modality": config.get("modality", "?"),
                "preset": config.get("preset", "?"), "size_mb": round(size / 1e6, 2), "path": str(self.path)}

    def file(self, name: str) -> Path:
        return self.path / name


def models() -> dict[str, ShippedModel]:
    """Every shipped model by name, from the plugin registry."""
    return plugins.registry().models


def read_models(folders: list[tuple[str, Path]]) -> dict[str, ShippedModel]:
    """The shipped models in ``(plugin, folder)`` (the first plugin to register a name wins; a folder
    without a readable card is reported by ``vaekit plugins``)."""
    found: dict[str, ShippedModel] = {}
    for plugin, folder in folders:
        try:
            card = json.loads((folder / CARD).read_text())
            name = str(card["name"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            plugins.errors[plugin] = f"shipped model {folder}: unreadable {CARD} ({e})"
            continue
        if name in found:
            plugins.errors[plugin] = f"shipped model {name!r} is already registered by another plugin"
            continue
        found[name] = ShippedModel(name, plugin, folder, card)
    return found


def resolve(run_or_name: str | os.PathLike) -> Path:
    """The run directory ``run_or_name`` names: a path that exists, else a shipped model's folder. An
    unknown name is one line that lists the shipped ones."""
    path = Path(run_or_name)
    if path.exists():
        return path
    shipped = models()
    if str(run_or_name) in shipped:
        model = shipped[str(run_or_name)]
        if not model.is_run:
            raise VaekitError(f"{run_or_name}: a shipped model, but not a run that this verb can open"
                              + (f"; use it with {model.card['use']}" if model.card.get("use") else ""))
        return model.path
    known = ", ".join(sorted(shipped)) or "none installed"
    raise VaekitError(f"{run_or_name}: no such run directory, and no shipped model of that name (shipped: {known})")
