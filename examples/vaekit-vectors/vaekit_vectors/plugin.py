"""The entry point vaekit loads. Keep it light: no torch at import time."""

import vaekit
from vaekit_vectors.modality import VectorsModality


@vaekit.hookimpl
def register_modalities(register):
    register(VectorsModality())


@vaekit.hookimpl
def register_web(register):
    """The studio's vectors page (``vaekit serve``): static files in ``web/``, served at /web/vectors/."""
    from pathlib import Path

    register("vectors", Path(__file__).parent / "web")
