"""The ``vaekit`` command. Torch and the plugins' heavy libraries load only inside commands, so
``vaekit --help`` stays fast; plugins add their own commands through ``register_commands``."""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

import vaekit
from vaekit import __version__, plugins
from vaekit.capabilities import ReportsReading
from vaekit.errors import VaekitError


class VaekitGroup(click.Group):
    """Prints a ``VaekitError`` as one line and exits with status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except VaekitError as e:
            click.echo(f"Error: {e}", err=True)
            ctx.exit(2)


def _version_text() -> str:
    plugins.load_plugins()
    lines = [f"vaekit {__version__}"]
    lines += [f"  {name} {version}" for name, version in sorted(plugins.versions.items())]
    return "\n".join(lines)


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_text())
        ctx.exit()


@click.group(cls=VaekitGroup)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show vaekit's version and each plugin's, and exit.")
def cli() -> None:
    """vaekit: variational autoencoders for music and images.

    \b
    Train a melody model, then interpolate between two tunes:
        vaekit train --modality midi --time-limit 5m --out runs/mel
        vaekit datasets export folk --n 2 --out tunes
        vaekit interpolate runs/mel tunes/folk_000.mid tunes/folk_001.mid --out mix.mid
    """
    _show_diagnostics()


class _StderrLines(logging.Handler):
    """Log records as bare lines on whatever stderr is now (so that click's test runner sees them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".")[0].startswith("vaekit")

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def _show_diagnostics() -> None:
    """vaekit's and its plugins' log lines (info and up), and every library's warnings, go to stderr."""
    root = logging.getLogger()
    if not any(isinstance(h, _StderrLines) for h in root.handlers):
        root.addHandler(_StderrLines())
        root.setLevel(logging.INFO)


def _said(paths: list[Path]) -> None:
    folders = sorted({str(p.parent) for p in paths})
    click.echo(f"wrote {len(paths)} file(s): {paths[0]}" + (" ..." if len(paths) > 1 else "")
               + (f" (in {folders[0]})" if len(folders) == 1 and len(paths) > 1 else ""))


def _said_as_json(rows: list, as_json: bool, none: str) -> bool:
    """Print ``rows`` as JSON when asked (True: nothing more to say), or ``none`` where there are none."""
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo(none)
    return as_json


# plugins -------------------------------------------------------------------------------------


@cli.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_command(as_json: bool) -> None:
    """List installed plugins: name, version, hooks, modalities, and load errors."""
    info = plugins.plugin_info()
    if _said_as_json(info, as_json, "no plugins installed (try `vaekit install vaekit-midi`)"):
        return
    for p in info:
        line = f"{p['name']} {p['version'] or ''}".rstrip()
        if p["modalities"]:
            line += f"  modalities: {', '.join(p['modalities'])}"
        if p["hooks"]:
            line += f"  hooks: {', '.join(p['hooks'])}"
        click.echo(line)
        for name, description in p["descriptions"].items():
            click.echo(f"  {name}: {description}")
        if p["error"]:
            click.echo(f"  error: {p['error']}")


def _pip(*args: str) -> None:
    code = subprocess.call([sys.executable, "-m", "pip", *args])
    if code:
        raise VaekitError(f"pip {' '.join(args)} failed with exit status {code}")


@cli.command()
@click.argument("packages", nargs=-1, required=True)
@click.option("-U", "--upgrade", is_flag=True)
@click.option("-e", "--editable", is_flag=True, help="Install a local path in editable mode.")
def install(packages: tuple[str, ...], upgrade: bool, editable: bool) -> None:
    """Install plugins (names or paths) with pip, into the environment vaekit runs in."""
    args = ["install", *(["--upgrade"] if upgrade else [])]
    for package in packages:
        args += ["-e", package] if editable else [package]
    _pip(*args)


@cli.command()
@click.argument("packages", nargs=-1, required=True)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
def uninstall(packages: tuple[str, ...], yes: bool) -> None:
    """Uninstall plugins with pip."""
    _pip("uninstall", *packages, *(["-y"] if yes else []))


# data and presets ----------------------------------------------------------------------------


@cli.group(invoke_without_command=True)
@click.option("--modality", "-m", help="Only this modality's datasets.")
@click.pass_context
def datasets(ctx: click.Context, modality: str | None) -> None:
    """List built-in datasets (all work offline)."""
    if ctx.invoked_subcommand is not None:
        return
    mods = [plugins.get_modality(modality)] if modality else plugins.modalities().values()
    for m in mods:
        for name, description in m.datasets().items():
            click.echo(f"{m.name}  {name}  {description}")


@datasets.command(name="export")
@click.argument("name")
@click.option("--modality", "-m", help="Needed only where two modalities have a dataset of this name.")
@click.option("-n", "--n", "count", default=4, show_default=True, help="How many items.")
@click.option("--preset", help="Preset whose data settings to use (default: the modality's).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a data key, as for train.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to write the files into.")
def datasets_export(name: str, modality: str | None, count: int, preset: str | None, overrides: tuple[str, ...],
                    out: Path) -> None:
    """Write a few items of a built-in dataset as ordinary files (e.g. two folk tunes as .mid)."""
    from vaekit.config import build
    from vaekit.modality import handler_of

    mods = [plugins.get_modality(modality)] if modality else [
        m for m in plugins.modalities().values() if name in m.datasets()]
    if not mods:
        raise VaekitError(f"no installed modality has a built-in dataset named {name!r} (see `vaekit datasets`)")
    m = mods[0]
    config = build(m, preset, data=name, overrides=overrides)
    _said(handler_of(m, config).export_dataset(name, count, out, config))


@cli.command()
@click.option("--modality", "-m", required=True)
def presets(modality: str) -> None:
    """List a modality's presets and their config keys with defaults."""
    from vaekit.config import build, keys

    m = plugins.get_modality(modality)
    for name in m.presets():
        marker = " (default)" if name == m.default_preset else ""
        click.echo(f"{name}{marker}")
        for key, value in keys(build(m, name)).items():
            if key not in ("modality", "preset"):
                click.echo(f"    {key} = {json.dumps(value)}")


# training ------------------------------------------------------------------------------------


def _relaunch_with_torchrun(nproc: int) -> None:
    argv, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            argv.append(arg)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", "-m", "vaekit",
           *argv]
    raise SystemExit(subprocess.call(cmd))


