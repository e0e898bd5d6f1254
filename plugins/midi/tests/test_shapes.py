"""Encode -> decode keeps shapes for every preset of the MIDI modality (melodies, drums, trios; small widths)."""

from __future__ import annotations

import pytest

from vaekit import plugins
from vaekit.testing import check_encode_decode, shape_examples, tiny_model

MODALITY = plugins.get_modality("midi")


@pytest.mark.parametrize("preset", sorted(MODALITY.presets()))
@shape_examples
def test_encode_decode_keeps_shapes_for_every_preset(preset, batch, temperature, seed):
    check_encode_decode(tiny_model(MODALITY, preset), batch, temperature, seed)
