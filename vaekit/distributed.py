"""torch.distributed glue for runs started by ``torchrun`` (or ``vaekit train --nproc N``).

Every rank draws the same global batch and takes its own slice of it, so a run on N processes sees
the same examples in the same order as on one, and the averaged gradients match the single-process
ones up to the noise each rank draws.
"""

from __future__ import annotations

import datetime
import os

import torch
import torch.distributed as dist


def world() -> tuple[int, int]:
    """``(rank, world_size)`` from torchrun's environment; ``(0, 1)`` for a plain process."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def setup(device: torch.device, timeout_s: float = 300.0) -> None:
    """Join the process group when started by torchrun (gloo on CPU, nccl on CUDA)."""
    if world()[1] > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))


def teardown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def active() -> bool:
    return dist.is_initialized() and dist.get_world_size() > 1


def mean(values: torch.Tensor) -> torch.Tensor:
    """Average a tensor across ranks (identity on one process)."""
    if active():
        values = values.clone()
        dist.all_reduce(values)
        values /= dist.get_world_size()
    return values


def any_rank(flag: bool) -> bool:
    """True when ``flag`` is true on any rank, so every rank stops together."""
    if not active():
        return flag
    t = torch.tensor([1.0 if flag else 0.0])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())
