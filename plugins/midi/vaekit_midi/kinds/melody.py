"""Melodies: MusicVAE's 90-class tokens, read from MIDI files (every non-drum instrument on its own)
and scores (.abc, .musicxml, .mxl, .krn through music21), with the built-in ``folk`` dataset."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaekit import Config, Data, Figures, VaekitError
from vaekit_midi.chords import chords_on_grid, read_chord_annotation
from vaekit_midi.kinds.base import Kind
from vaekit_midi.melody_lines import Section, placed_segments, usable
from vaekit_midi.midi_file import MIDI_TYPES, grid_of, inside, meter_sections, on_grid, read_midi
from vaekit_midi.parsed import MAX_SCORE_BYTES, REASONS, Parsed, refuse
from vaekit_midi.tokens import MAX_PITCH, MIN_PITCH, decode

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import torch

    from vaekit import VAE
    from vaekit_midi.corpus import Corpus


def read_melodies(path: Path, steps_per_bar: int = 16, chords: bool = False) -> Parsed:
    """Melody segments of every non-drum instrument of a MIDI file (only of those named "melody" where
    there are such, as in POP909), or the reason there are none. With ``chords``, each segment is
    ``(2, L)`` int16: its tokens over the chord index of each step, from the POP909-style chord
    annotation beside the file (``chords.CHORDS_FILE``; reason ``no_chords`` where there is none)."""
    annotation = chord_rows(path) if chords else None
    if chords and annotation is None:
        return Parsed(reason="no_chords")
    pm, reason = read_midi(path)
    if reason:
        return Parsed(reason=reason)
    tracks = [i for i in pm.instruments if i.notes]
    if not tracks:
        return Parsed(reason="no_notes")
    tracks = [i for i in tracks if not i.is_drum]
    if not tracks:
        return Parsed(reason="drums_only")
    tracks = [i for i in tracks if i.name.strip().lower() == "melody"] or tracks
    grid = grid_of(pm, path, steps_per_bar)
    all_notes, reason = on_grid(grid, tracks)
    if reason:
        return Parsed(reason=reason)
    if not any(((n[:, 2] >= MIN_PITCH) & (n[:, 2] <= MAX_PITCH)).any() for n in all_notes):
        return Parsed(reason="out_of_range")
    sections = meter_sections(grid, max(int(n[:, 1].max()) for n in all_notes) + 1)
    if sections is None:
        return Parsed(reason="too_long")
    out = Parsed()
    end = max((first + length for first, _, length, _ in sections), default=0)
    under = None if annotation is None else chords_on_grid(annotation, grid.step, end)
    for start, stop, length, bar in sections:
        for notes in all_notes:
            part = inside(notes, start, stop)
            part[:, 1] = np.minimum(part[:, 1], length)
            for tokens, bar_steps, at in placed_segments(Section(part, length, bar), steps_per_bar):
                if under is not None:
                    at += start
                    tokens = np.stack([tokens.astype(np.int16), under[at:at + len(tokens)]])
                out.segments.append((tokens, bar_steps))
    if not out.segments:
        out.reason = "no_meter"
    return out


def chord_rows(path: Path) -> list[tuple[float, float, int]] | None:
    """The chord annotation beside a MIDI file, None where it is missing or unreadable."""
    try:
        return read_chord_annotation(path)
    except VaekitError:
        return None


def flat_encoder(config: Config):
    """One bidirectional LSTM over the window."""
    from vaekit_midi.networks import LSTMEncoder, encoder_stride

    m = config["model"]
    return LSTMEncoder(m["latent_dim"], m["encoder_hidden"], m["encoder_layers"], m["embed"], m["dropout"], m["bf16"],
                       stride=encoder_stride(config))


def bar_encoder(config: Config):
    """A bidirectional LSTM with a direct path from each bar's summary (long windows)."""
    from vaekit_midi.networks import BarEncoder, encoder_stride

    m, data = config["model"], config["data"]
    return BarEncoder(m["latent_dim"], m["encoder_hidden"], data["steps"] // data["steps_per_bar"],
                      data["steps_per_bar"], m["encoder_layers"], m["embed"], m["dropout"], m["bf16"],
                      stride=encoder_stride(config))


def flat_decoder(config: Config):
    """One LSTM over the window's steps."""
    from vaekit_midi.networks import FlatDecoder

    m = config["model"]
    return FlatDecoder(m["latent_dim"], config["data"]["steps"], m["decoder_hidden"], m["decoder_layers"], m["embed"],
                       m["dropout"], m["sampling_rate"], m["bf16"])


