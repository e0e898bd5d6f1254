"""Melodies over chords (``data.kind: chord_melody``): items ``(2, T)``, MusicVAE's melody tokens over a
chord index a step (``chords.py``), and the built-in ``pop_chords`` dataset (POP909's melodies over
their annotated chords).

A MIDI file is read with its own chords where a POP909-style annotation (``chord_midi.txt``) lies
beside it, else with chords recognised from its accompaniment (``chord_recognition``; its melody the
track ``melody_choice`` picks), else over the progression of ``--chords`` (``data.chords``). The
verbs decode over ``--chords`` where given (re-harmonising what they read), else over each input's own
chords (an interpolation over A's), else (generate) over progressions of held-out POP909 windows drawn
by the seed. Written MIDI holds the melody and a second track, ``chords``, that plays them as block
chords.
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaekit import Config, Data, VaekitError
from vaekit_midi.chords import CHORDS_FILE, block_chords, chord_changes, chord_name, describe_progression, progression
from vaekit_midi.kinds.base import Kind
from vaekit_midi.kinds.melody import Melody, MelodyLines, chord_rows, read_melodies
from vaekit_midi.melody_lines import Section, placed_segments, usable
from vaekit_midi.midi_file import grid_of, inside, meter_sections, on_grid, read_midi
from vaekit_midi.parsed import REASONS, Parsed
from vaekit_midi.tokens import MAX_PITCH, MIN_PITCH, decode

if TYPE_CHECKING:
    import torch

    from vaekit import VAE
    from vaekit_midi.corpus import Corpus

log = logging.getLogger(__name__)
BUILTIN = "pop_chords"
#: How a file without chords of its own is read: as a melody model reads it.
MELODY = Melody()


class ChordMelody(MelodyLines):
    name = "chord_melody"
    file_types = (".mid", ".midi")
    file_noun = "MIDI file"
    empty = np.zeros((2, 0), np.int16)

    def parse(self, path: Path, steps_per_bar: int = 16) -> Parsed:
        """A file's melodies over its annotated chords, else over chords recognised from its accompaniment."""
        parsed = read_melodies(Path(path), steps_per_bar, chords=True)
        return over_accompaniment(Path(path), steps_per_bar) if parsed.reason == "no_chords" else parsed

    def keep(self, windows: np.ndarray, steps_per_bar: int = 16) -> np.ndarray:
        """Windows whose melody a melody model would keep (``melody_lines.usable``) over some chord."""
        return usable(windows[:, 0], steps_per_bar) & (windows[:, 1] > 0).any(axis=1)

    def corpus(self, source: str, config: Config) -> Corpus:
        if source == BUILTIN:
            from vaekit_midi.pop_chords import load_pop_chords

            data = config["data"]
            return load_pop_chords(int(data.get("limit_tunes", 0) or 0), int(data.get("steps_per_bar", 16)))
        return Kind.corpus(self, source, config)

    def builtin(self, source: str) -> bool:
        return source == BUILTIN

    def no_dataset(self, source: str) -> str:
        return (f"{source}: no such file or folder, and not the built-in {BUILTIN} (chord models read MIDI files "
                f"with a {CHORDS_FILE} beside each, as POP909 has)")

    def load_dataset(self, source: str, config: Config):
        """As every kind's; with ``data.transpose_apart`` (true, or a share of each batch), training inputs
        and targets transposed apart (``dataset.ChordWindowDataset``)."""
        train, val = Kind.load_dataset(self, source, config)
        train.apart = float(config["data"].get("transpose_apart", 0.0))
        return Data(train, val)

    def dataset(self, windows: np.ndarray, transpose: int = 0):
        from vaekit_midi.dataset import ChordWindowDataset

        return ChordWindowDataset(windows, transpose)

    def read(self, path: Path, config: Config) -> torch.Tensor:
        """A file's windows over its own chords (annotated, else recognised from its accompaniment),
        else its melody read as the melody kind reads it, over ``data.chords``; says which."""
        import torch

        path = Path(path)
        if path.suffix.lower() not in self.file_types:
            raise VaekitError(self.wrong_type(path))
        data = config.get("data", {})
        parsed = self.parse(path, int(data.get("steps_per_bar", 16)))
        if not parsed.reason:
            source = f"its annotation ({CHORDS_FILE})" if chord_rows(path) is not None else RECOGNISED
            log.info("%s: chords from %s", path, source)
            return self.windows_of(path, parsed, config)
        if parsed.reason != "no_chords":
            raise VaekitError(f"{path}: {REASONS[parsed.reason]}")
        if data.get("chords") is None:
            raise VaekitError(f"{path}: no chords to read it over: no chord annotation ({CHORDS_FILE}) beside it "
                              "and no accompaniment to recognise them from; give them with --chords")
        row = torch.from_numpy(progression(str(data["chords"]), int(data["steps"]), int(data["steps_per_bar"])))
        melodies = MELODY.read(path, config)
        log.info("%s: chords from --chords (it has no annotation and no accompaniment)", path)
        return torch.stack([melodies, row.long().expand_as(melodies)], 1)

    def build_model(self, config: Config) -> VAE:
        """:mod:`vaekit_midi.chord_model`'s networks, sized as a melody model's: flat, or hierarchical (a
        16-bar model: an encoder LSTM a bar, a conductor)."""
        from vaekit import VAE
        from vaekit_midi.chord_model import ChordBarEncoder, ChordDecoder, ChordEncoder, ChordHierarchicalDecoder
        from vaekit_midi.networks import encoder_stride

        m, data = config["model"], config["data"]
        shape = (m["encoder"], m["decoder"])
        relative, stride = bool(m["chord_relative"]), encoder_stride(config)
        if shape == ("flat", "flat"):
            encoder = ChordEncoder(m["latent_dim"], m["encoder_hidden"], m["encoder_layers"], m["embed"],
                                   m["dropout"], m["bf16"], stride=stride, relative=relative)
            decoder = ChordDecoder(m["latent_dim"], data["steps"], m["decoder_hidden"], m["decoder_layers"],
                                   m["embed"], m["dropout"], m["sampling_rate"], m["bf16"])
        elif shape == ("hierarchical", "hierarchical"):
            spb = data["steps_per_bar"]
            if data["steps"] % spb:
                raise VaekitError(f"data.steps {data['steps']} is not a whole number of bars of {spb} steps")
            encoder = ChordBarEncoder(m["latent_dim"], m["encoder_hidden"], data["steps"] // spb, spb,
                                      m["encoder_layers"], m["embed"], m["dropout"], m["bf16"], stride=stride,
                                      relative=relative)
            decoder = ChordHierarchicalDecoder(m["latent_dim"], data["steps"], spb, m["conductor_hidden"],
                                               m["conductor_layers"], m["decoder_hidden"], m["decoder_layers"],
                                               m["embed"], m["dropout"], m["sampling_rate"], m["bf16"])
        else:
            raise VaekitError("chord_melody models have a flat encoder and decoder, or both hierarchical "
                              f"(model.encoder, model.decoder: {shape[0]}, {shape[1]})")
        return VAE(encoder, decoder, m["latent_dim"], variational=m["variational"])

    def decoding(self, model: VAE, x: torch.Tensor) -> AbstractContextManager:
        return model.decoder.over(x[:, 1])

    def scored(self, items: torch.Tensor) -> torch.Tensor:
        return items[:, 0]

    def takes_chords(self, config: Config) -> bool:
        return True

    def conditioned(self, model: VAE, config: Config, inputs: torch.Tensor | None = None, count: int = 1,
                    seed: int = 0) -> AbstractContextManager:
        """Decoding over ``data.chords`` (``--chords``), else over the inputs' own chords (each its own,
        or all over the first's where the outputs are not one an input: an interpolation), else over
        ``count`` progressions of held-out windows of the built-in data, drawn by ``seed``."""
        import torch

        if config.get("generate", {}).get("form"):
            raise VaekitError(f"--form: a {self.name} model does not sample in a form (it follows the chords it "
                              "decodes over; a 16-bar melody model samples in one, e.g. mel_16bar)")
        data = config.get("data", {})
        steps, spb = int(data["steps"]), int(data["steps_per_bar"])
        if data.get("chords") is not None:
            chords = torch.from_numpy(progression(str(data["chords"]), steps, spb)).long()
            log.info("over the chords %s", describe_progression(chords.numpy(), spb))
        elif inputs is not None:
            chords = inputs[:, 1] if len(inputs) == count else inputs[0, 1]
        else:
            chords = torch.from_numpy(self.drawn_progressions(config, count, seed)).long()
            for i, row in enumerate(chords.numpy()):
                log.info("sample %d over %s (a held-out POP909 progression; --chords sets one)", i,
                         describe_progression(row, spb))
        return model.decoder.over(chords)

    def drawn_progressions(self, config: Config, count: int, seed: int) -> np.ndarray:
        """The chord rows ``(count, T)`` of held-out windows of the built-in data, drawn by ``seed``."""
        config = {**config, "data": {**config["data"], "limit_tunes": 0}}
        rows = Kind.load_dataset(self, BUILTIN, config).val.windows[:, 1].numpy()
        return rows[np.random.default_rng(seed).choice(len(rows), count)]

    def tracks(self, config: Config) -> list[tuple[str, int, bool]]:
        return [*super().tracks(config), ("chords", 0, False)]

    def to_tracks(self, item: np.ndarray) -> list[np.ndarray]:
        return [decode(item[0]), block_chords(item[1])]

    def describe(self, x: torch.Tensor, config: Config) -> list[dict]:
        """As every kind's, with each item's chords as ``[onset step, end step, symbol]``, for the symbols
        the studio draws above its roll."""
        items = x.detach().cpu().numpy()
        return [{**d, "chords": [[start, end, chord_name(index)] for start, end, index in chord_changes(item[1])]}
                for d, item in zip(super().describe(x, config), items)]

    def render(self, x: torch.Tensor, path: Path, config: Config, labels: list[str] | None = None) -> None:
        """Piano rolls of the melodies, each with its chord symbols above it."""
        from vaekit_midi.render import piano_roll

        items = x.detach().cpu().numpy()
        above = [[(start, chord_name(index)) for start, _, index in chord_changes(item[1])] for item in items]
        piano_roll(items[:, 0], Path(path), config, labels, above=above)


