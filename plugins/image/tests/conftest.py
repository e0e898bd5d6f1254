import pytest
from click.testing import CliRunner
from vaekit_image.modality import ImageModality

from vaekit import plugins
from vaekit.config import CORE_DEFAULTS, merge
from vaekit.testing import flat_peak_memory, watched_open, within  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def modality():
    return ImageModality()


@pytest.fixture
def config_of(modality):
    """The full config of a preset, with optional dotted overrides."""

    def make(preset="conv", **over):
        config = merge(CORE_DEFAULTS, modality.presets()[preset])
        for dotted, value in over.items():
            node = config
            *parents, last = dotted.split("__")
            for part in parents:
                node = node[part]
            assert last in node, dotted
            node[last] = value
        return config

    return make


@pytest.fixture
def vaekit(monkeypatch, tmp_path):
    """The CLI with the installed image plugin alone, run in ``tmp_path``: ``vaekit(*args, code=0)``."""
    monkeypatch.setenv("VAEKIT_LOAD_PLUGINS", "image")
    monkeypatch.setattr(plugins, "pm", plugins.new_manager())
    monkeypatch.setattr(plugins, "_loaded", False)
    monkeypatch.setattr(plugins, "errors", {})
    monkeypatch.setattr(plugins, "versions", {})
    from vaekit_image.commands import plot

    from vaekit.cli import cli

    plugins.load_plugins()
    assert "image" in plugins.modalities(), plugins.errors
    monkeypatch.setitem(cli.commands, "plot", plot)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args, code=0):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result.output

    return run
