"""What many tunes or files gave, parsed in parallel once and cached as plain numpy arrays.

A corpus holds segments (not windows) of any kind: melody tokens ``(L,)``, drum tokens ``(L,)`` or trio
rows ``(3, L)``, so one cache serves every window length and hop. Items are tunes (the folk corpus) or
files (``--data PATH``); train and validation split by item.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vaekit_midi.parsed import REASONS, Parsed, describe

log = logging.getLogger(__name__)

#: Bump when parsing or the cached arrays change: old caches are then ignored and rebuilt.
FORMAT_VERSION = 2
_CODES = ["ok", *REASONS]
#: Seconds between progress lines of a parse when stderr is not a terminal.
PROGRESS_EVERY = 10.0


def cache_dir() -> Path:
    """``midi/`` in vaekit's cache folder (``VAEKIT_CACHE``, else the user cache folder)."""
    from vaekit import cache_dir as vaekit_cache

    return vaekit_cache() / "midi"


def cache_key(kind: str, identity: object) -> str:
    """A cache file name for ``identity`` (anything JSON can write) under the current format."""
    digest = hashlib.sha1(json.dumps([FORMAT_VERSION, identity], sort_keys=True).encode()).hexdigest()
    return f"{kind}-v{FORMAT_VERSION}-{digest[:16]}.npz"


@dataclass
class Corpus:
    """Items (tunes or files) and their segments, as flat arrays."""

    names: np.ndarray  # (I,) str
    reasons: np.ndarray  # (I,) int8: 0 = parsed, else 1 + index in REASONS
    tokens: np.ndarray  # (..., S_total) int8 (melodies) or int16: every segment's tokens, concatenated
    offsets: np.ndarray  # (S + 1,) int64: segment s is tokens[offsets[s]:offsets[s + 1]]
    bars: np.ndarray  # (S,) int16: steps per bar of each segment
    owner: np.ndarray  # (S,) int32: item of each segment

    @classmethod
    def from_parsed(cls, names: Sequence[str], parsed: Sequence[Parsed], empty: np.ndarray) -> Corpus:
        """``empty``: the tokens of no segment, of the kind's shape and dtype (``np.zeros((3, 0), np.int16)``)."""
        segs = [(i, tokens, bar) for i, p in enumerate(parsed) for tokens, bar in p.segments]
        lengths = [t.shape[-1] for _, t, _ in segs]
        return cls(
            names=np.array(names, dtype=str),
            reasons=np.array([_CODES.index(p.reason or "ok") for p in parsed], dtype=np.int8),
            tokens=np.concatenate([empty, *(t for _, t, _ in segs)], axis=-1).astype(empty.dtype),
            offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            bars=np.array([b for _, _, b in segs], dtype=np.int16),
            owner=np.array([i for i, _, _ in segs], dtype=np.int32),
        )

    def save(self, path: Path) -> None:
        from vaekit import atomic_file

        with atomic_file(path) as f:
            np.savez_compressed(f, **{k: getattr(self, k) for k in self.__dataclass_fields__})

    @classmethod
    def load(cls, path: Path) -> Corpus:
        with np.load(path, allow_pickle=False) as data:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__})

    def first(self, n: int) -> Corpus:
        """The first ``n`` items (all where ``n`` is 0) and their segments."""
        if not n or n >= len(self.names):
            return self
        segs = int((self.owner < n).sum())  # segments are in item order
        return Corpus(self.names[:n], self.reasons[:n], self.tokens[..., : self.offsets[segs]],
                      self.offsets[: segs + 1], self.bars[:segs], self.owner[:segs])

    def select(self, items: np.ndarray) -> Corpus:
        """The items at the indices ``items``, in that order, and their segments."""
        items = np.asarray(items, dtype=np.int64)
        first, last = np.searchsorted(self.owner, items), np.searchsorted(self.owner, items, side="right")
        seg = _ranges(first, last)
        return Corpus(self.names[items], self.reasons[items], self.tokens[..., _ranges(self.offsets[seg],
                      self.offsets[seg + 1])], np.concatenate([[0], np.cumsum(np.diff(self.offsets)[seg])]),
                      self.bars[seg], np.repeat(np.arange(len(items), dtype=np.int32), last - first))

    @classmethod
    def join(cls, corpora: Sequence[Corpus]) -> Corpus:
        """One corpus of the items of several, in order."""
        items = np.cumsum([0] + [len(c.names) for c in corpora])
        starts = np.cumsum([0] + [c.offsets[-1] for c in corpora])
        return cls(
            names=np.concatenate([c.names for c in corpora]),
            reasons=np.concatenate([c.reasons for c in corpora]),
            tokens=np.concatenate([c.tokens for c in corpora], axis=-1),
            offsets=np.concatenate([[0]] + [c.offsets[1:] + s for c, s in zip(corpora, starts)]).astype(np.int64),
            bars=np.concatenate([c.bars for c in corpora]),
            owner=np.concatenate([c.owner + i for c, i in zip(corpora, items)]).astype(np.int32),
        )

    def reason_counts(self, items: np.ndarray | None = None) -> Counter:
        """Why items gave nothing: reason key -> count (over ``items`` where given)."""
        codes = self.reasons if items is None else self.reasons[items]
        return Counter(_CODES[c] for c in codes.tolist() if c)

    def windows(self, steps: int, hop_bars: int = 1,
                keep: Callable[[np.ndarray], np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray, Counter]:
        """Windows ``(N, ..., steps)`` of every segment (duplicates kept) for which ``keep(windows)`` holds
        (it may edit them in place), the item of each, and why items gave none."""
        lengths = np.diff(self.offsets)
        hop = self.bars.astype(np.int64) * max(1, hop_bars)
        counts = np.where(lengths >= steps, (lengths - steps) // np.maximum(hop, 1) + 1, 0)
        seg = np.repeat(np.arange(len(lengths)), counts)
        k = np.arange(len(seg)) - np.repeat(np.cumsum(counts) - counts, counts)
        starts = self.offsets[seg] + k * hop[seg]
        w = np.moveaxis(self.tokens[..., starts[:, None] + np.arange(steps)], -2, 0)
        if keep is not None:
            kept = keep(w)
            w, seg = w[kept], seg[kept]
        owner = self.owner[seg]
        counts = self.reason_counts()
        got = np.zeros(len(self.names), dtype=bool)
        got[owner] = True
        short = int((~got & (self.reasons == 0)).sum())
        if short:
            counts["too_short"] += short
        return w, owner, counts


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """``np.concatenate([np.arange(a, b) for a, b in zip(starts, stops)])``, without the loop."""
    starts = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(stops, dtype=np.int64) - starts
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())


def build(kind: str, identity: object, make_tasks: Callable, parse: Callable, desc: str, empty: np.ndarray,
          gave: str = "melody") -> Corpus:
    """The cached corpus for ``identity``; else ``make_tasks() -> (names, tasks)``, each task parsed by
    ``parse`` (a module-level function, run in parallel), and the result cached. ``empty``: see
    :meth:`Corpus.from_parsed`; ``gave``: what an item gives, for the summary line."""
    path = cache_dir() / cache_key(kind, identity)
    if path.exists():
        try:
            return Corpus.load(path)
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)  # a damaged cache is rebuilt
    started = time.perf_counter()
    names, tasks = make_tasks()
    corpus = Corpus.from_parsed(names, parallel_map(parse, tasks, desc), empty)
    corpus.save(path)
    skipped = corpus.reason_counts()
    note = f" ({sum(skipped.values())} gave no {gave}: {describe(skipped)})" if skipped else ""
    log.info(f"vaekit: parsed {len(names)} {desc} in {time.perf_counter() - started:.0f} s{note}; cached in {path}")
    return corpus


