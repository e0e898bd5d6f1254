"""Musical attributes of melody windows, and MusicVAE's attribute vectors (described in the paper,
never released): the mean latent of the windows highest in an attribute minus that of the lowest.

Every attribute is computed on token batches ``(N, T)`` at once and is unchanged by transposition:

- ``density``: note onsets per 4/4 bar;
- ``interval``: mean absolute interval between consecutive notes, in semitones;
- ``syncopation_16th``: share of onsets on an off-beat 16th (odd steps);
- ``syncopation_8th``: share of onsets on an off-beat 8th (steps 2, 6, 10, ... of the bar);
- ``in_scale``: share of onsets in the major scale (any key) that holds the most of them;
- ``range``: highest minus lowest pitch, in semitones.

Calibrated vectors (``calibrate``) are stored scaled so that amount 1 moves the attribute by one
standard deviation of it in the training data; files made before calibration keep their raw meaning.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from vaekit import VaekitError

log = logging.getLogger(__name__)

FILE = "attributes.safetensors"
#: Raw multiples of a vector tried on each side when calibrating it.
GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
_warned: set[Path] = set()
_MAJOR = torch.tensor([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], dtype=torch.bool)


def attributes(tokens: torch.Tensor, steps_per_bar: int = 16) -> dict[str, torch.Tensor]:
    """Each attribute of melody windows ``(N, T)``: name -> ``(N,)`` float. A window without a note
    scores 0 everywhere."""
    x = torch.as_tensor(tokens).long()
    if x.dim() == 1:
        x = x[None]
    n, steps = x.shape
    on = x >= 2
    count = on.sum(1)
    safe = count.clamp_min(1).float()
    step = torch.arange(steps)
    pitch = x + 19  # MIDI pitch where ``on``
    # the previous onset's pitch at each onset, by forward-filling the index of the last onset
    last = torch.where(on, step, -1).cummax(1).values
    prev = torch.cat([torch.full((n, 1), -1), last[:, :-1]], 1)
    has_prev = on & (prev >= 0)
    prev_pitch = pitch.gather(1, prev.clamp_min(0))
    jumps = torch.where(has_prev, (pitch - prev_pitch).abs(), 0).sum(1).float()
    pcs = torch.zeros(n, 12).scatter_add_(1, torch.where(on, pitch % 12, 0), on.float())
    in_key = torch.stack([pcs[:, _MAJOR.roll(k)].sum(1) for k in range(12)], 1).max(1).values
    high = torch.where(on, pitch, -1).max(1).values
    low = torch.where(on, pitch, 200).min(1).values
    return {
        "density": count.float() * steps_per_bar / steps,
        "interval": jumps / has_prev.sum(1).clamp_min(1).float(),
        "syncopation_16th": (on & (step % 2 == 1)).sum(1).float() / safe,
        "syncopation_8th": (on & (step % 4 == 2)).sum(1).float() / safe,
        "in_scale": in_key / safe,
        "range": torch.where(count > 0, high - low, 0).float(),
    }


def spread(windows: torch.Tensor, steps_per_bar: int = 16) -> dict[str, float]:
    """Each attribute's standard deviation over windows (a tiny floor where it never varies)."""
    return {name: max(float(v.std()), 1e-6) for name, v in attributes(windows, steps_per_bar).items()}


