"""The plugin contract. A plugin implements one or both hooks with ``@vaekit.hookimpl``."""

import pluggy

hookspec = pluggy.HookspecMarker("vaekit")
hookimpl = pluggy.HookimplMarker("vaekit")


@hookspec
def register_modalities(register):
    """Call ``register(modality)`` with a ``vaekit.Modality`` instance for each modality supplied."""


@hookspec
def register_commands(cli):
    """Add click commands to the ``vaekit`` group."""
