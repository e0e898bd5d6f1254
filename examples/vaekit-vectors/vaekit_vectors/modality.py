"""Fixed-length numeric vectors: one per row of a .csv file, or the rows of a 2-D .npy array.

The built-in dataset ``waves`` is generated: sinusoids of random frequency, phase and amplitude
sampled at ``data.features`` points, plus a little noise, so a 2- or 3-D latent can explain them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import vaekit

if TYPE_CHECKING:
    import torch


class VectorsModality(vaekit.Modality, vaekit.Handler):
    """One kind of data, so the modality is its own handler."""

    name = "vectors"
    description = "fixed-length numeric vectors from .csv or .npy files"
    file_types = (".csv", ".npy")
    output_suffix = ".csv"
    default_preset = "mlp"
    default_dataset = "waves"
    plugin_api = 2

    def presets(self) -> dict[str, dict[str, Any]]:
        return {
            "mlp": {
                "data": {"features": 0, "items": 4000},
                "model": {"latent_dim": 3, "hidden": 64},
                "loss": {"beta_schedule": "linear", "beta_warmup_steps": 200},
                "train": {"batch_size": 64, "lr": 3e-3, "steps": 1000, "eval_every": 200, "eval_batches": 8},
            }
        }

    def datasets(self) -> dict[str, str]:
        return {"waves": "generated sinusoids (random frequency, phase, amplitude), 32 points each"}

    def load_dataset(self, source: str, config: dict[str, Any]) -> vaekit.Data:
        import torch
        from torch.utils.data import TensorDataset

        if source == "waves" and not Path(source).exists():
            x = waves(config["data"]["items"], config["data"]["features"] or 32, seed=config["train"]["seed"])
        else:
            x = self._read_table(Path(source))
        _check_width(x, config, source)
        n_val = max(1, int(len(x) * config["data"]["val_fraction"]))
        if len(x) < 2:
            raise vaekit.VaekitError(f"{source}: needs at least 2 rows, found {len(x)}")
        x = torch.as_tensor(x, dtype=torch.float32)
        learned = {"data": {"features": int(x.shape[1])}}  # so that the saved run rebuilds this width
        return vaekit.Data(TensorDataset(x[n_val:], x[n_val:]), TensorDataset(x[:n_val], x[:n_val]), learned)

    def build_model(self, config: dict[str, Any]) -> vaekit.VAE:
        from vaekit_vectors.models import build_model

        return build_model(config)

    def read(self, path: Path, config: dict[str, Any]) -> torch.Tensor:
        import torch

        x = self._read_table(path)
        _check_width(x, config, path)
        return torch.as_tensor(x, dtype=torch.float32)

    def write(self, x: torch.Tensor, path: Path, config: dict[str, Any]) -> None:
        import numpy as np

        np.savetxt(path, x.reshape(1, -1).numpy(), delimiter=",", fmt="%.6g")

    def metrics(self, model: vaekit.VAE, batch: tuple[torch.Tensor, ...]) -> dict[str, float]:
        mu, _ = model.encode(batch[0])
        return {"mse": ((model.decoder(mu) - batch[1]) ** 2).mean().item()}

    @staticmethod
    def _read_table(path: Path) -> Any:
        import numpy as np

        try:
            if path.suffix.lower() == ".npy":
                x = np.load(path, allow_pickle=False)
            else:
                x = np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64)
        except (OSError, ValueError) as e:
            raise vaekit.VaekitError(f"{path}: cannot read numbers ({e})") from None
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        if x.ndim != 2 or x.size == 0 or not np.isfinite(x).all():
            raise vaekit.VaekitError(f"{path}: expected a non-empty 2-D table of finite numbers")
        return x


def _check_width(x: Any, config: dict[str, Any], source: Any) -> None:
    expected = config["data"]["features"]
    if expected and x.shape[1] != expected:
        raise vaekit.VaekitError(f"{source}: rows have {x.shape[1]} values, the run expects {expected}")


def waves(n: int, features: int, seed: int = 0) -> Any:
    import numpy as np

    rng = np.random.default_rng(seed)
    t = np.linspace(0, 1, features)
    freq = rng.uniform(1, 3, (n, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    amp = rng.uniform(0.5, 1.5, (n, 1))
    return (amp * np.sin(2 * np.pi * freq * t + phase) + 0.05 * rng.standard_normal((n, features))).astype(np.float32)
