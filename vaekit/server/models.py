"""The models a server may use, by name only: the runs and shipped models it was given or found.
No request names a path on disk."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vaekit import runs, shipped
from vaekit.errors import VaekitError


@dataclass
class Served:
    """One model: where it lies, its card (shipped models) and, once opened, its pipeline and the lock
    every call into it takes (a pipeline is not for two threads at once: ``written``, its caches)."""

    name: str
    path: Path
    card: dict[str, Any] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    pipeline: Any = None
    cache: dict[str, Any] = field(default_factory=dict)

    def config(self) -> dict[str, Any]:
        return json.loads((self.path / runs.CONFIG).read_text())

    def open(self) -> Any:
        """The pipeline, loaded on first use (under the lock)."""
        if self.pipeline is None:
            from vaekit.pipeline import Pipeline

            self.pipeline = Pipeline.open(self.path)
        return self.pipeline


def find_runs(folder: Path) -> list[Path]:
    """Run directories (a ``config.json`` beside weights) in ``folder`` and one level below."""
    if not folder.is_dir():
        return []
    candidates = [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]
    candidates += [q for p in candidates[1:] for q in sorted(p.iterdir()) if q.is_dir()]
    return [p for p in candidates
            if (p / runs.CONFIG).is_file() and ((p / runs.BEST).is_file() or (p / runs.LAST).is_file())]


def collect(given: list[str], runs_dir: Path | None) -> dict[str, Served]:
    """Models by name: those ``given`` (runs or shipped names) or, with none given, every shipped model;
    then the runs found in ``runs_dir``. A run is named after its folder (``-2``, ``-3`` on a clash)."""
    known = shipped.models()
    found: dict[str, Served] = {}

    def add(name: str, path: Path, card: dict[str, Any] | None = None) -> None:
        unique, n = name, 1
        while unique in found:
            n += 1
            unique = f"{name}-{n}"
        found[unique] = Served(unique, path.resolve(), card)

    for item in given:
        path = shipped.resolve(item)
        if not (path / runs.CONFIG).is_file():
            raise VaekitError(f"{item}: not a run directory (no {runs.CONFIG})")
        if not Path(item).exists() and item in known:
            add(item, path, known[item].card)
        else:
            add(path.resolve().name, path)
    if not given:
        for name, model in known.items():
            add(name, model.path, model.card)
    for path in find_runs(runs_dir) if runs_dir is not None else []:
        if all(s.path != path.resolve() for s in found.values()):
            add(path.resolve().name, path)
    return found
