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

    def describe(self) -> dict[str, Any]:
        """The card, with where the model lies and the size of its weights."""
        config = json.loads(self.file(runs.CONFIG).read_text())
        weights = self.file(runs.BEST).stat().st_size
        return {**self.card, "name": self.name, "plugin": self.plugin, "modality": config["modality"],
                "preset": config["preset"], "size_mb": round(weights / 1e6, 2), "path": str(self.path)}

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
        return shipped[str(run_or_name)].path
    known = ", ".join(sorted(shipped)) or "none installed"
    raise VaekitError(f"{run_or_name}: no such run directory, and no shipped model of that name (shipped: {known})")
