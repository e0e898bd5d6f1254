"""Fuzzing the MIDI reader with untrusted files, for each kind it reads: melodies (mel_2bar), drum
patterns (drums_2bar) and trios (trio_16bar), through the modality's public ``read`` only.

Promises:
- any bytes given to the reader (mutations of valid files: overwritten and inserted bytes, cuts,
  forged 32-bit chunk lengths; raw bytes; bytes after a MIDI header) either load (as well-formed
  model inputs) or raise ``VaekitError``: never another exception, never a hang (each example runs
  under a 10 s alarm), never a large allocation (the process's peak RSS grows by under 512 MiB over a
  whole test);
- a folder of 1 to 4 such files (valid ones among them) given to ``load_dataset`` gives train and
  validation windows of the kind's shape, or raises ``VaekitError``;
- a MIDI header or track chunk forged to declare 2 GB is refused under a hard address-space limit
  (a subprocess that may grow by 256 MiB).

The default run draws a few hundred files and 50 folders a kind; ``pytest -m fuzz`` draws thousands of
files and a thousand folders.
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
from vaekit.modality import handler_of
from vaekit.testing import alarm, mutated, quick, read_fuzzed, read_under_address_limit

STEP = 0.125  # seconds a 16th at 120 bpm


def _melody_seeds(handler, config) -> dict[str, bytes]:
    """A one-track file from the melody handler's writer, a type-1 file with tempo and meter changes, and a
    short ABC tune."""
    import mido

    melody = np.zeros(64, np.int8)
    melody[::4] = np.arange(40, 56)
    with tempfile.TemporaryDirectory() as tmp:
        handler.write(torch.from_numpy(melody), Path(tmp) / "seed.mid", config)
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


def _bytes(pm) -> bytes:
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()


def _kit(bars: int) -> object:
    """A drum track: hats on 8ths, kick on 1 and 3, snare on 2 and 4, a crash at the start."""
    import pretty_midi

    kit = pretty_midi.Instrument(program=0, is_drum=True)
    kit.notes = [pretty_midi.Note(90, 49, 0, STEP)]
    for s in range(bars * 16):
        for pitch in [42] * (s % 2 == 0) + [36] * (s % 8 == 0) + [38] * (s % 8 == 4):
            kit.notes.append(pretty_midi.Note(90, pitch, s * STEP, (s + 1) * STEP))
    return kit


def _line(program: int, bars: int, every: int, low: int, span: int) -> object:
    import pretty_midi

    line = pretty_midi.Instrument(program=program)
    line.notes = [pretty_midi.Note(90, low + (s * 3) % span, s * STEP, (s + every) * STEP)
                  for s in range(0, bars * 16, every)]
    return line


def _drum_seeds(handler, config) -> dict[str, bytes]:
    """A 4-bar beat alone, and a 3-bar beat under a piano line, 4/4 then 3/4 from bar 3."""
    import pretty_midi

    alone = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    alone.instruments.append(_kit(4))
    band = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    band.instruments += [_line(0, 3, 2, 60, 12), _kit(3)]
    band.time_signature_changes += [pretty_midi.TimeSignature(4, 4, 0.0), pretty_midi.TimeSignature(3, 4, 4.0)]
    return {".mid": _bytes(alone), ".midi": _bytes(band)}


def _trio_seeds(handler, config) -> dict[str, bytes]:
    """16 bars (one window) of a melody of 8th notes (flute), a bass of quarter notes (program 34) and
    a beat; the same again with a piano chord under the melody and no crash."""
    import pretty_midi

    bars = config["data"]["steps"] // 16
    seeds = {}
    for suffix, pad in [(".mid", False), (".midi", True)]:
        pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
        pm.instruments += [_line(9, bars, 2, 64, 12), _line(34, bars, 4, 36, 7), _kit(bars)]
        if pad:
            pm.instruments.insert(1, _line(0, bars, 16, 48, 1))
            pm.instruments[-1].notes.pop(0)
        seeds[suffix] = _bytes(pm)
    return seeds


class Kind(NamedTuple):
    seeds: object  # (handler, config) -> {suffix: bytes}
    raw: list[str]  # suffixes given raw bytes
    shape: tuple[int, ...]  # of one window, beyond the steps
    limits: tuple[int, ...]  # tokens are below these, a row each


KINDS = {
    "mel_2bar": Kind(_melody_seeds, [".mid", ".abc"], (), (90,)),
    "drums_2bar": Kind(_drum_seeds, [".mid"], (), (512,)),
    "trio_16bar": Kind(_trio_seeds, [".mid"], (3,), (90, 90, 512)),
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
    """Per preset: the installed ``midi`` modality, the preset's config, valid seed files (each loads)
    and the inputs drawn from them."""
    modality = plugins.get_modality("midi")
    readers = {}
    for preset, kind in KINDS.items():
        config = build(modality, preset)
        seeds = kind.seeds(handler_of(modality, config), config)
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


def test_the_seeds_load(midi_readers, tmp_path):
    """The fuzz starts from files the reader takes: every seed loads, as the kind's windows."""
    for preset, reader in midi_readers.items():
        for suffix, data in reader.seeds.items():
            x = read_fuzzed(reader.modality, reader.config, tmp_path / f"{preset}{suffix}", data)
            assert isinstance(x, torch.Tensor), (preset, suffix, x)
            check_midi(preset, reader, tmp_path, suffix, data)


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