#: Where the chords of a file without an annotation come from.
RECOGNISED = "its accompaniment (recognised)"


def over_accompaniment(path: Path, steps_per_bar: int = 16) -> Parsed:
    """The melody of a MIDI file (the track ``melody_choice`` picks) in segments ``(2, L)`` over the chords
    recognised from its other tracks (``chord_recognition.recognised``), on the grid POP909's annotated
    chords are read on; reason ``no_chords`` where it has no accompaniment or nothing recognised in it."""
    from vaekit_midi.chord_recognition import recognised
    from vaekit_midi.melody_choice import NoMelody, pick, track_infos

    pm, reason = read_midi(path)
    if reason:
        return Parsed(reason=reason)
    grid = grid_of(pm, path, steps_per_bar)
    lines, reason = on_grid(grid, pm.instruments)
    if reason:
        return Parsed(reason=reason)
    try:
        melody = lines[pick(track_infos(pm.instruments), lines)[0]]
    except NoMelody as e:
        return Parsed(reason=e.args[0])
    end = int(melody[:, 1].max()) + 1 if len(melody) else 0
    sections = meter_sections(grid, end)
    if sections is None:
        return Parsed(reason="too_long")
    chords = recognised(pm, grid, steps_per_bar, end)
    if chords is None or not chords.any():
        return Parsed(reason="no_chords")
    if not ((melody[:, 2] >= MIN_PITCH) & (melody[:, 2] <= MAX_PITCH)).any():
        return Parsed(reason="out_of_range")
    out = Parsed()
    for start, stop, length, bar in sections:
        part = inside(melody, start, stop)
        part[:, 1] = np.minimum(part[:, 1], length)
        for tokens, bar_steps, at in placed_segments(Section(part, length, bar), steps_per_bar):
            under = chords[start + at:start + at + len(tokens)]
            under = np.pad(under, (0, len(tokens) - len(under)))
            out.segments.append((np.stack([tokens.astype(np.int16), under.astype(np.int16)]), bar_steps))
    if not out.segments:
        out.reason = "no_meter"
    return out