@torch.no_grad()
def encode_means(model: Any, windows: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """Posterior means ``(N, D)`` of token windows, in batches."""
    model.eval()
    return torch.cat([model.encode(windows[i:i + batch_size])[0].float().cpu()
                      for i in range(0, len(windows), batch_size)])


METHODS = ("difference", "regression")


def attribute_vectors(z: torch.Tensor, windows: torch.Tensor, steps_per_bar: int = 16, quantile: float = 0.25,
                      method: str = "difference") -> tuple[dict[str, torch.Tensor], dict[str, dict[str, float]]]:
    """Each attribute's vector, and the attribute's mean over the bottom and top ``quantile``.

    ``difference`` (MusicVAE's): the mean latent of the top group minus that of the bottom group. It
    also carries every attribute that goes with this one in the data (in folk, denser bars are more
    syncopated). ``regression``: a least-squares fit of the latents on all attributes at once; an
    attribute's coefficient is the move in z per unit of it with the others held fixed, scaled here by
    the attribute's top-minus-bottom gap so that amounts mean the same under both methods.
    """
    from vaekit import attribute_vector

    if method not in METHODS:
        raise VaekitError(f"unknown attribute method {method!r}; use one of {', '.join(METHODS)}")
    values = attributes(windows, steps_per_bar)
    k = max(1, int(len(windows) * quantile))
    stats = {}
    for name, v in values.items():
        ordered = v.sort().values
        stats[name] = {"low": float(ordered[:k].mean()), "high": float(ordered[-k:].mean())}
    if method == "difference":
        return {name: attribute_vector(z, v, quantile).contiguous() for name, v in values.items()}, stats
    a = torch.stack(list(values.values()), 1).double()
    a = a - a.mean(0)
    sd = a.std(0)
    varies = sd > 1e-9  # an attribute constant over the data gets a zero vector
    a = torch.where(varies, a / torch.where(varies, sd, 1.0), 0.0)
    coef = torch.linalg.pinv(a) @ (z - z.mean(0)).double()  # (attributes, D): z per standard deviation
    vectors = {name: (coef[i] / sd[i].clamp_min(1e-9) * (stats[name]["high"] - stats[name]["low"])).to(z.dtype)
               for i, name in enumerate(values)}
    return vectors, stats


def save(run_dir: Path, vectors: dict[str, torch.Tensor], info: dict[str, Any]) -> Path:
    """Write the vectors into the run directory atomically, ``info`` as JSON metadata."""
    import json

    from safetensors.torch import save as to_bytes

    from vaekit import atomic_write

    path = Path(run_dir) / FILE
    atomic_write(path, to_bytes(vectors, metadata={"info": json.dumps(info, sort_keys=True)}))
    return path


def load(run_dir: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """The vectors and metadata that ``vaekit attributes`` stored in a run."""
    import json

    from safetensors import safe_open

    path = Path(run_dir) / FILE
    if not path.exists():
        raise VaekitError(f"{path}: no attribute vectors in this run yet; make them with "
                          f"`vaekit attributes {run_dir} --data folk`")
    try:
        with safe_open(str(path), "pt") as f:
            vectors = {k: f.get_tensor(k) for k in f.keys()}
            info = json.loads((f.metadata() or {}).get("info", "{}"))
    except Exception as e:  # safetensors raises its own error types on damaged files
        raise VaekitError(f"{path}: cannot read attribute vectors ({e})") from None
    if info.get("units") != "sd" and path not in _warned:
        _warned.add(path)
        log.warning(f"{path}: uncalibrated attribute vectors (made before amounts meant standard deviations): "
                    f"an amount multiplies the raw vector; `vaekit attributes` remakes them calibrated")
    return vectors, info


def training_windows(handler: Any, source: str, config: dict[str, Any], max_items: int = 0,
                     seed: int = 0) -> torch.Tensor:
    """The untransposed training windows of ``source`` under the run's data settings (a fixed random
    subset of ``max_items`` where given)."""
    return _subset(_split(handler, source, config)[0], max_items, seed)


def heldout_windows(handler: Any, source: str, config: dict[str, Any], half: int, max_items: int = 0) -> torch.Tensor:
    """One half (0 or 1) of the validation windows of ``source``: ``vaekit attributes`` calibrates on the
    first, ``benchmarks/attribute_response.py`` measures on the second."""
    val = _split(handler, source, config)[1]
    middle = len(val) // 2
    return _subset(val[:middle] if half == 0 else val[middle:], max_items, 0)


def _split(handler: Any, source: str, config: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    import copy

    config = copy.deepcopy(config)
    config["data"]["source"] = source
    train, val = handler.load_dataset(source, config)
    return train.windows.long(), val.windows.long()


def _subset(windows: torch.Tensor, max_items: int, seed: int) -> torch.Tensor:
    if max_items and len(windows) > max_items:
        pick = torch.randperm(len(windows), generator=torch.Generator().manual_seed(seed))[:max_items]
        windows = windows[pick.sort().values]
    return windows


@torch.no_grad()
def decode_greedy(model: Any, z: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Greedy decodings of latents ``(N, D)``, in batches, on the CPU."""
    model.eval()
    return torch.cat([model.decode(z[i:i + batch_size], 0.0).cpu() for i in range(0, len(z), batch_size)])


def response(model: Any, mu: torch.Tensor, vector: torch.Tensor, amounts: list[float], sd: dict[str, float],
             steps_per_bar: int = 16) -> dict[str, torch.Tensor]:
    """Each attribute's mean change over the windows decoded from ``mu + amount * vector`` against those
    decoded from ``mu``, in standard deviations ``sd``, for each amount: name -> ``(len(amounts),)``."""
    base = attributes(decode_greedy(model, mu), steps_per_bar)
    moved = [attributes(decode_greedy(model, mu + a * vector.to(mu)), steps_per_bar) for a in amounts]
    return {name: torch.tensor([float((m[name] - base[name]).mean()) / sd[name] for m in moved]) for name in base}


def _crossing(changes: list[float]) -> float | None:
    """The raw amount (on ``GRID``) where a rising change first reaches 1, interpolated from 0 at 0."""
    before_amount, before = 0.0, 0.0
    for amount, change in zip(GRID, changes):
        if change >= 1.0:
            return before_amount + (amount - before_amount) * (1.0 - before) / max(change - before, 1e-9)
        before_amount, before = amount, max(before, change)
    return None


def calibrate(model: Any, mu: torch.Tensor, vectors: dict[str, torch.Tensor], sd: dict[str, float],
              steps_per_bar: int = 16) -> tuple[dict[str, torch.Tensor], dict[str, dict[str, Any]]]:
    """The vectors scaled so that amount 1 moves each one's attribute by one standard deviation ``sd``,
    and each one's calibration.

    On held-out windows ``mu`` each raw vector is added at the ``GRID`` amounts on both sides; the scale
    is the mean of the raw amounts where the mean change first reaches +1 and -1 standard deviation. A
    straight-line fit would depend on which amounts it saw: decoders barely move near z (a dead zone)
    and saturate beyond about 2 standard deviations. A side that never reaches 1 within the grid is left
    out; an attribute reaching it on neither side gets the grid's largest amount, and its ``reach``
    (the change at that amount) says how far it gets."""
    amounts = [-a for a in GRID] + list(GRID)
    scaled, calibration = {}, {}
    for name, v in vectors.items():
        change = response(model, mu, v, amounts, sd, steps_per_bar)[name].tolist()
        down, up = _crossing([-c for c in change[:len(GRID)]]), _crossing(change[len(GRID):])
        found = [c for c in (down, up) if c is not None]
        scale = sum(found) / len(found) if found else GRID[-1]
        scaled[name] = (v * scale).contiguous()
        calibration[name] = {"sd": sd[name], "scale": scale, "raw_down": down, "raw_up": up,
                             "reach": [change[len(GRID) - 1], change[-1]],
                             "response": dict(zip((f"{a:g}" for a in amounts), change))}
    return scaled, calibration
