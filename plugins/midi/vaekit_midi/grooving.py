"""Magenta Studio's Groove and Drumify on whole files with a GrooVAE run: the file is read on its own
16th-note grid, cut into consecutive 2-bar windows, each window treated, and the windows joined back in
place, so a beat of any length comes back whole (a window without a hit stays silent). The result is
written as played, at the input's tempo.

- ``humanize``: the score's hits are kept; each is given the mean of the velocity and offset that the
  model gives it and that the training beats most alike to the score gave it (``groove_memory``).
- ``drumify``: every onset of every track (drums or not) becomes one tapped voice; the model gives the
  beat, its hits on those onsets (at least one instrument on each).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit import VaekitError
from vaekit.model import randn
from vaekit_midi.groove_memory import alike_playing
from vaekit_midi.groove_midi import CLASSES, hits_of, meter_of, on_grid, tempo_of, to_features, to_rows
from vaekit_midi.groove_model import HUMANIZE, TAP, TAP_ROW, task_input
from vaekit_midi.midi_file import read_midi
from vaekit_midi.parsed import REASONS


def open_file(path: Path) -> Any:
    """The file as ``pretty_midi.PrettyMIDI`` in 4/4, or a VaekitError naming it and what is wrong."""
    path = Path(path)
    if path.suffix.lower() not in (".mid", ".midi"):
        raise VaekitError(f"{path}: not a MIDI file (expected .mid or .midi)")
    pm, reason = read_midi(path)
    if reason:
        raise VaekitError(f"{path}: {REASONS[reason]}")
    reason = meter_of(pm)
    if reason:
        raise VaekitError(f"{path}: {REASONS[reason]}")
    return pm


def read_beat(path: Path) -> np.ndarray:
    """A drum file's hits as ``(19, L)`` rows over whole bars from its start."""
    pm = open_file(path)
    if not any(i.is_drum and i.notes for i in pm.instruments):
        raise VaekitError(f"{path}: {REASONS['no_drums']}")
    hits = hits_of(pm)
    if len(hits) == 0:
        raise VaekitError(f"{path}: {REASONS['no_classes']}")
    return on_grid(hits)


def read_rhythm(path: Path) -> np.ndarray:
    """Every onset of every track of a file as one voice of ``(19, L)`` rows (the step's loudest kept)."""
    pm = open_file(path)
    scale = 4 / pm.resolution
    onsets = [(pm.time_to_tick(n.start) * scale, TAP_ROW, n.velocity) for i in pm.instruments for n in i.notes]
    if not onsets:
        raise VaekitError(f"{path}: {REASONS['no_notes']}")
    return on_grid(np.array(onsets, dtype=np.float64))


