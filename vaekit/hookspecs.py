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
    data, held-out figures). ``vaekit models`` lists them, and their names work wherever a run does."""


@hookspec
def register_web(register):
    """Call ``register(modality_name, folder)`` with a folder of static files (``index.html``, CSS, JS
    modules) that ``vaekit serve`` serves at ``/web/MODALITY/``: the modality's page, which uses only the
    HTTP API."""
