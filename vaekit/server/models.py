"""The models a server may use, by name only: the runs and shipped models it was given or found.
No request names a path on disk."""

from __future__ import annotations

import asyncio
import json
import math
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fastapi import HTTPException

from vaekit import runs, shipped
from vaekit.errors import VaekitError

CALLS = 5  # calls a model takes at once: one runs on its thread, the others wait their turn
WAIT_S = 60.0  # seconds a call waits for its turn before it is answered 503
T = TypeVar("T")


@dataclass
class Served:
    """One model: where it lies, its card (shipped models) and, once opened, its pipeline, and the one
    daemon thread that runs every call into it in turn (a pipeline is not for two threads at once).

    Waiting calls hold no thread, and the running one holds a daemon thread, so a busy model never
    starves the others or the pages of worker threads, and never keeps the process from exiting."""

    name: str
    path: Path
    card: dict[str, Any] | None = None
    pipeline: Any = None
    cache: dict[str, Any] = field(default_factory=dict)
    admitted: int = 0  # calls running or waiting their turn
    seconds: float = 1.0  # how long the last call ran
    _jobs: queue.SimpleQueue | None = None
    _count: threading.Lock = field(default_factory=threading.Lock)

    def config(self) -> dict[str, Any]:
        return json.loads((self.path / runs.CONFIG).read_text())

    def open(self) -> Any:
        """The pipeline, loaded on first use (on the model's thread)."""
        if self.pipeline is None:
            from vaekit.pipeline import Pipeline

            self.pipeline = Pipeline.open(self.path)
        return self.pipeline

    async def run(self, verb: Callable[[Any], T]) -> T:
        """``verb(pipeline)`` on the model's thread once this call's turn comes. HTTP 503 with
        ``Retry-After`` at once when ``CALLS`` calls are already in, or when the turn has
        not come after ``WAIT_S`` seconds; a call abandoned before its turn never runs."""
        with self._count:
            full = self.admitted >= CALLS
            if not full:
                self.admitted += 1
        if full:
            raise self.busy("busy")
        job: Future = Future()
        job.add_done_callback(self._leave)
        self._queue().put((verb, job))
        result = asyncio.wrap_future(job)
        try:
            return await asyncio.wait_for(asyncio.shield(result), WAIT_S)
        except TimeoutError:
            if job.cancel():
                raise self.busy(f"still busy after {WAIT_S:g} s") from None
            return await result
        except asyncio.CancelledError:  # the server is stopping: uvicorn cancels what outlasts its grace
            job.cancel()
            raise HTTPException(503, "the server is stopping; this call did not finish",
                                headers={"Retry-After": "5"}) from None

    def busy(self, what: str) -> HTTPException:
        retry = max(1, math.ceil(self.seconds * CALLS))
        return HTTPException(503, f"model {self.name!r} is {what} ({CALLS} calls at most at once); "
                                  f"try again in {retry} s", headers={"Retry-After": str(retry)})

    def _leave(self, job: Future) -> None:
        with self._count:
            self.admitted -= 1

    def _queue(self) -> queue.SimpleQueue:
        with self._count:
            if self._jobs is None:
                self._jobs = queue.SimpleQueue()
                threading.Thread(target=self._work, name=f"vaekit model {self.name}", daemon=True).start()
        return self._jobs

    def _work(self) -> None:
        while True:
            verb, job = self._jobs.get()
            if not job.set_running_or_notify_cancel():
                continue
            start = time.monotonic()
            try:
                job.set_result(verb(self.open()))
            except BaseException as e:  # the caller's to answer
                job.set_exception(e)
            finally:
                self.seconds = time.monotonic() - start


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
            if model.is_run:
                add(name, model.path, model.card)
    for path in find_runs(runs_dir) if runs_dir is not None else []:
        if all(s.path != path.resolve() for s in found.values()):
            add(path.resolve().name, path)
    return found
