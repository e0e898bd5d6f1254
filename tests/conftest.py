"""Core tests run against plugins registered in-process (the example ``vectors`` modality), never
against whatever happens to be installed."""

from __future__ import annotations

import contextlib
import importlib
import signal

import pytest

from vaekit import plugins


def isolate(mp: pytest.MonkeyPatch, cache) -> None:
    """A fresh plugin manager with no entry points loaded; tests register what they need."""
    mp.setattr(plugins, "pm", plugins.new_manager())
    mp.setattr(plugins, "_loaded", True)
    mp.setattr(plugins, "errors", {})
    mp.setattr(plugins, "versions", {})
    mp.setenv("VAEKIT_CACHE", str(cache))


def register_vectors() -> None:
    plugins.pm.register(importlib.import_module("vaekit_vectors.plugin"), name="vectors")


@pytest.fixture
def isolated_plugins(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path / "cache")
    return plugins.pm


@pytest.fixture
def vectors(isolated_plugins):
    """The example plugin's modality, registered in-process."""
    register_vectors()
    return plugins.get_modality("vectors")


@contextlib.contextmanager
def _alarm(seconds: float, why: str = ""):
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
    return _alarm