def workers() -> int:
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(count, 8))


def parallel_map(fn: Callable, tasks: Sequence, desc: str) -> list:
    """``[fn(t) for t in tasks]`` over a pool of processes, with progress on stderr."""
    import multiprocessing

    n = workers()
    unit = desc.split()[-1].rstrip("s")
    if n == 1 or len(tasks) < 64:
        return list(_progress(map(fn, tasks), len(tasks), desc, unit))
    # fork where it is safe (Linux; the workers only parse, never touch torch), so scripts need no
    # ``if __name__ == "__main__"`` guard; spawn elsewhere
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    with _signals_blocked():  # until each worker has reset its handlers (see _worker_signals)
        pool = multiprocessing.get_context(method).Pool(n, initializer=_worker_signals)
    try:
        results = list(_progress(pool.imap(fn, tasks, chunksize=8), len(tasks), desc, unit))
        pool.close()  # the workers finish on their own: no signal is sent on the normal path
        pool.join()
        return results
    finally:
        pool.terminate()  # on an error or Ctrl-C; after join() it has nothing left to do


_POOL_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM held back in this thread (and so in the workers it forks), where POSIX allows."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _POOL_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _worker_signals() -> None:
    """A forked worker inherits its parent's Python signal handlers. Under a server that handles SIGTERM
    itself (uvicorn: set a flag, keep running) a worker then outlived ``Pool.terminate()``, waiting on
    the queue's lock that the pool's shutdown holds, and the shutdown hung for good. So a worker dies on
    SIGTERM, and leaves Ctrl-C to the parent, which ends the pool."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _POOL_SIGNALS)


def _progress(results: Iterable, total: int, desc: str, unit: str) -> Iterator:
    """``results``, with a progress bar on a terminal, else a line on stderr every few seconds (logs and
    pipes: a long parse must not look like a hang)."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(results, total=total, desc=f"parsing {desc}", unit=unit)
        return
    log.info(f"vaekit: parsing {total:,} {desc} (once: cached afterwards)")
    started = last = time.perf_counter()
    for done, result in enumerate(results, 1):
        yield result
        now = time.perf_counter()
        if now - last >= PROGRESS_EVERY and done < total:
            last = now
            log.info(f"vaekit: parsed {done:,} of {total:,} {desc} ({done / total:.0%}) in {now - started:.0f} s")
