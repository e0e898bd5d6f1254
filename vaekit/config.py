"""Run configs: core defaults, then the modality's preset, then a TOML file, then ``--set`` overrides.

A config is a nested dict; keys are addressed with dots (``train.lr``). Every key a user sets must
exist in the defaults or the preset, so a typo is an error rather than a silent no-op.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vaekit.errors import VaekitError

Config = dict[str, Any]

#: The version of the config layout that new runs are saved with. ``migrate`` brings a run saved with an
#: older one up to date when it is opened; raise it whenever a key is added that old runs lack.
CONFIG_VERSION = 2

CORE_DEFAULTS: Config = {
    "config_version": CONFIG_VERSION,
    "data": {"source": "", "val_fraction": 0.1},
    "model": {"latent_dim": 16, "variational": True},
    "loss": {
        "beta": 1.0,
        "beta_schedule": "constant",  # constant | linear | musicvae | cyclical
        "beta_warmup_steps": 0,
        "beta_rate": 0.99999,
        "beta_cycle_steps": 1000,
        "free_bits": 0.0,  # in bits, over the total KL (MusicVAE) or per dimension
        "free_bits_per_dim": False,
    },
    "train": {
        "batch_size": 64,
        "lr": 1e-3,
        "lr_decay": 1.0,  # lr = (lr - lr_min) * lr_decay**step + lr_min
        "lr_min": 1e-5,
        "grad_clip": 1.0,
        "steps": None,
        "epochs": None,
        "time_limit": None,  # "15m", "90s", "1h"
        "eval_every": 500,
        "eval_batches": 20,
        "best_metric": "elbo",  # the validation value (higher is better) that picks model.safetensors
        "log_every": 50,
        "checkpoint_seconds": 60,
        "seed": 0,
    },
    # how far from the prior's centres generate draws z: 1 draws the prior as fitted (see vaekit.prior.draw)
    "generate": {"spread": 1.0},
}


def merge(base: Config, over: Config) -> Config:
    """A deep copy of ``base`` with ``over`` merged into it, nested dicts key by key."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_value(text: str) -> Any:
    """``--set`` values: JSON where it parses (numbers, true/false, null, lists), else a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def keys(config: Config, prefix: str = "") -> dict[str, Any]:
    """Flatten to dotted keys: ``{"train.lr": 0.001, ...}``."""
    flat = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(keys(value, name + "."))
        else:
            flat[name] = value
    return flat


def set_key(config: Config, dotted: str, value: Any) -> None:
    """Set an existing dotted key, refusing unknown ones with the closest names."""
    known = keys(config)
    if dotted not in known:
        hint = [k for k in known if k.split(".")[-1] == dotted.split(".")[-1]] or sorted(known)
        raise VaekitError(f"unknown config key {dotted!r}; known keys include: {', '.join(hint[:12])}")
    node = config
    *parents, last = dotted.split(".")
    for part in parents:
        node = node[part]
    node[last] = value


def apply_overrides(config: Config, overrides: Config | list[str], origin: str = "--set") -> None:
    """Apply a TOML table (nested dict) or ``key=value`` strings on top of ``config``."""
    if isinstance(overrides, dict):
        for dotted, value in keys(overrides).items():
            set_key(config, dotted, value)
        return
    for item in overrides:
        if "=" not in item:
            raise VaekitError(f"{origin} {item!r}: expected key=value")
        key, value = item.split("=", 1)
        set_key(config, key.strip(), parse_value(value.strip()))


def read_toml(path: Path) -> Config:
    try:
        return tomllib.loads(path.read_text())
    except OSError as e:
        raise VaekitError(f"{path}: cannot read config file ({e.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise VaekitError(f"{path}: not valid TOML ({e})") from None


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)?\s*$")


def parse_duration(text: str | float | int | None) -> float | None:
    """Seconds from ``"90s"``, ``"15m"``, ``"1.5h"`` or a bare number of seconds."""
    if text is None or isinstance(text, (int, float)):
        return None if text is None else float(text)
    match = _DURATION.match(text)
    if not match:
        raise VaekitError(f"cannot read time limit {text!r}; write e.g. 90s, 15m or 1h")
    unit = {"s": 1, "sec": 1, None: 1, "m": 60, "min": 60, "h": 3600}[match.group(2)]
    return float(match.group(1)) * unit


def migrate(config: Config, modality: Any) -> Config:
    """A run's saved ``config`` brought up to ``CONFIG_VERSION``, in place: the keys added since its
    ``config_version`` (0 where it has none), with the values that the run was trained with, by the core and
    by its modality (``Modality.migrate``)."""
    version = int(config.get("config_version", 0))
    if version < 1:  # before generate.spread: draws from the prior as fitted
        config.setdefault("generate", {}).setdefault("spread", 1.0)
    if version < CONFIG_VERSION:
        modality.migrate(config, version)
        config["config_version"] = CONFIG_VERSION
    return config


def build(modality: Any, preset: str | None = None, data: str | None = None, file_config: Config | None = None,
          overrides: Sequence[str] = (), options: Config | None = None, base: Config | None = None) -> Config:
    """The full config of a run, in one order of precedence: core defaults < preset (or ``base``, the
    saved config of the run that is continued or warm-started from) < config file < ``--set`` <
    ``options`` (typed arguments, e.g. ``{"train": {"steps": 40}}``) < ``--data``."""
    if base is not None:
        config = copy.deepcopy(base)
        config.pop("versions", None)
        head = {"modality": config.pop("modality"), "preset": config.pop("preset")}
    else:
        presets = modality.presets()
        preset = preset or modality.default_preset
        if preset not in presets:
            raise VaekitError(f"unknown preset {preset!r} for modality {modality.name!r}; "
                              f"choose from {', '.join(presets)}")
        config, head = merge(CORE_DEFAULTS, presets[preset]), {"modality": modality.name, "preset": preset}
    if file_config:
        apply_overrides(config, file_config, origin="config file")
    apply_overrides(config, list(overrides))
    if options:
        apply_overrides(config, options)
    if data:
        config["data"]["source"] = data
    if not config["data"]["source"]:
        config["data"]["source"] = modality.default_dataset
    return {**head, **config}
