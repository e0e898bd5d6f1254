"""``vaekit plot manifold|latent|curves``: the image plugin's own verbs (click only at import)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from vaekit import VaekitError

RUN = click.argument("run_dir", type=click.Path(path_type=Path))  # a run directory or a shipped model's name
OUT = click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="PNG file to write.")
DATA = click.option("--data", "-d", help="Built-in dataset or path [the run's own validation split].")


def _open_image_run(run_dir: Path) -> Any:
    import vaekit

    pipeline = vaekit.load(str(run_dir))
    if pipeline.modality.name != "image":
        raise VaekitError(f"{run_dir}: a {pipeline.modality.name} run; vaekit plot draws image runs")
    return pipeline


def _images(pipeline: Any, data: str | None, limit: int, split: str = "val"):
    """Encoder inputs and labels (or None) of at most ``limit`` images of a split, with the label names."""
    import torch

    found = pipeline.handler.load_dataset(data or pipeline.config["data"]["source"], pipeline.config)
    dataset = found.val if split == "val" else found.train
    parts = dataset.get_batch(torch.arange(min(limit, len(dataset))))
    return parts[0], (parts[2] if len(parts) > 2 else None), found.learned["data"]["label_names"]


@click.group()
def plot() -> None:
    """Pictures of a trained image run: the latent manifold, the latent scatter, the training curves."""


@plot.command()
@RUN
@OUT
@click.option("-n", "--n", "n", default=20, show_default=True, help="Images per side of the grid.")
@DATA
def manifold(run_dir: Path, out: Path, n: int, data: str | None) -> None:
    """Decode a grid over the 2-D latent (or over the two main directions of a larger one)."""
    from vaekit_image import plots

    pipeline = _open_image_run(run_dir)
    # the main directions of a larger latent come from the training images' posterior means
    images = None if pipeline.model.latent_dim == 2 else _images(pipeline, data, 2000, "train")[0]
    click.echo(f"wrote {plots.manifold(pipeline.model, out, n, images)}")


@plot.command()
@RUN
@OUT
@DATA
@click.option("--max", "limit", default=2000, show_default=True, help="At most this many images.")
def latent(run_dir: Path, out: Path, data: str | None, limit: int) -> None:
    """Scatter the held-out posterior means, coloured by label."""
    from vaekit_image import plots

    pipeline = _open_image_run(run_dir)
    images, labels, names = _images(pipeline, data, limit)
    click.echo(f"wrote {plots.latent_scatter(pipeline.model, images, out, labels, names)}")


@plot.command()
@RUN
@OUT
def curves(run_dir: Path, out: Path) -> None:
    """Training and validation curves from the run's metrics.jsonl."""
    import vaekit
    from vaekit_image import plots

    metrics = vaekit.run_path(run_dir) / "metrics.jsonl"
    if not metrics.exists():
        raise VaekitError(f"{metrics}: no such file (has the run trained yet?)")
    try:
        click.echo(f"wrote {plots.curves(metrics, out)}")
    except ValueError as e:
        raise VaekitError(str(e)) from None
