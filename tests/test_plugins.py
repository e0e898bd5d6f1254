"""The plugin contract: entry points, isolation of broken plugins, VAEKIT_LOAD_PLUGINS."""

import json
import subprocess
import sys
import types

import pytest
from click.testing import CliRunner

import vaekit
from vaekit import plugins
from vaekit.cli import cli


class FakeEntryPoint:
    def __init__(self, name, load):
        self.name, self._load, self.dist = name, load, types.SimpleNamespace(version="9.9")

    def load(self):
        return self._load()


def _broken_import():
    raise ImportError("No module named 'tensorflow'")


def test_a_plugin_that_fails_to_import_is_reported_and_breaks_nothing(monkeypatch, isolated_plugins):
    from importlib import import_module

    eps = [FakeEntryPoint("broken", _broken_import),
           FakeEntryPoint("vectors", lambda: import_module("vaekit_vectors.plugin"))]
    monkeypatch.setattr(plugins, "entry_points", lambda group: eps)
    monkeypatch.setattr(plugins, "_loaded", False)
    result = CliRunner().invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    info = {p["name"]: p for p in json.loads(result.output)}
    assert "ImportError: No module named 'tensorflow'" in info["broken"]["error"]
    assert info["vectors"]["modalities"] == ["vectors"] and info["vectors"]["error"] is None
    assert info["vectors"]["version"] == "9.9" and info["vectors"]["hooks"] == ["register_modalities", "register_web"]


def test_vaekit_load_plugins_limits_what_loads(monkeypatch, isolated_plugins):
    loaded = []
    eps = [FakeEntryPoint(n, lambda n=n: loaded.append(n) or types.SimpleNamespace()) for n in ("a", "b", "c")]
    monkeypatch.setattr(plugins, "entry_points", lambda group: eps)
    monkeypatch.setattr(plugins, "_loaded", False)
    monkeypatch.setenv("VAEKIT_LOAD_PLUGINS", "a, c")
    plugins.load_plugins()
    assert loaded == ["a", "c"]
    monkeypatch.setattr(plugins, "_loaded", False)
    monkeypatch.setenv("VAEKIT_LOAD_PLUGINS", "")
    loaded.clear()
    plugins.load_plugins()
    assert loaded == []


class RaisingPlugin:
    @vaekit.hookimpl
    def register_modalities(self, register):
        raise RuntimeError("boom")

    @vaekit.hookimpl
    def register_commands(self, cli):
        raise RuntimeError("bang")


class OldPlugin:
    @vaekit.hookimpl
    def register_modalities(self, register):
        from vaekit_vectors.modality import VectorsModality

        modality = VectorsModality()
        modality.name, modality.plugin_api = "old", 0
        register(modality)


def test_a_plugin_whose_hooks_raise_is_isolated(vectors, isolated_plugins):
    isolated_plugins.register(RaisingPlugin(), name="raising")
    assert set(plugins.modalities()) == {"vectors"}
    plugins.register_commands(cli)
    info = {p["name"]: p for p in plugins.plugin_info()}
    assert "RuntimeError: boom" in info["raising"]["error"] or "RuntimeError: bang" in info["raising"]["error"]
    assert info["vectors"]["error"] is None


def test_a_plugin_api_mismatch_is_reported_not_a_crash(vectors, isolated_plugins):
    isolated_plugins.register(OldPlugin(), name="old")
    assert "old" not in plugins.modalities()
    info = {p["name"]: p for p in plugins.plugin_info()}
    assert "built for plugin API 0" in info["old"]["error"]


def test_a_modality_that_declares_no_plugin_api_is_reported(isolated_plugins):
    class Undeclared(vaekit.Modality):
        name = "undeclared"

        presets = load_dataset = build_model = read = write = None  # never called: it is refused first

    class UndeclaredPlugin:
        @vaekit.hookimpl
        def register_modalities(self, register):
            register(Undeclared())

    isolated_plugins.register(UndeclaredPlugin(), name="undeclared")
    assert "undeclared" not in plugins.modalities()
    info = {p["name"]: p for p in plugins.plugin_info()}
    assert "modality 'undeclared' declares no plugin_api" in info["undeclared"]["error"]


class CountingPlugin:
    """Registers the example's modality, a web page and no models, counting each hook call."""

    def __init__(self):
        self.calls = []

    @vaekit.hookimpl
    def register_modalities(self, register):
        from vaekit_vectors.modality import VectorsModality

        self.calls.append("modalities")
        register(VectorsModality())

    @vaekit.hookimpl
    def register_web(self, register):
        self.calls.append("web")
        register("vectors", "/nowhere")


def test_the_registry_collects_each_hook_once_until_a_plugin_comes_or_goes(isolated_plugins):
    from vaekit import shipped

    counting = CountingPlugin()
    plugins.pm.register(counting, name="counting")
    for _ in range(3):
        assert list(plugins.modalities()) == ["vectors"] and plugins.get_modality("vectors").name == "vectors"
        assert shipped.models() == {} and str(plugins.registry().pages["vectors"]) == "/nowhere"
    assert counting.calls == ["modalities", "web"]
    plugins.pm.register(RaisingPlugin(), name="raising")
    assert "vectors" in plugins.modalities() and counting.calls == ["modalities", "web"] * 2
    assert "raising" in plugins.errors
    plugins.pm.unregister(name="raising")
    plugins.modalities()
    assert counting.calls == ["modalities", "web"] * 3


def test_plugins_shows_each_modality_description(vectors):
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0, result.output
    assert f"  vectors: {vectors.description}" in result.output


def test_plugins_add_commands(isolated_plugins):
    import click

    class CommandPlugin:
        @vaekit.hookimpl
        def register_commands(self, cli):
            @cli.command(name="hello-test")
            def hello():
                click.echo("hi from a plugin")

    isolated_plugins.register(CommandPlugin(), name="cmd")
    group = click.Group(commands=dict(cli.commands))
    plugins.register_commands(group)
    assert CliRunner().invoke(group, ["hello-test"]).output == "hi from a plugin\n"


def test_help_is_fast_and_imports_no_torch():
    code = ("import sys; from vaekit.cli import cli; cli(['--help'], standalone_mode=False); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False")


@pytest.mark.parametrize("args", [["--version"], ["plugins"]])
def test_installed_example_plugin_works_like_ours(args):
    """The example plugin, installed with pip as a stranger's would be, through the real entry point."""
    out = subprocess.run([sys.executable, "-m", "vaekit", *args], capture_output=True, text=True, check=True).stdout
    assert "vectors 0.1.0" in out


def test_install_and_uninstall_run_pip_in_this_environment(monkeypatch):
    calls = []
    monkeypatch.setattr("vaekit.cli.subprocess.call", lambda cmd: calls.append(cmd) or 0)
    runner = CliRunner()
    assert runner.invoke(cli, ["install", "-e", "examples/vaekit-vectors"]).exit_code == 0
    assert runner.invoke(cli, ["uninstall", "-y", "vaekit-vectors"]).exit_code == 0
    assert calls == [[sys.executable, "-m", "pip", "install", "-e", "examples/vaekit-vectors"],
                     [sys.executable, "-m", "pip", "uninstall", "vaekit-vectors", "-y"]]
    monkeypatch.setattr("vaekit.cli.subprocess.call", lambda cmd: 1)
    result = runner.invoke(cli, ["install", "vaekit-nothing"])
    assert result.exit_code == 2 and "pip install vaekit-nothing failed" in result.output
