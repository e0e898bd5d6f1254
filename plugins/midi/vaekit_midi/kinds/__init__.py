"""The MIDI plugin's data kinds, one object each: ``melody``, ``drums``, ``groove``, ``trio`` and
``piano`` (a preset's ``data.kind``; melody where it names none)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vaekit import Config, VaekitError
from vaekit_midi.kinds.base import Kind
from vaekit_midi.kinds.chord_melody import ChordMelody
from vaekit_midi.kinds.drums import Drums
from vaekit_midi.kinds.groove import Groove
from vaekit_midi.kinds.melody import Melody
from vaekit_midi.kinds.piano import Piano
from vaekit_midi.kinds.trio import Trio

if TYPE_CHECKING:
    from vaekit import VAE

KINDS: dict[str, Kind] = {kind.name: kind for kind in (Melody(), Drums(), Groove(), Trio(), Piano(), ChordMelody())}


def kind_of(config: Config) -> Kind:
    """The kind a config's ``data.kind`` names."""
    name = config.get("data", {}).get("kind", "melody")
    if name not in KINDS:
        raise VaekitError(f"data.kind is {name!r}; the midi plugin builds {', '.join(KINDS)} models")
    return KINDS[name]


def kind_of_model(model: VAE) -> Kind:
    """The kind a model was built for, told by its decoder: a trio, GrooVAE or piano decoder, else its
    vocabulary."""
    from vaekit_midi.chord_model import ChordDecoder
    from vaekit_midi.groove_model import GrooveDecoder
    from vaekit_midi.networks import TrioDecoder
    from vaekit_midi.piano_model import PianoDecoder
    from vaekit_midi.tokens import DRUM_VOCAB

    if isinstance(model.decoder, TrioDecoder):
        return KINDS["trio"]
    if isinstance(model.decoder, ChordDecoder):
        return KINDS["chord_melody"]
    if isinstance(model.decoder, GrooveDecoder):
        return KINDS["groove"]
    if isinstance(model.decoder, PianoDecoder):
        return KINDS["piano"]
    return KINDS["drums" if model.decoder.vocab == DRUM_VOCAB else "melody"]
