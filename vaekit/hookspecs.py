"""The plugin contract. A plugin implements one or both hooks with ``@vaekit.hookimpl``."""

import pluggy

#: The plugin API this vaekit speaks. Each modality declares the one it was written for
#: (``plugin_api = 2`` in its class); ``vaekit plugins`` reports one that differs or declares none.
#: 2: a modality hands the core a ``Handler`` per config, and ``load_dataset`` returns ``Data``.
PLUGIN_API = 2

hookspec = pluggy.HookspecMarker("vaekit")
hookimpl = pluggy.HookimplMarker("vaekit")


@hookspec
def register_modalities(register):
    """Call ``register(modality)`` with a ``vaekit.Modality`` instance for each modality supplied."""


@hookspec
def register_commands(cli):
    """Add click commands to the ``vaekit`` group."""


@hookspec
def register_models(register):
    """Call ``register(folder)`` for each trained model the plugin ships: a run directory inside its
    package (``config.json``, ``model.safetensors``) with a ``card.json`` (name, description, training
    data, held-out figures). ``vaekit models`` lists them, and their names work wherever a run does. A
    model that is no run (the MIDI plugin's composer, a prior over another model's codes) is a folder
    whose card also names its ``modality``, ``preset``, ``weights`` file and how to ``use`` it."""


@hookspec
def register_web(register):
    """Call ``register(modality_name, folder)`` with a folder of static files (``index.html``, CSS, JS
    modules) that ``vaekit serve`` serves at ``/web/MODALITY/``: the modality's page, which uses only the
    HTTP API."""


@hookspec
def register_makers(register):
    """Call ``register(maker)`` with a ``vaekit.makers.Maker`` for each thing the plugin makes from a few
    options alone on a shipped model (the MIDI plugin's composer writes songs of ``mel_2bar``'s melodies):
    ``vaekit serve`` answers it at ``POST /api/make/NAME`` and links its page."""