def hierarchical_decoder(config: Config):
    """MusicVAE's conductor: an embedding a bar, each bar decoded from its own."""
    from vaekit_midi.networks import HierarchicalDecoder

    m, data = config["model"], config["data"]
    return HierarchicalDecoder(m["latent_dim"], data["steps"], data["steps_per_bar"], m["conductor_hidden"],
                               m["conductor_layers"], m["decoder_hidden"], m["decoder_layers"], m["embed"],
                               m["dropout"], m["sampling_rate"], m["bf16"])


#: What ``model.encoder`` and ``model.decoder`` name.
ENCODERS = {"flat": flat_encoder, "hierarchical": bar_encoder}
DECODERS = {"flat": flat_decoder, "hierarchical": hierarchical_decoder}


class MelodyLines(Kind):
    """One line of notes a window, read from MIDI files and scores: what melodies and melodies over chords share."""

    file_types = (".mid", ".midi", ".abc", ".musicxml", ".mxl", ".krn")
    file_noun = "MIDI or score file"
    empty = np.zeros(0, np.int8)

    def parse(self, path: Path, steps_per_bar: int = 16) -> Parsed:
        """By suffix: a MIDI file, or a score (refused unread where over ``MAX_SCORE_BYTES``)."""
        path = Path(path)
        if path.suffix.lower() in MIDI_TYPES:
            return read_melodies(path, steps_per_bar)
        refused = refuse(path, MAX_SCORE_BYTES)
        if refused:
            return Parsed(reason=refused)
        from vaekit_midi.scores import read_score

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read_score(path, steps_per_bar)

    def read(self, path: Path, config: Config) -> torch.Tensor:
        """A MIDI file read faithfully (``reading.read_user_midi``: ``data.track`` and ``data.pickup``
        where set), saying which track it took and what quantisation changed, and remembering its
        tempo, meter and key for writing; a score as every kind reads it, warning where the grid left
        out much of it. With ``data.bars`` ("A:B"), the windows that cover those bars of the song, one
        after another (``song.py``)."""
        path = Path(path)
        data = config.get("data", {})
        if path.suffix.lower() not in self.file_types:
            raise VaekitError(self.wrong_type(path))
        if path.suffix.lower() not in MIDI_TYPES:
            if data.get("bars"):
                raise VaekitError(f"{path}: --bars reads MIDI files ({', '.join(MIDI_TYPES)})")
            parsed = self.parse(path, int(data.get("steps_per_bar", 16)))
            if parsed.reason:
                raise VaekitError(f"{path}: {REASONS[parsed.reason]}")
            warning = parsed.report.warning(str(path)) if parsed.report is not None else None
            if warning:
                import logging

                logging.getLogger(__name__).warning(warning)
            return self.windows_of(path, parsed, config)
        from vaekit_midi.music_memo import remember
        from vaekit_midi.reading import read_user_midi

        reading = read_user_midi(path, int(data.get("steps_per_bar", 16)), data.get("track"), data.get("pickup"))
        reading.say()
        if data.get("bars"):
            import torch

            from vaekit_midi.song import span_windows

            spb = int(data.get("steps_per_bar", 16))
            tokens, song, start, stop = span_windows(reading, str(data["bars"]), int(data.get("steps", 32)), spb)
            windows = torch.from_numpy(tokens)
            remember(reading.music, windows, config, (song, start, stop))
            return windows
        windows = self.windows_of(path, reading.parsed, config)
        remember(reading.music, windows, config)
        return windows

    def keep(self, windows: np.ndarray, steps_per_bar: int = 16) -> np.ndarray:
        return usable(windows, steps_per_bar)

    def no_window(self, path: Path, parsed: Parsed, steps: int, steps_per_bar: int) -> str:
        longest = max(len(t) for t, _ in parsed.segments)
        if longest >= steps:
            return f"{path}: no {steps}-step window starts with a note in its first bar"
        return (f"{path}: too short for one {steps}-step window (its longest melody has {longest} steps, "
                f"{longest / steps_per_bar:g} bars of 4/4)")

    def corpus(self, source: str, config: Config) -> Corpus:
        """A built-in corpus (``folk``, ``pop``, or several joined by ``+``), or a user's files."""
        names = (source or "folk").split("+")
        if not all(name in ("folk", "pop") for name in names):
            return super().corpus(source, config)
        from vaekit_midi.corpus import Corpus
        from vaekit_midi.folk import COLLECTIONS, load_folk
        from vaekit_midi.pop import load_pop

        data = config["data"]
        limit, spb = int(data.get("limit_tunes", 0) or 0), int(data.get("steps_per_bar", 16))
        loaders = {"folk": lambda: load_folk(list(data.get("collections") or COLLECTIONS), limit, spb),
                   "pop": lambda: load_pop(limit, spb)}
        return Corpus.join([loaders[name]() for name in names])

    def load_dataset(self, source: str, config: Config):
        """As every kind's, and with ``data.replay`` the training windows of that built-in data beside
        the source's, the source's repeated so that the replayed ones are ``data.replay_share`` of all:
        fine-tuning on a few tunes then keeps seeing what the model knew."""
        from vaekit_midi.dataset import WindowDataset

        train, val = super().load_dataset(source, config)
        data = config["data"]
        if not data.get("replay"):
            return Data(train, val)
        if not self.builtin(data["replay"]):
            raise VaekitError(f"data.replay is {data['replay']!r}; it names built-in data (folk, pop, folk+pop)")
        share = float(data.get("replay_share", 0.5))
        if not 0 < share < 1:
            raise VaekitError(f"data.replay_share is {share}; it lies between 0 and 1")
        old = super().load_dataset(data["replay"], config).train.windows.numpy().astype(np.int8)
        own = train.windows.numpy().astype(np.int8)
        repeats = max(1, round(len(old) * (1 - share) / share / max(len(own), 1)))
        return Data(WindowDataset(np.concatenate([np.tile(own, (repeats, 1)), old]), train.transpose), val)

    def builtin(self, source: str) -> bool:
        return all(name in ("folk", "pop") for name in (source or "folk").split("+"))

    def no_dataset(self, source: str) -> str:
        return f"{source}: no such file or folder, and not a built-in dataset (midi has: folk, pop, folk+pop)"

    def skipped_line(self, skipped: int, total: int) -> str:
        return f"skipped {skipped} of {total} files"

    def build_model(self, config: Config) -> VAE:
        """The VAE that ``config["model"]`` describes (``model.encoder`` and ``model.decoder`` name a part of
        ``ENCODERS`` and ``DECODERS``)."""
        from vaekit import VAE

        m, data = config["model"], config["data"]
        parts = {"encoder": (m["encoder"], ENCODERS), "decoder": (m["decoder"], DECODERS)}
        for part, (name, table) in parts.items():
            if name not in table:
                raise VaekitError(f"model.{part} is {name!r}; use {' or '.join(table)}")
            if name == "hierarchical" and data["steps"] % data["steps_per_bar"]:
                raise VaekitError(f"data.steps {data['steps']} is not a whole number of bars of data.steps_per_bar "
                                  f"{data['steps_per_bar']}, as model.{part}=hierarchical needs")
        return VAE(ENCODERS[m["encoder"]](config), DECODERS[m["decoder"]](config), m["latent_dim"],
                   variational=m["variational"])

    def own_metrics(self, x: torch.Tensor, tf: torch.Tensor, recon: torch.Tensor) -> dict[str, torch.Tensor]:
        """Teacher-forced accuracy on note-ons alone, and the F1 of the greedy reconstruction's notes."""
        import torch

        from vaekit_midi.metrics import NOTE_ON, note_f1

        on = x >= NOTE_ON
        return {"note_on_acc": torch.where(on.any(), ((tf == x) & on).sum() / on.sum().clamp_min(1), 1.0),
                "note_f1": note_f1(x, recon)}

    def tracks(self, config: Config) -> list[tuple[str, int, bool]]:
        return [("melody", int(config.get("data", {}).get("program", 0)), False)]

    def to_tracks(self, item: np.ndarray) -> list[np.ndarray]:
        return [decode(item)]

    def render(self, x: torch.Tensor, path: Path, config: Config, labels: list[str] | None = None) -> None:
        from vaekit_midi.music_memo import recall_rows
        from vaekit_midi.render import piano_roll

        piano_roll(x.detach().cpu().numpy(), Path(path), config, labels, recall_rows(x, config))