@cli.command()
@click.option("--modality", "-m", help="The modality to train (from the config file when it names one).")
@click.option("--preset", "-p", help="A named config of the modality (`vaekit presets -m M`).")
@click.option("--data", "-d", help="A built-in dataset name, or a path to your own files.")
@click.option("--config", "config_file", type=click.Path(path_type=Path), help="A TOML file of config keys.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override one config key (repeatable).")
@click.option("--epochs", type=int, help="Train until this many epochs in all.")
@click.option("--steps", type=int, help="Train until this many steps in all (counting steps before --resume).")
@click.option("--time-limit", help="Stop after this long, e.g. 90s, 10m, 1h.")
@click.option("--out", "-o", type=click.Path(path_type=Path), help="Run directory [runs/MODALITY-PRESET-TIME].")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--init-from", type=click.Path(path_type=Path),
              help="Start from the weights of another run or a shipped model (a name; fine-tune).")
@click.option("--force", is_flag=True, help="Overwrite an existing run directory.")
@click.option("--seed", type=int, help="Random seed (the same seed gives the same metrics on CPU).")
@click.option("--device", default="auto", show_default=True, help="auto (cuda, mps, cpu), cpu, cuda, cuda:1, mps.")
@click.option("--nproc", type=int, help="Train on N processes with torchrun (DDP).")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
def train(modality: str | None, preset: str | None, data: str | None, config_file: Path | None,
          overrides: tuple[str, ...], epochs: int | None, steps: int | None, time_limit: str | None,
          out: Path | None, resume: bool, init_from: Path | None, force: bool, seed: int | None, device: str,
          nproc: int | None, progress: bool) -> None:
    """Train a VAE; outputs go to a run directory."""
    if nproc and nproc > 1 and "WORLD_SIZE" not in os.environ:
        _relaunch_with_torchrun(nproc)
    run_dir = vaekit.train(modality, preset, data, config_file, overrides, steps=steps, epochs=epochs,
                           time_limit=time_limit, out=out, resume=resume, init_from=init_from, force=force,
                           seed=seed, device=device, progress=progress)
    if int(os.environ.get("RANK", 0)) == 0:
        _summarise(run_dir)


