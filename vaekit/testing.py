"""Test helpers for the core's tests and any plugin's (a stranger's too): time and memory limits, hostile
data folders, fuzzing a modality's reader, and the shapes every preset's model must keep.

A ``conftest.py`` takes the fixtures it wants by importing them::

    from vaekit.testing import flat_peak_memory, watched_open, within  # noqa: F401

Needs pytest (and hypothesis for the fuzz and shape helpers, imported when first used); imports no
torch until a helper that needs it runs.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from vaekit.errors import VaekitError
from vaekit.modality import handler_of

# ---- time and memory ---------------------------------------------------------------------------


@contextlib.contextmanager
def alarm(seconds: float, why: str = "") -> Iterator[None]:
    """Raise ``TimeoutError`` in a block still running after ``seconds`` (SIGALRM: main thread only)."""

    def expire(signum, frame):
        raise TimeoutError(f"still running after {seconds} s{f' ({why})' if why else ''}")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def within():
    """``with within(seconds, why):`` fails a block that runs longer than ``seconds`` instead of hanging."""
    return alarm


#: How much a test under ``flat_peak_memory`` may raise the process's peak resident set.
RSS_GROWTH_BYTES = 512 * 2**20


def peak_rss() -> int:
    """The process's peak resident set in bytes so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


@pytest.fixture
def flat_peak_memory():
    """The test may not raise the process's peak RSS by ``RSS_GROWTH_BYTES`` or more."""
    before = peak_rss()
    yield
    grown = peak_rss() - before
    assert grown < RSS_GROWTH_BYTES, f"peak RSS grew by {grown / 2**20:.0f} MiB"


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Tiny models on a shared machine: more intra-op threads only wait for each other."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


# ---- hostile data folders ----------------------------------------------------------------------

SPARSE_BYTES = 2 * 2**30
NEWLINE_NAME = "two\nlines"
NON_UTF8_NAME = os.fsdecode(b"caf\xe9")  # Latin-1 bytes: not valid UTF-8


def hostile(root: Path, suffix: str, outside: Path) -> None:
    """Every hostile entry, next to the good files already in ``root`` (``good0{suffix}`` among them):
    a link to itself, two links to each other, a link to the folder itself, a link to ``outside``, a
    FIFO, a folder named like a file, an empty file, a 2 GB sparse file, and ``locked{suffix}`` (a copy
    of ``good0{suffix}`` that ``watched_open`` refuses to open)."""
    (root / f"loop{suffix}").symlink_to(f"loop{suffix}")
    (root / f"ping{suffix}").symlink_to(f"pong{suffix}")
    (root / f"pong{suffix}").symlink_to(f"ping{suffix}")
    (root / "again").symlink_to(".")  # a link to the folder itself
    (root / f"outside{suffix}").symlink_to(outside)
    os.mkfifo(root / f"pipe{suffix}")
    (root / f"folder{suffix}").mkdir()  # a directory named like a file: walked, holds nothing
    (root / f"empty{suffix}").write_bytes(b"")
    sparse(root / f"huge{suffix}")
    (root / f"locked{suffix}").write_bytes((root / f"good0{suffix}").read_bytes())


def sparse(path: Path, size: int = SPARSE_BYTES) -> Path:
    """A file of ``size`` bytes that uses no disk."""
    with open(path, "wb") as f:
        f.truncate(size)
    return path


@pytest.fixture
def watched_open(monkeypatch):
    """``open`` records every path opened for reading, and refuses to read any file named ``locked.*``
    (the tests may run as root, where ``chmod 000`` would not stop them)."""
    real_open = builtins.open
    opened: list[str] = []

    def guarded(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)):
            name = os.fsdecode(file)
            if not set(args[0] if args else kwargs.get("mode", "r")) & set("wax+"):
                opened.append(name)
                if Path(name).name.startswith("locked."):
                    raise PermissionError(13, "Permission denied", name)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    monkeypatch.setattr(io, "open", guarded)
    return opened


