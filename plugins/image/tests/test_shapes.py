"""Encode -> decode keeps shapes for every preset of the image modality (small widths, 16x16 grey)."""

from __future__ import annotations

import pytest

from vaekit import plugins
from vaekit.testing import check_encode_decode, shape_examples, tiny_model

MODALITY = plugins.get_modality("image")
NEEDS = ("data.size=16", "data.channels=1")  # image sizes come from the data otherwise


@pytest.mark.parametrize("preset", sorted(MODALITY.presets()))
@shape_examples
def test_encode_decode_keeps_shapes_for_every_preset(preset, batch, temperature, seed):
    check_encode_decode(tiny_model(MODALITY, preset, NEEDS), batch, temperature, seed)
