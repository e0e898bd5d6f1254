"""The image modality. Import stays light: torch, numpy and Pillow load inside the methods."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaekit import Config, Data, Figures, Handler, Modality, VaekitError

if TYPE_CHECKING:
    import torch

    from vaekit import VAE

BUILTIN = {
    "digits": "scikit-learn's 1,797 handwritten digits, 8x8 grey, labels 0-9 (BSD)",
    "shapes": "generated sprites (square, ellipse, triangle) of random scale, rotation, x, y; 32x32 by default",
}


class ImageModality(Modality, Handler):
    name = "image"
    description = "Convolutional VAEs for images: generation, denoising, super-resolution, latent pictures"
    file_types = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".npy", ".npz")
    output_suffix = ".png"
    default_preset = "conv"
    default_dataset = "digits"
    plugin_api = 2

    def presets(self) -> dict[str, Config]:
        from vaekit_image.presets import PRESETS

        return PRESETS

    def datasets(self) -> dict[str, str]:
        return dict(BUILTIN)

    def migrate(self, config: Config, version: int) -> None:
        """Runs saved before ``model.bf16`` chose it as "auto" does."""
        if version < 1 and "model" in config:
            config["model"].setdefault("bf16", "auto")

    def load_dataset(self, source: str, config: Config) -> Data:
        """Train and validation splits, and the ``data.size``, ``data.channels`` and ``data.label_names``
        that the images fixed."""
        import numpy as np
        import torch

        from vaekit_image import data, tasks

        tasks.check(config)
        d = config["data"]
        size, channels = int(d.get("size") or 0), int(d.get("channels") or 0)
        if channels not in (0, 1, 3):
            raise VaekitError(f"data.channels={channels}: use 1 (grey), 3 (colour) or 0 (from the data)")
        if source == "shapes" and not Path(source).exists():
            images = data.shapes(int(d["count"]), size or 32, int(d["seed"]))
        elif source == "digits" and not Path(source).exists():
            images = data.digits()
        elif source and Path(source).exists():
            images = data.load_path(Path(source), size, channels)
        else:
            raise VaekitError(f"{source!r} is neither a built-in image dataset ({', '.join(BUILTIN)}) nor an existing "
                              f"path")
        x = images.x
        size, channels = size or x.shape[-1], channels or x.shape[1]
        if x.shape[-1] != size or x.shape[1] != channels:
            x = data.fit(x, size, channels)
        factor = config["superres"]["factor"]
        if config["task"] == "superres" and size // factor < 2:
            raise VaekitError(f"superres.factor={factor} leaves under 2 pixels of a {size}px image")
        if len(x) < 2:
            raise VaekitError(f"{source}: {len(x)} image(s); need at least 2 to hold one out for validation")
        learned = {"data": {"size": int(size), "channels": int(channels), "label_names": list(images.label_names)}}
        if d["split"] not in ("random", "tail"):
            raise VaekitError(f"data.split={d['split']!r}: use random or tail")
        fraction = float(d["val_fraction"])  # 1: every image held out, as `vaekit evaluate --data` asks
        n_val = len(x) if fraction >= 1 else min(len(x) - 1, max(1, round(len(x) * fraction)))
        order = np.arange(len(x)) if d["split"] == "tail" else np.random.default_rng(d["seed"]).permutation(len(x))
        splits = []
        for idx in (order[:-n_val], order[-n_val:]):
            labels = torch.from_numpy(images.labels[idx]) if images.labels is not None else None
            splits.append(tasks.ImageDataset(torch.from_numpy(np.ascontiguousarray(x[idx])), labels, config))
        return Data(splits[0], splits[1], learned)

    def build_model(self, config: Config) -> VAE:
        from vaekit_image.networks import build

        return build(config)

    def read(self, path: Path, config: Config) -> torch.Tensor:
        import torch

        from vaekit_image import data

        size, channels = int(config["data"]["size"] or 0), int(config["data"]["channels"] or 0)
        if not size or not channels:
            raise VaekitError(f"{path}: the run's config has no data.size or data.channels")
        suffix = path.suffix.lower()
        if suffix in data.IMAGE_SUFFIXES:
            x = data.read_image(path, size, channels)[None]
        elif suffix in data.ARRAY_SUFFIXES:
            x = data.fit(data.read_array_file(path)[0], size, channels)
        else:
            x = data.load_path(path, size, channels).x
        return torch.from_numpy(x)

    def write(self, x: torch.Tensor, path: Path, config: Config) -> None:
        from vaekit_image.outputs import save, to_pil

        save(to_pil(x), path)

    def metrics(self, model: VAE, batch: tuple[torch.Tensor, ...]) -> dict[str, float]:
        from vaekit_image.metrics import image_metrics

        return image_metrics(model, batch[0], batch[1])

    def sample_quality(self, generated: torch.Tensor, held_out: Any, train: Any | None,
                       config: Config) -> Figures:
        """The Fréchet distance between samples and held-out images in the features of a shipped digit
        classifier, its floor (held-out against training images), the classifier's confidence on the
        samples and their spread over the digits (see ``classifier.py``)."""
        from vaekit_image.classifier import sample_quality

        return sample_quality(generated, held_out, train, config)

    def render(self, x: torch.Tensor, path: Path, config: Config, labels: list[str] | None = None) -> None:
        """A grid of the items, in order (the labels are for pictures that have room for them)."""
        from vaekit_image.outputs import grid, save

        save(grid(x), path)

    def write_samples(self, x: torch.Tensor, out_dir: Path, config: Config) -> list[Path]:
        from vaekit_image import outputs

        return outputs.write_samples(x, out_dir)

    def write_interpolation(self, x: torch.Tensor, out: Path, config: Config) -> list[Path]:
        from vaekit_image import outputs

        return outputs.write_interpolation(x, out)

    def write_reconstructions(self, inputs: torch.Tensor, outputs: torch.Tensor, names: list[str], out_dir: Path,
                              config: Config) -> list[Path]:
        from vaekit_image import outputs as out

        return out.write_reconstructions(inputs, outputs, names, out_dir)
