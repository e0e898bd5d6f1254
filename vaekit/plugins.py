"""The plugin manager and the registry: plugins come from the entry-point group ``vaekit``; what they
register (modalities, shipped models, web pages, makers) is collected once into one ``Registry``. A plugin that
fails to import, or whose hook raises, is recorded in ``errors``, reported by ``vaekit plugins`` and never
breaks the others. ``VAEKIT_LOAD_PLUGINS=a,b`` loads only those (empty: none).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from vaekit import hookspecs
from vaekit.errors import VaekitError
from vaekit.hookspecs import PLUGIN_API
from vaekit.modality import Modality

if TYPE_CHECKING:
    from vaekit.makers import Maker
    from vaekit.shipped import ShippedModel


def new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager("vaekit")
    manager.add_hookspecs(hookspecs)
    return manager


pm = new_manager()

#: plugin name -> error text, for plugins that failed to load or whose hooks raised.
errors: dict[str, str] = {}
#: plugin name -> distribution version.
versions: dict[str, str] = {}
_loaded = False


def load_plugins() -> None:
    """Import and register every installed plugin once."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    wanted = os.environ.get("VAEKIT_LOAD_PLUGINS")
    allow = None if wanted is None else {name.strip() for name in wanted.split(",") if name.strip()}
    for ep in entry_points(group="vaekit"):
        if allow is not None and ep.name not in allow:
            continue
        if ep.dist is not None:
            versions[ep.name] = ep.dist.version
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as e:  # a broken plugin must not break the rest
            errors[ep.name] = f"failed to load: {type(e).__name__}: {e}"


def call_each(hook_name: str, **kwargs: Any) -> None:
    """Call one hook plugin by plugin, so that one that raises is isolated and recorded in ``errors``.
    The one place that calls hooks."""
    load_plugins()
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        try:
            impl.function(**kwargs)
        except Exception as e:  # a broken plugin must not break the rest
            errors[impl.plugin_name] = f"{hook_name} raised {type(e).__name__}: {e}"


def registered(hook_name: str) -> list[tuple[str, tuple]]:
    """What each plugin passed to ``register(...)`` in a ``register_*`` hook: ``(plugin name, args)``
    in call order; a plugin whose hook raised contributes nothing."""
    found: dict[str, list[tuple]] = {}
    load_plugins()
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        calls: list[tuple] = []
        try:
            impl.function(register=lambda *args, into=calls: into.append(args))
        except Exception as e:
            errors[impl.plugin_name] = f"{hook_name} raised {type(e).__name__}: {e}"
            continue
        found[impl.plugin_name] = calls
    return [(plugin, args) for plugin, calls in found.items() for args in calls]


@dataclass
class Registry:
    """Everything the loaded plugins registered, collected once (``registry()``): modalities by name and
    by plugin, the folders of shipped models (read into ``models`` when first asked), web pages and makers."""

    by_plugin: dict[str, list[Modality]] = field(default_factory=dict)
    modalities: dict[str, Modality] = field(default_factory=dict)
    model_folders: list[tuple[str, Path]] = field(default_factory=list)
    pages: dict[str, Path] = field(default_factory=dict)
    makers: dict[str, Maker] = field(default_factory=dict)

    @cached_property
    def models(self) -> dict[str, ShippedModel]:
        """Every shipped model by name (the first plugin to register a name wins)."""
        from vaekit.shipped import read_models

        return read_models(self.model_folders)


_registry: tuple[tuple, Registry] | None = None


def registry() -> Registry:
    """The registry of the plugins loaded now; collected again only when a plugin is registered or
    unregistered in-process (tests) or the manager is replaced."""
    global _registry
    load_plugins()
    key = (id(pm), tuple(sorted(id(plugin) for plugin in pm.get_plugins())))
    if _registry is None or _registry[0] != key:
        _registry = (key, collect())
    return _registry[1]


def collect() -> Registry:
    found = Registry()
    for plugin, (modality,) in registered("register_modalities"):
        declared = getattr(modality, "plugin_api", None)
        if declared != PLUGIN_API:
            built = "declares no plugin_api" if declared is None else f"was built for plugin API {declared}"
            errors[plugin] = f"modality {modality.name!r} {built}, this vaekit has {PLUGIN_API}"
            continue
        if modality.name in found.modalities:
            errors[plugin] = f"modality {modality.name!r} is already registered by another plugin"
            continue
        found.by_plugin.setdefault(plugin, []).append(modality)
        found.modalities[modality.name] = modality
    found.model_folders = [(plugin, Path(folder)) for plugin, (folder,) in registered("register_models")]
    for _, (modality, folder) in registered("register_web"):
        found.pages.setdefault(modality, Path(folder))
    for plugin, (maker,) in registered("register_makers"):
        if maker.name in found.makers:
            errors[plugin] = f"maker {maker.name!r} is already registered by another plugin"
            continue
        found.makers[maker.name] = maker
    return found


def modalities() -> dict[str, Modality]:
    """Every registered modality by name (the first plugin to register a name wins)."""
    return registry().modalities


def get_modality(name: str) -> Modality:
    available = modalities()
    if name not in available:
        have = ", ".join(sorted(available)) or "none"
        raise VaekitError(
            f"modality {name!r} is not installed (installed: {have}); "
            f"try `vaekit install vaekit-{name}` or see `vaekit plugins`"
        )
    return available[name]


def register_commands(cli: Any) -> None:
    call_each("register_commands", cli=cli)


def plugin_info() -> list[dict[str, Any]]:
    """Name, version, hooks, modalities and error of every plugin, loaded or not."""
    mods = registry().by_plugin
    names = sorted({name for name, _ in pm.list_name_plugin() if name} | set(errors))
    info = []
    for name in names:
        plugin = pm.get_plugin(name)
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin)) if plugin is not None else []
        info.append({
            "name": name,
            "version": versions.get(name),
            "hooks": hooks,
            "modalities": [m.name for m in mods.get(name, [])],
            "descriptions": {m.name: m.description for m in mods.get(name, [])},
            "error": errors.get(name),
        })
    return info
