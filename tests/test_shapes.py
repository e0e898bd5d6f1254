"""The properties every model must keep, checked on the in-process example ``vectors`` modality with the
helpers that each plugin's tests run on its own presets (``vaekit.testing``): encode -> decode keeps
shapes for every preset."""

from __future__ import annotations

from vaekit.testing import check_encode_decode, shape_examples, tiny_model


@shape_examples
def test_encode_decode_keeps_shapes_for_every_preset(vectors, batch, temperature, seed):
    for preset in sorted(vectors.presets()):
        check_encode_decode(tiny_model(vectors, preset, ("data.features=32",)), batch, temperature, seed)