def _summarise(run_dir: Path) -> None:
    from vaekit.runs import RunDir

    run = RunDir(run_dir)
    rows = run.read_metrics()
    val = [r for r in rows if r.get("split") == "val"]
    if val:
        metric = run.read_config()["train"].get("best_metric", "elbo")
        best = max(val, key=lambda r: r.get(metric, -math.inf))
        shown = ", ".join(f"{k} {v:.4g}" for k, v in best.items() if k not in ("split", "seconds", "step")
                          and isinstance(v, (int, float)))
        click.echo(f"best validation (step {best['step']}): {shown}")
    click.echo(f"run saved in {run_dir}")


# using a run ---------------------------------------------------------------------------------

_run_arg = click.argument("run_dir", type=click.Path(path_type=Path))


def _device_opt(f: Any) -> Any:
    """``--device`` and ``--weights``, the options of every verb that loads a run."""
    f = click.option("--weights", type=click.Choice(["best", "last"]), default="best", show_default=True,
                     help="The best checkpoint (by the run's train.best_metric) or the last one.")(f)
    return click.option("--device", default="cpu", show_default=True)(f)
_index_opt = click.option("--index", "--bar", "index", default=0, show_default=True,
                          help="Which item of a multi-item input (a MIDI file's window, a row of an array).")


def reading_options(f: Any) -> Any:
    """``--track`` and ``--pickup``: how to read input files that hold several parts or start before a
    bar line (the MIDI modality; others ignore them). They set ``data.track`` and ``data.pickup``."""
    f = click.option("--pickup", type=click.FloatRange(min=0), help="Beats (quarter notes) before the first bar line "
                     "of each input (default: found where the file does not say; 0: none).")(f)
    return click.option("--track", help="The input's track to read, by index or name (default: the melody, "
                        "chosen by rule; `vaekit inspect FILE` lists them).")(f)


def bars_option(f: Any) -> Any:
    """``--bars A:B``: a span of each input song, read as consecutive windows from its first bar line
    (the MIDI modality; others ignore it). It sets ``data.bars``."""
    return click.option("--bars", help="Only bars A:B of each input, as consecutive windows (bar 1 is the first full "
                        "bar, a pickup bar 0; both ends included); --index picks among them, and interpolate "
                        "and transform take the whole span, writing it back into the song.")(f)


def chords_option(f: Any) -> Any:
    """``--chords``: the progression a chord-conditioned model decodes over (the MIDI modality's *_chords
    models; any other model refuses it). It sets ``data.chords``."""
    return click.option("--chords", help="Chords to decode over, e.g. \"C G Am F\": one a bar, or twice as many "
                        "(one a half bar), or bars split by '|' (\"C G | Am F\"); fewer bars repeat. Chord models "
                        "only.")(f)


def use_reading_options(p: Any, track: str | None, pickup: float | None, bars: str | None = None,
                        chords: str | None = None) -> None:
    """Put ``--track``, ``--pickup``, ``--bars`` and ``--chords`` into the opened run's config, where its
    modality reads them."""
    data = p.config.setdefault("data", {})
    for key, value in (("track", track), ("pickup", pickup), ("bars", bars), ("chords", chords)):
        if value is not None:
            data[key] = value


