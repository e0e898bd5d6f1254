"""Shipped models: a plugin registers trained run directories with cards; `vaekit models` lists them,
and a name works wherever a run directory does, in every verb (a path that exists wins)."""

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

import vaekit
from vaekit import plugins
from vaekit.cli import cli

from .conftest import isolate, register_vectors

CARD = {"name": "waves_small", "description": "a tiny model of the generated waves", "data": "waves",
        "heldout": {"waves": {"mse": 0.01}}}


@pytest.fixture(scope="module")
def shipped_folder(tmp_path_factory):
    """A short vectors run, turned into a model a plugin ships: its run files and a card."""
    tmp = tmp_path_factory.mktemp("shipped")
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, tmp / "cache")
        register_vectors()
        vaekit.train("vectors", overrides=["data.items=200"], steps=20, out=tmp / "run", progress=False)
        folder = tmp / "package" / "models" / "waves_small"
        folder.mkdir(parents=True)
        for name in ("config.json", "model.safetensors"):
            shutil.copy(tmp / "run" / name, folder / name)
        (folder / "card.json").write_text(json.dumps(CARD))
        yield folder


class ShippingPlugin:
    def __init__(self, *folders):
        self.folders = folders

    @vaekit.hookimpl
    def register_models(self, register):
        for folder in self.folders:
            register(folder)


@pytest.fixture
def shipped(vectors, shipped_folder, isolated_plugins, tmp_path, monkeypatch):
    isolated_plugins.register(ShippingPlugin(shipped_folder), name="shipping")
    monkeypatch.chdir(tmp_path)  # a relative name must not find some folder of the test runner's
    return shipped_folder


def _run(*args, code=0):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result.output


def test_models_lists_the_shipped_models(shipped):
    out = _run("models")
    assert out.startswith("waves_small  vectors / mlp, ") and "trained on waves" in out
    assert "held-out waves: mse 0.010" in out
    (card,) = json.loads(_run("models", "--json"))
    assert {k: card[k] for k in ("name", "modality", "preset", "data", "plugin")} == {
        "name": "waves_small", "modality": "vectors", "preset": "mlp", "data": "waves", "plugin": "shipping"}
    assert 0 < card["size_mb"] < 1 and card["heldout"] == CARD["heldout"]


def test_a_name_works_in_every_verb(shipped, tmp_path):
    np.save(tmp_path / "a.npy", np.sin(np.linspace(0, 3, 32))[None].astype(np.float32))
    np.save(tmp_path / "b.npy", np.cos(np.linspace(0, 3, 32))[None].astype(np.float32))
    _run("generate", "waves_small", "-n", "2", "--out", tmp_path / "gen")
    assert len(list((tmp_path / "gen").iterdir())) == 2
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    _run("interpolate", "waves_small", a, b, "--steps", "3", "--out", tmp_path / "mix")
    _run("reconstruct", "waves_small", tmp_path / "a.npy", "--out", tmp_path / "rec")
    _run("encode", "waves_small", tmp_path / "a.npy", tmp_path / "b.npy", "--out", tmp_path / "z.npz")
    assert np.load(tmp_path / "z.npz")["z"].shape[0] == 2
    assert json.loads(_run("evaluate", "waves_small", "--json", "-k", "0"))["items"] > 0
    assert "vectors / mlp" in _run("info", "waves_small")
    assert vaekit.load("waves_small").run_dir == shipped


def test_fine_tuning_from_a_name(shipped, tmp_path):
    _run("train", "--init-from", "waves_small", "--steps", "5", "--out", tmp_path / "tuned", "--no-progress")
    assert (tmp_path / "tuned" / "model.safetensors").exists()
    assert not (shipped / "metrics.jsonl").exists()  # the shipped folder is read, never written


def test_a_path_that_exists_wins_over_a_name(shipped, tmp_path):
    (tmp_path / "waves_small").mkdir()  # a folder of that name, not a run
    out = _run("generate", "waves_small", "--out", tmp_path / "gen", code=2)
    assert "waves_small: not a vaekit run directory" in out


def test_an_unknown_name_is_one_line_naming_the_known_ones(shipped, tmp_path):
    out = _run("generate", "no_such_model", "--out", tmp_path / "gen", code=2)
    assert out.strip() == ("Error: no_such_model: no such run directory, and no shipped model of that name "
                           "(shipped: waves_small)")
    with pytest.raises(vaekit.VaekitError, match="shipped: waves_small"):
        vaekit.load("no_such_model")


def test_a_card_that_cannot_be_read_is_reported(vectors, isolated_plugins, tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "card.json").write_text("{not json")
    isolated_plugins.register(ShippingPlugin(tmp_path / "broken"), name="shipping")
    assert vaekit.shipped_models() == {}
    assert "unreadable card.json" in plugins.errors["shipping"]
