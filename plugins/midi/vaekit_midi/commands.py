"""The MIDI plugin's own verbs: ``vaekit attributes`` (attribute vectors of a melody run), ``vaekit
transform`` (move a melody along one), ``vaekit inspect`` (what reading a MIDI file finds in it) and
``vaekit compose`` (whole melodies from the composer). Imports only click at module level."""

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
    # imported here, not at the top: importing vaekit.cli loads the plugins, and so this module
    from vaekit.cli import bars_option, reading_options, use_reading_options

    @cli.command()
    @click.argument("run_dir", type=click.Path(path_type=Path))
    @click.option("--data", "-d", help="Windows to measure (default: the run's own data); the training split is used.")
    @click.option("--max-items", default=50000, show_default=True, help="At most this many windows (0: all).")
    @click.option("--quantile", default=0.25, show_default=True, help="Top and bottom share compared.")
    @click.option("--method", type=click.Choice(["difference", "regression"]), default="difference",
                  show_default=True, help="difference: MusicVAE's top minus bottom mean latent; regression: "
                  "each attribute's own direction with the others held fixed (fewer side effects).")
    @click.option("--calibrate", "calibrate_items", default=500, show_default=True,
                  help="Held-out windows on which each vector is scaled so that amount 1 moves its attribute by one "
                  "standard deviation of the training data (0: store the raw vectors).")
    @click.option("--device", default="cpu", show_default=True)
    def attributes(run_dir: Path, data: str | None, max_items: int, quantile: float, method: str,
                   calibrate_items: int, device: str) -> None:
        """Attribute vectors of a melody run (note density, average interval, 8th/16th syncopation,
        in-scale ratio, pitch range): by default the mean latent of the top quarter of the data minus
        that of the bottom quarter, scaled so that ``transform --amount 1`` moves the attribute by one
        standard deviation, stored in the run as attributes.safetensors."""
        from vaekit_midi import attributes as attrs

        if not 0 < quantile <= 0.5:
            raise VaekitError(f"--quantile must lie in (0, 0.5], got {quantile}")
        p = _open_melody_run(run_dir, device)
        if any(m.path == p.run_dir for m in vaekit.shipped_models().values()):
            raise VaekitError(f"{run_dir}: a shipped model; its attribute vectors ship with it (vaekit transform "
                              f"{run_dir} ...), and its folder is not to be written")
        source = data or p.config["data"]["source"]
        spb = int(p.config["data"]["steps_per_bar"])
        windows = attrs.training_windows(p.handler, source, p.config, max_items)
        z = attrs.encode_means(p.model, windows.to(p.model.device))
        vectors, stats = attrs.attribute_vectors(z, windows, spb, quantile, method)
        info = {"source": source, "windows": len(windows), "quantile": quantile, "method": method, "stats": stats}
        if calibrate_items:
            held = attrs.heldout_windows(p.handler, source, p.config, 0, calibrate_items)
            mu = attrs.encode_means(p.model, held.to(p.model.device))
            vectors, calibration = attrs.calibrate(p.model, mu, vectors, attrs.spread(windows, spb), spb)
            info.update(units="sd", calibration=calibration, calibration_windows=len(held))
        path = attrs.save(p.run_dir, vectors, info)
        click.echo(f"{'attribute':<18} {'bottom':>8} {'top':>8} {'|vector|':>9}" + (
            f" {'s.d.':>8} {'scale':>6}" if calibrate_items else ""))
        for name, v in vectors.items():
            line = f"{name:<18} {stats[name]['low']:>8.3f} {stats[name]['high']:>8.3f} {float(v.norm()):>9.3f}"
            if calibrate_items:
                c = info["calibration"][name]
                line += f" {c['sd']:>8.3f} {c['scale']:>6.2f}"
                if c["raw_down"] is None and c["raw_up"] is None:
                    line += (f"  1 s.d. out of reach: {c['reach'][0]:+.2f} / {c['reach'][1]:+.2f} s.d. at "
                             f"-{attrs.GRID[-1]:g} / +{attrs.GRID[-1]:g} x the raw vector")
            click.echo(line)
        unit = (f"amount 1 = 1 s.d., calibrated on {info['calibration_windows']} held-out windows" if calibrate_items
                else "raw, uncalibrated")
        click.echo(f"wrote {path} ({method} vectors from {len(windows)} windows of {source}; {unit})")

    @cli.command()
    @click.argument("run_dir", type=click.Path(path_type=Path))
    @click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
    @click.option("--attribute", "-a", required=True, type=click.Choice(ATTRIBUTES))
    @click.option("--amount", default=1.0, show_default=True,
                  help="How far to move: standard deviations of the attribute in the training data (negative: less).")
    @click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="The .mid file to write.")
    @click.option("--index", "--bar", "index", default=0, show_default=True, help="Which window of the input.")
    @click.option("--temperature", "-t", default=0.0, show_default=True, help="0 decodes greedily.")
    @click.option("--seed", default=0, show_default=True)
    @click.option("--png", type=click.Path(path_type=Path),
                  help="Also draw the input, its reconstruction and the transformed melody to this PNG.")
    @reading_options
    @bars_option
    @click.option("--device", default="cpu", show_default=True)
    def transform(run_dir: Path, input_path: Path, attribute: str, amount: float, out: Path, index: int,
                  temperature: float, seed: int, png: Path | None, track: str | None, pickup: float | None,
                  bars: str | None, device: str) -> None:
        """Move a melody along an attribute vector: decode z + AMOUNT * vector. The output keeps the
        input's tempo, meter and key; with --bars A:B, those bars of the whole song are moved and the
        whole song is written, its other bars as read."""
        import torch

        from vaekit_midi import attributes as attrs

        p = _open_melody_run(run_dir, device)
        use_reading_options(p, track, pickup, bars)
        vectors, info = attrs.load(p.run_dir)
        if attribute not in vectors:
            raise VaekitError(f"{p.run_dir / attrs.FILE}: holds no {attribute!r} vector")
        calibration = info.get("calibration", {}).get(attribute)
        if calibration and amount and calibration["raw_up" if amount > 0 else "raw_down"] is None:
            verb = "raised" if amount > 0 else "lowered"
            click.echo(f"note: when calibrated, this model's {attribute} vector never {verb} it by 1 s.d.: this "
                       f"amount may barely move it, or move it the other way", err=True)
        if bars is not None:
            x, recon, moved = _transform_bars(p, input_path, attribute, amount, temperature, seed, out)
        else:
            x = p.read(input_path, index)
            recon, moved = p.transform(x, attribute, amount, temperature=temperature, seed=seed)
            out.parent.mkdir(parents=True, exist_ok=True)
            p.handler.write(moved, out, p.config)
        spb = int(p.config["data"]["steps_per_bar"])
        values = [attrs.attributes(t, spb)[attribute].item() for t in (x, recon, moved)]
        click.echo(f"{attribute}: input {values[0]:.3f}, reconstruction {values[1]:.3f}, "
                   f"transformed {values[2]:.3f} (amount {amount:g})")
        click.echo(f"wrote {out}")
        if png is not None:
            p.handler.render(torch.stack([x.cpu(), recon, moved]), png, p.config,
                              labels=["input", "reconstruction", f"transformed: {attribute} {amount:+g}"])
            click.echo(f"wrote {png}")

    @cli.command()
    @click.argument("path", metavar="FILE", type=click.Path(path_type=Path))
    @reading_options
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    def inspect(path: Path, track: str | None, pickup: float | None, as_json: bool) -> None:
        """What reading a MIDI file finds: its tracks (which is taken as the melody, and why), tempo,
        meter, key, pickup, and how far quantisation to 16th notes moves the melody; of a score
        (.abc, .musicxml, .mxl, .krn), what the 16th-note grid moved or left out of its parts."""
        import json

        from vaekit_midi.midi_file import MIDI_TYPES
        from vaekit_midi.reading import read_user_midi

        if path.suffix.lower() not in MIDI_TYPES:
            _inspect_score(path, as_json)
            return
        r = read_user_midi(path, track=track, pickup=pickup)
        chords = _chords(path)
        if as_json:
            click.echo(json.dumps({**r.to_dict(), "chords": chords}, indent=2))
            return
        click.echo(f"{path}: {r.music}")
        for change in r.changes:
            click.echo(f"  later: {change} (the written file keeps the start's)")
        click.echo(f"  {'':1} {'track':>5}  {'name':<16} {'program':>7} {'notes':>6}  range")
        for t in r.tracks:
            span = (f"{pretty_name(t.low)}..{pretty_name(t.high)}" if t.notes else "-") + ("  drums" if t.drums else "")
            click.echo(f"  {'*' if t.chosen else '':1} {t.index:>5}  {(t.name or '(unnamed)')[:16]:<16} "
                       f"{t.program:>7} {t.notes:>6}  {span}" + (f"  melody: {t.why}" if t.chosen else ""))
        click.echo(f"  {r.report}" + (f"; likely {r.report.cause}" if r.report.cause else ""))
        warning = r.report.warning(str(path))
        if warning:
            click.echo(f"warning: {warning}")
        _echo_chords(chords)

    @cli.command()
    @click.argument("model", required=False, type=click.Path(path_type=Path))
    @click.option("--bars", "-b", help="Bars in each melody: even, 2 to 64 (default 64, or 8 a letter of --form).")
    @click.option("-n", "count", default=4, show_default=True, type=click.IntRange(1, 256), help="How many melodies.")
    @click.option("--seed", default=0, show_default=True, help="The same seed writes the same melodies.")
    @click.option("--out", "-o", required=True, type=click.Path(path_type=Path), help="The folder to write into.")
    @click.option("--continue", "continued", type=click.Path(path_type=Path),
                  help="A melody (MIDI file) to continue: its bars open every song as written, the rest follows.")
    @click.option("--infill", nargs=2, type=click.Path(path_type=Path), metavar="START END",
                  help="Two melodies: START opens every song and END closes it, as written; the bars between are "
                  "written.")
    @click.option("--between", nargs=2, type=click.Path(path_type=Path), metavar="A B",
                  help="Two songs: write --steps songs from A to B, each 2-bar window moving from A's to B's "
                  "(whole-song interpolation; --bars, default the shorter song's, at most 64).")
    @click.option("--steps", type=click.IntRange(2, 64), help="--between: songs written, A and B included "
                  "(default 5).")
    @click.option("--temperature", "-t", default=0.0, show_default=True,
                  help="mel_2bar's decoding of each 2-bar code: 0 decodes greedily.")
    @click.option("--spread", type=float, help="The composer's noise scale: 1 as trained (the default), below 1 "
                  "nearer its likeliest songs (busier, in a slightly steadier key).")
    @click.option("--repeat", type=float, help="The share of the written 2-bar windows that repeat an earlier window "
                  "exactly (0: as drawn; default 0.3).")
    @click.option("--form", help="Section letters, one per 8 bars, such as AABA: a repeated letter repeats its "
                  "section, varied by --variation.")
    @click.option("--variation", type=float, help="How far a repeated section of --form strays from its first "
                  "statement: 0 repeats it exactly, 1 writes it anew (default 0.1).")
    @click.option("--free-key", is_flag=True, help="Leave the composer's windows as drawn, rather than draw again "
                  "those that stray from the song's key.")
    @click.option("--open", "open_phrases", is_flag=True, help="Decode every window as drawn, rather than close each "
                  "8-bar section on a held note.")
    @click.option("--png", is_flag=True, help="Also draw each song's piano roll, 16 bars a row, beside its MIDI file.")
    def compose(model: Path | None, bars: str | None, count: int, seed: int, out: Path, continued: Path | None,
                infill: tuple[Path, Path] | None, between: tuple[Path, Path] | None, steps: int | None,
                temperature: float, spread: float | None, repeat: float | None, form: str | None,
                variation: float | None, free_key: bool, open_phrases: bool, png: bool) -> None:
        """Whole melodies of up to 64 bars from MODEL (default: the shipped composer, a diffusion prior
        over sequences of mel_2bar's 2-bar codes), one MIDI file each; or a melody continued, or the bars
        between two melodies written, or a path from one song to another."""
        from vaekit_midi import compose as composing
        from vaekit_midi.composer_model import load

        try:
            length = None if bars is None else int(bars)
        except ValueError:
            raise VaekitError(f"--bars {bars!r}: give an even number of bars from 2 to {composing.MAX_BARS}") from None
        if between:
            if continued or infill or form or variation is not None or repeat is not None:
                raise VaekitError("--between writes a path between two songs: give it without --continue, --infill, "
                                  "--form, --variation and --repeat")
            _between(model, between, length, steps, out, seed, temperature, not free_key, not open_phrases, png)
            return
        if steps is not None:
            raise VaekitError("--steps counts the songs of --between: give --between too")
        length = composing.song_bars(length, form, variation, composing.MAX_BARS)
        if continued and infill:
            raise VaekitError("give --continue or --infill, not both")
        if form is not None and (continued or infill):
            raise VaekitError("give --form or --continue/--infill, not both")
        composer, card = load(model or composing.SHIPPED)
        mel = vaekit.load(card["config"]["codes_of"])
        before = composing.read_given(continued or infill[0], mel) if continued or infill else None
        after = composing.read_given(infill[1], mel) if infill else None
        chosen = {name: value for name, value in (("spread", spread), ("repeat", repeat), ("variation", variation))
                  if value is not None}
        songs = composing.compose(composer, mel, length, count, seed, before, after, temperature, form=form,
                                  hold_key=not free_key, close=not open_phrases, **chosen)
        written = composing.write_songs(songs, out, mel, before.music if before else None, png)
        click.echo(f"wrote {len(songs)} melodies of {length} bars into {out} ({len(written)} files)")


