"""The MIDI plugin's drum verbs, Magenta Studio's Groove and Drumify: ``vaekit groove MODEL beat.mid --out
played.mid`` and ``vaekit drumify MODEL rhythm.mid --out beat.mid`` (see ``grooving.py``). Imports only
click at module level."""

from __future__ import annotations

from pathlib import Path

import click

import vaekit


def _options(f):
    """RUN_DIR INPUT --out [--wav], and the options both verbs share (click collects them last to first)."""
    for decorate in reversed([
        click.argument("run_dir", type=click.Path(path_type=Path)),
        click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path)),
        click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="The .mid file to write."),
        click.option("--wav", type=click.Path(path_type=Path),
                     help="Also play it into this WAV on the General MIDI drum kit (needs FluidSynth)."),
        click.option("--temperature", "-t", default=0.0, show_default=True,
                     help="0: z is the posterior mean, hits are decided at 0.5, velocities and offsets are "
                     "the predicted means; more draws each of them, wider."),
        click.option("--seed", default=0, show_default=True),
        click.option("--device", default="cpu", show_default=True),
    ]):
        f = decorate(f)
    return f


def _report(verb: str, rows, out: Path, wav: Path | None) -> None:
    from vaekit_midi.groove_midi import CLASSES, OFFSET_SCALE

    hit = rows[1: 1 + CLASSES] > 0
    vel, off = rows[1: 1 + CLASSES][hit], rows[1 + CLASSES:][hit] / OFFSET_SCALE
    click.echo(f"{verb}: {rows.shape[1] // 16} bars, {int(hit.sum())} hits, velocity {vel.min() if hit.any() else 0}"
               f"..{vel.max() if hit.any() else 0}, offsets {off.min() if hit.any() else 0:+.2f}.."
               f"{off.max() if hit.any() else 0:+.2f} of a step")
    click.echo(f"wrote {out}" + (f" and {wav}" if wav else ""))


def register(cli: click.Group) -> None:
    @cli.command()
    @_options
    def groove(run_dir: Path, input_path: Path, out: Path, wav: Path | None, temperature: float, seed: int,
               device: str) -> None:
        """Humanise a drum beat (Magenta Studio's Groove): the same hits, with a drummer's velocities and
        timing from a GrooVAE model such as groove_2bar, averaged with those of the real training beats most
        alike. A 4/4 drum MIDI file of any length."""
        from vaekit_midi.grooving import humanize

        rows = humanize(vaekit.load(run_dir, device=device), input_path, out, temperature, seed, wav)
        _report("grooved", rows, out, wav)

    @cli.command()
    @_options
    def drumify(run_dir: Path, input_path: Path, out: Path, wav: Path | None, temperature: float, seed: int,
                device: str) -> None:
        """Turn any rhythm into a drum beat (Magenta Studio's Drumify, Tap2Drum): every onset of the 4/4
        MIDI file (a tapped line, a melody, one drum) becomes the rhythm that a GrooVAE model drums to."""
        from vaekit_midi.grooving import drumify as run

        rows = run(vaekit.load(run_dir, device=device), input_path, out, temperature, seed, wav)
        _report("drumified", rows, out, wav)
