"""Trios as MusicVAE models them: melody (an instrument of program 0-31), bass (32-39) and drums, on one
16th-note grid, as three token rows ``(3, T)``: melody tokens (90 classes), bass tokens (the same 90
classes) and drum tokens (512).

Reading takes the first melody and the first bass instrument of a MIDI file (in file order) and all
its drum tracks; each of melody and bass is reduced to one line as melodies are (highest of notes
that start together, each clipped at the next onset). Windows start at bar lines and must hold a
note of each part. Writing gives three tracks: melody (program 0), bass (program 33) and drums.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaekit import Config, VaekitError
from vaekit_midi.kinds.base import Kind
from vaekit_midi.kinds.drums import drum_notes, hits_of
from vaekit_midi.melody_lines import monophonic
from vaekit_midi.midi_file import grid_of, inside, meter_sections, on_grid, read_midi
from vaekit_midi.parsed import Parsed
from vaekit_midi.tokens import decode, encode, encode_hits

if TYPE_CHECKING:
    import torch

    from vaekit import VAE

PARTS = ("melody", "bass", "drums")
MELODY_PROGRAMS = range(0, 32)
BASS_PROGRAMS = range(32, 40)
BASS_PROGRAM = 33  # electric bass (finger), as MusicVAE writes


class Trio(Kind):
    name = "trio"
    empty = np.zeros((3, 0), np.int16)

    def parse(self, path: Path, steps_per_bar: int = 16) -> Parsed:
        pm, reason = read_midi(path)
        if reason:
            return Parsed(reason=reason)
        pitched = [i for i in pm.instruments if not i.is_drum and i.notes]
        melody = next((i for i in pitched if i.program in MELODY_PROGRAMS), None)
        bass = next((i for i in pitched if i.program in BASS_PROGRAMS), None)
        kit = [i for i in pm.instruments if i.is_drum and i.notes]
        if melody is None:
            return Parsed(reason="no_melody")
        if bass is None:
            return Parsed(reason="no_bass")
        if not kit:
            return Parsed(reason="no_drums")
        grid = grid_of(pm, path, steps_per_bar)
        lines, reason = on_grid(grid, [melody, bass])
        hits, reason = (np.zeros((0, 2), np.int64), reason) if reason else hits_of(grid, kit)
        if reason:
            return Parsed(reason=reason)
        end = max(int(lines[0][:, 1].max()), int(lines[1][:, 1].max()), int(hits[:, 0].max(initial=-1)) + 1)
        sections = meter_sections(grid, end)
        if sections is None:
            return Parsed(reason="too_long")
        out = Parsed()
        for start, stop, length, bar in sections:
            rows = [encode(monophonic(inside(notes, start, stop), length), length).astype(np.int16) for notes in lines]
            rows.append(encode_hits(inside(hits, start, stop), length))
            out.segments.append((np.stack(rows), bar))
        if not out.segments:
            out.reason = "no_meter"
        return out

    def keep(self, windows: np.ndarray, steps_per_bar: int = 16) -> np.ndarray:
        """Windows that hold a note of each part; a note held from before a window is cut (its note-off
        dropped)."""
        lines = windows[:, :2]
        lines[(lines == 1) & (np.cumsum(lines >= 2, axis=2) == 0)] = 0
        return (lines >= 2).any(axis=2).all(axis=1) & (windows[:, 2] > 0).any(axis=1)

    def no_window(self, path: Path, parsed: Parsed, steps: int, steps_per_bar: int) -> str:
        return (f"{path}: no {steps}-step window ({steps / steps_per_bar:g} bars of 4/4) holds a note of "
                "melody, bass and drums")

    def no_dataset(self, source: str) -> str:
        return (f"{source or 'folk'}: trio models need your own multi-track (melody, bass, drums) MIDI files: "
                "--data PATH (a folder or a file; there is no built-in trio dataset)")

    def build_model(self, config: Config) -> VAE:
        """One encoder over the three parts, one conductor feeding three bar decoders."""
        from vaekit import VAE
        from vaekit_midi.networks import TrioDecoder, TrioEncoder, encoder_stride

        m, data = config["model"], config["data"]
        latent, bf16, dropout, steps = m["latent_dim"], m["bf16"], m["dropout"], data["steps"]
        if m["decoder"] != "hierarchical":
            raise VaekitError(f"model.decoder is {m['decoder']!r}; trio models use a hierarchical decoder")
        if steps % data["steps_per_bar"]:
            raise VaekitError(f"data.steps {steps} is not a whole number of bars of data.steps_per_bar "
                              f"{data['steps_per_bar']}, as the trio decoder needs")
        if encoder_stride(config) != 1:
            raise VaekitError("model.encoder_stride is for melody and drum models; trio models read one token a step")
        encoder = TrioEncoder(latent, m["encoder_hidden"], m["encoder_layers"], m["embed"], dropout, bf16)
        decoder = TrioDecoder(latent, steps, data["steps_per_bar"], m["conductor_hidden"], m["conductor_layers"],
                              m["decoder_hidden"], m["decoder_layers"], m["embed"], dropout, m["sampling_rate"], bf16)
        return VAE(encoder, decoder, latent, variational=m["variational"])

    def predict(self, logits: torch.Tensor) -> torch.Tensor:
        """The most likely token of each part and step: ``(B, 3, T)``."""
        import torch

        from vaekit_midi.networks import TRIO_VOCABS

        return torch.stack([part.argmax(-1) for part in logits.split(TRIO_VOCABS, -1)], 1)

    def own_metrics(self, x: torch.Tensor, tf: torch.Tensor, recon: torch.Tensor) -> dict[str, torch.Tensor]:
        from vaekit_midi.metrics import hit_f1, note_f1

        return {"melody_f1": note_f1(x[:, 0], recon[:, 0]), "bass_f1": note_f1(x[:, 1], recon[:, 1]),
                "drums_f1": hit_f1(x[:, 2], recon[:, 2])}

    def tracks(self, config: Config) -> list[tuple[str, int, bool]]:
        return [("melody", 0, False), ("bass", BASS_PROGRAM, False), ("drums", 0, True)]

    def to_tracks(self, item: np.ndarray) -> list[np.ndarray]:
        return [decode(item[0]), decode(item[1]), drum_notes(item[2])]

    def render(self, x: torch.Tensor, path: Path, config: Config, labels: list[str] | None = None) -> None:
        """Piano rolls of the melody and the bass of each trio."""
        from vaekit_midi.render import piano_roll

        x = x.detach().cpu().numpy()
        labels = [f"{label} {part}" for label in labels or range(len(x)) for part in ("melody", "bass")]
        piano_roll(x[:, :2].reshape(-1, x.shape[-1]), Path(path), config, labels)
