"""Fuzzing the image reader with untrusted files.

Promises:
- any bytes given to the image reader (PNG, GIF, BMP, JPEG, .npy, .npz, IDX) either load (as
  well-formed model inputs) or raise ``VaekitError``: never another exception, never a hang (each
  example runs under a 10 s alarm), never a large allocation (the process's peak RSS grows by under
  512 MiB over a whole test; forged lengths are checked under a hard address-space limit in a subprocess).

The default run draws a few hundred examples; ``pytest -m fuzz`` draws thousands.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from vaekit import VaekitError, plugins
from vaekit.config import build
from vaekit.testing import mutated, quick, read_fuzzed, read_under_address_limit

SMALL = ("data.size=8", "data.channels=1")


def _image_seeds() -> dict[str, bytes]:
    from PIL import Image

    pixels = (np.arange(24 * 32 * 3) % 251).astype(np.uint8).reshape(24, 32, 3)
    seeds = {}
    for fmt, suffix in [("PNG", ".png"), ("GIF", ".gif"), ("BMP", ".bmp"), ("JPEG", ".jpg")]:
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, fmt)
        seeds[suffix] = buffer.getvalue()
    buffer = io.BytesIO()
    np.save(buffer, pixels)
    seeds[".npy"] = buffer.getvalue()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x=pixels[None].repeat(2, 0), y=np.array([0, 1]))
    seeds[".npz"] = buffer.getvalue()
    seeds["-idx3-ubyte"] = b"\0\0\x08\x03" + np.array([2, 6, 6], ">u4").tobytes() + bytes(range(72))
    return seeds


@pytest.fixture(scope="module")
def image_reader():
    modality = plugins.get_modality("image")
    config = build(modality, "conv", overrides=list(SMALL))
    return modality, config


def image_inputs():
    seeds = _image_seeds()
    raw = st.tuples(st.sampled_from(sorted(seeds)), st.binary(max_size=300))
    return st.one_of(mutated(seeds), mutated(seeds), mutated(seeds), raw)


def check_image(image_reader, tmp_path, suffix: str, data: bytes) -> None:
    modality, config = image_reader
    path = tmp_path / f"fuzz{suffix}"
    x = read_fuzzed(modality, config, path, data)
    if isinstance(x, VaekitError):
        assert str(x).startswith(str(path)) or str(x).startswith(str(tmp_path)), x
        return
    assert x.dtype == torch.float32 and x.ndim == 4 and tuple(x.shape[1:]) == (1, 8, 8) and len(x) >= 1
    assert torch.isfinite(x).all() and float(x.min()) >= 0 and float(x.max()) <= 1


@quick(250)
@given(image_inputs())
def test_any_bytes_given_to_the_image_reader_load_or_raise_vaekit_error(image_reader, tmp_path, flat_peak_memory,
                                                                          case):
    check_image(image_reader, tmp_path, *case)


@pytest.mark.fuzz
@quick(4000)
@given(image_inputs())
def test_fuzz_image_reader_thousands(image_reader, tmp_path, flat_peak_memory, case):
    check_image(image_reader, tmp_path, *case)


def test_forged_lengths_never_allocate_what_they_declare(tmp_path):
    """A PNG chunk and an .npz member each declaring about 2-4 GB, in files of a few hundred bytes:
    each is refused with one line, within a 256 MiB address-space budget."""
    png = bytearray(_image_seeds()[".png"])
    (tmp_path / "good.png").write_bytes(bytes(png))
    at = png.index(b"IDAT") - 4
    png[at:at + 4] = b"\xf0\x00\x00\x00"  # a 4 GB image-data chunk
    (tmp_path / "forged.png").write_bytes(bytes(png))
    header = b"{'descr': '|u1', 'fortran_order': False, 'shape': (2000000000,), }"
    header += b" " * (127 - 10 - len(header)) + b"\n"
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.npy", b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(1000))
    bomb = bytearray((tmp_path / "bomb.npz").read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # declare 2 GB uncompressed
        at = bomb.index(signature) + offset
        bomb[at:at + 4] = (2**31 - 1).to_bytes(4, "little")
    (tmp_path / "bomb.npz").write_bytes(bytes(bomb))
    out = read_under_address_limit("image", "conv", tmp_path / "good.png", [tmp_path / "forged.png",
                                   tmp_path / "bomb.npz"], overrides=SMALL, cwd=tmp_path)
    assert "array too large (2048 MiB uncompressed; the cap is 1024 MiB)" in out, out
