"""Entry point of the ``vaekit-image`` plugin (kept light: no torch or matplotlib at import)."""

import vaekit
from vaekit_image.modality import ImageModality


@vaekit.hookimpl
def register_modalities(register):
    register(ImageModality())


@vaekit.hookimpl
def register_commands(cli):
    from vaekit_image.commands import plot

    cli.add_command(plot)


@vaekit.hookimpl
def register_models(register):
    """The models shipped trained in ``models/`` (see ``benchmarks/shipping/shipped_image.py``)."""
    from pathlib import Path

    for card in sorted((Path(__file__).parent / "models").glob("*/card.json")):
        register(card.parent)


@vaekit.hookimpl
def register_web(register):
    """The studio's image page (``vaekit serve``): static files in ``web/``."""
    from pathlib import Path

    register("image", Path(__file__).parent / "web")