def _extras_opt(f: Any) -> Any:
    """``--png`` and ``--wav``: a picture and audio of the outputs, where the modality makes them."""
    f = click.option("--wav", "wav", type=click.Path(path_type=Path), help="Also play the outputs into this WAV.")(f)
    return click.option("--png", "png", type=click.Path(path_type=Path), help="Also draw the outputs to this PNG.")(f)


_spread_opt = click.option(
    "--spread", type=click.FloatRange(min=0), help="How far from the prior's centres z is drawn: 1 draws the fitted "
    "prior as it is, less keeps nearer the codes of real items  [default: the run's generate.spread]")


def _said_outputs(p: Any, png: Path | None, wav: Path | None) -> None:
    """A verb's audio and picture (the Pipeline writes them first) each on its own line, then its outputs."""
    extras = (wav is not None) + (png is not None)
    for path in p.written[:extras]:
        click.echo(f"wrote {path}")
    _said(p.written[extras:])


@cli.command()
@_run_arg
@click.option("-n", "--n", "count", default=8, show_default=True)
@click.option("--temperature", "-t", default=1.0, show_default=True, help="0 is greedy (or the mean).")
@_spread_opt
@click.option("--seed", default=0, show_default=True)
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Folder for the outputs.")
@chords_option
@click.option("--form", help="Phrases, a letter each, e.g. AABA: a repeated letter repeats its phrase, each phrase "
              "closes on a long note, the whole in one key. Long (hierarchical) melody models only, e.g. mel_16bar.")
@click.option("--variation", type=click.FloatRange(0, 1), default=0.45, show_default=True,
              help="With --form: the chance that a bar of a repeated phrase is drawn again instead of repeated.")
@_extras_opt
@_device_opt
def generate(run_dir: Path, count: int, temperature: float, spread: float | None, seed: int, out: Path,
             chords: str | None, form: str | None, variation: float, png: Path | None, wav: Path | None, device: str,
             weights: str) -> None:
    """Sample new items from the prior."""
    p = vaekit.load(run_dir, device, weights)
    use_reading_options(p, None, None, chords=chords)
    if form is not None:
        p.config["generate"].update(form=form, variation=variation)
    p.generate(count, temperature, seed, out=out, png=png, wav=wav, spread=spread)
    _said_outputs(p, png, wav)


@cli.command()
@_run_arg
@click.argument("a", type=click.Path(path_type=Path))
@click.argument("b", type=click.Path(path_type=Path))
@click.option("--steps", default=8, show_default=True, help="Steps, both endpoints included.")
@click.option("--method", type=click.Choice(["slerp", "lerp"]), default="slerp", show_default=True)
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="A file or a folder.")
@_index_opt
@reading_options
@bars_option
@chords_option
@_extras_opt
@_device_opt
def interpolate(run_dir: Path, a: Path, b: Path, steps: int, method: str, out: Path, index: int, track: str | None,
                pickup: float | None, bars: str | None, chords: str | None, png: Path | None, wav: Path | None,
                device: str, weights: str) -> None:
    """Interpolate in latent space between inputs A and B (with --bars, between the same bars of each; a
    chord model keeps A's chords, or --chords)."""
    p = vaekit.load(run_dir, device, weights)
    use_reading_options(p, track, pickup, bars, chords)
    p.interpolate(a, b, steps, method, index_a=index, index_b=index, out=out, png=png, wav=wav)
    _said_outputs(p, png, wav)


