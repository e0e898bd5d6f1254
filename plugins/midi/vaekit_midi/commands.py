"""The MIDI plugin's own verbs: ``vaekit attributes`` (attribute vectors of a melody run) and
``vaekit transform`` (move a melody along one). Imports only click at module level."""

from __future__ import annotations

from pathlib import Path

import click

import vaekit
from vaekit import VaekitError

ATTRIBUTES = ("density", "interval", "syncopation_16th", "syncopation_8th", "in_scale", "range")


def _open_melody_run(run_dir: Path, device: str):
    p = vaekit.load(run_dir, device=device)
    if p.modality.name != "midi" or p.config["data"].get("kind", "melody") != "melody":
        raise VaekitError(f"{run_dir}: attribute vectors are for melody runs (this is {p.config['modality']} / "
                          f"{p.config['preset']})")
    return p


def register(cli: click.Group) -> None:
    @cli.command()
    @click.argument("run_dir", type=click.Path(path_type=Path))
    @click.option("--data", "-d", help="Windows to measure (default: the run's own data); the training split is used.")
    @click.option("--max-items", default=50000, show_default=True, help="At most this many windows (0: all).")
    @click.option("--quantile", default=0.25, show_default=True, help="Top and bottom share compared.")
    @click.option("--method", type=click.Choice(["difference", "regression"]), default="difference",
                  show_default=True, help="difference: MusicVAE's top minus bottom mean latent; regression: "
                  "each attribute's own direction with the others held fixed (fewer side effects).")
    @click.option("--device", default="cpu", show_default=True)
    def attributes(run_dir: Path, data: str | None, max_items: int, quantile: float, method: str,
                   device: str) -> None:
        """Attribute vectors of a melody run (note density, average interval, 8th/16th syncopation,
        in-scale ratio, pitch range): by default the mean latent of the top quarter of the data minus
        that of the bottom quarter, stored in the run as attributes.safetensors."""
        from vaekit_midi import attributes as attrs

        if not 0 < quantile <= 0.5:
            raise VaekitError(f"--quantile must lie in (0, 0.5], got {quantile}")
        p = _open_melody_run(run_dir, device)
        if any(m.path == p.run_dir for m in vaekit.shipped_models().values()):
            raise VaekitError(f"{run_dir}: a shipped model; its attribute vectors ship with it (vaekit transform "
                              f"{run_dir} ...), and its folder is not to be written")
        source = data or p.config["data"]["source"]
        windows = attrs.training_windows(p.modality, source, p.config, max_items)
        z = attrs.encode_means(p.model, windows.to(p.model.device))
        vectors, stats = attrs.attribute_vectors(z, windows, int(p.config["data"]["steps_per_bar"]), quantile,
                                                 method)
        path = attrs.save(p.run_dir, vectors, {"source": source, "windows": len(windows), "quantile": quantile,
                                             "method": method, "stats": stats})
        click.echo(f"{'attribute':<18} {'bottom':>8} {'top':>8} {'|vector|':>9}")
        for name, v in vectors.items():
            click.echo(f"{name:<18} {stats[name]['low']:>8.3f} {stats[name]['high']:>8.3f} {float(v.norm()):>9.3f}")
        click.echo(f"wrote {path} ({method} vectors from {len(windows)} windows of {source})")

    @cli.command()
    @click.argument("run_dir", type=click.Path(path_type=Path))
    @click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
    @click.option("--attribute", "-a", required=True, type=click.Choice(ATTRIBUTES))
    @click.option("--amount", default=1.0, show_default=True, help="Multiple of the vector to add (negative: less).")
    @click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="The .mid file to write.")
    @click.option("--index", "--bar", "index", default=0, show_default=True, help="Which window of the input.")
    @click.option("--temperature", "-t", default=0.0, show_default=True, help="0 decodes greedily.")
    @click.option("--seed", default=0, show_default=True)
    @click.option("--png", type=click.Path(path_type=Path),
                  help="Also draw the input, its reconstruction and the transformed melody to this PNG.")
    @click.option("--device", default="cpu", show_default=True)
    def transform(run_dir: Path, input_path: Path, attribute: str, amount: float, out: Path, index: int,
                  temperature: float, seed: int, png: Path | None, device: str) -> None:
        """Move a melody along an attribute vector: decode z + AMOUNT * vector."""
        import torch

        from vaekit_midi import attributes as attrs

        p = _open_melody_run(run_dir, device)
        vectors, _ = attrs.load(p.run_dir)
        if attribute not in vectors:
            raise VaekitError(f"{p.run_dir / attrs.FILE}: holds no {attribute!r} vector")
        x = p.read(input_path, index)
        mu, _ = p.model.encode(x[None])
        torch.manual_seed(seed)
        z = torch.cat([mu, mu + amount * vectors[attribute].to(mu)])
        recon, moved = p.model.decode(z, temperature).cpu()
        out.parent.mkdir(parents=True, exist_ok=True)
        p.modality.write(moved, out, p.config)
        spb = int(p.config["data"]["steps_per_bar"])
        values = [attrs.attributes(t, spb)[attribute].item() for t in (x, recon, moved)]
        click.echo(f"{attribute}: input {values[0]:.3f}, reconstruction {values[1]:.3f}, "
                   f"transformed {values[2]:.3f} (amount {amount:g})")
        click.echo(f"wrote {out}")
        if png is not None:
            p.modality.render(torch.stack([x.cpu(), recon, moved]), png, p.config)
            click.echo(f"wrote {png}")
