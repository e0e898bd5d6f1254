"""The MIDI modality: MusicVAE-style melody VAEs. Imports nothing heavy at module level."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaekit.modality import Modality

if TYPE_CHECKING:
    import torch

    from vaekit.model import VAE

Config = dict[str, Any]


def _data(config: Config) -> Config:
    return config.get("data", {})


def _kind(config: Config) -> str:
    """``melody``, ``drums`` or ``trio``: what the preset's ``data.kind`` models (melody where it names none)."""
    return _data(config).get("kind", "melody")


class MidiModality(Modality):
    name = "midi"
    description = ("Melodies as MusicVAE's 90-class tokens on a 16th-note grid (reads MIDI, ABC, MusicXML, Humdrum); "
                   "drum patterns as 9 classes in 512 tokens (drums_2bar); melody, bass and drums trios (trio_16bar)")
    file_types = (".mid", ".midi", ".abc", ".musicxml", ".mxl", ".krn")
    output_suffix = ".mid"
    default_preset = "mel_2bar"
    default_dataset = "folk"
    plugin_api = 1

    def presets(self) -> dict[str, Config]:
        from vaekit_midi.presets import PRESETS

        return PRESETS

    def datasets(self) -> dict[str, str]:
        from vaekit_midi.folk import DESCRIPTION

        return {"folk": DESCRIPTION}

    def load_dataset(self, source: str, config: Config):
        if _kind(config) != "melody":
            from vaekit_midi.tracks import load_dataset
        else:
            from vaekit_midi.dataset import load_dataset

        return load_dataset(source, config)

    def build_model(self, config: Config) -> VAE:
        if _kind(config) != "melody":
            from vaekit_midi.multitrack import build_model
        else:
            from vaekit_midi.models import build_model

        return build_model(config)

    def metrics(self, model: VAE, batch: tuple[torch.Tensor, ...]) -> dict[str, float]:
        if getattr(model, "kind", "melody") != "melody":
            from vaekit_midi.multitrack import metrics
        else:
            from vaekit_midi.metrics import metrics

        return metrics(model, batch)

    def read(self, path: Path, config: Config) -> torch.Tensor:
        """Every window ``(K, T)`` of the file's melodies (the core picks one with ``--bar``)."""
        if _kind(config) != "melody":
            from vaekit_midi.tracks import KINDS

            return KINDS[_kind(config)].read_windows(Path(path), config)
        from vaekit_midi.dataset import read_windows

        return read_windows(Path(path), config)

    def write(self, x: torch.Tensor, path: Path, config: Config) -> None:
        if _kind(config) != "melody":
            from vaekit_midi.tracks import KINDS

            return KINDS[_kind(config)].write(x, Path(path), config)
        from vaekit_midi.midi_io import write_midi

        data = _data(config)
        write_midi(
            x.detach().cpu().numpy(),
            Path(path),
            tempo=float(data.get("tempo", 120)),
            program=int(data.get("program", 0)),
            steps_per_bar=int(data.get("steps_per_bar", 16)),
        )

    def write_interpolation(self, x: torch.Tensor, out: Path, config: Config) -> list[Path]:
        """``out`` ending in .mid/.midi: one file playing the steps in order, a bar of rest between
        them; otherwise a directory with one file a step."""
        out = Path(out)
        if out.suffix.lower() in (".mid", ".midi"):
            out.parent.mkdir(parents=True, exist_ok=True)
            self.write(x, out, config)
            return [out]
        return super().write_interpolation(x, out, config)

    def write_audio(self, x: torch.Tensor, path: Path, config: Config) -> None:
        """A WAV of outputs ``(N, ...)`` played in order, a bar of rest between them (the MIDI that
        ``write`` makes, synthesized by FluidSynth)."""
        import tempfile

        import pretty_midi

        from vaekit_midi.render import write_wav

        with tempfile.TemporaryDirectory() as tmp:
            self.write(x, Path(tmp) / "audio.mid", config)
            write_wav(pretty_midi.PrettyMIDI(str(Path(tmp) / "audio.mid")), Path(path))

    def render(self, x: torch.Tensor, path: Path, config: Config) -> None:
        """A piano-roll PNG of outputs ``(N, T)`` (a grid of hits for drums; melody and bass rolls for trios)."""
        if _kind(config) == "drums":
            from vaekit_midi.drums import drum_grid

            return drum_grid(x, Path(path), config)
        from vaekit_midi.render import piano_roll

        x = x.detach().cpu().numpy()
        if _kind(config) == "trio":  # melody and bass of each trio, one roll each
            x = x[:, :2].reshape(-1, x.shape[-1])
        piano_roll(x, Path(path), config)
