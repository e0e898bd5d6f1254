"""Fuzzing the MIDI reader with untrusted files, for each kind it reads (melodies: mel_2bar), through
the modality's public ``read`` only.

Promises:
- any bytes given to the reader (mutations of valid files: overwritten and inserted bytes, cuts,
  forged 32-bit chunk lengths; raw bytes; bytes after a MIDI header) either load (as well-formed
  model inputs) or raise ``VaekitError``: never another exception, never a hang (each example runs
  under a 10 s alarm), never a large allocation (the process's peak RSS grows by under 512 MiB over a
  whole test);
- a MIDI header or track chunk forged to declare 2 GB is refused under a hard address-space limit
  (a subprocess that may grow by 256 MiB).

The default run draws a few hundred examples a kind; ``pytest -m fuzz`` draws thousands.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from vaekit import VaekitError, plugins
from vaekit.config import build
from vaekit.testing import mutated, quick, read_fuzzed, read_under_address_limit


def _melody_seeds(modality, config) -> dict[str, bytes]:
    """A one-track file from the modality's writer, a type-1 file with tempo and meter changes, and a
    short ABC tune."""
    import mido

    melody = np.zeros(64, np.int8)
    melody[::4] = np.arange(40, 56)
    with tempfile.TemporaryDirectory() as tmp:
        modality.write(torch.from_numpy(melody), Path(tmp) / "seed.mid", config)
        written = (Path(tmp) / "seed.mid").read_bytes()
    mid = mido.MidiFile(type=1, ticks_per_beat=96)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=400000), mido.MetaMessage("time_signature"),
                           mido.MetaMessage("time_signature", numerator=3, denominator=4, time=384)])
    notes = mido.MidiTrack()
    for i in range(12):
        notes.append(mido.Message("note_on", note=60 + i, velocity=80, time=0 if i == 0 else 8))
        notes.append(mido.Message("note_off", note=60 + i, velocity=0, time=88))
    mid.tracks += [meta, notes]
    typed = io.BytesIO()
    mid.save(file=typed)
    abc = b"X:1\nT:t\nM:4/4\nL:1/8\nK:G\nG2AB c2BA | G2g2 f2e2 | d2B2 c2A2 | G8 | B2cd e2dc | B8 |]\n"
    return {".mid": written, ".midi": typed.getvalue(), ".abc": abc}


class Kind(NamedTuple):
    seeds: object  # (modality, config) -> {suffix: bytes}
    raw: list[str]  # suffixes given raw bytes
    shape: tuple[int, ...]  # of one window, beyond the steps
    limits: tuple[int, ...]  # tokens are below these, a row each


KINDS = {
    "mel_2bar": Kind(_melody_seeds, [".mid", ".abc"], (), (90,)),
}


class Reader(NamedTuple):
    modality: object
    config: dict
    seeds: dict[str, bytes]
    inputs: object  # the hypothesis strategy of (suffix, bytes)


def midi_inputs(seeds: dict[str, bytes], raw_suffixes: list[str]):
    raw = st.tuples(st.sampled_from(raw_suffixes), st.binary(max_size=300))
    header = st.tuples(st.just(".mid"), st.binary(max_size=300).map(lambda b: b"MThd\0\0\0\6" + b))
    return st.one_of(mutated(seeds), mutated(seeds), raw, header)


@pytest.fixture(scope="module")
def midi_readers():
    """Per preset: the installed ``midi`` modality, the preset's config, valid seed files and the inputs
    drawn from them."""
    modality = plugins.get_modality("midi")
    readers = {}
    for preset, kind in KINDS.items():
        config = build(modality, preset)
        seeds = kind.seeds(modality, config)
        readers[preset] = Reader(modality, config, seeds, midi_inputs(seeds, kind.raw))
    return readers


def check_midi(preset: str, reader: Reader, tmp_path, suffix: str, data: bytes) -> None:
    kind = KINDS[preset]
    path = tmp_path / f"fuzz{suffix}"
    x = read_fuzzed(reader.modality, reader.config, path, data)
    if isinstance(x, VaekitError):
        assert str(x).startswith(str(path)), x
        return
    shape = (*kind.shape, reader.config["data"]["steps"])
    assert x.dtype == torch.int64 and tuple(x.shape[1:]) == shape and len(x) >= 1
    assert int(x.min()) >= 0 and bool((x < torch.tensor(kind.limits).view(-1, 1)).all())


@pytest.mark.parametrize("preset", KINDS)
@quick(200)
@given(data=st.data())
def test_any_bytes_given_to_the_midi_reader_load_or_raise_vaekit_error(midi_readers, tmp_path, flat_peak_memory,
                                                                        preset, data):
    reader = midi_readers[preset]
    check_midi(preset, reader, tmp_path, *data.draw(reader.inputs, label="case"))


@pytest.mark.fuzz
@pytest.mark.parametrize("preset", KINDS)
@quick(4000)
@given(data=st.data())
def test_fuzz_midi_reader_thousands(midi_readers, tmp_path, flat_peak_memory, preset, data):
    reader = midi_readers[preset]
    check_midi(preset, reader, tmp_path, *data.draw(reader.inputs, label="case"))


@pytest.mark.parametrize("preset", KINDS)
def test_forged_lengths_never_allocate_what_they_declare(tmp_path, midi_readers, preset):
    """The MIDI header and the first track chunk each declaring 2 GB, in a file of a few hundred bytes:
    each is refused with one line, within a 256 MiB address-space budget."""
    seed = midi_readers[preset].seeds[".mid"]
    (tmp_path / "good.mid").write_bytes(seed)
    midi = tmp_path / "forged.mid"
    midi.write_bytes(seed[:4] + b"\x7f\xff\xff\xff" + seed[8:])  # the MThd length
    track = tmp_path / "track.mid"
    at = seed.index(b"MTrk") + 4
    track.write_bytes(seed[:at] + b"\x7f\xff\xff\xff" + seed[at + 4:])
    out = read_under_address_limit("midi", preset, tmp_path / "good.mid", [midi, track], cwd=tmp_path)
    assert out.count("refused:") == 2 and "corrupt MIDI" in out, out