class Melody(MelodyLines):
    """MusicVAE's melodies, and what only they have: quality features, attribute vectors, reading reports, spans
    of songs."""

    name = "melody"

    def conditioned(self, model: VAE, config: Config, inputs: torch.Tensor | None = None, count: int = 1,
                    seed: int = 0) -> AbstractContextManager:
        """With ``generate.form`` (``--form``), a hierarchical model samples in that form
        (``form_sampling``); others refuse it."""
        from vaekit_midi.form_sampling import in_form
        from vaekit_midi.networks import HierarchicalDecoder

        sampling = config.get("generate", {})
        if not sampling.get("form") or config.get("data", {}).get("chords") is not None:
            return super().conditioned(model, config, inputs, count, seed)  # none, or the refusal of --chords
        if not isinstance(model.decoder, HierarchicalDecoder):
            raise VaekitError(f"--form: only a hierarchical melody model (e.g. mel_16bar) samples in a form; "
                              f"{config.get('preset')} decodes {config['data']['steps']} steps at once")
        return in_form(model.decoder, sampling["form"], float(sampling["variation"]))

    def reads_span(self, config: Config) -> bool:
        """With ``data.bars`` (``--bars A:B``), a file is read as the windows of that span."""
        return bool(config.get("data", {}).get("bars"))

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
        """Steps between two spans of songs (``--bars``) are written into song A (``song_interpolation``);
        other steps as every kind writes them."""
        from vaekit_midi.music_memo import recall_span

        span = recall_span(config, back=2) if self.reads_span(config) else None
        if span is None:
            return super().write_interpolation(x, out, config)
        from vaekit_midi.song_interpolation import write_into_song

        return write_into_song(self, x, Path(out), config, *span)

    def reading_report(self, source: str, config: Config):
        """How far quantisation moves the notes of the MIDI files in ``source`` (``folder_quantisation``)."""
        from vaekit_midi.folder_quantisation import folder_report
        from vaekit_midi.user_files import list_files

        paths, _ = list_files(Path(source), self, int(config["data"].get("limit_tunes", 0) or 0))
        return folder_report(paths, int(config["data"].get("steps_per_bar", 16)))

    def features(self, x: torch.Tensor, config: Config) -> dict:
        """MGEval's melody features (see ``features.py``)."""
        from vaekit_midi.features import features

        return features(x.detach().cpu().numpy())

    def quality_reference(self, held_out: torch.Tensor, config: Config) -> tuple[torch.Tensor, str]:
        """Melodies trained with ``data.transpose`` learn every key that it reaches, so samples are compared
        with the held-out windows transposed as training windows are (a random shift each, seed 0): the
        untransposed ones sit in fewer keys than the model learned."""
        import torch

        from vaekit_midi.dataset import WindowDataset

        semitones = int(config["data"].get("transpose", 0) or 0)
        if not semitones:
            return held_out, "the held-out windows as they are"
        with torch.random.fork_rng():
            torch.manual_seed(0)
            shifted = WindowDataset(held_out.cpu().numpy(), semitones).get_batch(torch.arange(len(held_out)))[1]
        return shifted, (f"the held-out windows, each transposed by a random -{semitones}..+{semitones} semitones as "
                         "the training windows were (data.transpose)")

    def interpolation_quality(self, model: VAE, held_out: torch.Tensor, train, config: Config):
        """Smoothness and naturalness of interpolations (see ``interpolation_quality.py``)."""
        from vaekit_midi.interpolation_quality import interpolation_quality

        return interpolation_quality(model, held_out.cpu().numpy(), train.windows.numpy())

    def sample_quality(self, generated: torch.Tensor, held_out, train, config: Config) -> Figures:
        """Form (see ``form.py``): repetition, key, phrase endings and framewise self-similarity of the
        samples beside the same measures of as many held-out windows."""
        import torch

        from vaekit.batches import fetch
        from vaekit_midi.form import form_figures, frame_overlaps, self_similarity

        samples = generated.detach().cpu().numpy()
        real = fetch(held_out, torch.arange(min(len(samples), len(held_out))))[1].cpu().numpy()
        mine, theirs = form_figures(samples), form_figures(real)
        figures = {name: {"samples": mine[name], "held_out": value} for name, value in theirs.items() if name in mine}
        for name, value in self_similarity(frame_overlaps(samples), frame_overlaps(real)).items():
            figures[name] = {"samples": value, "held_out": 1.0}
        return Figures("form: repeated bars, key, phrase endings (bars 4, 8, ...), framewise self-similarity "
                       "(Mittal et al. 2021; consistency and variance against the held-out windows)", figures)

    def attribute_vectors(self, run_dir: Path, config: Config) -> dict[str, torch.Tensor]:
        """The vectors ``vaekit attributes`` stored in the run, if any."""
        from vaekit_midi import attributes

        if not (Path(run_dir) / attributes.FILE).exists():
            return {}
        return attributes.load(Path(run_dir))[0]
