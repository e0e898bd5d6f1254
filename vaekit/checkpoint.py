"""Weights and training state in safetensors files (no pickle anywhere).

A checkpoint is one file, so it is replaced atomically as a whole: model tensors under ``model.``,
optimizer tensors under ``optim.``, the torch RNG state under ``rng.torch``, and everything else
(step, optimizer hyperparameters, progress) as JSON in the safetensors metadata.

Shipped weights may be stored smaller (:func:`compress`): large matrices as int8 with one float16
scale per row under ``scale.``, other floats as float16. Reading turns them back into float32.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from vaekit.errors import VaekitError
from vaekit.files import atomic_write


def _cpu(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu", copy=True).contiguous()


def save_checkpoint(path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    state: dict[str, Any] | None = None) -> None:
    """Write model weights, and for ``last`` also optimizer, RNG and progress, to one file."""
    tensors = {f"model.{k}": _cpu(v) for k, v in model.state_dict().items()}
    meta: dict[str, Any] = {"state": state or {}}
    if optimizer is not None:
        opt = optimizer.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for idx, param_state in opt["state"].items():
            for key, value in param_state.items():
                if torch.is_tensor(value):
                    tensors[f"optim.{idx}.{key}"] = _cpu(value)
                else:
                    scalars.setdefault(str(idx), {})[key] = value
        meta["optimizer"] = {"param_groups": opt["param_groups"], "scalars": scalars}
        tensors["rng.torch"] = torch.get_rng_state()
    atomic_write(path, save(tensors, metadata={"vaekit": json.dumps(meta)}))


def compress(tensors: dict[str, torch.Tensor], min_elements: int = 16384) -> dict[str, torch.Tensor]:
    """``model.`` tensors a quarter of their float32 size: each float matrix of at least ``min_elements``
    as int8 times a float16 scale per row (symmetric, the row's largest magnitude maps to 127), every
    other float tensor as float16."""
    out: dict[str, torch.Tensor] = {}
    for key, t in tensors.items():
        if not t.is_floating_point():
            out[key] = t
        elif key.startswith("model.") and t.dim() == 2 and t.numel() >= min_elements:
            scale = t.abs().amax(1).clamp_min(1e-12) / 127
            out[key] = (t / scale[:, None]).round().clamp(-127, 127).to(torch.int8).contiguous()
            out["scale." + key.removeprefix("model.")] = scale.half()
        else:
            out[key] = t.half()
    return out


def expand(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The float32 tensors that :func:`compress` stored (unchanged tensors pass through)."""
    out = {k: v.float() if v.is_floating_point() else v for k, v in tensors.items() if not k.startswith("scale.")}
    for key, scale in tensors.items():
        if key.startswith("scale."):
            name = "model." + key.removeprefix("scale.")
            out[name] = out[name].float() * scale.float()[:, None]
    return out


def read_checkpoint(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Tensors and metadata of a checkpoint; a missing or corrupt file is a ``VaekitError``."""
    if not path.exists():
        raise VaekitError(f"{path}: missing weights file")
    try:
        tensors = load_file(path)
        from safetensors import safe_open

        with safe_open(path, "pt") as f:
            meta = json.loads((f.metadata() or {}).get("vaekit", "{}"))
        if any(k.startswith("scale.") for k in tensors):
            tensors = expand(tensors)
    except (SafetensorError, OSError, json.JSONDecodeError, ValueError, KeyError, RuntimeError) as e:
        raise VaekitError(f"{path}: not a valid safetensors checkpoint ({e})") from None
    return tensors, meta


def load_model_weights(path: Path, model: torch.nn.Module, tensors: dict[str, torch.Tensor] | None = None) -> None:
    """Load the ``model.`` tensors into ``model``, refusing any missing key or shape mismatch."""
    if tensors is None:
        tensors, _ = read_checkpoint(path)
    weights = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    expected = model.state_dict()
    for key, value in expected.items():
        if key not in weights:
            raise VaekitError(f"{path}: weights do not match the config (no tensor {key!r})")
        if weights[key].shape != value.shape:
            raise VaekitError(
                f"{path}: weights do not match the config ({key} has shape {tuple(weights[key].shape)}, "
                f"the model expects {tuple(value.shape)})"
            )
    extra = sorted(set(weights) - set(expected))
    if extra:
        raise VaekitError(f"{path}: weights do not match the config (unexpected tensor {extra[0]!r})")
    model.load_state_dict(weights)


def load_training_state(path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Restore model, optimizer and RNG from ``last``; return the saved progress state."""
    tensors, meta = read_checkpoint(path)
    load_model_weights(path, model, tensors)
    if "optimizer" not in meta or "rng.torch" not in tensors:
        raise VaekitError(f"{path}: holds no optimizer state to resume from")
    opt_state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, idx, name = key.split(".", 2)
            opt_state.setdefault(int(idx), {})[name] = value
    for idx, scalars in meta["optimizer"]["scalars"].items():
        opt_state.setdefault(int(idx), {}).update(scalars)
    optimizer.load_state_dict({"state": opt_state, "param_groups": meta["optimizer"]["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    return meta["state"]