def windows_of(rows: np.ndarray, steps: int) -> np.ndarray:
    """Rows ``(19, L)`` padded to whole windows and cut into ``(K, 27, steps)`` features."""
    k = -(-rows.shape[1] // steps)
    padded = np.zeros((rows.shape[0], k * steps), dtype=rows.dtype)
    padded[:, : rows.shape[1]] = rows
    return to_features(padded.reshape(rows.shape[0], k, steps).transpose(1, 0, 2))


@torch.no_grad()
def treat(model: Any, x: torch.Tensor, task: int, temperature: float, generator: torch.Generator) -> torch.Tensor:
    """Windows ``(K, 27, T)`` humanised or drumified; silent windows stay silent. At temperature 0 z is
    the posterior mean and the decoder is greedy; above it z is drawn at that share of the posterior's
    spread, and the decoder draws at that temperature (``GrooveDecoder.sample``). Humanised, the
    velocities and offsets are the mean of the model's and the alike training beats'
    (``groove_memory``), drawn around that above temperature 0."""
    out = torch.zeros_like(x)
    busy = x[:, :CLASSES].amax((1, 2)) > 0
    if not busy.any():
        return out
    x = x[busy].to(model.device)
    mu, logvar = model.encoder(task_input(x, torch.full((len(x),), task, device=x.device)))
    z = mu
    if temperature > 0:
        z = mu + temperature * torch.exp(0.5 * logvar) * randn(tuple(mu.shape), generator, mu.device)
    if task == HUMANIZE:
        hits = x[:, :CLASSES]
        mean = model.decoder.sample(mu, 0.0, hits=hits)
        drawn = mean if temperature <= 0 else model.decoder.sample(z, temperature, generator, hits=hits)
        alike = torch.from_numpy(alike_playing(x.cpu().numpy())).to(mean)
        vel, off = (drawn[:, CLASSES:] + (alike[:, CLASSES:] - mean[:, CLASSES:]) / 2).split(CLASSES, 1)
        out[busy] = torch.cat([hits, vel.clamp(0, 1) * hits, off.clamp(-0.5, 0.5) * hits], 1).cpu()
    else:
        out[busy] = model.decoder.sample(z, temperature, generator, onsets=x[:, :CLASSES].amax(1)).cpu()
    return out


def played(model: Any, config: dict, rows: np.ndarray, task: int, temperature: float,
           generator: torch.Generator) -> np.ndarray:
    """Rows ``(19, L)`` treated a window at a time and joined back in place, ``(19, L)``."""
    steps = int(config["data"]["steps"])
    x = torch.from_numpy(windows_of(rows, steps))
    out = treat(model, x, task, temperature, generator)
    return np.concatenate([to_rows(w) for w in out.numpy()], 1)[:, : rows.shape[1]]


def write_played(rows: np.ndarray, out: Path, tempo: float, wav: Path | None = None) -> None:
    """Rows ``(19, L)`` as a drum MIDI file at ``tempo`` and, where ``wav`` is given, first as audio on
    FluidSynth's General MIDI drum kit (so that a missing synthesizer leaves nothing written)."""
    from vaekit_midi.groove_midi import write_performance

    with tempfile.TemporaryDirectory(prefix="vaekit-groove-") as tmp:
        midi = Path(tmp) / "played.mid"
        write_performance([rows], midi, tempo)
        if wav is not None:
            import pretty_midi

            from vaekit_midi.render import write_wav

            write_wav(pretty_midi.PrettyMIDI(str(midi)), Path(wav))
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(midi, out)


def run_task(p: Any, rows: np.ndarray, task: int, out: Path | None, tempo: float, temperature: float,
             seed: int, wav: Path | None = None) -> np.ndarray:
    if p.config["data"].get("kind") != "groove":
        raise VaekitError(f"{p.run_dir}: groove and drumify need a GrooVAE model (such as groove_2bar), not "
                          f"{p.config['data'].get('kind', 'melody')}")
    joined = played(p.model, p.config, rows, task, temperature, torch.Generator().manual_seed(seed))
    if out is not None:
        write_played(joined, Path(out), tempo, wav)
    return joined


def humanize(p: Any, path: str | Path, out: str | Path | None = None, temperature: float = 0.0,
             seed: int = 0, wav: str | Path | None = None) -> np.ndarray:
    """The beat of drum file ``path`` played: its hits with the model's velocities and offsets, as
    ``(19, L)`` rows, written to ``out`` (and played into ``wav``) at the input's tempo where given."""
    return run_task(p, read_beat(Path(path)), HUMANIZE, out, tempo_of(Path(path)), temperature, seed, wav)


def drumify(p: Any, path: str | Path, out: str | Path | None = None, temperature: float = 0.0,
            seed: int = 0, wav: str | Path | None = None) -> np.ndarray:
    """A full beat for the onsets of ``path`` (any MIDI file), as ``(19, L)`` rows, written to ``out``
    (and played into ``wav``) at the input's tempo where given."""
    return run_task(p, read_rhythm(Path(path)), TAP, out, tempo_of(Path(path)), temperature, seed, wav)


#: The file verbs of GrooVAE models (``Groove.apply``): how each reads its file, and its task.
VERBS = {"groove": (read_beat, HUMANIZE), "drumify": (read_rhythm, TAP)}


def apply(verb: str, model: Any, path: Path, config: dict, temperature: float,
          generator: torch.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``groove`` or ``drumify`` on file ``path``: its rows as read and as played, each ``(19, L)``."""
    read, task = VERBS[verb]
    rows = read(Path(path))
    return rows, played(model, config, rows, task, temperature, generator)