def folder_inputs(reader: Reader):
    """1 to 4 files: drawn like the reader's inputs, or valid seeds among them."""
    return st.lists(st.one_of(reader.inputs, st.sampled_from(sorted(reader.seeds.items()))), min_size=1, max_size=4)


def check_folder(preset: str, reader: Reader, folder: Path, cases: list[tuple[str, bytes]]) -> None:
    """A folder of mutated files given to ``load_dataset``: train and validation windows of the kind's
    shape, or a ``VaekitError``."""
    kind = KINDS[preset]
    folder.mkdir()
    for i, (suffix, data) in enumerate(cases):
        (folder / f"{i}{suffix}").write_bytes(data)
    try:
        with alarm(10 * len(cases)):
            splits = handler_of(reader.modality, reader.config).load_dataset(str(folder), reader.config)
    except VaekitError as e:
        assert str(e).startswith(str(folder)), e
        return
    x = torch.stack([split[i][0] for split in splits for i in range(len(split))])
    assert x.dtype == torch.int64 and tuple(x.shape[1:]) == (*kind.shape, reader.config["data"]["steps"])
    assert int(x.min()) >= 0 and bool((x < torch.tensor(kind.limits).view(-1, 1)).all())


@pytest.mark.parametrize("preset", KINDS)
@quick(50)
@given(data=st.data())
def test_a_folder_of_any_files_loads_or_raises_vaekit_error(midi_readers, tmp_path_factory, monkeypatch,
                                                           flat_peak_memory, preset, data):
    reader = midi_readers[preset]
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path_factory.mktemp("cache")))
    cases = data.draw(folder_inputs(reader), label="cases")
    check_folder(preset, reader, tmp_path_factory.mktemp("folder") / "data", cases)


@pytest.mark.fuzz
@pytest.mark.parametrize("preset", KINDS)
@quick(1000)
@given(data=st.data())
def test_fuzz_a_thousand_folders(midi_readers, tmp_path_factory, monkeypatch, flat_peak_memory, preset, data):
    reader = midi_readers[preset]
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path_factory.mktemp("cache")))
    cases = data.draw(folder_inputs(reader), label="cases")
    check_folder(preset, reader, tmp_path_factory.mktemp("folder") / "data", cases)


@pytest.mark.parametrize("preset", KINDS)
def test_forged_lengths_never_allocate_what_they_declare(tmp_path, midi_readers, preset):
    """The MIDI header and the first track chunk each declaring 2 GB, in files of a few hundred bytes
    or a few KB: each is refused with one line, within a 256 MiB address-space budget."""
    seed = midi_readers[preset].seeds[".mid"]
    (tmp_path / "good.mid").write_bytes(seed)
    midi = tmp_path / "forged.mid"
    midi.write_bytes(seed[:4] + b"\x7f\xff\xff\xff" + seed[8:])  # the MThd length
    track = tmp_path / "track.mid"
    at = seed.index(b"MTrk") + 4
    track.write_bytes(seed[:at] + b"\x7f\xff\xff\xff" + seed[at + 4:])
    out = read_under_address_limit("midi", preset, tmp_path / "good.mid", [midi, track], cwd=tmp_path)
    assert out.count("refused:") == 2 and "corrupt MIDI" in out, out
