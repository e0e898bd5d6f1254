"""Where plugins cache parsed datasets: ``VAEKIT_CACHE``, else the user cache folder."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    if os.environ.get("VAEKIT_CACHE"):
        return Path(os.environ["VAEKIT_CACHE"])
    import platformdirs

    return Path(platformdirs.user_cache_dir("vaekit"))
