"""Core tests run against plugins registered in-process (the example ``vectors`` modality), never
against whatever happens to be installed."""

from __future__ import annotations

import importlib

import pytest

from vaekit import plugins
from vaekit.testing import watched_open, within  # noqa: F401  (fixtures)


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
