"""The run directory: data, never code.

    RUN/config.json        modality, preset, every hyperparameter, package versions
    RUN/model.safetensors  the best weights (lowest validation negative ELBO)
    RUN/last.safetensors   the latest weights, optimizer state, RNG state and progress, in one file
    RUN/metrics.jsonl      one JSON object per log line

Every file is written to a temporary name and renamed into place, so a crash never leaves a
half-written file; weights are read with safetensors, which cannot execute code.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any

from vaekit.errors import VaekitError
from vaekit.files import atomic_write, atomic_write_json

CONFIG = "config.json"
BEST = "model.safetensors"
LAST = "last.safetensors"
METRICS = "metrics.jsonl"
LOCK = ".lock"


class RunDir:
    """Paths and readers of one run directory. Readers raise ``VaekitError`` naming the file."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock_file = None

    def __str__(self) -> str:
        return str(self.path)

    def file(self, name: str) -> Path:
        return self.path / name

    def exists(self) -> bool:
        return self.file(CONFIG).exists()

    def read_config(self) -> dict[str, Any]:
        path = self.file(CONFIG)
        if not self.path.is_dir():
            raise VaekitError(f"{self.path}: no such run directory")
        if not path.exists():
            raise VaekitError(f"{self.path}: not a vaekit run directory (no {CONFIG})")
        try:
            config = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise VaekitError(f"{path}: corrupt run config ({e})") from None
        if not isinstance(config, dict) or not isinstance(config.get("modality"), str):
            raise VaekitError(f"{path}: corrupt run config (no 'modality' entry)")
        return config

    def write_config(self, config: dict[str, Any]) -> None:
        atomic_write_json(self.file(CONFIG), config)

    def read_metrics(self) -> list[dict[str, Any]]:
        path = self.file(METRICS)
        if not path.exists():
            return []
        rows = []
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                raise VaekitError(f"{path}: line {n} is not valid JSON") from None
        return rows

    def append_metrics(self, row: dict[str, Any]) -> None:
        with open(self.file(METRICS), "a") as f:
            f.write(json.dumps(row) + "\n")

    def truncate_metrics(self, step: int) -> None:
        """Drop rows logged after ``step`` (steps lost since the checkpoint a resume starts from)."""
        rows = [r for r in self.read_metrics() if r.get("step", 0) <= step]
        atomic_write(self.file(METRICS), "".join(json.dumps(r) + "\n" for r in rows).encode())

    def lock(self) -> None:
        """Take the run's writer lock; refuse when another live process holds it. The OS drops the
        lock when its process dies, so a crash never leaves the run stuck."""
        self.path.mkdir(parents=True, exist_ok=True)
        f = open(self.file(LOCK), "a+")
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.close()
            raise VaekitError(f"{self.path}: another vaekit process is training in this run directory") from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._lock_file = f
        for stale in self.path.glob(".*.tmp"):  # left by a writer that was killed mid-write
            stale.unlink(missing_ok=True)

    def unlock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
