import pytest
from vaekit_image.modality import ImageModality

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
