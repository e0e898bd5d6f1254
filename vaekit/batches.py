"""Batches of a dataset by index, as the trainer, evaluation and ``encode`` read them."""

from __future__ import annotations

import torch
from torch.utils.data import Dataset


def fetch(dataset: Dataset, idx: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """A batch by index: the dataset's own batched ``get_batch`` where it has one."""
    if hasattr(dataset, "get_batch"):
        return tuple(dataset.get_batch(idx))
    items = [dataset[i] for i in idx.tolist()]
    return tuple(torch.stack(parts) for parts in zip(*items))
