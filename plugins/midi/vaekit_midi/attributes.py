"""Musical attributes of melody windows, and MusicVAE's attribute vectors (described in the paper,
never released): the mean latent of the windows highest in an attribute minus that of the lowest.

Every attribute is computed on token batches ``(N, T)`` at once and is unchanged by transposition:

- ``density``: note onsets per 4/4 bar;
- ``interval``: mean absolute interval between consecutive notes, in semitones;
- ``syncopation_16th``: share of onsets on an off-beat 16th (odd steps);
- ``syncopation_8th``: share of onsets on an off-beat 8th (steps 2, 6, 10, ... of the bar);
- ``in_scale``: share of onsets in the major scale (any key) that holds the most of them;
- ``range``: highest minus lowest pitch, in semitones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from vaekit import VaekitError

FILE = "attributes.safetensors"
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
    return vectors, info


def training_windows(modality: Any, source: str, config: dict[str, Any], max_items: int = 0,
                     seed: int = 0) -> torch.Tensor:
    """The untransposed training windows of ``source`` under the run's data settings (a fixed random
    subset of ``max_items`` where given)."""
    import copy

    config = copy.deepcopy(config)
    config["data"]["source"] = source
    train, _ = modality.load_dataset(source, config)
    windows = train.windows.long()
    if max_items and len(windows) > max_items:
        pick = torch.randperm(len(windows), generator=torch.Generator().manual_seed(seed))[:max_items]
        windows = windows[pick.sort().values]
    return windows
