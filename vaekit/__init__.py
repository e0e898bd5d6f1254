"""vaekit: variational autoencoders for music and images, with a plugin system.

The names below are the public contract for users and plugin authors; plugins import nothing else of
vaekit. Importing this package is cheap (no torch): ``Encoder``, ``Decoder``, ``VAE``, ``Pipeline``,
``train``, the latent operations and ``rand``/``randn`` (a decoder's draws from a generator) load
torch on first use.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from vaekit.cache import cache_dir
from vaekit.capabilities import Figures
from vaekit.config import Config, merge
from vaekit.errors import VaekitError
from vaekit.files import SKIP_REASONS, atomic_file, atomic_write, atomic_write_json, too_large, walk
from vaekit.hookspecs import PLUGIN_API, hookimpl
from vaekit.modality import Data, Handler, Modality
from vaekit.shipped import models as shipped_models
from vaekit.shipped import resolve as run_path

if TYPE_CHECKING:
    from vaekit.latent import attribute_vector, slerp
    from vaekit.model import VAE, Decoder, Encoder, rand, randn
    from vaekit.pipeline import Pipeline, train

__version__ = "0.1.0"


#: Public names that import torch, loaded on first use: name -> module.
_LAZY = {
    "Encoder": "vaekit.model",
    "Decoder": "vaekit.model",
    "VAE": "vaekit.model",
    "rand": "vaekit.model",
    "randn": "vaekit.model",
    "Pipeline": "vaekit.pipeline",
    "train": "vaekit.pipeline",
    "slerp": "vaekit.latent",
    "attribute_vector": "vaekit.latent",
}

__all__ = [
    "PLUGIN_API", "SKIP_REASONS", "VAE", "Config", "Data", "Decoder", "Encoder", "Figures", "Handler", "Modality",
    "Pipeline", "VaekitError",
    "__version__", "atomic_file", "atomic_write", "atomic_write_json", "attribute_vector", "cache_dir", "hookimpl",
    "load", "merge", "rand", "randn", "run_path", "shipped_models", "slerp", "too_large", "train", "walk",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'vaekit' has no attribute {name!r}")


def load(run_dir: str | os.PathLike, device: str = "cpu", weights: str = "best") -> Pipeline:
    """Open a trained run directory: ``vaekit.load("runs/x").interpolate("a.mid", "b.mid")``.
    ``weights="last"`` takes the latest checkpoint instead of the best one."""
    from vaekit.pipeline import Pipeline

    return Pipeline.open(run_dir, device=device, weights=weights)
