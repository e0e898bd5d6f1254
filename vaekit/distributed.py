"""torch.distributed glue for runs started by ``torchrun`` (or ``vaekit train --nproc N``).

Every rank draws the same global batch and takes its own slice of it, so a run on N processes sees
the same examples in the same order as on one, and the averaged gradients match the single-process
ones up to the noise each rank draws.
"""

from __future__ import annotations

import datetime
import os
import re

import torch
import torch.distributed as dist

from vaekit.config import parse_duration
from vaekit.errors import VaekitError

TIMEOUT_VAR = "VAEKIT_COLLECTIVE_TIMEOUT"


def world() -> tuple[int, int]:
    """``(rank, world_size)`` from torchrun's environment; ``(0, 1)`` for a plain process."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def collective_timeout() -> float:
    """How long a collective call waits for the other ranks: ``VAEKIT_COLLECTIVE_TIMEOUT`` (``90``, ``30s``,
    ``10m``), else 5 minutes. A killed rank is noticed at once, as its connections close; the timeout is
    for a rank that hangs or a machine that drops off the network."""
    text = os.environ.get(TIMEOUT_VAR, "").strip()
    if not text:
        return 300.0
    try:
        seconds = parse_duration(text)
    except VaekitError:
        seconds = None
    if not seconds or seconds <= 0:
        raise VaekitError(f"{TIMEOUT_VAR}={text!r}: write a time above zero, e.g. 30s or 5m")
    return seconds


def setup(device: torch.device, timeout_s: float | None = None) -> None:
    """Join the process group when started by torchrun (gloo on CPU, nccl on CUDA)."""
    if world()[1] > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        seconds = collective_timeout() if timeout_s is None else timeout_s
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=seconds))


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


def lost_peer(error: BaseException) -> str | None:
    """What happened, in a few words, when ``error`` is a collective call that failed because another
    rank died, hung past the timeout or became unreachable; None for any other error."""
    if not isinstance(error, RuntimeError) or not dist.is_initialized():
        return None
    text = str(error).strip()
    if not (isinstance(error, dist.DistError) or "gloo" in text.lower()):
        return None
    first = re.sub(r"^\[[^\]]*\]\s*", "", text.splitlines()[0] if text else "")  # gloo's [file.cc:line] prefix
    reason = first.split(". ")[0].rstrip(".") or type(error).__name__
    return (f"lost contact with another process of this {dist.get_world_size()}-process run ({reason}): it died, "
            f"hung for over {TIMEOUT_VAR} ({collective_timeout():g} s) or became unreachable")
