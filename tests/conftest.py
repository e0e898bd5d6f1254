"""Core tests run against plugins registered in-process (the example ``vectors`` modality), never
against whatever happens to be installed."""

from __future__ import annotations

import importlib

import pytest

from vaekit import plugins


@pytest.fixture
def isolated_plugins(monkeypatch, tmp_path):
    """A fresh plugin manager with no entry points loaded; tests register what they need."""
    monkeypatch.setattr(plugins, "pm", plugins.new_manager())
    monkeypatch.setattr(plugins, "_loaded", True)
    monkeypatch.setattr(plugins, "errors", {})
    monkeypatch.setattr(plugins, "versions", {})
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))
    return plugins.pm


@pytest.fixture
def vectors(isolated_plugins):
    """The example plugin's modality, registered in-process."""
    isolated_plugins.register(importlib.import_module("vaekit_vectors.plugin"), name="vectors")
    return plugins.get_modality("vectors")
