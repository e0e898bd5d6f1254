"""vaekit: variational autoencoders for music and images, with a plugin system.

Importing this package is cheap (no torch); heavy modules load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vaekit.errors import VaekitError
from vaekit.hookspecs import hookimpl
from vaekit.modality import Modality

if TYPE_CHECKING:
    from vaekit.pipeline import Pipeline

__version__ = "0.1.0"

#: The plugin API a plugin declares it was built for (``Modality.plugin_api``).
PLUGIN_API = 1

__all__ = ["PLUGIN_API", "Modality", "Pipeline", "VaekitError", "__version__", "hookimpl", "load"]


def load(run_dir: str, device: str = "cpu", weights: str = "best") -> Pipeline:
    """Open a trained run directory: ``vaekit.load("runs/x").interpolate("a.mid", "b.mid")``.
    ``weights="last"`` takes the latest checkpoint instead of the best one."""
    from vaekit.pipeline import Pipeline

    return Pipeline.open(run_dir, device=device, weights=weights)
