"""The MIDI modality: MusicVAE's melody, drum and trio VAEs. It picks the kind a config names (``data.kind``)
and hands each call to it (see ``kinds/``). Imports nothing heavy at module level."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vaekit import Config, Data, Figures, Handler, Modality, VaekitError

if TYPE_CHECKING:
    import torch

    from vaekit import VAE


def _kind(config: Config):
    from vaekit_midi.kinds import kind_of

    return kind_of(config)


class MidiModality(Modality, Handler):
    name = "midi"
    description = ("Melodies as MusicVAE's 90-class tokens on a 16th-note grid (reads MIDI, ABC, MusicXML, Humdrum); "
                   "drum patterns as 9 classes in 512 tokens (drums_2bar); melody, bass and drums trios (trio_16bar); "
                   "polyphonic piano, notes grouped by onset (piano_2bar)")
    file_types = (".mid", ".midi", ".abc", ".musicxml", ".mxl", ".krn")
    output_suffix = ".mid"
    default_preset = "mel_2bar"
    default_dataset = "folk"
    plugin_api = 2

    def presets(self) -> dict[str, Config]:
        from vaekit_midi.presets import PRESETS

        return PRESETS

    def datasets(self) -> dict[str, str]:
        from vaekit_midi import folk, groove, pop, pop_chords, pop_piano

        return {"folk": folk.DESCRIPTION, "pop": pop.DESCRIPTION, "groove": groove.DESCRIPTION,
                "pop_piano": pop_piano.DESCRIPTION, "pop_chords": pop_chords.DESCRIPTION}

    def migrate(self, config: Config, version: int) -> None:
        """Runs saved before ``model.encoder`` and ``model.encoder_stride`` read a whole window one token a step."""
        if version < 1 and "model" in config:
            config["model"].setdefault("encoder", "flat")
            config["model"].setdefault("encoder_stride", 1)

    def load_dataset(self, source: str, config: Config) -> Data:
        return Data(*_kind(config).load_dataset(source, config))

    def build_model(self, config: Config) -> VAE:
        return _kind(config).build_model(config)

    def conditioned(self, model: VAE, config: Config, inputs: torch.Tensor | None = None, count: int = 1,
                    seed: int = 0):
        """A chord model decodes over ``--chords``, the inputs' chords, or drawn progressions
        (``kinds/chord_melody.py``); every other kind refuses ``--chords``."""
        return _kind(config).conditioned(model, config, inputs, count, seed)

    def metrics(self, model: VAE, batch: tuple[torch.Tensor, ...]) -> dict[str, float]:
        from vaekit_midi.kinds import kind_of_model

        return kind_of_model(model).metrics(model, batch)

    def read(self, path: Path, config: Config) -> torch.Tensor:
        """Every window ``(K, ...)`` of the file (the core picks one with ``--bar``)."""
        return _kind(config).read(Path(path), config)

    def write(self, x: torch.Tensor, path: Path, config: Config) -> None:
        _kind(config).write(x, Path(path), config)

    def reads_span(self, config: Config) -> bool:
        """With ``data.bars`` (``--bars A:B``), a melody file is read as the windows of that span."""
        return bool(config.get("data", {}).get("bars")) and _kind(config).name == "melody"

    def put_back(self, parts: torch.Tensor, config: Config) -> torch.Tensor:
        """The song read last with ``--bars``, those bars taken from ``parts`` (its windows' outputs)."""
        import torch

        from vaekit_midi.music_memo import recall_span

        span = recall_span(config)
        if span is None:
            raise VaekitError("no span of a song was read to put these windows back into")
        song, start, stop, _ = span
        return torch.from_numpy(song.replaced(start, stop, parts.numpy()))

    def write_interpolation(self, x: torch.Tensor, out: Path, config: Config) -> list[Path]:
        """``out`` ending in .mid/.midi: one file playing the steps in order, a bar of rest between
        them; otherwise a directory with one file a step. Steps between two spans of songs (``--bars``)
        are written into song A (``song_interpolation``)."""
        from vaekit_midi.music_memo import recall_span

        out = Path(out)
        span = recall_span(config, back=2) if self.reads_span(config) else None
        if span is not None:
            from vaekit_midi.song_interpolation import write_into_song

            return write_into_song(self, x, out, config, *span)
        if out.suffix.lower() in (".mid", ".midi"):
            out.parent.mkdir(parents=True, exist_ok=True)
            self.write(x, out, config)
            return [out]
        return super().write_interpolation(x, out, config)

    def write_reconstructions(self, inputs: torch.Tensor, outputs: torch.Tensor, names: list[str], out_dir: Path,
                              config: Config) -> list[Path]:
        """Each reconstruction in the tempo, meter and key of its own input (``music_memo``)."""
        from vaekit_midi.music_memo import recall, writing

        paths = []
        for x, y, name in zip(inputs, outputs, names):
            with writing(recall(config, x)):
                paths += self._write_each(y[None], [f"{name}_recon"], Path(out_dir), config)
        return paths

    def write_samples(self, x: torch.Tensor, out_dir: Path, config: Config) -> list[Path]:
        """Samples in the run's own 4/4 and tempo, whatever was read before."""
        from vaekit_midi.music_memo import writing

        with writing(plain=True):
            return super().write_samples(x, out_dir, config)

    def export_dataset(self, name: str, n: int, out_dir: Path, config: Config) -> list[Path]:
        from vaekit_midi.music_memo import writing

        with writing(plain=True):
            return super().export_dataset(name, n, out_dir, config)

    def reading_report(self, source: str, config: Config):
        """How far quantisation moves the notes of the MIDI files in ``source`` (``folder_quantisation``)."""
        from vaekit_midi.folder_quantisation import folder_report
        from vaekit_midi.user_files import list_files

        kind = _kind(config)
        paths, _ = list_files(Path(source), kind, int(config["data"].get("limit_tunes", 0) or 0))
        return folder_report(paths, int(config["data"].get("steps_per_bar", 16))) if kind.name == "melody" else None

    def web_page(self, config: Config) -> str:
        """Drum models open the studio's drums page; the others the melody page."""
        return "drums.html" if _kind(config).name in ("drums", "groove") else ""

    def file_verbs(self, config: Config) -> dict[str, str]:
        """The kind's verbs on whole files: groove and drumify for GrooVAE models."""
        return dict(_kind(config).verbs)

    def apply(self, verb: str, model: VAE, path: Path, config: Config, temperature: float,
              generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return _kind(config).apply(verb, model, Path(path), config, temperature, generator)

    def write_audio(self, x: torch.Tensor, path: Path, config: Config) -> None:
        """A WAV of outputs ``(N, ...)`` played in order, a bar of rest between them (the MIDI that
        ``write`` makes, synthesized by FluidSynth)."""
        import tempfile

        import pretty_midi

        from vaekit_midi.render import write_wav

        with tempfile.TemporaryDirectory() as tmp:
            self.write(x, Path(tmp) / "audio.mid", config)
            write_wav(pretty_midi.PrettyMIDI(str(Path(tmp) / "audio.mid")), Path(path))

    def features(self, x: torch.Tensor, config: Config) -> dict:
        """MGEval's melody features (see ``features.py``); melodies only."""
        from vaekit_midi.features import features

        if _kind(config).name != "melody":
            raise VaekitError(f"quality features are for melodies, not {_kind(config).name}")
        return features(x.detach().cpu().numpy())

    def quality_reference(self, held_out: torch.Tensor, config: Config) -> tuple[torch.Tensor, str]:
        """Melodies trained with ``data.transpose`` learn every key that it reaches, so samples are compared
        with the held-out windows transposed as training windows are (a random shift each, seed 0): the
        untransposed ones sit in fewer keys than the model learned."""
        import torch

        from vaekit_midi.dataset import WindowDataset

        semitones = int(config["data"].get("transpose", 0) or 0)
        if _kind(config).name != "melody" or not semitones:
            return held_out, "the held-out windows as they are"
        with torch.random.fork_rng():
            torch.manual_seed(0)
            shifted = WindowDataset(held_out.cpu().numpy(), semitones).get_batch(torch.arange(len(held_out)))[1]
        return shifted, (f"the held-out windows, each transposed by a random -{semitones}..+{semitones} semitones as "
                         "the training windows were (data.transpose)")

    def interpolation_quality(self, model: VAE, held_out: torch.Tensor, train, config: Config):
        """Smoothness and naturalness of interpolations (see ``interpolation_quality.py``); melodies only."""
        from vaekit_midi.interpolation_quality import interpolation_quality

        if _kind(config).name != "melody":
            return None
        return interpolation_quality(model, held_out.cpu().numpy(), train.windows.numpy())

    def sample_quality(self, generated: torch.Tensor, held_out, train, config: Config) -> Figures | None:
        """Form (see ``form.py``): repetition, key, phrase endings and framewise self-similarity of the
        samples beside the same measures of as many held-out windows; melodies only."""
        import torch

        from vaekit.batches import fetch
        from vaekit_midi.form import form_figures, frame_overlaps, self_similarity

        if _kind(config).name != "melody":
            return None
        samples = generated.detach().cpu().numpy()
        real = fetch(held_out, torch.arange(min(len(samples), len(held_out))))[1].cpu().numpy()
        mine, theirs = form_figures(samples), form_figures(real)
        figures = {name: {"samples": mine[name], "held_out": value} for name, value in theirs.items() if name in mine}
        for name, value in self_similarity(frame_overlaps(samples), frame_overlaps(real)).items():
            figures[name] = {"samples": value, "held_out": 1.0}
        return Figures("form: repeated bars, key, phrase endings (bars 4, 8, ...), framewise self-similarity "
                       "(Mittal et al. 2021; consistency and variance against the held-out windows)", figures)

    def describe(self, x: torch.Tensor, config: Config) -> list[dict]:
        """Each item's tracks as notes ``[onset step, end step, pitch]`` on its grid (drum hits: pitch is
        the General MIDI drum), for the web page's piano rolls and player; where the item came from a
        file read in this request (or from the verb's input), that file's meter, bar length, tempo and key."""
        from vaekit_midi.music_memo import recall_rows

        kind = _kind(config)
        spb = int(config["data"]["steps_per_bar"])
        names = kind.tracks(config)
        items = x.detach().cpu().numpy()
        out = []
        for item, music in zip(items, recall_rows(items, config)):
            meter = {"meter": f"{music.meter[0]}/{music.meter[1]}", "bar_steps": music.bar_steps(spb),
                     "tempo": music.tempo, "key": music.key_name} if music else {}
            out.append({"steps_per_bar": spb, **meter, "tracks": [
                {"name": name, "drums": drums, "notes": notes.tolist()}
                for (name, _, drums), notes in zip(names, kind.to_tracks(item))]})
        return out

    def attribute_vectors(self, run_dir: Path, config: Config) -> dict[str, torch.Tensor]:
        """The vectors ``vaekit attributes`` stored in a melody run (none elsewhere)."""
        from vaekit_midi import attributes

        if _kind(config).name != "melody" or not (Path(run_dir) / attributes.FILE).exists():
            return {}
        return attributes.load(Path(run_dir))[0]

    def render(self, x: torch.Tensor, path: Path, config: Config, labels: list[str] | None = None) -> None:
        """Piano rolls of the items on one pitch axis, a label each (a grid of hits for drums; melody
        and bass rolls for trios)."""
        _kind(config).render(x, Path(path), config, labels)
