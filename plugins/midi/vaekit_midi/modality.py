"""The MIDI modality: MusicVAE's melody, drum and trio VAEs, melodies over chords and piano. It hands the core
the kind that a config names (``data.kind``; see ``kinds/``) as that config's handler. Imports nothing heavy at
module level."""

from __future__ import annotations

from vaekit import Config, Handler, Modality


class MidiModality(Modality):
    name = "midi"
    description = ("Melodies as MusicVAE's 90-class tokens on a 16th-note grid (reads MIDI, ABC, MusicXML, Humdrum); "
                   "drum patterns as 9 classes in 512 tokens (drums_2bar); melody, bass and drums trios (trio_16bar); "
                   "polyphonic piano, notes grouped by onset (piano_2bar)")
    file_types = (".mid", ".midi", ".abc", ".musicxml", ".mxl", ".krn")
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
        """Runs saved before ``model.encoder`` and ``model.encoder_stride`` (1) read a whole window one token a
        step; GrooVAE runs before ``model.feedback`` (2) fed the decoder every feature of the step before, and
        chord models before ``model.chord_relative`` read absolute pitches."""
        if "model" not in config:
            return
        if version < 1:
            config["model"].setdefault("encoder", "flat")
            config["model"].setdefault("encoder_stride", 1)
        kind = config.get("data", {}).get("kind")
        if version < 2 and kind == "groove":
            config["model"].setdefault("feedback", "all")
        if version < 2 and kind == "chord_melody":
            config["model"].setdefault("chord_relative", False)

    def handler(self, config: Config) -> Handler:
        """The kind of ``config``'s data (``data.kind``, melody where it names none)."""
        from vaekit_midi.kinds import kind_of

        return kind_of(config)
