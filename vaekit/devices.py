"""Which torch device a name such as ``--device auto`` means."""

from __future__ import annotations

import torch


def pick_device(name: str = "auto") -> torch.device:
    """``auto``: cuda, then mps, then cpu."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
