"""Entry point of the ``vaekit`` plugin group: registers the MIDI modality (imports nothing heavy)."""

import vaekit
from vaekit_midi.modality import MidiModality


@vaekit.hookimpl
def register_modalities(register):
    register(MidiModality())


@vaekit.hookimpl
def register_models(register):
    """The models shipped trained in ``models/`` (see ``benchmarks/shipping/shipped_midi.py``)."""
    from pathlib import Path

    for card in sorted((Path(__file__).parent / "models").glob("*/card.json")):
        register(card.parent)


@vaekit.hookimpl
def register_commands(cli):
    from vaekit_midi import commands, groove_commands

    commands.register(cli)
    groove_commands.register(cli)


@vaekit.hookimpl
def register_web(register):
    """The studio's melody page (``vaekit serve``): static files in ``web/``."""
    from pathlib import Path

    register("midi", Path(__file__).parent / "web")


@vaekit.hookimpl
def register_makers(register):
    """``compose`` in the studio: the shipped composer's songs, decoded by mel_2bar."""
    from vaekit_midi.compose_maker import ComposeMaker

    register(ComposeMaker())
