"""Polyphonic piano, after PianoTree VAE: the piano part of a MIDI file as the onset-grouped notes of
``piano_tokens.py`` (every note, chords and all), with the built-in ``pop_piano`` data (POP909's
accompaniment, ``pop_piano.py``). A file's piano part is its tracks named PIANO (as in POP909), else
its non-drum tracks of a piano program (General MIDI 0-7) that are not named MELODY or BRIDGE. A
window is kept where a note starts in each of its bars; its durations end at its end. Written as
one track of acoustic grand piano (program 0)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaekit import Config
from vaekit_midi.kinds.base import Kind
from vaekit_midi.midi_file import grid_of, inside, meter_sections, on_grid, read_midi
from vaekit_midi.parsed import Parsed
from vaekit_midi.piano_tokens import MAX_NOTES, ROWS, clip_to_window, decode, encode

if TYPE_CHECKING:
    import torch

    from vaekit import VAE
    from vaekit_midi.corpus import Corpus

PIANO_PROGRAMS = range(0, 8)
OTHER_PARTS = ("melody", "bridge")
BUILTIN = "pop_piano"


def piano_part(instruments: list) -> list:
    """The instruments that make a file's piano part (see the module's docstring); may be none."""
    pitched = [i for i in instruments if not i.is_drum and i.notes]
    named = [i for i in pitched if i.name.strip().lower() == "piano"]
    return named or [i for i in pitched if i.program in PIANO_PROGRAMS and i.name.strip().lower() not in OTHER_PARTS]


class Piano(Kind):
    name = "piano"
    empty = np.zeros((ROWS, 0), np.int16)

    def parse(self, path: Path, steps_per_bar: int = 16) -> Parsed:
        pm, reason = read_midi(path)
        if reason:
            return Parsed(reason=reason)
        if not any(i.notes for i in pm.instruments):
            return Parsed(reason="no_notes")
        part = piano_part(pm.instruments)
        if not part:
            return Parsed(reason="no_piano")
        grid = grid_of(pm, path, steps_per_bar)
        notes, reason = on_grid(grid, part)
        if reason:
            return Parsed(reason=reason)
        notes = np.concatenate(notes)
        sections = meter_sections(grid, int(notes[:, 1].max()) + 1)
        if sections is None:
            return Parsed(reason="too_long")
        out = Parsed()
        for start, stop, length, bar in sections:
            part_notes = inside(notes, start, stop)
            part_notes[:, 1] = np.minimum(part_notes[:, 1], length)
            out.segments.append((encode(part_notes, length), bar))
        if not out.segments:
            out.reason = "no_meter"
        return out

    def keep(self, windows: np.ndarray, steps_per_bar: int = 16) -> np.ndarray:
        """Windows where a note starts in each bar (the first only where they are not whole bars);
        their durations cut at their end."""
        clip_to_window(windows)
        onsets = windows[:, 0] > 0
        steps = windows.shape[-1]
        if steps % steps_per_bar:
            return onsets[:, :steps_per_bar].any(1)
        return onsets.reshape(len(windows), steps // steps_per_bar, steps_per_bar).any(2).all(1)

    def no_window(self, path: Path, parsed: Parsed, steps: int, steps_per_bar: int) -> str:
        bars = f"{steps / steps_per_bar:g} bars"
        return f"{path}: no {steps}-step window ({bars}) of its piano part has a note in each bar"

    def no_dataset(self, source: str) -> str:
        return (f"{source or 'folk'}: piano models train on the built-in '{BUILTIN}' (POP909's accompaniment) or on "
                "your own piano MIDI files: --data PATH (a folder or a file)")

    def builtin(self, source: str) -> bool:
        return source == BUILTIN

    def corpus(self, source: str, config: Config) -> Corpus:
        if not self.builtin(source):
            return super().corpus(source, config)
        from vaekit_midi.pop_piano import load_pop_piano

        data = config["data"]
        return load_pop_piano(int(data.get("limit_tunes", 0) or 0), int(data.get("steps_per_bar", 16)))

    def build_model(self, config: Config) -> VAE:
        """The PianoTree-like VAE of ``piano_model.py``."""
        from vaekit import VAE
        from vaekit_midi.piano_model import PianoDecoder, PianoEncoder

        m, data = config["model"], config["data"]
        encoder = PianoEncoder(m["latent_dim"], m["note_hidden"], m["encoder_hidden"])
        decoder = PianoDecoder(m["latent_dim"], data["steps"], m["note_hidden"], m["decoder_hidden"], m["note_hidden"])
        return VAE(encoder, decoder, m["latent_dim"], variational=m["variational"])

    def metrics(self, model: VAE, batch: tuple[torch.Tensor, ...]) -> dict[str, float]:
        """With z = mu: ``acc_tf``, the teacher-forced accuracy of each step's pitches and end token;
        ``acc_sampled``, the share of steps whose notes the greedy reconstruction gets all right; and
        the note metrics of that reconstruction (:meth:`own_metrics`)."""
        import torch

        from vaekit_midi.piano_model import END, PITCH_CLASSES, split_tokens

        x_in, x = (t.to(model.device) for t in batch[:2])
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                mu, _ = model.encoder(x_in)
                logits = model.decoder(mu, x)
                recon = model.decoder.sample(mu, 0.0)
        finally:
            model.train(was_training)
        pitch, _ = split_tokens(x)
        target = torch.cat([pitch, torch.full_like(pitch[..., :1], END)], -1)
        scored = torch.arange(MAX_NOTES + 1, device=x.device) <= (pitch != END).sum(-1, keepdim=True)
        right = (logits[..., :PITCH_CLASSES].argmax(-1) == target) & scored
        own = self.own_metrics(x, logits, recon)
        return {"acc_tf": (right.sum() / scored.sum()).item(),
                "acc_sampled": (recon == x).all(1).float().mean().item(),
                **{name: value.item() for name, value in own.items()}}

    def own_metrics(self, x: torch.Tensor, tf: torch.Tensor, recon: torch.Tensor) -> dict[str, torch.Tensor]:
        """Precision, recall and F1 of the reconstruction's notes, pooled over the batch: a note matches
        where onset, pitch and duration are all right (``note_*``), or onset and pitch (``onset_*``)."""
        from vaekit_midi.piano_metrics import note_metrics

        return note_metrics(x, recon)

    def tracks(self, config: Config) -> list[tuple[str, int, bool]]:
        return [("piano", 0, False)]

    def describe(self, x: torch.Tensor, config: Config) -> list[dict]:
        """As every kind's, with each item's length in steps (its values are notes, not steps)."""
        steps = int(config["data"]["steps"])
        return [{**d, "steps": steps} for d in super().describe(x, config)]

    def to_tracks(self, item: np.ndarray) -> list[np.ndarray]:
        return [decode(item)]

    def render(self, x: torch.Tensor, path: Path, config: Config, labels: list[str] | None = None) -> None:
        from vaekit_midi.piano_render import piano_rolls

        items = x.detach().cpu().numpy()
        if items.ndim == 2:
            items = items[None]
        piano_rolls([decode(item) for item in items], items.shape[-1], Path(path), labels,
                    int(config.get("data", {}).get("steps_per_bar", 16)))