def _between(model: Path | None, songs: tuple[Path, Path], bars: int | None, steps: int | None, out: Path,
             seed: int, temperature: float, key: bool, close: bool, png: bool) -> None:
    """``vaekit compose --between A B``: the songs of ``song_morph.morph``, written in A's tempo and key."""
    from vaekit.pipeline import seeded
    from vaekit_midi import compose as composing
    from vaekit_midi.composer_model import load
    from vaekit_midi.song_morph import STEPS, morph

    composer, card = load(model or composing.SHIPPED)
    mel = vaekit.load(card["config"]["codes_of"])
    a, b = (composing.read_given(path, mel) for path in songs)
    shorter = min(a.windows, b.windows, composing.MAX_BARS // 2)
    windows = shorter if bars is None else composing.check_bars(bars)
    for path, song in zip(songs, (a, b)):
        if song.windows < windows:
            raise VaekitError(f"{path}: holds {song.windows * 2} bars (whole 2-bar windows), fewer than --bars {bars}")
    written = morph(composer, mel, a, b, windows, steps or STEPS, seeded(seed), temperature=temperature, key=key,
                    close=close)
    files = composing.write_songs(written, out, mel, a.music, png, name="step")
    click.echo(f"wrote {len(written)} songs of {windows * 2} bars from {songs[0].name} to {songs[1].name} into {out} "
               f"({len(files)} files)")


def _chords(path: Path) -> dict | None:
    """A file's chords bar by bar and where they came from (``chord_recognition``), or None."""
    from vaekit_midi.chord_recognition import found_chords

    found = found_chords(path)
    return None if found is None else {"source": found.source, "first_bar": found.first_bar, "bars": found.by_bar()}


def _echo_chords(chords: dict | None, per_line: int = 4) -> None:
    if chords is None:
        click.echo("  chords: none (no chord annotation, no chord symbols, no accompaniment to recognise them from)")
        return
    click.echo(f"  chords ({chords['source']}), bar by bar:")
    bars, number = chords["bars"], chords["first_bar"]
    for first in range(0, len(bars), per_line):
        last = min(first + per_line, len(bars))
        span = f"bar {first + number}" if last - first == 1 else f"bars {first + number}-{last - 1 + number}"
        click.echo(f"    {span}: " + " | ".join(bars[first:last]))


def _inspect_score(path: Path, as_json: bool) -> None:
    """``vaekit inspect`` of a score: the melody segments its parts give, and what the grid changed."""
    import json

    from vaekit_midi.kinds.melody import Melody
    from vaekit_midi.parsed import REASONS

    if path.suffix.lower() not in Melody.file_types:
        raise VaekitError(f"{path}: inspect reads MIDI and score files ({', '.join(Melody.file_types)})")
    parsed = Melody().parse(path)
    if parsed.reason:
        raise VaekitError(f"{path}: {REASONS[parsed.reason]}")
    report = parsed.report
    chords = _chords(path)
    if as_json:
        click.echo(json.dumps({"path": str(path), "score": True, "segments": len(parsed.segments),
                               "quantisation": report.to_dict(), "chords": chords}, indent=2))
        return
    click.echo(f"{path}: a score, every part read as a melody: {len(parsed.segments)} segment(s) on the 16th-note grid")
    click.echo(f"  {report}" + (f"; likely {report.cause}" if report.cause else ""))
    warning = report.warning(str(path))
    if warning:
        click.echo(f"warning: {warning}")
    _echo_chords(chords)


def _transform_bars(p, path: Path, attribute: str, amount: float, temperature: float, seed: int, out: Path):
    """The bars of a whole song that ``data.bars`` names moved window by window (``Pipeline.transform`` of
    a span) and the whole song written at ``out``; the span as read, reconstructed and moved (each
    ``(steps,)``, for the printout and picture)."""
    import torch

    from vaekit_midi.music_memo import recall_span, writing
    from vaekit_midi.song import parse_bars

    recon, moved = p.transform(path, attribute, amount, temperature=temperature, seed=seed)
    song, start, stop, music = recall_span(p.config)
    out.parent.mkdir(parents=True, exist_ok=True)
    with writing(music):
        p.handler.write(moved, out, p.config)
    first, last = parse_bars(p.config["data"]["bars"])
    windows = -(-(stop - start) // int(p.config["data"]["steps"]))
    click.echo(f"{path}: bars {first} to {last} of {song.bars} moved ({windows} window(s)); the rest as read")
    return torch.from_numpy(song.tokens[start:stop]), recon[start:stop], moved[start:stop]


def pretty_name(pitch: int) -> str:
    import pretty_midi

    return pretty_midi.note_number_to_name(pitch)
