"""The MIDI plugin's data kinds, one object each and each the ``vaekit.Handler`` of its configs: ``melody``,
``drums``, ``groove``, ``trio``, ``piano`` and ``chord_melody`` (a preset's ``data.kind``; melody where it names
none)."""

from __future__ import annotations

from vaekit import Config, VaekitError
from vaekit_midi.kinds.base import Kind
from vaekit_midi.kinds.chord_melody import ChordMelody
from vaekit_midi.kinds.drums import Drums
from vaekit_midi.kinds.groove import Groove
from vaekit_midi.kinds.melody import Melody
from vaekit_midi.kinds.piano import Piano
from vaekit_midi.kinds.trio import Trio

KINDS: dict[str, Kind] = {kind.name: kind for kind in (Melody(), Drums(), Groove(), Trio(), Piano(), ChordMelody())}


def kind_of(config: Config) -> Kind:
    """The kind a config's ``data.kind`` names."""
    name = config.get("data", {}).get("kind", "melody")
    if name not in KINDS:
        raise VaekitError(f"data.kind is {name!r}; the midi plugin builds {', '.join(KINDS)} models")
    return KINDS[name]