@cli.command()
@_run_arg
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="Folder for the outputs.")
@_index_opt
@reading_options
@bars_option
@chords_option
@_extras_opt
@_device_opt
def reconstruct(run_dir: Path, inputs: tuple[Path, ...], out: Path, index: int, track: str | None,
                pickup: float | None, bars: str | None, chords: str | None, png: Path | None, wav: Path | None,
                device: str, weights: str) -> None:
    """Encode and decode inputs (z = the posterior mean); a chord model decodes over --chords where given
    (re-harmonising the inputs), else over their own chords."""
    p = vaekit.load(run_dir, device, weights)
    use_reading_options(p, track, pickup, bars, chords)
    p.reconstruct(list(inputs), index, out=out, png=png, wav=wav)
    _said_outputs(p, png, wav)


@cli.command()
@_run_arg
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--data", "-d", help="Encode a dataset's validation split instead (labels where known).")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="An .npz file.")
@_index_opt
@reading_options
@bars_option
@_device_opt
def encode(run_dir: Path, inputs: tuple[Path, ...], data: str | None, out: Path, index: int, track: str | None,
           pickup: float | None, bars: str | None, device: str, weights: str) -> None:
    """Write latent means (z), log-variances, and labels where known, to an .npz file."""
    if bool(inputs) == bool(data):
        raise VaekitError("give either input files or --data, not both or neither")
    p = vaekit.load(run_dir, device, weights)
    use_reading_options(p, track, pickup, bars)
    result = p.encode(list(inputs) or None, data, index, out)
    click.echo(f"wrote {len(result['z'])} latents of size {result['z'].shape[1]} to {out}")


@cli.command()
@_run_arg
@click.option("--data", "-d", help="Data to score, every item of it (default: the run's own validation split).")
@click.option("-k", "k", default=100, show_default=True, help="Importance samples for nll_iw (0: skip).")
@click.option("--max-items", type=int, help="Evaluate at most this many items.")
@click.option("--quality", is_flag=True, help="Instead: how samples compare with held-out items: feature by "
              "feature (overlapping area and KL divergence of distance distributions, after MGEval) and, where the "
              "modality measures it, as a whole (e.g. images: a Frechet distance in a digit classifier's features).")
@click.option("--samples", default=500, show_default=True, help="--quality: samples and held-out items compared.")
@click.option("--temperature", "-t", default=1.0, show_default=True, help="--quality: of the samples.")
@_spread_opt
@click.option("--png", type=click.Path(path_type=Path), help="--quality: draw the distance distributions here "
              "(a modality without features: the first 64 samples).")
@click.option("--json", "as_json", is_flag=True)
@_device_opt
def evaluate(run_dir: Path, data: str | None, k: int, max_items: int | None, quality: bool, samples: int,
             temperature: float, spread: float | None, png: Path | None, as_json: bool, device: str,
             weights: str) -> None:
    """ELBO, importance-weighted NLL (nats per item) and the modality's metrics on held-out data; with
    --quality, how generated items compare with real ones."""
    p = vaekit.load(run_dir, device, weights)
    if quality:
        report = p.quality(samples, temperature, data, png=png, spread=spread)
        click.echo(json.dumps(report.to_dict(), indent=2) if as_json else str(report))
        if png is not None and not as_json:
            click.echo(f"wrote {png}")
        return
    result = p.evaluate(data, k, max_items)
    reads = isinstance(p.handler, ReportsReading) and data and Path(data).exists()
    reading = p.handler.reading_report(data, p.config) if reads else None
    if as_json:
        click.echo(json.dumps({**result, **({"reading": reading.to_dict()} if reading is not None else {})}, indent=2))
        return
    for key, value in result.items():
        click.echo(f"{key:>14}  {value:.4f}" if isinstance(value, float) else f"{key:>14}  {value}")
    if reading is not None:
        click.echo(str(reading))


@cli.command(name="prior")
@_run_arg
@click.option("--data", "-d", help="Fit to this data's training items instead of the run's own.")
def prior_command(run_dir: Path, data: str | None) -> None:
    """Fit the Gaussian mixture that samples are drawn from to where the run's codes lie (training does
    this at its end; this refits it, e.g. for a run trained before vaekit did)."""
    from vaekit.pipeline import Pipeline

    path = Pipeline.open(run_dir, prior_file=False).fit_prior(data)
    click.echo(f"wrote {path}: generate now draws z from it, not from N(0, I)")