def refused_unread(modality: Any, config: dict, folder: Path, suffixes: tuple[str, ...], too_large: str,
                   opened: list[str]) -> None:
    """``vaekit interpolate RUN a b`` and friends, one named file: a 2 GB sparse file of each of ``suffixes``
    is refused with ``too_large`` in its message and never opened (``opened``: from ``watched_open``);
    a FIFO named like the first suffix is refused as not a regular file, never opened (that would block
    until something writes to it)."""
    import re

    for suffix in suffixes:
        huge = sparse(folder / f"huge{suffix}")
        with pytest.raises(VaekitError, match=re.escape(too_large)):
            handler_of(modality, config).read(huge, config)
    assert not [p for p in opened if "huge" in p]
    os.mkfifo(folder / f"pipe{suffixes[0]}")
    with alarm(30):
        with pytest.raises(VaekitError, match="not a regular file"):
            handler_of(modality, config).read(folder / f"pipe{suffixes[0]}", config)


def one_summary(err: str) -> str:
    """The one line of ``err`` that counts the skipped files."""
    lines = [line for line in err.splitlines() if "skipped" in line]
    assert len(lines) == 1, err
    return lines[0]


# ---- fuzzing readers ---------------------------------------------------------------------------

#: 32-bit lengths that a chunk header may be forged to declare.
FORGED_LENGTHS = [b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\0\0\0\0", b"\0\0\0\1"]


def quick(max_examples: int):
    """Hypothesis settings for examples that read files: no deadline, and function-scoped fixtures
    (``tmp_path``) shared by the examples."""
    from hypothesis import HealthCheck, settings

    return settings(max_examples=max_examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def mutated(seeds: dict[str, bytes]):
    """A strategy of ``(suffix, bytes)``: a seed file with a few byte-level edits (overwrite, cut,
    insert, or a forged 32-bit length)."""
    from hypothesis import strategies as st

    @st.composite
    def edits(draw):
        suffix = draw(st.sampled_from(sorted(seeds)))
        data = bytearray(seeds[suffix])
        for _ in range(draw(st.integers(1, 6))):
            at = draw(st.integers(0, max(0, len(data) - 1)))
            kind = draw(st.sampled_from(["set", "set", "cut", "insert", "length"]))
            if kind == "set" and data:
                data[at] = draw(st.integers(0, 255))
            elif kind == "cut":
                del data[draw(st.integers(0, len(data))):]
            elif kind == "insert":
                data[at:at] = draw(st.binary(min_size=1, max_size=8))
            elif kind == "length":
                data[at:at + 4] = draw(st.sampled_from(FORGED_LENGTHS))
        return suffix, bytes(data)

    return edits()


def read_fuzzed(modality: Any, config: dict, path: Path, data: bytes, seconds: float = 10) -> Any:
    """Write ``data`` to ``path`` and read it with ``modality.read`` under an alarm of ``seconds``: the
    tensor read, or the ``VaekitError`` raised (any other exception propagates)."""
    path.write_bytes(data)
    try:
        with alarm(seconds):
            return handler_of(modality, config).read(path, config)
    except VaekitError as e:
        return e


_ADDRESS_LIMITED = """
import json, resource, sys
from pathlib import Path
from vaekit import VaekitError, plugins
from vaekit.config import build
from vaekit.modality import handler_of
modality = plugins.get_modality(sys.argv[1])
config = build(modality, sys.argv[2], overrides=json.loads(sys.argv[3]))
handler = handler_of(modality, config)
handler.read(Path(sys.argv[4]), config)  # a good file first: every lazy import happens before the limit
size = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
cap = size + {headroom}
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
for name in sys.argv[5:]:
    try:
        handler.read(Path(name), config)
        print(name, "loaded")
    except VaekitError as e:
        print(name, "refused:", e)
"""


def read_under_address_limit(modality: str, preset: str, good: Path, files: list[Path], overrides: tuple = (),
                             headroom: int = 256 * 2**20, cwd: Path | None = None) -> str:
    """Read ``files`` with the installed modality ``modality`` (its ``preset``, with ``overrides``) in a
    fresh process whose address space may grow by ``headroom`` at most after reading the ``good`` file,
    so that a large allocation fails loudly (MemoryError) even where the kernel would overcommit. The
    process's output: a line a file, ``NAME loaded`` or ``NAME refused: MESSAGE``."""
    script = _ADDRESS_LIMITED.replace("{headroom}", str(int(headroom)))
    done = subprocess.run([sys.executable, "-c", script, modality, preset, json.dumps(list(overrides)), str(good),
                           *map(str, files)], capture_output=True, text=True, timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


# ---- every preset ------------------------------------------------------------------------------

#: Small widths for whichever of these keys a preset has, so that every preset's shapes check in seconds.
TINY = {"model.latent_dim": 8, "model.embed": 8, "model.encoder_hidden": 16, "model.decoder_hidden": 16,
        "model.conductor_hidden": 16, "model.hidden": 16, "model.widths": [8, 16], "model.bf16": False}

_models: dict[tuple, Any] = {}


def tiny_model(modality: Any, preset: str, needs: tuple[str, ...] = (), tiny: dict[str, Any] | None = None):
    """The preset's model in eval mode, with ``needs`` (overrides that make it buildable without data)
    and the ``tiny`` sizes (default ``TINY``) of the keys it has; built once per modality and preset."""
    import torch

    from vaekit.config import build, keys

    key = (modality.name, preset, tuple(needs))
    if key not in _models:
        have = keys(build(modality, preset, overrides=list(needs)))
        small = [f"{k}={json.dumps(v)}" for k, v in (TINY if tiny is None else tiny).items() if k in have]
        torch.manual_seed(0)
        config = build(modality, preset, overrides=[*needs, *small])
        _models[key] = handler_of(modality, config).build_model(config).eval()
    return _models[key]


def shape_examples(test: Callable) -> Callable:
    """Hypothesis draws for :func:`check_encode_decode`: ``batch``, ``temperature`` and ``seed``, 3 examples."""
    from hypothesis import given
    from hypothesis import strategies as st

    drawn = given(batch=st.integers(1, 3), temperature=st.sampled_from([0.0, 0.5, 1.0]), seed=st.integers(0, 2**16))
    return quick(3)(drawn(test))


def check_encode_decode(model: Any, batch: int, temperature: float, seed: int) -> None:
    """Samples are valid inputs: encoding them gives (B, D) means and log-variances, decoding the means
    gives outputs of the inputs' shape, in both the greedy and the sampling decoder."""
    import torch

    with torch_threads(1):
        x = model.sample(batch, temperature, generator=torch.Generator().manual_seed(seed))
        assert len(x) == batch
        mu, logvar = model.encode(x)
        assert mu.shape == logvar.shape == (batch, model.latent_dim)
        assert torch.isfinite(mu).all() and torch.isfinite(logvar).all()
        for t in sorted({0.0, temperature}):
            assert model.decode(mu, t).shape == x.shape
        out = model(x, x)
        assert out.log_px.shape == (batch,) and out.kl.shape == (batch, model.latent_dim)


# ---- vaekit serve ------------------------------------------------------------------------------


@contextlib.contextmanager
def installed_plugins(cache: Path) -> Iterator[None]:
    """Every installed plugin (no ``VAEKIT_LOAD_PLUGINS`` filter) and a private ``VAEKIT_CACHE``, for
    module-scoped fixtures that train runs."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAEKIT_CACHE", str(cache))
        mp.delenv("VAEKIT_LOAD_PLUGINS", raising=False)
        yield


def studio_client(given: list[str], runs_dir: Path | None = None) -> Any:
    """FastAPI's test client of ``vaekit serve``'s application over the runs ``given`` and those in
    ``runs_dir`` (needs the ``serve`` extra and httpx); use it as a context manager."""
    from fastapi.testclient import TestClient

    from vaekit.server.app import create_app
    from vaekit.server.models import collect

    return TestClient(create_app(collect(given, runs_dir)))