@cli.command(name="models")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def models_command(as_json: bool) -> None:
    """List the trained models that installed plugins ship; a name works wherever a run directory does."""
    from vaekit.shipped import models

    cards = [m.describe() for m in models().values()]
    if _said_as_json(cards, as_json, "no shipped models installed"):
        return
    for card in cards:
        click.echo(f"{card['name']}  {card['modality']} / {card['preset']}, {card['size_mb']:g} MB, "
                   f"trained on {card.get('data', '?')}: {card.get('description', '')}")
        for data, figures in card.get("heldout", {}).items():
            click.echo(f"    held-out {data}: {_figures(figures)}")


def _figures(value: Any) -> str:
    """A card's figures as one line, whatever their nesting: ``acc 0.981, f1 (kick 0.76, snare 0.77)``."""
    if isinstance(value, dict):
        return ", ".join(f"{k} ({_figures(v)})" if isinstance(v, dict) else f"{k} {_figures(v)}"
                         for k, v in value.items())
    return f"{value:.3f}" if isinstance(value, float) else str(value)


@cli.command()
@_run_arg
def info(run_dir: Path) -> None:
    """Show a run's config, progress and latest validation metrics."""
    from vaekit.config import keys
    from vaekit.runs import RunDir
    from vaekit.shipped import resolve

    run = RunDir(resolve(run_dir))
    config = run.read_config()
    rows = run.read_metrics()
    click.echo(f"{run_dir}: {config['modality']} / {config['preset']}")
    for key, value in keys(config).items():
        click.echo(f"  {key} = {json.dumps(value)}")
    if rows:
        click.echo(f"steps trained: {rows[-1]['step']}")
    val = [r for r in rows if r.get("split") == "val"]
    if val:
        click.echo("latest validation: " + ", ".join(
            f"{k} {v:.4g}" for k, v in val[-1].items() if isinstance(v, float)))


@cli.command()
@click.argument("models", nargs=-1)
@click.option("--runs", "runs_dir", type=click.Path(path_type=Path),
              help="Also serve the runs found in this folder (default, with no MODELS: runs/).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (other than loopback: warned).")
@click.option("--port", default=8765, show_default=True)
@click.option("--open", "open_browser", is_flag=True, help="Open the studio in a web browser.")
def serve(models: tuple[str, ...], runs_dir: Path | None, host: str, port: int, open_browser: bool) -> None:
    """vaekit studio: the verbs over HTTP, and pages that use them (needs `pip install "vaekit[serve]"`).

    Serves the MODELS named (runs or shipped models) or, with none, every shipped model and the runs
    found under --runs; requests name models, never paths."""
    try:
        from vaekit.server.serve import serve as run_server
    except ImportError as e:
        raise VaekitError(f"vaekit serve needs the web extra ({e}); pip install \"vaekit[serve]\"") from None
    run_server(list(models), runs_dir if runs_dir or models else Path("runs"), host, port, open_browser)


@cli.group()
def cache() -> None:
    """The cache of parsed datasets (VAEKIT_CACHE, else the user cache folder)."""


@cache.command(name="info")
def cache_info() -> None:
    from vaekit.cache import cache_dir

    path = cache_dir()
    files = [f for f in path.rglob("*") if f.is_file()] if path.exists() else []
    click.echo(f"{path}: {len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB")


@cache.command(name="clear")
def cache_clear() -> None:
    from vaekit.cache import cache_dir

    path = cache_dir()
    if path.exists():
        shutil.rmtree(path)
    click.echo(f"cleared {path}")


plugins.register_commands(cli)


def main() -> None:
    cli()
